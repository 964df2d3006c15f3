// This file holds case folding beyond ASCII: how this package tells a name
// it reads for certain from one that only some reader would take for it.

package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// RAM compares keys, actions and principals without regard to case, but
// does not document how it folds case outside ASCII. This package reads
// them by ASCII folding alone, and is certain only of what that gives. A
// reader that folds as Unicode does would also take "ſtatement" (long s)
// for Statement, "Conditıon" (dotless i) and "Condİtion" (dotted capital I)
// for Condition, "\u212Ams:*" (Kelvin sign) for kms:*, and "Eﬀect" (the ff
// ligature) for Effect. Where such a wider reading would give another
// answer than ASCII folding, the answer is not known:
//
//   - a document key that is Version or Statement only under the wider
//     reading makes the document unreadable (Read refuses it);
//   - such a statement key (Effect, Action, Condition, ...) makes the
//     statement opaque (Statement.Opaque): it may deny and never allows;
//   - such a principal key (Service, RAM, Federated) makes the Principal
//     unreadable (kept in Statement.Extra);
//   - an Action, NotAction or principal value that matches the request only
//     under the wider reading, a condition key that names a key of the
//     request only so, and a StringEqualsIgnoreCase value equal to the
//     request's only so, leave the statement undecidable.
//
// The wider reading folds each character by Unicode's simple case folding
// (upper case, then lower case) and, beyond it, by the full case foldings
// that give ASCII letters: ß and ẞ to ss, and the Latin ligatures ﬀ ﬁ ﬂ ﬃ
// ﬄ ﬅ ﬆ. Full foldings that give characters outside ASCII are left out:
// they cannot make anything equal to an ASCII name.

// foldExpansions are the full case foldings to ASCII letters that simple
// folding does not give.
var foldExpansions = map[rune]string{
	'ß':      "ss",
	'ẞ':      "ss",
	'\uFB00': "ff",
	'\uFB01': "fi",
	'\uFB02': "fl",
	'\uFB03': "ffi",
	'\uFB04': "ffl",
	'\uFB05': "st",
	'\uFB06': "st",
}

// foldRune folds one character outside ASCII for the wider reading.
func foldRune(r rune) string {
	if x, ok := foldExpansions[r]; ok {
		return x
	}
	return string(unicode.ToLower(unicode.ToUpper(r)))
}

// foldWide returns s folded for the wider reading: ASCII letters lower-cased,
// other characters as foldRune says. Bytes that are not valid UTF-8 are
// kept as they are.
func foldWide(s string) string {
	if isASCII(s) {
		return lowerASCII(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(lowerByte(c))
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteByte(c)
		} else {
			b.WriteString(foldRune(r))
		}
		i += w
	}
	return b.String()
}

// foldsBeyondASCII reports whether s holds a character outside ASCII that
// the wider reading changes, so that comparing s by ASCII folding alone may
// miss what another reader sees.
func foldsBeyondASCII(s string) bool {
	if isASCII(s) {
		return false
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		if r == utf8.RuneError && w == 1 {
			continue
		}
		if foldRune(r) != string(r) {
			return true
		}
	}
	return false
}

// CompareFold compares two names (keys, actions, principals) as this
// package compares them without regard to case: MatchYes when they are
// equal by ASCII folding, MatchUnknown when they are equal only when case
// is folded beyond ASCII ("ſtatement" and "Statement", "\u212Ams:*" and
// "kms:*"), which RAM does not document, and MatchNo otherwise. Callers that
// judge access should treat MatchUnknown as "cannot be read"; callers that
// look for something to report, as a match.
func CompareFold(a, b string) Match {
	switch certain, possible := foldMatch(a, b); {
	case certain:
		return MatchYes
	case possible:
		return MatchUnknown
	}
	return MatchNo
}

// foldMatch says how a and b compare without regard to case: certain when
// ASCII folding makes them equal, possible when the wider reading does.
func foldMatch(a, b string) (certain, possible bool) {
	if equalFoldASCII(a, b) {
		return true, true
	}
	if !foldsBeyondASCII(a) && !foldsBeyondASCII(b) {
		return false, false
	}
	return false, foldWide(a) == foldWide(b)
}
