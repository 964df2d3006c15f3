// This file holds the fake's own evaluator of RAM policy documents, which
// plays ECS's side of a share independently of the library's evaluator.

package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/cases"
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
//   - "Without regard to case" has two readings, because RAM does not say
//     how it folds case: ASCII letters alone, or every character as Unicode
//     folds it (so "ſ" is "s" and "K" is "k"). A comparison is certain when
//     both readings agree; when only the Unicode reading finds a match
//     (a key "Conditıon", an action "Kms:*", a service "ecs.alİyuncs.com"),
//     it is maybe. Keys of a document, a statement or a principal that name
//     a known key only in the Unicode reading make the document, the
//     statement or the principal unreadable.
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
//     holds when any of its values matches the request's value. A value of
//     a Numeric, Date, Bool or IP operator, the request's or the policy's,
//     that cannot be read as such makes the key maybe, whatever the
//     operator: NumericNotEquals does not hold on "rd-abc".
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

// not negates t; maybe stays maybe.
func not(t tri) tri {
	switch t {
	case triYes:
		return triNo
	case triNo:
		return triYes
	}
	return triMaybe
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
	// policy judged for a service; empty otherwise.
	service string
	// caller is the caller's RAM identity, for a trust policy judged for
	// an identity of an account (STS AssumeRole); nil otherwise.
	caller *refCaller
	// owner is the account that holds the role.
	owner string
	// keyPolicy is set when the document is a KMS key policy judged for
	// caller: its RAM principals name the caller's identity, and
	// acs:ram::<uid>:* is read as accountWide says (see refKeyPrincipal).
	keyPolicy, accountWide bool
	// context holds the condition keys the request carries, with their
	// values.
	context map[string]string
}

// refCaller is an identity of an account that asks to assume a role.
type refCaller struct {
	// account is the UID of the caller's account: a RAM principal
	// acs:ram::<account>:root names every identity of it.
	account string
	// arn names the identity itself, as a RAM principal would
	// (acs:ram::<account>:user/<name>, acs:ram::<account>:role/<name>);
	// empty for an identity no principal names but its account's root.
	arn string
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
	// mightDeny is true when a Deny, or a statement of unknown effect,
	// might apply, whatever the verdict.
	mightDeny bool
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
	v.mightDeny = mightDeny
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
	doc, err := refObject(json.RawMessage(text), "Version", "Statement")
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
		st, err := refObject(it, refStatementKeys...)
		if err != nil {
			var plain map[string]json.RawMessage
			if json.Unmarshal(it, &plain) != nil {
				return nil, err
			}
			// Readable JSON whose keys collide, or one of whose keys is
			// a statement's only in one reading: a statement no one can
			// judge. It is kept, marked, so that it counts as maybe.
			st = map[string]json.RawMessage{refOpaque: nil}
		}
		list = append(list, st)
	}
	return list, nil
}

// refOpaque marks a statement whose keys collide.
const refOpaque = "\x00opaque"

// refStatementKeys are the keys of a statement that change what it means.
var refStatementKeys = []string{"Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"}

// refObject reads a JSON object, refusing one whose keys repeat or collide
// in either reading of case, and one with a key that is one of names only in
// the Unicode reading (see refSame).
func refObject(raw json.RawMessage, names ...string) (map[string]json.RawMessage, error) {
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
		k := fmt.Sprint(tok)
		if key := refUnicode(k); seen[key] {
			return nil, fmt.Errorf("key %q collides with another", k)
		} else {
			seen[key] = true
		}
		for _, n := range names {
			if refSame(k, n) == triMaybe {
				return nil, fmt.Errorf("key %q is %q only when case is folded as Unicode folds it", k, n)
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// refField finds a key of an object read by refObject, by ASCII case. There
// is at most one: refObject refused the object otherwise.
func refField(obj map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	for k, v := range obj {
		if refSame(k, name) == triYes {
			return v, true
		}
	}
	return nil, false
}

// refASCIILower lower-cases ASCII letters only.
func refASCIILower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// refUnicode reads s without regard to case as Unicode folds it: each
// character's upper then lower case, then Unicode's full case folding (ß
// is ss, the ligature ﬀ is ff).
func refUnicode(s string) string {
	return cases.Fold().String(strings.ToLower(strings.ToUpper(s)))
}

// refSame compares two names without regard to case: yes when ASCII
// letters alone make them equal, maybe when only the Unicode reading does.
func refSame(a, b string) tri {
	switch {
	case refASCIILower(a) == refASCIILower(b):
		return triYes
	case refUnicode(a) == refUnicode(b):
		return triMaybe
	}
	return triNo
}

// refGlobCase matches a pattern without regard to case, in both readings.
func refGlobCase(pattern, text string) tri {
	switch {
	case refGlob(pattern, text, true):
		return triYes
	case refGlob(refUnicode(pattern), refUnicode(text), false):
		return triMaybe
	}
	return triNo
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
		switch refASCIILower(k) {
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
		var hits []tri
		for _, p := range pats {
			if fold {
				hits = append(hits, refGlobCase(p, text))
			} else {
				hits = append(hits, triOf(refGlob(p, text, false)))
			}
		}
		hit := or(hits...)
		if hit == triMaybe {
			readable = false
		}
		if hasNot {
			return not(hit)
		}
		return hit
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
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			keys := ops[op]
			for _, key := range slices.Sorted(maps.Keys(keys)) {
				want := keys[key]
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
// applies to a permission request only; one with one may or may not.
func refPrincipal(s map[string]json.RawMessage, req refRequest) (tri, bool) {
	raw, named := refField(s, "Principal")
	if req.caller != nil && req.keyPolicy {
		return refKeyPrincipal(s, raw, named, req)
	}
	if req.caller != nil {
		return refRAMPrincipal(raw, named, *req.caller)
	}
	if req.service == "" {
		// A permission policy names no principal; one that does is not
		// RAM's grammar, and whom it means is not known.
		if named {
			return triMaybe, false
		}
		return triYes, true
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
	byKind, err := refObject(raw, "RAM", "Service", "Federated")
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
		if refSame(kind, "Service") != triYes {
			// RAM users and identity providers are not ECS.
			if refSame(kind, "RAM") != triYes && refSame(kind, "Federated") != triYes {
				ts = append(ts, triMaybe)
			}
			continue
		}
		own := account == req.owner
		for _, p := range vals {
			var t tri
			switch {
			case strings.Contains(p, "@"):
				t = refGlobCase(p, req.service)
			case own && refGlob(p, bare, true):
				t = triYes
			case strings.ContainsAny(p, "*?") && refGlobCase(p, req.service) != triNo:
				// A pattern without "@" that also matches the whole
				// qualified principal: RAM documents no answer, so the
				// principal cannot be read for this caller.
				t = triMaybe
			case own:
				t = refGlobCase(p, bare)
			default:
				t = triNo
			}
			if t == triMaybe {
				undecidable = true
			}
			ts = append(ts, t)
		}
	}
	return or(ts...), !undecidable
}

// refRAMPrincipal judges a trust statement's Principal for an identity of
// an account: a RAM principal names it when it is its account's root
// (acs:ram::<uid>:root, every identity of the account) or the identity
// itself. A pattern in a RAM principal, a key that is "RAM" only in the
// Unicode reading and a key RAM does not define cannot be judged: maybe.
// Service and Federated principals never name an account's identity.
func refRAMPrincipal(raw json.RawMessage, named bool, c refCaller) (tri, bool) {
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
	byKind, err := refObject(raw, "RAM", "Service", "Federated")
	if err != nil {
		return triMaybe, false
	}
	root := "acs:ram::" + c.account + ":root"
	ts := []tri{}
	undecidable := false
	for kind, v := range byKind {
		vals, ok := refStrings(v)
		if !ok {
			return triMaybe, false
		}
		if refSame(kind, "RAM") != triYes {
			if refSame(kind, "Service") != triYes && refSame(kind, "Federated") != triYes {
				ts, undecidable = append(ts, triMaybe), true
			}
			continue
		}
		for _, p := range vals {
			t := triMaybe
			if !strings.ContainsAny(p, "*?") {
				t = refSame(p, root)
				if c.arn != "" {
					t = or(t, refSame(p, c.arn))
				}
			}
			if t == triMaybe {
				undecidable = true
			}
			ts = append(ts, t)
		}
	}
	return or(ts...), !undecidable
}

// refKeyPrincipal judges a key policy statement's Principal for the RAM
// identity req.caller. A RAM principal acs:ram::<uid>:* names the account
// uid: read as the account itself (the default), it lets the account's RAM
// policies decide and so names none of its identities in an Allow, while a
// Deny naming it denies every identity of the account; read accountWide,
// it names every identity of the account whatever the effect. Other RAM
// principals are matched against the caller's ARN, patterns and case as
// refGlobCase reads them. A principal that is not an object of RAM
// principals cannot be judged: maybe.
func refKeyPrincipal(s map[string]json.RawMessage, raw json.RawMessage, named bool, req refRequest) (tri, bool) {
	if !named {
		return triMaybe, false // KMS's grammar needs one
	}
	byKind, err := refObject(raw, "RAM", "Service", "Federated")
	if err != nil {
		return triMaybe, false
	}
	var effect string
	if e, ok := refField(s, "Effect"); ok {
		_ = json.Unmarshal(e, &effect)
	}
	c := req.caller
	ts := []tri{}
	undecidable := false
	for kind, v := range byKind {
		vals, ok := refStrings(v)
		if !ok || refSame(kind, "RAM") != triYes {
			return triMaybe, false
		}
		for _, p := range vals {
			var t tri
			if acct, ok := refAccountWide(p); ok {
				switch {
				case refSame(acct, c.account) != triYes:
					t = triNo
				case req.accountWide || effect == "Deny":
					t = triYes
				case effect == "Allow":
					t = triNo
				default:
					t = triMaybe
				}
			} else {
				t = refGlobCase(p, c.arn)
			}
			if t == triMaybe {
				undecidable = true
			}
			ts = append(ts, t)
		}
	}
	return or(ts...), !undecidable
}

// refAccountWide returns uid when p is acs:ram::<uid>:* (in any case), the
// form a key policy names a whole account with.
func refAccountWide(p string) (string, bool) {
	const pre = "acs:ram::"
	if len(p) < len(pre) || refASCIILower(p[:len(pre)]) != pre || !strings.HasSuffix(p, ":*") {
		return "", false
	}
	uid := p[len(pre) : len(p)-2]
	if uid == "" || strings.Trim(uid, "0123456789") != "" {
		return "", false
	}
	return uid, true
}

// refCondition judges one condition key of one operator. It reports whether
// the request lacked the key.
func refCondition(op, key string, raw json.RawMessage, req refRequest) (tri, bool) {
	wants, ok := refConditionValues(raw)
	if !ok {
		return triMaybe, false
	}
	got, found := triNo, ""
	for k, v := range req.context {
		switch refSame(k, key) {
		case triYes:
			if got == triYes && found != v {
				return triMaybe, false // two spellings of the key, two values
			}
			got, found = triYes, v
		case triMaybe:
			if got == triNo {
				got = triMaybe
			}
		}
	}
	switch got {
	case triNo:
		return triMaybe, true
	case triMaybe:
		// The key is one of the request's only in the Unicode reading.
		return triMaybe, false
	}
	var match func(want string) tri
	switch op {
	case "StringEquals", "StringNotEquals":
		match = func(w string) tri { return triOf(found == w) }
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		match = func(w string) tri { return refSame(found, w) }
	case "StringLike", "StringNotLike":
		match = func(w string) tri { return triOf(refGlob(w, found, false)) }
	default:
		typed, ok := refTyped[op]
		if !ok {
			return triMaybe, false
		}
		// A value of the wrong type, the request's or the policy's, is
		// neither equal nor unequal to anything.
		if _, ok := typed.read(found, false); !ok {
			return triMaybe, false
		}
		for _, w := range wants {
			if _, ok := typed.read(w, true); !ok {
				return triMaybe, false
			}
		}
		match = func(w string) tri {
			g, _ := typed.read(found, false)
			p, _ := typed.read(w, true)
			return triOf(typed.holds(g, p))
		}
	}
	var hits []tri
	for _, w := range wants {
		hits = append(hits, match(w))
	}
	if strings.Contains(op, "Not") {
		return not(or(hits...)), false
	}
	return or(hits...), false
}

// refTypedOp reads values of a Numeric, Date, Bool or IP operator (block is
// true for the policy's values, which may be CIDR blocks) and compares the
// request's value with one of the policy's.
type refTypedOp struct {
	read  func(v string, block bool) (any, bool)
	holds func(got, want any) bool
}

// refConditionValues reads a condition key's values: a string, number or
// boolean, or a list of them, each as its text.
func refConditionValues(raw json.RawMessage) ([]string, bool) {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	var out []string
	for _, it := range list {
		var v any
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return nil, false
		}
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		case bool:
			out = append(out, fmt.Sprint(v))
		default:
			return nil, false
		}
	}
	return out, len(out) > 0 // an empty list is not RAM's grammar
}

// refDecimal is a number as JSON writes it, leading zeros allowed: no sign
// but minus, no hex, no Inf or NaN.
var refDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func refReadNumber(v string, _ bool) (any, bool) {
	if !refDecimal.MatchString(v) {
		return nil, false
	}
	n, err := strconv.ParseFloat(v, 64)
	return n, err == nil // out of range: not read
}

func refReadDate(v string, _ bool) (any, bool) {
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

func refReadBool(v string, _ bool) (any, bool) {
	switch refASCIILower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return nil, false
}

// refReadIP reads an address, or for the policy a CIDR block too. A zone
// ("%eth0") or an IPv4 address written as IPv6 ("::ffff:10.0.0.1") is
// not read: whether RAM takes it as IPv4 or IPv6 is not documented.
func refReadIP(v string, block bool) (any, bool) {
	if block && strings.Contains(v, "/") {
		ip, n, err := net.ParseCIDR(v)
		if err != nil || ip.To4() != nil && strings.Contains(v, ":") {
			return nil, false
		}
		return n, true
	}
	ip := net.ParseIP(v)
	if ip == nil || ip.To4() != nil && strings.Contains(v, ":") {
		return nil, false
	}
	bits := 128
	if ip.To4() != nil {
		ip, bits = ip.To4(), 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, true
}

func refCompare(op string, c int) bool {
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

// refTyped holds the typed operators; the negated ones are their positive
// form negated by refCondition.
var refTyped = func() map[string]refTypedOp {
	m := map[string]refTypedOp{}
	for _, op := range []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"} {
		m[op] = refTypedOp{refReadNumber, func(g, w any) bool {
			a, b := g.(float64), w.(float64)
			c := 0
			if a < b {
				c = -1
			} else if a > b {
				c = 1
			}
			return refCompare(op, c)
		}}
	}
	for _, op := range []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"} {
		m[op] = refTypedOp{refReadDate, func(g, w any) bool { return refCompare(op, g.(time.Time).Compare(w.(time.Time))) }}
	}
	m["Bool"] = refTypedOp{refReadBool, func(g, w any) bool { return g.(bool) == w.(bool) }}
	inBlock := func(g, w any) bool {
		ip, block := g.(*net.IPNet).IP, w.(*net.IPNet)
		return len(ip) == len(block.IP) && block.Contains(ip)
	}
	m["IpAddress"] = refTypedOp{refReadIP, inBlock}
	m["NotIpAddress"] = refTypedOp{refReadIP, inBlock}
	return m
}()

// refCollides reports whether an object, or an object inside it one level
// down (a condition's operators and their keys), has colliding keys, in
// either reading of case.
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
// characters and '?' for one, by backtracking over the last '*'. With fold,
// ASCII letters match without regard to case.
func refGlob(pattern, text string, fold bool) bool {
	if fold {
		pattern, text = refASCIILower(pattern), refASCIILower(text)
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
