// This file holds the compiled evaluator: Compile, PolicySet, Request and the
// explanation types.

package policy

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the policy evaluator. Documents are compiled once into a
// PolicySet; PolicySet.Eval answers one request without allocating and
// returns the indices of the statements that decided; PolicySet.Explain
// redoes the work slowly and says why, statement by statement.
//
// Matching rules, and why:
//
//   - Actions and principals compare without regard to ASCII case. RAM
//     treats action names (service:Action) case-insensitively, and service
//     principals are DNS names. Only ASCII letters fold: every action and
//     principal RAM defines is ASCII.
//   - Resources compare case-sensitively. Resource names end in IDs (key IDs,
//     folder IDs) that are case-sensitive, and matching them loosely could
//     grant a key the policy does not name.
//   - In Action, Resource and principal values, * matches any run of
//     characters (the empty run included) and ? matches exactly one character
//     (one UTF-8 sequence, or one byte that is not valid UTF-8).
//   - Condition keys compare without regard to ASCII case; condition values
//     follow their operator.
//   - Where a wider folding of case than ASCII's would give another answer
//     (a long s, a Kelvin sign, a dotless i: see fold.go), the element
//     cannot be judged: RAM does not document how it folds.
//   - A condition value, the policy's or the request's, that cannot be read
//     as its operator's type (a number, a date, a boolean, an IP address)
//     leaves the condition undecidable, whatever the operator: a negated
//     operator (NumericNotEquals, DateNotEquals, NotIpAddress) does not hold
//     on a value it cannot read, nor does a positive one fail on it.
//
// Evaluation follows RAM: an explicit Deny wins; otherwise an Allow is needed;
// otherwise the request is implicitly denied. Every statement is judged on
// three values: it applies, it does not apply, or this library cannot tell.
// It cannot tell when a condition names a key the request does not carry (RAM
// then treats the condition as not matching), or when an element could not be
// read (it is in Statement.Extra, it uses an unknown operator, a statement has
// both Action and NotAction, and so on). The Verdict is what RAM decides when
// every such statement is left out; EvalResult.Doubt names the first one that
// could change it, and EvalResult.Allowed is true only when nothing could.

// Verdict is the outcome of evaluating one request.
type Verdict uint8

// The three outcomes of RAM's evaluation.
const (
	// VerdictImplicitDeny: no statement allows the request.
	VerdictImplicitDeny Verdict = iota
	// VerdictAllow: a statement allows the request and none denies it.
	VerdictAllow
	// VerdictExplicitDeny: a Deny statement applies.
	VerdictExplicitDeny
)

// String returns "implicit deny", "allow" or "explicit deny".
func (v Verdict) String() string {
	switch v {
	case VerdictAllow:
		return "allow"
	case VerdictExplicitDeny:
		return "explicit deny"
	}
	return "implicit deny"
}

// Ref names one statement of a PolicySet: the position of its document among
// those compiled together, and its index in that document's Statement list.
// A Ref with negative fields names no statement.
type Ref struct {
	// Doc is the document's position in the PolicySet.
	Doc int
	// Statement is the statement's index in the document.
	Statement int
}

// Valid reports whether r names a statement.
func (r Ref) Valid() bool { return r.Doc >= 0 && r.Statement >= 0 }

// noRef names no statement.
var noRef = Ref{Doc: -1, Statement: -1}

// EvalResult is the fast answer for one request.
type EvalResult struct {
	// Verdict is RAM's outcome with every undecidable statement left out.
	Verdict Verdict
	// By is the statement that decided: the first Deny that applies, or, when
	// none does, the first Allow that applies. It is not Valid for an
	// implicit deny.
	By Ref
	// Doubt is the first statement that this library cannot judge and that
	// could change the verdict: a Deny (or a statement of unknown effect) that
	// might apply when the verdict is allow, or an Allow that might apply when
	// the verdict is implicit deny. It is not Valid when the answer is certain.
	Doubt Ref
}

// Allowed reports whether the request is allowed for certain.
func (r EvalResult) Allowed() bool { return r.Verdict == VerdictAllow && !r.Doubt.Valid() }

// Certain reports whether nothing this library could not judge could change
// the verdict.
func (r EvalResult) Certain() bool { return !r.Doubt.Valid() }

// RequestPrincipal is who makes a request, as trust policies see it. Leave
// it zero to evaluate identity policies, which name no principal.
type RequestPrincipal struct {
	// Service is a service principal in its qualified form
	// <account-uid>@<service>, such as 2000000000000001@ecs.aliyuncs.com. A
	// statement's "<uid>@ecs.aliyuncs.com" (or a pattern such as
	// "*@ecs.aliyuncs.com") is matched against it whole; a plain
	// "ecs.aliyuncs.com" matches only when <account-uid> is Request.Owner,
	// because it names the service of the role's own account. A plain
	// pattern with a wildcard, such as "*" or "*ecs.aliyuncs.com", that
	// matches only the whole <account-uid>@<service> leaves the statement
	// undecidable: RAM does not say which of the two it is matched against.
	Service string
	// RAM is a RAM principal's ARN, such as acs:ram::<uid>:root.
	RAM string
	// Federated is an identity provider's ARN.
	Federated string
}

// IsZero reports whether c names no principal.
func (c RequestPrincipal) IsZero() bool { return c.Service == "" && c.RAM == "" && c.Federated == "" }

// ContextValue is one condition key a request carries, with its value.
type ContextValue struct {
	// Key is the condition key, such as sts:ServiceOwnerRDId.
	Key string
	// Value is the request's value for it.
	Value string
}

// Request is what a PolicySet is asked about.
type Request struct {
	// Action is the action, such as kms:Decrypt or sts:AssumeRole.
	Action string
	// Resource is the resource's ARN. Leave it empty for trust policies,
	// whose statements name no resource: Resource and NotResource are then
	// not evaluated.
	Resource string
	// Principal is who asks. Leave it zero for identity policies: Principal
	// is then not evaluated, and a statement that names one cannot be
	// judged.
	Principal RequestPrincipal
	// Owner is the UID of the account that holds the policies (for a trust
	// policy, the role's account). A plain service principal such as
	// ecs.aliyuncs.com matches only that account's service.
	Owner string
	// Context holds the condition keys the request carries. Keys compare
	// without regard to ASCII case; the first entry for a key counts.
	Context []ContextValue
}

// lookup returns the value of a condition key: found when a key of the
// request equals it without regard to ASCII case (the first such counts).
func (r *Request) lookup(key string) (v string, found bool) {
	for i := range r.Context {
		if equalFoldASCII(r.Context[i].Key, key) {
			return r.Context[i].Value, true
		}
	}
	return "", false
}

// lookAlike reports whether a key of the request equals key only when case
// is folded beyond ASCII.
func (r *Request) lookAlike(key string) bool {
	for i := range r.Context {
		if _, possible := foldMatch(r.Context[i].Key, key); possible {
			return true
		}
	}
	return false
}

// Match is a three-valued judgement: a statement or element applies, does not
// apply, or cannot be judged.
type Match uint8

// The three values of a Match.
const (
	MatchNo Match = iota
	MatchYes
	MatchUnknown
)

// String returns "no", "yes" or "unknown".
func (m Match) String() string {
	switch m {
	case MatchYes:
		return "yes"
	case MatchUnknown:
		return "unknown"
	}
	return "no"
}

// and combines two judgements that must both hold.
func (m Match) and(o Match) Match {
	if m == MatchNo || o == MatchNo {
		return MatchNo
	}
	if m == MatchUnknown || o == MatchUnknown {
		return MatchUnknown
	}
	return MatchYes
}

// not negates a judgement; unknown stays unknown.
func (m Match) not() Match {
	switch m {
	case MatchYes:
		return MatchNo
	case MatchNo:
		return MatchYes
	}
	return MatchUnknown
}

// PolicySet is a list of documents compiled for fast evaluation. It is
// immutable and safe for concurrent use; later changes to the documents it
// was compiled from do not affect it.
type PolicySet struct {
	stmts []cstmt
	docs  []*Document
}

// Compile compiles documents into a PolicySet. It never fails: what it cannot
// read makes the statements concerned undecidable (see EvalResult.Doubt). A nil
// document counts as a document with no statement.
func Compile(docs ...*Document) *PolicySet {
	ps := &PolicySet{docs: make([]*Document, len(docs))}
	for di, d := range docs {
		d = d.Clone()
		ps.docs[di] = d
		if d == nil {
			continue
		}
		for si := range d.Statement {
			ps.stmts = append(ps.stmts, compileStatement(Ref{Doc: di, Statement: si}, &d.Statement[si]))
		}
	}
	return ps
}

// Len returns the number of documents in the set.
func (ps *PolicySet) Len() int { return len(ps.docs) }

// Statement returns the statement a Ref names, or nil. The statement is the
// set's own copy: read it, do not change it.
func (ps *PolicySet) Statement(r Ref) *Statement {
	if !r.Valid() || r.Doc >= len(ps.docs) || ps.docs[r.Doc] == nil || r.Statement >= len(ps.docs[r.Doc].Statement) {
		return nil
	}
	return &ps.docs[r.Doc].Statement[r.Statement]
}

// prepared holds what every statement asks of a request, worked out once
// per evaluation.
type prepared struct {
	r         *Request
	known     int  // index in knownActions, or -1
	anonymous bool // no principal: identity policy evaluation
	account   string
	service   string // the Service principal without its account
	// The texts matched without regard to case, as patterns see them.
	action, svc, bare, ram, fed subject
	// ctx is 0 until contextWide looks, then 1, or 2 when a condition key
	// of the request holds characters that folding beyond ASCII changes.
	ctx uint8
}

// init prepares q for r in place: every evaluation does this, so it copies
// nothing and looks at no text until a match needs it.
func (q *prepared) init(r *Request) {
	*q = prepared{r: r, known: knownAction(r.Action), anonymous: r.Principal.IsZero()}
	q.account, q.service = splitService(r.Principal.Service)
	q.action.s, q.svc.s, q.bare.s = r.Action, r.Principal.Service, q.service
	q.ram.s, q.fed.s = r.Principal.RAM, r.Principal.Federated
}

// contextWide reports whether a condition key of the request holds
// characters that folding beyond ASCII changes.
func (q *prepared) contextWide() bool {
	if q.ctx == 0 {
		q.ctx = 1
		for i := range q.r.Context {
			if foldsBeyondASCII(q.r.Context[i].Key) {
				q.ctx = 2
			}
		}
	}
	return q.ctx == 2
}

// subject is a text that patterns match without regard to case. Its folding
// beyond ASCII (see fold.go) is worked out the first time a match by ASCII
// folding fails, and kept.
type subject struct {
	s     string
	state uint8 // 0: not looked at; 1: nothing in s folds beyond ASCII; 2: wide holds its folding
	wide  string
}

// folded returns the text folded beyond ASCII, or "" when that changes
// nothing in it.
func (t *subject) folded() string {
	if t.state == 0 {
		t.state = 1
		if foldsBeyondASCII(t.s) {
			t.state, t.wide = 2, foldWide(t.s)
		}
	}
	return t.wide
}

// Eval evaluates one request. It does not allocate.
func (ps *PolicySet) Eval(r *Request) EvalResult {
	var q prepared
	q.init(r)
	allow, doubtAllow, doubtDeny := noRef, noRef, noRef
	for i := range ps.stmts {
		s := &ps.stmts[i]
		m := s.match(&q)
		if m == MatchNo {
			continue
		}
		switch {
		case s.effect == effectDeny && m == MatchYes:
			return EvalResult{Verdict: VerdictExplicitDeny, By: s.ref, Doubt: noRef}
		case s.effect == effectAllow && m == MatchYes:
			if !allow.Valid() {
				allow = s.ref
			}
		case s.effect == effectAllow:
			if !doubtAllow.Valid() {
				doubtAllow = s.ref
			}
		case s.effect == effectDeny:
			if !doubtDeny.Valid() {
				doubtDeny = s.ref
			}
		default: // an effect that could not be read might allow or deny
			if !doubtAllow.Valid() {
				doubtAllow = s.ref
			}
			if !doubtDeny.Valid() {
				doubtDeny = s.ref
			}
		}
	}
	if allow.Valid() {
		return EvalResult{Verdict: VerdictAllow, By: allow, Doubt: doubtDeny}
	}
	return EvalResult{Verdict: VerdictImplicitDeny, By: noRef, Doubt: doubtAllow}
}

// Outcome is what Explain says about one statement.
type Outcome struct {
	// Ref names the statement.
	Ref Ref
	// Effect is the statement's effect as written; empty when it could not
	// be read.
	Effect Effect
	// Applies says whether the statement applies to the request.
	Applies Match
	// Why holds one line for each element that does not match or cannot be
	// judged, such as `Action: "kms:Decrypt" is not in [kms:Encrypt]`.
	Why []string
	// MissingKeys are condition keys the statement tests and the request does
	// not carry; the statement cannot be judged without them.
	MissingKeys []string
	// Unreadable is true when an element could not be read.
	Unreadable bool
}

// Explain judges every statement of the set against the request, in order,
// and says why each applies or not. It is the slow path: use it after Eval,
// to explain an EvalResult.
func (ps *PolicySet) Explain(r *Request) []Outcome {
	out := make([]Outcome, 0, len(ps.stmts))
	var q prepared
	q.init(r)
	for i := range ps.stmts {
		s := &ps.stmts[i]
		o := Outcome{Ref: s.ref, Applies: s.match(&q)}
		src := ps.Statement(s.ref)
		switch {
		case s.effect != effectOther:
			o.Effect = src.Effect
		case src.Opaque != nil:
			// explain says why nothing of it is read.
		default:
			o.Unreadable = true
			o.Why = append(o.Why, fmt.Sprintf("Effect: %q cannot be read; it might be a Deny", string(src.Effect)))
		}
		s.explain(r, src, &o)
		out = append(out, o)
	}
	return out
}

type effectKind uint8

const (
	effectOther effectKind = iota
	effectAllow
	effectDeny
)

type elemMode uint8

const (
	elemAbsent  elemMode = iota // neither X nor NotX
	elemIn                      // X: one pattern must match
	elemNotIn                   // NotX: no pattern may match
	elemUnknown                 // unreadable, or both X and NotX
)

// pattern is a compiled Action, Resource or principal value.
type pattern struct {
	s    string // ASCII-lower-cased when matched without regard to case
	wild bool   // holds * or ?
	fold bool
	// wide is the value folded beyond ASCII, when it is matched without
	// regard to case and that folding changes a character of it; else "".
	wide string
	// segs holds the parts between the stars of an ASCII pattern without ?,
	// which matches byte by byte: every ASCII byte is a character of its
	// own, so no part can start or end inside a multi-byte character. Other
	// patterns (segs nil) go through wildMatch.
	segs []string
}

func compilePattern(s string, fold bool) pattern {
	if fold {
		s = lowerASCII(s)
	}
	p := pattern{s: s, wild: strings.ContainsAny(s, "*?"), fold: fold}
	if fold && foldsBeyondASCII(s) {
		p.wide = foldWide(s)
	}
	if p.wild && !strings.Contains(s, "?") && isASCII(s) {
		p.segs = strings.Split(s, "*")
	}
	return p
}

func (p *pattern) match(text string) bool {
	switch {
	case !p.wild && p.fold:
		return equalFoldASCII(p.s, text)
	case !p.wild:
		return p.s == text
	case p.s == "*":
		return true
	case p.segs != nil:
		return p.matchSegments(text)
	}
	return wildMatch(p.s, text, p.fold)
}

// matchSegments matches a pattern of the form a*b*...*z: a is a prefix, z a
// suffix, and each middle part is found, leftmost first, in between.
func (p *pattern) matchSegments(text string) bool {
	first, last := p.segs[0], p.segs[len(p.segs)-1]
	if len(first)+len(last) > len(text) ||
		!p.equal(first, text[:len(first)]) || !p.equal(last, text[len(text)-len(last):]) {
		return false
	}
	rest := text[len(first) : len(text)-len(last)]
	for _, seg := range p.segs[1 : len(p.segs)-1] {
		i := p.index(rest, seg)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg):]
	}
	return true
}

func (p *pattern) equal(a, b string) bool {
	if p.fold {
		return equalFoldASCII(a, b)
	}
	return a == b
}

// index returns the first position of seg in s, or -1.
func (p *pattern) index(s, seg string) int {
	if !p.fold {
		return strings.Index(s, seg)
	}
	for i := 0; i+len(seg) <= len(s); i++ {
		if equalFoldASCII(seg, s[i:i+len(seg)]) {
			return i
		}
	}
	return -1
}

// isASCII reports whether s is ASCII. It ORs the bytes together rather than
// branch on each: every evaluation asks it of the request's texts.
func isASCII(s string) bool {
	var or byte
	for i := 0; i < len(s); i++ {
		or |= s[i]
	}
	return or < utf8.RuneSelf
}

// patternSet is a list of patterns of which one must match. When a list
// holds many exact values (a trust policy naming fifty accounts), they go into
// a map, looked up with the text lower-cased into a buffer on the stack.
type patternSet struct {
	fold  bool
	wide  bool // a pattern folds beyond ASCII (pattern.wide)
	exact map[string]struct{}
	pats  []pattern
}

const (
	// exactMapMin is the number of exact values from which a map is used.
	exactMapMin = 8
	// foldBufLen is the longest text the map lookup lower-cases on the stack;
	// longer exact values stay in the list.
	foldBufLen = 128
)

func compileSet(v []string, fold bool) patternSet {
	set := patternSet{fold: fold}
	n := 0
	for _, s := range v {
		if !strings.ContainsAny(s, "*?") && len(s) <= foldBufLen {
			n++
		}
	}
	if n >= exactMapMin {
		set.exact = make(map[string]struct{}, n)
	}
	for _, s := range v {
		p := compilePattern(s, fold)
		if !p.wild && p.wide == "" && set.exact != nil && len(p.s) <= foldBufLen {
			set.exact[p.s] = struct{}{}
			continue
		}
		set.wide = set.wide || p.wide != ""
		set.pats = append(set.pats, p)
	}
	return set
}

// matchWide reports whether a pattern of the set matches t when case is
// folded beyond ASCII. Callers ask it only after match said no: a yes then
// means the answer depends on how RAM folds case.
func (s *patternSet) matchWide(t *subject) bool {
	if !s.fold {
		return false
	}
	tw := t.folded()
	if !s.wide && tw == "" {
		return false
	}
	text := t.s
	if tw != "" {
		text = tw
		// The exact values hold nothing that folding beyond ASCII
		// changes, so only a text that it changes can newly equal one.
		for k := range s.exact {
			if k == text {
				return true
			}
		}
	}
	for i := range s.pats {
		p := &s.pats[i]
		pat := p.wide
		if pat == "" {
			if tw == "" {
				continue // matched already, by ASCII folding
			}
			pat = p.s
		}
		if wildMatch(pat, text, true) {
			return true
		}
	}
	return false
}

func (s *patternSet) match(text string) bool {
	if s.exact != nil && len(text) <= foldBufLen {
		if s.fold {
			var buf [foldBufLen]byte
			b := buf[:len(text)]
			for i := range b {
				b[i] = lowerTable[text[i]]
			}
			if _, ok := s.exact[string(b)]; ok {
				return true
			}
		} else if _, ok := s.exact[text]; ok {
			return true
		}
	}
	for i := range s.pats {
		p := &s.pats[i]
		switch {
		case p.wild:
			if p.match(text) {
				return true
			}
		case len(p.s) != len(text):
		case p.fold:
			if equalFoldASCII(p.s, text) {
				return true
			}
		case p.s == text:
			return true
		}
	}
	return false
}

type elem struct {
	mode elemMode
	set  patternSet
}

func compileElem(in, notIn Values, unreadable, fold bool) elem {
	switch {
	case unreadable || len(in) > 0 && len(notIn) > 0:
		return elem{mode: elemUnknown}
	case len(in) > 0:
		return elem{mode: elemIn, set: compileSet(in, fold)}
	case len(notIn) > 0:
		return elem{mode: elemNotIn, set: compileSet(notIn, fold)}
	}
	return elem{mode: elemAbsent}
}

// match judges the element; absent is what an absent element means here.
// A pattern that matches t only when case is folded beyond ASCII makes the
// answer unknown.
func (e *elem) match(t *subject, absent Match) Match {
	switch e.mode {
	case elemAbsent:
		return absent
	case elemUnknown:
		return MatchUnknown
	}
	if e.set.match(t.s) {
		if e.mode == elemIn {
			return MatchYes
		}
		return MatchNo
	}
	if e.set.matchWide(t) {
		return MatchUnknown
	}
	if e.mode == elemIn {
		return MatchNo
	}
	return MatchYes
}

type cprincipal struct {
	present bool // the statement names a principal
	unknown bool // the statement's principal could not be read at all
	extra   bool // the principal holds kinds this library does not read
	// qualified holds Service values with @, matched against
	// <uid>@<service> whole; plain holds the others, which name a service of
	// the owner's own account.
	qualified patternSet
	plain     patternSet
	// loose holds the plain Service values with a wildcard ("*",
	// "*ecs.aliyuncs.com"). RAM does not say whether such a pattern is
	// matched against the service name or the whole <uid>@<service>, so
	// when only the whole form matches, the statement may or may not apply.
	loose     patternSet
	rams      patternSet
	federated patternSet
}

func (p *cprincipal) match(q *prepared) Match {
	if q.anonymous {
		if p.present || p.unknown {
			return MatchUnknown
		}
		return MatchYes
	}
	if p.unknown || !p.present {
		return MatchUnknown
	}
	c := &q.r.Principal
	doubt := p.extra
	if c.Service != "" {
		if p.qualified.match(c.Service) {
			return MatchYes
		}
		own := q.r.Owner != "" && q.account == q.r.Owner
		if own && p.plain.match(q.service) {
			return MatchYes
		}
		doubt = doubt || p.loose.match(c.Service) || p.wideService(q, own)
	}
	if c.RAM != "" {
		if p.rams.match(c.RAM) {
			return MatchYes
		}
		doubt = doubt || p.rams.matchWide(&q.ram)
	}
	if c.Federated != "" {
		if p.federated.match(c.Federated) {
			return MatchYes
		}
		doubt = doubt || p.federated.matchWide(&q.fed)
	}
	if doubt {
		return MatchUnknown
	}
	return MatchNo
}

// wideService reports whether a Service value names the caller only when
// case is folded beyond ASCII; own is true when the caller's account is the
// role's.
func (p *cprincipal) wideService(q *prepared, own bool) bool {
	return p.qualified.matchWide(&q.svc) || own && p.plain.matchWide(&q.bare) || p.loose.matchWide(&q.svc)
}

// splitService splits <uid>@<service> into its parts; without @ the account
// is empty.
func splitService(s string) (account, service string) {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}

type condKind uint8

const (
	condUnknown condKind = iota
	condString
	condStringIgnoreCase
	condStringLike
	condNumeric
	condDate
	condBool
	condIP
)

type compareOp uint8

const (
	cmpEq compareOp = iota
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// operators maps each operator RAM documents to its kind, comparison and
// negation. A negated operator is the negation of its positive form: it holds
// when no value matches.
var operators = map[string]struct {
	kind condKind
	cmp  compareOp
	neg  bool
}{
	"StringEquals":              {condString, cmpEq, false},
	"StringNotEquals":           {condString, cmpEq, true},
	"StringEqualsIgnoreCase":    {condStringIgnoreCase, cmpEq, false},
	"StringNotEqualsIgnoreCase": {condStringIgnoreCase, cmpEq, true},
	"StringLike":                {condStringLike, cmpEq, false},
	"StringNotLike":             {condStringLike, cmpEq, true},
	"NumericEquals":             {condNumeric, cmpEq, false},
	"NumericNotEquals":          {condNumeric, cmpEq, true},
	"NumericLessThan":           {condNumeric, cmpLT, false},
	"NumericLessThanEquals":     {condNumeric, cmpLE, false},
	"NumericGreaterThan":        {condNumeric, cmpGT, false},
	"NumericGreaterThanEquals":  {condNumeric, cmpGE, false},
	"DateEquals":                {condDate, cmpEq, false},
	"DateNotEquals":             {condDate, cmpEq, true},
	"DateLessThan":              {condDate, cmpLT, false},
	"DateLessThanEquals":        {condDate, cmpLE, false},
	"DateGreaterThan":           {condDate, cmpGT, false},
	"DateGreaterThanEquals":     {condDate, cmpGE, false},
	"Bool":                      {condBool, cmpEq, false},
	"IpAddress":                 {condIP, cmpEq, false},
	"NotIpAddress":              {condIP, cmpEq, true},
}

// ccond is one operator and key of a Condition, compiled.
type ccond struct {
	op      string
	key     string
	keyWide bool // the key holds characters that folding beyond ASCII changes
	kind    condKind
	cmp     compareOp
	neg     bool
	values  Values
	likes   []pattern
	nums    []float64
	times   []time.Time
	bools   []bool
	nets    []netip.Prefix
	bad     int // values that could not be read for the operator
}

func compileCond(op, key string, values Values) ccond {
	c := ccond{op: op, key: key, keyWide: foldsBeyondASCII(key), values: values}
	info, ok := operators[op]
	if !ok {
		c.kind = condUnknown
		return c
	}
	c.kind, c.cmp, c.neg = info.kind, info.cmp, info.neg
	for _, v := range values {
		switch c.kind {
		case condStringLike:
			c.likes = append(c.likes, compilePattern(v, false))
		case condNumeric:
			if n, ok := parseNumber(v); ok {
				c.nums = append(c.nums, n)
			} else {
				c.bad++
			}
		case condDate:
			if t, ok := parseDate(v); ok {
				c.times = append(c.times, t)
			} else {
				c.bad++
			}
		case condBool:
			if b, ok := parseBool(v); ok {
				c.bools = append(c.bools, b)
			} else {
				c.bad++
			}
		case condIP:
			if p, ok := parsePrefix(v); ok {
				c.nets = append(c.nets, p)
			} else {
				c.bad++
			}
		}
	}
	return c
}

// condState says why a condition was judged as it was.
type condState uint8

const (
	condJudged     condState = iota
	condMissing              // the request does not carry the key
	condAlike                // a key of the request equals it only beyond ASCII folding
	condUnreadable           // a value cannot be read as the operator needs
)

// match judges the condition against q's request. The state says why an
// unknown answer is unknown (an unknown operator is condJudged).
func (c *ccond) match(q *prepared) (Match, condState) {
	if c.kind == condUnknown {
		return MatchUnknown, condJudged
	}
	v, ok := q.r.lookup(c.key)
	if !ok {
		if (c.keyWide || q.contextWide()) && q.r.lookAlike(c.key) {
			return MatchUnknown, condAlike
		}
		return MatchUnknown, condMissing
	}
	m, readable := c.positive(v)
	if !readable {
		// Neither form holds on a value it cannot read, a negated
		// operator included: the condition is undecidable.
		return MatchUnknown, condUnreadable
	}
	if c.neg {
		m = m.not()
	}
	return m, condJudged
}

// positive judges the operator's positive form: does any value match v? It
// reports false when a value, the policy's or v, cannot be read as the
// operator's type.
func (c *ccond) positive(v string) (Match, bool) {
	if c.bad > 0 {
		return MatchUnknown, false
	}
	switch c.kind {
	case condString:
		for _, p := range c.values {
			if p == v {
				return MatchYes, true
			}
		}
	case condStringIgnoreCase:
		m := MatchNo
		for _, p := range c.values {
			switch certain, possible := foldMatch(p, v); {
			case certain:
				return MatchYes, true
			case possible:
				m = MatchUnknown // equal only when case is folded beyond ASCII
			}
		}
		return m, true
	case condStringLike:
		for i := range c.likes {
			if c.likes[i].match(v) {
				return MatchYes, true
			}
		}
	case condNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return MatchUnknown, false
		}
		for _, p := range c.nums {
			if compare(n, p, c.cmp) {
				return MatchYes, true
			}
		}
	case condDate:
		t, ok := parseDate(v)
		if !ok {
			return MatchUnknown, false
		}
		for _, p := range c.times {
			if compare(t.Compare(p), 0, c.cmp) {
				return MatchYes, true
			}
		}
	case condBool:
		b, ok := parseBool(v)
		if !ok {
			return MatchUnknown, false
		}
		for _, p := range c.bools {
			if p == b {
				return MatchYes, true
			}
		}
	case condIP:
		a, ok := parseAddr(v)
		if !ok {
			return MatchUnknown, false
		}
		for _, p := range c.nets {
			if p.Contains(a) {
				return MatchYes, true
			}
		}
	}
	return MatchNo, true
}

func compare[T int | float64](a, b T, op compareOp) bool {
	switch op {
	case cmpLT:
		return a < b
	case cmpLE:
		return a <= b
	case cmpGT:
		return a > b
	case cmpGE:
		return a >= b
	}
	return a == b
}

// parseNumber reads a decimal number: an optional minus sign, digits, an
// optional fraction and an optional exponent, as JSON writes numbers
// (leading zeros allowed). What else strconv takes (a plus sign, hex, Inf,
// NaN, underscores) and what overflows a float64 are refused: RAM documents
// none of it, so a value so written cannot be read for certain.
func parseNumber(s string) (float64, bool) {
	if !decimalNumber(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// decimalNumber reports whether s is -?D+(.D+)?([eE][+-]?D+)? with D a
// decimal digit.
func decimalNumber(s string) bool {
	i := 0
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// parseDate reads an RFC 3339 time, such as 2026-01-02T15:04:05Z.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// parseBool reads "true" or "false" in any ASCII case.
func parseBool(s string) (bool, bool) {
	switch {
	case equalFoldASCII(s, "true"):
		return true, true
	case equalFoldASCII(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix reads a CIDR block, or one address as a block of its own. An
// IPv6 zone and an IPv4 address written as IPv6 (::ffff:10.0.0.0/104) are
// refused: whether RAM reads such a block as IPv4 or IPv6 is not known.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is4In6() {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, ok := parseAddr(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseAddr reads an IP address; as parsePrefix, it refuses a zone and an
// IPv4 address written as IPv6.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() {
		return netip.Addr{}, false
	}
	return a, true
}

// knownActions are the actions Check asks about. Compile judges each
// statement's Action element against them once, so that Eval answers them
// with a bit test; other actions are matched pattern by pattern.
var knownActions = [...]string{
	"sts:AssumeRole", "kms:DescribeKey", "kms:TagResource", "kms:UntagResource",
	"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ListKeys", "kms:ListAliases",
}

// knownAction returns the index of an action, spelled exactly, in
// knownActions, or -1.
func knownAction(a string) int {
	switch a {
	case "sts:AssumeRole":
		return 0
	case "kms:DescribeKey":
		return 1
	case "kms:TagResource":
		return 2
	case "kms:UntagResource":
		return 3
	case "kms:Encrypt":
		return 4
	case "kms:Decrypt":
		return 5
	case "kms:GenerateDataKey":
		return 6
	case "kms:ListKeys":
		return 7
	case "kms:ListAliases":
		return 8
	}
	return -1
}

// cstmt is a compiled statement.
type cstmt struct {
	ref    Ref
	effect effectKind
	action elem
	// knownYes has bit k set when the Action element matches knownActions[k],
	// knownMaybe when it might (see elem.match).
	knownYes, knownMaybe uint16
	// resAny is true for Resource "*" (among others); resOne holds the one
	// exact Resource value, if that is all there is.
	resAny    bool
	resOne    string
	resource  elem
	principal cprincipal
	condBad   bool // the Condition could not be read
	conds     []ccond
}

// unreadableKey reports whether an Extra key of a statement hides an element
// that changes its meaning, and which: a key equal to one of Statement's
// without regard to case, folded as widely as any reader might.
func unreadableKey(k string) string {
	for _, n := range statementKeys {
		if _, possible := foldMatch(k, n); possible {
			return n
		}
	}
	return ""
}

func compileStatement(ref Ref, s *Statement) cstmt {
	c := cstmt{ref: ref}
	hidden := map[string]bool{}
	for k := range s.Extra {
		if n := unreadableKey(k); n != "" {
			hidden[n] = true
		}
	}
	if s.Opaque != nil {
		// Nothing of an opaque statement is read: every element is hidden.
		for _, n := range statementKeys {
			hidden[n] = true
		}
	}
	switch {
	case hidden["Effect"]:
	case s.Effect == Allow:
		c.effect = effectAllow
	case s.Effect == Deny:
		c.effect = effectDeny
	}
	c.action = compileElem(s.Action, s.NotAction, hidden["Action"] || hidden["NotAction"], true)
	for k, a := range knownActions {
		t := subject{s: a}
		switch c.action.match(&t, MatchUnknown) {
		case MatchYes:
			c.knownYes |= 1 << k
		case MatchUnknown:
			c.knownMaybe |= 1 << k
		}
	}
	c.resource = compileElem(s.Resource, s.NotResource, hidden["Resource"] || hidden["NotResource"], false)
	if c.resource.mode == elemIn {
		c.resAny = slices.Contains(s.Resource, "*")
		if len(s.Resource) == 1 && !strings.ContainsAny(s.Resource[0], "*?") {
			c.resOne = s.Resource[0]
		}
	}
	if s.Principal != nil || hidden["Principal"] {
		c.principal.present = true
	}
	if hidden["Principal"] {
		c.principal.unknown = true
	}
	if p := s.Principal; p != nil {
		c.principal.extra = len(p.Extra) > 0
		var qualified, plain, loose []string
		for _, v := range p.Service {
			switch {
			case strings.Contains(v, "@"):
				qualified = append(qualified, v)
			case strings.ContainsAny(v, "*?"):
				plain = append(plain, v)
				loose = append(loose, v)
			default:
				plain = append(plain, v)
			}
		}
		c.principal.qualified = compileSet(qualified, true)
		c.principal.plain = compileSet(plain, true)
		c.principal.loose = compileSet(loose, true)
		c.principal.rams = compileSet(p.RAM, true)
		c.principal.federated = compileSet(p.Federated, true)
	}
	c.condBad = hidden["Condition"]
	for _, op := range evalSortedKeys(s.Condition) {
		keys := s.Condition[op]
		for _, k := range evalSortedKeys(keys) {
			c.conds = append(c.conds, compileCond(op, k, keys[k]))
		}
	}
	return c
}

// match judges whether the statement applies, whatever its effect.
func (s *cstmt) match(q *prepared) Match {
	r := q.r
	// The resource goes first: most statements name other keys, and an exact
	// resource is rejected on its length alone.
	m := MatchYes
	switch {
	case r.Resource == "":
	case s.resAny:
	case s.resOne != "":
		if r.Resource != s.resOne {
			return MatchNo
		}
	default:
		// A policy statement without Resource or NotResource is malformed.
		t := subject{s: r.Resource}
		if m = s.resource.match(&t, MatchUnknown); m == MatchNo {
			return MatchNo
		}
	}
	// A statement without Action or NotAction is malformed: RAM requires one.
	if q.known >= 0 && (s.action.mode == elemIn || s.action.mode == elemNotIn) {
		if bit := uint16(1) << q.known; s.knownYes&bit == 0 {
			if s.knownMaybe&bit == 0 {
				return MatchNo
			}
			m = m.and(MatchUnknown)
		}
	} else if m = m.and(s.action.match(&q.action, MatchUnknown)); m == MatchNo {
		return MatchNo
	}
	if m = m.and(s.principal.match(q)); m == MatchNo {
		return MatchNo
	}
	if s.condBad {
		m = m.and(MatchUnknown)
	}
	for i := range s.conds {
		c, _ := s.conds[i].match(q)
		if m = m.and(c); m == MatchNo {
			return MatchNo
		}
	}
	return m
}

// explain fills o.Why, o.MissingKeys and o.Unreadable for the statement.
func (s *cstmt) explain(r *Request, src *Statement, o *Outcome) {
	if src.Opaque != nil {
		o.Unreadable = true
		o.Why = append(o.Why, "the statement has two keys that differ only in case, or a key that is one of a statement's only when case is folded beyond ASCII, so RAM might read it either way: it may allow or deny anything")
		return
	}
	var q prepared
	q.init(r)
	if why, unknown := explainElem("Action", &s.action, &q.action, src.Action, src.NotAction); why != "" {
		o.Why = append(o.Why, why)
		o.Unreadable = o.Unreadable || unknown
	}
	if r.Resource != "" {
		if why, unknown := explainElem("Resource", &s.resource, &subject{s: r.Resource}, src.Resource, src.NotResource); why != "" {
			o.Why = append(o.Why, why)
			o.Unreadable = o.Unreadable || unknown
		}
	}
	switch s.principal.match(&q) {
	case MatchNo:
		o.Why = append(o.Why, explainPrincipal(r, src.Principal))
	case MatchUnknown:
		o.Unreadable = true
		switch {
		case r.Principal.IsZero():
			o.Why = append(o.Why, "Principal: the statement names a principal, but the request is evaluated as an identity policy's")
		case !s.principal.present:
			o.Why = append(o.Why, "Principal: missing, so the statement cannot apply to a caller")
		case s.principal.loose.match(r.Principal.Service):
			o.Why = append(o.Why, fmt.Sprintf("Principal: a wildcard Service not of the form <uid>@<service> may or may not name %s", r.Principal.Service))
		case r.Principal.Service != "" && s.principal.wideService(&q, r.Owner != "" && q.account == r.Owner),
			r.Principal.RAM != "" && s.principal.rams.matchWide(&q.ram),
			r.Principal.Federated != "" && s.principal.federated.matchWide(&q.fed):
			o.Why = append(o.Why, "Principal: a value names the caller only when case is folded beyond ASCII, which RAM does not document")
		default:
			o.Why = append(o.Why, "Principal: holds a value this library cannot read")
		}
	}
	if s.condBad {
		o.Unreadable = true
		o.Why = append(o.Why, "Condition: cannot be read")
	}
	for i := range s.conds {
		c := &s.conds[i]
		m, state := c.match(&q)
		switch {
		case state == condMissing:
			o.MissingKeys = appendUnique(o.MissingKeys, c.key)
			o.Why = append(o.Why, fmt.Sprintf("Condition %s %s %s: the request does not carry %s", c.op, c.key, c.values, c.key))
		case state == condAlike:
			o.Unreadable = true
			o.Why = append(o.Why, fmt.Sprintf("Condition %s %s %s: the key is one of the request's only when case is folded beyond ASCII, which RAM does not document", c.op, c.key, c.values))
		case state == condUnreadable:
			o.Unreadable = true
			v, _ := r.lookup(c.key)
			o.Why = append(o.Why, fmt.Sprintf("Condition %s %s %s: the request's %q or a value of the policy cannot be read as %s needs, so the condition neither holds nor fails", c.op, c.key, c.values, v, c.op))
		case m == MatchNo:
			v, _ := r.lookup(c.key)
			o.Why = append(o.Why, fmt.Sprintf("Condition %s %s %s: the request has %q", c.op, c.key, c.values, v))
		case m == MatchUnknown:
			o.Unreadable = true
			if c.kind == condUnknown {
				o.Why = append(o.Why, fmt.Sprintf("Condition %s: an operator this library does not know", c.op))
			} else {
				v, _ := r.lookup(c.key)
				o.Why = append(o.Why, fmt.Sprintf("Condition %s %s %s: %q equals a value only when case is folded beyond ASCII, which RAM does not document", c.op, c.key, c.values, v))
			}
		}
	}
}

// explainElem says why an element does not match text, or "" when it does;
// unknown is true when it cannot be judged.
func explainElem(name string, e *elem, t *subject, in, notIn Values) (why string, unknown bool) {
	switch e.match(t, MatchUnknown) {
	case MatchYes:
		return "", false
	case MatchUnknown:
		switch e.mode {
		case elemAbsent:
			return fmt.Sprintf("%s: missing (a statement needs %s or Not%s)", name, name, name), true
		case elemUnknown:
			return fmt.Sprintf("%s: cannot be read", name), true
		}
		return fmt.Sprintf("%s: a value matches %q only when case is folded beyond ASCII, which RAM does not document", name, t.s), true
	}
	if e.mode == elemNotIn {
		return fmt.Sprintf("Not%s: %q is among %s", name, t.s, notIn), false
	}
	return fmt.Sprintf("%s: %q is not in %s", name, t.s, in), false
}

func explainPrincipal(r *Request, p *Principal) string {
	var b strings.Builder
	b.WriteString("Principal: ")
	who := r.Principal.Service
	if who == "" {
		who = r.Principal.RAM
	}
	if who == "" {
		who = r.Principal.Federated
	}
	fmt.Fprintf(&b, "%q is not among", who)
	if p == nil {
		b.WriteString(" the statement's (none)")
		return b.String()
	}
	if len(p.Service) > 0 {
		fmt.Fprintf(&b, " Service %s", p.Service)
	}
	if len(p.RAM) > 0 {
		fmt.Fprintf(&b, " RAM %s", p.RAM)
	}
	if len(p.Federated) > 0 {
		fmt.Fprintf(&b, " Federated %s", p.Federated)
	}
	if r.Principal.Service != "" {
		account, bare := splitService(r.Principal.Service)
		for _, v := range p.Service {
			if !strings.Contains(v, "@") && wildMatch(lowerASCII(v), bare, true) && account != r.Owner {
				fmt.Fprintf(&b, "; %q names the service of the role's own account only, while another account's is <uid>@%s", v, bare)
				break
			}
		}
	}
	if len(p.RAM) > 0 && r.Principal.Service != "" && len(p.Service) == 0 {
		b.WriteString("; RAM principals never match a service")
	}
	return b.String()
}

// evalSortedKeys returns a map's keys in byte order.
func evalSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// MatchWildcard reports whether s matches pattern as RAM matches an Action,
// Resource or StringLike value: * matches any run of characters and ? exactly
// one. With foldCase, ASCII letters match without regard to case.
func MatchWildcard(pattern, s string, foldCase bool) bool { return wildMatch(pattern, s, foldCase) }

// wildMatch matches text against a pattern in which * matches any run of
// characters and ? exactly one. A character is one UTF-8 sequence, or one
// byte that is not valid UTF-8. With fold, ASCII letters match without
// regard to case.
func wildMatch(p, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for {
		if px < len(p) {
			c := p[px]
			if c == '*' {
				starPx, starSx = px, sx
				px++
				continue
			}
			if sx < len(s) {
				if c == '?' {
					px++
					sx += charLen(s, sx)
					continue
				}
				pw, sw := charLen(p, px), charLen(s, sx)
				if pw == sw && sameChar(p[px:px+pw], s[sx:sx+sw], fold) {
					px += pw
					sx += sw
					continue
				}
			}
		} else if sx == len(s) {
			return true
		}
		if starPx < 0 || starSx >= len(s) {
			return false
		}
		starSx += charLen(s, starSx)
		px, sx = starPx+1, starSx
	}
}

// charLen returns the length in bytes of the character at s[i].
func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}

func sameChar(a, b string, fold bool) bool {
	if fold && len(a) == 1 {
		return lowerByte(a[0]) == lowerByte(b[0])
	}
	return a == b
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCII lower-cases ASCII letters only.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

// equalFoldASCII compares without regard to ASCII case.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	b = b[:len(a)]
	for i := 0; i < len(a); i++ {
		if x, y := a[i], b[i]; x != y && lowerTable[x] != lowerTable[y] {
			return false
		}
	}
	return true
}

// lowerTable maps each byte to its ASCII lower case.
var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = lowerByte(byte(i))
	}
	return t
}()
