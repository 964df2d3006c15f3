package policy

// This file holds a second evaluator, written for the tests only: slow,
// direct, and meant to be read against RAM's rules line by line. It shares no
// code with eval.go; the differential tests check that both agree.

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

type refTri int

const (
	refNo refTri = iota
	refYes
	refMaybe
)

// refAll combines judgements that must all hold.
func refAll(ts ...refTri) refTri {
	out := refYes
	for _, t := range ts {
		if t == refNo {
			return refNo
		}
		if t == refMaybe {
			out = refMaybe
		}
	}
	return out
}

// refAny combines judgements of which one must hold.
func refAny(ts ...refTri) refTri {
	out := refNo
	for _, t := range ts {
		if t == refYes {
			return refYes
		}
		if t == refMaybe {
			out = refMaybe
		}
	}
	return out
}

func refNot(t refTri) refTri {
	switch t {
	case refYes:
		return refNo
	case refNo:
		return refYes
	}
	return refMaybe
}

func refBool(b bool) refTri {
	if b {
		return refYes
	}
	return refNo
}

// refChars splits s into characters: one UTF-8 sequence, or one stray byte.
func refChars(s string) []string {
	var out []string
	for len(s) > 0 {
		_, w := utf8.DecodeRuneInString(s)
		out = append(out, s[:w])
		s = s[w:]
	}
	return out
}

func refLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// refWide folds s as widely as a reader might: each character upper-cased
// then lower-cased by Unicode's simple mappings, then by Unicode's full case
// folding when that gives ASCII only. Bytes that are not UTF-8 stay.
func refWide(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, w := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && w == 1 {
			b.WriteString(s[:1])
		} else {
			simple := string(unicode.ToLower(unicode.ToUpper(r)))
			full := cases.Fold().String(simple)
			if refASCII(full) {
				b.WriteString(full)
			} else {
				b.WriteString(simple)
			}
		}
		s = s[w:]
	}
	return b.String()
}

func refASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// refFold compares a and b without regard to case: yes when ASCII folding
// makes them equal, maybe when only the wider folding does.
func refFold(a, b string) refTri {
	switch {
	case refLower(a) == refLower(b):
		return refYes
	case refWide(a) == refWide(b):
		return refMaybe
	}
	return refNo
}

// refGlobCase matches a pattern without regard to case: yes when ASCII
// folding matches, maybe when only the wider folding does.
func refGlobCase(pattern, text string) refTri {
	switch {
	case refGlob(pattern, text, true):
		return refYes
	case refGlob(refWide(pattern), refWide(text), false):
		return refMaybe
	}
	return refNo
}

// refGlob matches with a table: m[i][j] says whether the first i characters
// of the pattern match the first j of the text.
func refGlob(pattern, text string, fold bool) bool {
	p, t := refChars(pattern), refChars(text)
	m := make([][]bool, len(p)+1)
	for i := range m {
		m[i] = make([]bool, len(t)+1)
	}
	m[0][0] = true
	for i := 1; i <= len(p); i++ {
		for j := 0; j <= len(t); j++ {
			switch p[i-1] {
			case "*":
				m[i][j] = m[i-1][j] || j > 0 && m[i][j-1]
			case "?":
				m[i][j] = j > 0 && m[i-1][j-1]
			default:
				if j > 0 {
					a, b := p[i-1], t[j-1]
					if fold {
						a, b = refLower(a), refLower(b)
					}
					m[i][j] = m[i-1][j-1] && a == b
				}
			}
		}
	}
	return m[len(p)][len(t)]
}

func refHidden(s Statement, names ...string) bool {
	for k := range s.Extra {
		for _, n := range names {
			if refFold(k, n) != refNo {
				return true
			}
		}
	}
	return false
}

// refEffect returns "Allow", "Deny", or "?" when the effect cannot be read.
func refEffect(s Statement) string {
	if refHidden(s, "Effect") {
		return "?"
	}
	if s.Effect == "Allow" || s.Effect == "Deny" {
		return string(s.Effect)
	}
	return "?"
}

// refList judges an X / NotX pair of a statement.
func refList(in, notIn Values, hidden bool, text string, fold bool) refTri {
	if hidden || len(in) > 0 && len(notIn) > 0 || len(in) == 0 && len(notIn) == 0 {
		return refMaybe
	}
	var ts []refTri
	for _, p := range append(append(Values{}, in...), notIn...) {
		if fold {
			ts = append(ts, refGlobCase(p, text))
		} else {
			ts = append(ts, refBool(refGlob(p, text, false)))
		}
	}
	if len(in) > 0 {
		return refAny(ts...)
	}
	return refNot(refAny(ts...))
}

func refPrincipal(s Statement, r *Request) refTri {
	named := s.Principal != nil || refHidden(s, "Principal")
	caller := r.Principal
	if caller.Service == "" && caller.RAM == "" && caller.Federated == "" {
		if named {
			return refMaybe
		}
		return refYes
	}
	if s.Principal == nil || refHidden(s, "Principal") {
		return refMaybe
	}
	var ts []refTri
	if caller.Service != "" {
		account, bare := "", caller.Service
		if at := strings.Index(caller.Service, "@"); at >= 0 {
			account, bare = caller.Service[:at], caller.Service[at+1:]
		}
		for _, v := range s.Principal.Service {
			if strings.Contains(v, "@") {
				ts = append(ts, refGlobCase(v, caller.Service))
			} else {
				ownAccount := r.Owner != "" && account == r.Owner
				own := ownAccount && refGlob(v, bare, true)
				switch {
				case own:
					ts = append(ts, refYes)
				case strings.ContainsAny(v, "*?") && refGlobCase(v, caller.Service) != refNo:
					// A wildcard without @ might be matched against the
					// whole <uid>@<service>: RAM does not say.
					ts = append(ts, refMaybe)
				case ownAccount && refGlobCase(v, bare) == refMaybe:
					ts = append(ts, refMaybe)
				default:
					ts = append(ts, refNo)
				}
			}
		}
	}
	if caller.RAM != "" {
		for _, v := range s.Principal.RAM {
			ts = append(ts, refGlobCase(v, caller.RAM))
		}
	}
	if caller.Federated != "" {
		for _, v := range s.Principal.Federated {
			ts = append(ts, refGlobCase(v, caller.Federated))
		}
	}
	if len(s.Principal.Extra) > 0 {
		ts = append(ts, refMaybe)
	}
	return refAny(ts...)
}

// refLookup finds a condition key of the request: found by ASCII folding,
// or alike when only the wider folding finds one.
func refLookup(r *Request, key string) (v string, found, alike bool) {
	for _, c := range r.Context {
		if refLower(c.Key) == refLower(key) {
			return c.Value, true, false
		}
	}
	for _, c := range r.Context {
		if refFold(c.Key, key) == refMaybe {
			return "", false, true
		}
	}
	return "", false, false
}

var refNumberForm = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func refNumber(s string) (float64, bool) {
	if !refNumberForm.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != n || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

func refTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func refBoolValue(s string) (bool, bool) {
	switch refLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// refAddr reads an address, refusing zones and IPv4 written as IPv6.
func refAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return netip.Addr{}, false
	}
	return a, true
}

// refInBlock reports whether addr lies in the block written as v (a CIDR
// block or one address), and whether v could be read.
func refInBlock(v string, addr netip.Addr) (in, ok bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil || p.Addr().Is4In6() {
			return false, false
		}
		if addr.Is4() != p.Addr().Is4() {
			return false, true
		}
		a, b := addr.AsSlice(), p.Addr().AsSlice()
		for bit := 0; bit < p.Bits(); bit++ {
			mask := byte(0x80 >> (bit % 8))
			if a[bit/8]&mask != b[bit/8]&mask {
				return false, true
			}
		}
		return true, true
	}
	one, ok := refAddr(v)
	if !ok {
		return false, false
	}
	return addr == one, true
}

func refOrder(c int, op string) bool {
	switch {
	case strings.HasSuffix(op, "LessThan"):
		return c < 0
	case strings.HasSuffix(op, "LessThanEquals"):
		return c <= 0
	case strings.HasSuffix(op, "GreaterThan"):
		return c > 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return c >= 0
	}
	return c == 0
}

// refCondition judges one operator and key.
func refCondition(op, key string, want Values, r *Request) refTri {
	known := map[string]bool{
		"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
		"StringLike": true, "StringNotLike": true,
		"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
		"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
		"DateEquals": true, "DateNotEquals": true, "DateLessThan": true, "DateLessThanEquals": true,
		"DateGreaterThan": true, "DateGreaterThanEquals": true,
		"Bool": true, "IpAddress": true, "NotIpAddress": true,
	}
	if !known[op] {
		return refMaybe
	}
	got, ok, alike := refLookup(r, key)
	if !ok || alike {
		return refMaybe
	}
	// A typed operator judges nothing when a value, the request's or one
	// of the policy's, cannot be read as its type: not even the negation.
	// A policy value may be a CIDR block; the request's is one address.
	readable := func(s string, block bool) bool {
		switch {
		case strings.HasPrefix(op, "Numeric"):
			_, ok := refNumber(s)
			return ok
		case strings.HasPrefix(op, "Date"):
			_, ok := refTime(s)
			return ok
		case op == "Bool":
			_, ok := refBoolValue(s)
			return ok
		case strings.HasSuffix(op, "IpAddress"):
			if block {
				_, ok := refInBlock(s, netip.Addr{})
				return ok
			}
			_, ok := refAddr(s)
			return ok
		}
		return true
	}
	if !readable(got, false) {
		return refMaybe
	}
	for _, w := range want {
		if !readable(w, true) {
			return refMaybe
		}
	}
	negated := strings.Contains(op, "Not")
	var ts []refTri
	for _, w := range want {
		switch {
		case op == "StringEquals" || op == "StringNotEquals":
			ts = append(ts, refBool(got == w))
		case strings.HasSuffix(op, "IgnoreCase"):
			ts = append(ts, refFold(got, w))
		case strings.HasSuffix(op, "Like"):
			ts = append(ts, refBool(refGlob(w, got, false)))
		case strings.HasPrefix(op, "Numeric"):
			wn, _ := refNumber(w)
			gn, _ := refNumber(got)
			c := 0
			if gn < wn {
				c = -1
			} else if gn > wn {
				c = 1
			}
			ts = append(ts, refBool(refOrder(c, op)))
		case strings.HasPrefix(op, "Date"):
			wt, _ := refTime(w)
			gt, _ := refTime(got)
			c := 0
			if gt.Before(wt) {
				c = -1
			} else if gt.After(wt) {
				c = 1
			}
			ts = append(ts, refBool(refOrder(c, op)))
		case op == "Bool":
			wb, _ := refBoolValue(w)
			gb, _ := refBoolValue(got)
			ts = append(ts, refBool(gb == wb))
		default: // IpAddress, NotIpAddress
			addr, _ := refAddr(got)
			in, _ := refInBlock(w, addr)
			ts = append(ts, refBool(in))
		}
	}
	t := refAny(ts...)
	if negated {
		t = refNot(t)
	}
	return t
}

// refApplies judges whether a statement applies, whatever its effect.
func refApplies(s Statement, r *Request) refTri {
	ts := []refTri{refList(s.Action, s.NotAction, refHidden(s, "Action", "NotAction"), r.Action, true)}
	if r.Resource != "" {
		ts = append(ts, refList(s.Resource, s.NotResource, refHidden(s, "Resource", "NotResource"), r.Resource, false))
	}
	ts = append(ts, refPrincipal(s, r))
	if refHidden(s, "Condition") {
		ts = append(ts, refMaybe)
	}
	for op, keys := range s.Condition {
		for key, want := range keys {
			ts = append(ts, refCondition(op, key, want, r))
		}
	}
	return refAll(ts...)
}

// refEval decides a request as RAM does: the first Deny that applies wins;
// else the first Allow that applies allows; else the request is implicitly
// denied. Statements that might apply are the doubts.
func refEval(docs []*Document, r *Request) EvalResult {
	none := Ref{Doc: -1, Statement: -1}
	deny, allow, mightAllow, mightDeny := none, none, none, none
	for di, d := range docs {
		if d == nil {
			continue
		}
		for si, s := range d.Statement {
			here := Ref{Doc: di, Statement: si}
			applies := refApplies(s, r)
			effect := refEffect(s)
			if applies == refNo {
				continue
			}
			if effect == "Deny" && applies == refYes && deny == none {
				deny = here
			}
			if effect == "Allow" && applies == refYes && allow == none {
				allow = here
			}
			if (effect == "?" || effect == "Allow" && applies == refMaybe) && mightAllow == none {
				mightAllow = here
			}
			if (effect == "?" || effect == "Deny" && applies == refMaybe) && mightDeny == none {
				mightDeny = here
			}
		}
	}
	switch {
	case deny != none:
		return EvalResult{Verdict: VerdictExplicitDeny, By: deny, Doubt: none}
	case allow != none:
		return EvalResult{Verdict: VerdictAllow, By: allow, Doubt: mightDeny}
	}
	return EvalResult{Verdict: VerdictImplicitDeny, By: none, Doubt: mightAllow}
}
