// This file holds the fake's own evaluator of RAM policy documents, which
// plays ECS's side of a share independently of the library's evaluator.

package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// This file is the fake's own evaluator of RAM policy documents. It plays
// ECS's side of a share, so it must not be the library's evaluator, which is
// what the fake checks: it is written separately from RAM's documented
// semantics, small and slow, and reads the JSON text RAM holds.
//
//   - An explicit Deny that applies wins; otherwise an Allow that applies
//     allows; otherwise the request is denied.
//   - Action and NotAction match without regard to case; Resource and
//     NotResource match exactly. In patterns '*' matches any run of
//     characters and '?' any one character.
//   - A service principal "<uid>@<service>" matches the caller's qualified
//     service principal; a plain "<service>" matches the service of the
//     role's own account only. A principal "*" matches every caller. A plain
//     pattern with a wildcard that also matches the whole "<uid>@<service>"
//     (such as "*" or "*ecs.aliyuncs.com") might name the caller: maybe.
//   - An object whose keys collide without regard to case (or repeat
//     exactly) cannot be read: RAM documents no rule for which one counts.
//     Such a statement is maybe, whatever its effect; such a document, or
//     one longer than refMaxDocument, cannot be read at all.
//   - Every condition operator must hold, and every key within it; a key
//     holds when any of its values matches the request's value.
//
// What the evaluator cannot judge (a key it does not know, a condition key
// the request does not carry, an operator it does not implement, an effect
// other than Allow or Deny) makes the statement "maybe": a maybe-Allow grants
// nothing, and a maybe-Deny leaves the answer uncertain, so it fails closed.

// tri is a three-valued truth: no, yes, or cannot tell.
type tri int

const (
	triNo tri = iota
	triYes
	triMaybe
)

func triOf(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

// and is the conjunction of ts: no if any is no, else maybe if any is maybe.
func and(ts ...tri) tri {
	out := triYes
	for _, t := range ts {
		if t == triNo {
			return triNo
		}
		if t == triMaybe {
			out = triMaybe
		}
	}
	return out
}

// or is the disjunction of ts: yes if any is yes, else maybe if any is maybe.
func or(ts ...tri) tri {
	out := triNo
	for _, t := range ts {
		if t == triYes {
			return triYes
		}
		if t == triMaybe {
			out = triMaybe
		}
	}
	return out
}

// refRequest is one request the reference evaluator decides.
type refRequest struct {
	action, resource string
	// service is the caller's qualified service principal, for a trust
	// policy; empty for a permission policy.
	service string
	// owner is the account that holds the role.
	owner string
	// context holds the condition keys the request carries, by lower-case
	// key.
	context map[string]string
}

// refVerdict is the outcome of one request against a set of documents.
type refVerdict struct {
	// allowed is true when an Allow applies for certain and no Deny might.
	allowed bool
	// denied is true when a Deny applies for certain.
	denied bool
	// by names the deciding statement, as "policy P statement N".
	by string
	// doubts name the statements that might have changed the answer.
	doubts []string
	// missingKeys are condition keys the request did not carry that a
	// doubtful statement needs.
	missingKeys []string
	// unreadable names documents or statements that could not be read.
	unreadable []string
}

// refDoc is a policy document as raw JSON, with the name to report, and
// its statements once read.
type refDoc struct {
	name string
	text string

	read  bool
	stmts []map[string]json.RawMessage
	err   error
}

// statements reads the document's statements the first time it is asked,
// and keeps them: one judgment evaluates a document once per action.
func (d *refDoc) statements() ([]map[string]json.RawMessage, error) {
	if !d.read {
		d.stmts, d.err = refStatements(d.text)
		d.read = true
	}
	return d.stmts, d.err
}

// refEvaluate decides req against docs. It keeps each document's
// statements in docs once read, so docs must not be shared between
// goroutines.
func refEvaluate(docs []refDoc, req refRequest) refVerdict {
	var v refVerdict
	var allowBy string
	mightDeny := false
	for i := range docs {
		d := &docs[i]
		stmts, err := d.statements()
		if err != nil {
			// A document that cannot be read might hold a Deny.
			v.unreadable = append(v.unreadable, d.name)
			v.doubts = append(v.doubts, d.name)
			mightDeny = true
			continue
		}
		for i, s := range stmts {
			where := fmt.Sprintf("%s statement %d", d.name, i)
			applies, keys, readable := refApplies(s, req)
			if applies == triNo {
				continue
			}
			if !readable {
				v.unreadable = append(v.unreadable, where)
			}
			effect, _ := refField(s, "Effect")
			var e string
			_ = json.Unmarshal(effect, &e)
			switch {
			case e == "Deny" && applies == triYes:
				v.denied, v.by = true, where
				return v
			case e == "Allow" && applies == triYes:
				if allowBy == "" {
					allowBy = where
				}
			case e == "Allow":
				// Might allow: grants nothing, but say why.
				v.doubts = append(v.doubts, where)
				v.missingKeys = appendNew(v.missingKeys, keys...)
			default:
				// A Deny that might apply, or an effect that cannot be read.
				v.doubts = append(v.doubts, where)
				v.missingKeys = appendNew(v.missingKeys, keys...)
				mightDeny = true
			}
		}
	}
	v.by = allowBy
	v.allowed = allowBy != "" && !mightDeny
	return v
}

// refMaxDocument is the longest document the evaluator reads. RAM stores
// none near this long, so a longer one never reaches ECS; it is not judged.
const refMaxDocument = 1 << 20

// refStatements reads a document's statements as raw objects. A single
// statement object is taken as a list of one.
func refStatements(text string) ([]map[string]json.RawMessage, error) {
	if len(text) > refMaxDocument {
		return nil, fmt.Errorf("document of %d bytes is longer than %d", len(text), refMaxDocument)
	}
	doc, err := refObject(json.RawMessage(text))
	if err != nil {
		return nil, err
	}
	raw, ok := refField(doc, "Statement")
	if !ok {
		return nil, fmt.Errorf("no Statement")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		items = []json.RawMessage{raw}
	}
	list := make([]map[string]json.RawMessage, 0, len(items))
	for _, it := range items {
		st, err := refObject(it)
		if err != nil {
			var plain map[string]json.RawMessage
			if json.Unmarshal(it, &plain) != nil {
				return nil, err
			}
			// Readable JSON whose keys collide: a statement no one can
			// judge. It is kept, marked, so that it counts as maybe.
			st = map[string]json.RawMessage{refOpaque: nil}
		}
		list = append(list, st)
	}
	return list, nil
}

// refOpaque marks a statement whose keys collide.
const refOpaque = "\x00opaque"

// refObject reads a JSON object, refusing one whose keys repeat or collide
// without regard to case.
func refObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, err
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(fmt.Sprint(tok))
		if seen[key] {
			return nil, fmt.Errorf("key %q collides with another", tok)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// refField finds a key of an object without regard to case.
func refField(obj map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// refStrings reads a string or a list of strings.
func refStrings(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, true
	}
	return nil, false
}

// refApplies judges whether statement s applies to req, whatever its
// effect. It returns the condition keys the request lacked, and false when
// part of the statement could not be read.
func refApplies(s map[string]json.RawMessage, req refRequest) (tri, []string, bool) {
	if _, opaque := s[refOpaque]; opaque {
		return triMaybe, nil, false
	}
	readable := true
	for k := range s {
		switch strings.ToLower(k) {
		case "effect", "action", "notaction", "resource", "notresource", "principal", "condition", "sid":
		default:
			readable = false
		}
	}
	ts := []tri{}
	if !readable {
		ts = append(ts, triMaybe)
	}
	list := func(in, notIn, text string, fold bool) tri {
		rawIn, hasIn := refField(s, in)
		rawNot, hasNot := refField(s, notIn)
		if hasIn == hasNot {
			readable = false
			return triMaybe
		}
		raw := rawIn
		if hasNot {
			raw = rawNot
		}
		pats, ok := refStrings(raw)
		if !ok {
			readable = false
			return triMaybe
		}
		hit := false
		for _, p := range pats {
			if refGlob(p, text, fold) {
				hit = true
			}
		}
		return triOf(hit != hasNot)
	}
	ts = append(ts, list("Action", "NotAction", req.action, true))
	if req.resource != "" {
		ts = append(ts, list("Resource", "NotResource", req.resource, false))
	}
	p, ok := refPrincipal(s, req)
	if !ok {
		readable = false
	}
	ts = append(ts, p)
	var missing []string
	if raw, ok := refField(s, "Condition"); ok {
		var ops map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ops); err != nil || refCollides(raw) {
			readable = false
			ts = append(ts, triMaybe)
			ops = nil
		}
		for op, keys := range ops {
			for key, want := range keys {
				t, lacked := refCondition(op, key, want, req)
				if lacked {
					missing = appendNew(missing, key)
				}
				ts = append(ts, t)
			}
		}
	}
	return and(ts...), missing, readable
}

// refPrincipal judges a statement's Principal. A statement without one
// applies to a permission request only.
func refPrincipal(s map[string]json.RawMessage, req refRequest) (tri, bool) {
	raw, named := refField(s, "Principal")
	if req.service == "" {
		return triOf(!named), true
	}
	if !named {
		return triNo, true
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star == "*" {
			return triYes, true
		}
		return triMaybe, false
	}
	byKind, err := refObject(raw)
	if err != nil {
		return triMaybe, false
	}
	account, bare, _ := strings.Cut(req.service, "@")
	ts := []tri{}
	undecidable := false
	for kind, v := range byKind {
		vals, ok := refStrings(v)
		if !ok {
			return triMaybe, false
		}
		if !strings.EqualFold(kind, "Service") {
			// RAM users and identity providers are not ECS.
			if !strings.EqualFold(kind, "RAM") && !strings.EqualFold(kind, "Federated") {
				ts = append(ts, triMaybe)
			}
			continue
		}
		for _, p := range vals {
			switch {
			case strings.Contains(p, "@"):
				ts = append(ts, triOf(refGlob(p, req.service, true)))
			case account == req.owner && refGlob(p, bare, true):
				ts = append(ts, triYes)
			case strings.ContainsAny(p, "*?") && refGlob(p, req.service, true):
				// A pattern without "@" that also matches the whole
				// qualified principal: RAM documents no answer, so the
				// principal cannot be read for this caller.
				ts = append(ts, triMaybe)
				undecidable = true
			default:
				ts = append(ts, triNo)
			}
		}
	}
	return or(ts...), !undecidable
}

// refCondition judges one condition key of one operator. It reports whether
// the request lacked the key.
func refCondition(op, key string, raw json.RawMessage, req refRequest) (tri, bool) {
	wants, ok := refStrings(raw)
	if !ok {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return triMaybe, false
		}
		wants = []string{fmt.Sprint(b)}
	}
	got, ok := req.context[strings.ToLower(key)]
	if !ok {
		return triMaybe, true
	}
	negated := false
	var match func(want string) bool
	switch op {
	case "StringEquals":
		match = func(w string) bool { return got == w }
	case "StringNotEquals":
		match, negated = func(w string) bool { return got == w }, true
	case "StringEqualsIgnoreCase":
		match = func(w string) bool { return strings.EqualFold(got, w) }
	case "StringNotEqualsIgnoreCase":
		match, negated = func(w string) bool { return strings.EqualFold(got, w) }, true
	case "StringLike":
		match = func(w string) bool { return refGlob(w, got, false) }
	case "StringNotLike":
		match, negated = func(w string) bool { return refGlob(w, got, false) }, true
	default:
		return triMaybe, false
	}
	hit := false
	for _, w := range wants {
		if match(w) {
			hit = true
		}
	}
	return triOf(hit != negated), false
}

// refCollides reports whether an object, or an object inside it one level
// down (a condition's operators and their keys), has colliding keys.
func refCollides(raw json.RawMessage) bool {
	obj, err := refObject(raw)
	if err != nil {
		return true
	}
	for _, v := range obj {
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) {
			if _, err := refObject(v); err != nil {
				return true
			}
		}
	}
	return false
}

// refGlob matches text against a pattern in which '*' stands for any run of
// characters and '?' for one, by backtracking over the last '*'.
func refGlob(pattern, text string, fold bool) bool {
	if fold {
		pattern, text = strings.ToLower(pattern), strings.ToLower(text)
	}
	p, t := []rune(pattern), []rune(text)
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func appendNew(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			if l == m {
				found = true
			}
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}
