package policy

// This file holds a second evaluator, written for the tests only: slow,
// direct, and meant to be read against RAM's rules line by line. It shares no
// code with eval.go; the differential tests check that both agree.

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
			if strings.EqualFold(k, n) {
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
	hit := false
	for _, p := range append(append(Values{}, in...), notIn...) {
		if refGlob(p, text, fold) {
			hit = true
		}
	}
	if len(in) > 0 {
		return refBool(hit)
	}
	return refBool(!hit)
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
				ts = append(ts, refBool(refGlob(v, caller.Service, true)))
			} else {
				own := r.Owner != "" && account == r.Owner && refGlob(v, bare, true)
				switch {
				case own:
					ts = append(ts, refYes)
				case strings.ContainsAny(v, "*?") && refGlob(v, caller.Service, true):
					// A wildcard without @ might be matched against the
					// whole <uid>@<service>: RAM does not say.
					ts = append(ts, refMaybe)
				default:
					ts = append(ts, refNo)
				}
			}
		}
	}
	if caller.RAM != "" {
		for _, v := range s.Principal.RAM {
			ts = append(ts, refBool(refGlob(v, caller.RAM, true)))
		}
	}
	if caller.Federated != "" {
		for _, v := range s.Principal.Federated {
			ts = append(ts, refBool(refGlob(v, caller.Federated, true)))
		}
	}
	if len(s.Principal.Extra) > 0 {
		ts = append(ts, refMaybe)
	}
	return refAny(ts...)
}

func refLookup(r *Request, key string) (string, bool) {
	for _, c := range r.Context {
		if refLower(c.Key) == refLower(key) {
			return c.Value, true
		}
	}
	return "", false
}

func refNumber(s string) (float64, bool) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != n {
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

// refInBlock reports whether addr lies in the block written as v (a CIDR
// block or one address), and whether v could be read.
func refInBlock(v string, addr netip.Addr, addrOK bool) (in, ok bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return false, false
		}
		if !addrOK || addr.Zone() != "" || addr.Is4() != p.Addr().Is4() {
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
	one, err := netip.ParseAddr(v)
	if err != nil || one.Zone() != "" {
		return false, false
	}
	return addrOK && addr.Zone() == "" && addr == one, true
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
	got, ok := refLookup(r, key)
	if !ok {
		return refMaybe
	}
	negated := strings.Contains(op, "Not")
	var ts []refTri
	for _, w := range want {
		switch {
		case op == "StringEquals" || op == "StringNotEquals":
			ts = append(ts, refBool(got == w))
		case strings.HasSuffix(op, "IgnoreCase"):
			ts = append(ts, refBool(strings.EqualFold(got, w)))
		case strings.HasSuffix(op, "Like"):
			ts = append(ts, refBool(refGlob(w, got, false)))
		case strings.HasPrefix(op, "Numeric"):
			wn, wok := refNumber(w)
			gn, gok := refNumber(got)
			switch {
			case !wok:
				ts = append(ts, refMaybe)
			case !gok:
				ts = append(ts, refNo)
			default:
				c := 0
				if gn < wn {
					c = -1
				} else if gn > wn {
					c = 1
				}
				ts = append(ts, refBool(refOrder(c, op)))
			}
		case strings.HasPrefix(op, "Date"):
			wt, wok := refTime(w)
			gt, gok := refTime(got)
			switch {
			case !wok:
				ts = append(ts, refMaybe)
			case !gok:
				ts = append(ts, refNo)
			default:
				c := 0
				if gt.Before(wt) {
					c = -1
				} else if gt.After(wt) {
					c = 1
				}
				ts = append(ts, refBool(refOrder(c, op)))
			}
		case op == "Bool":
			wb, wok := refBoolValue(w)
			gb, gok := refBoolValue(got)
			switch {
			case !wok:
				ts = append(ts, refMaybe)
			default:
				ts = append(ts, refBool(gok && gb == wb))
			}
		default: // IpAddress, NotIpAddress
			addr, err := netip.ParseAddr(got)
			in, ok := refInBlock(w, addr, err == nil)
			if !ok {
				ts = append(ts, refMaybe)
			} else {
				ts = append(ts, refBool(in))
			}
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
