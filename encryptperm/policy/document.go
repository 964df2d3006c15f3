// This file holds Document and its parts, their canonical JSON, equality by
// meaning, and the two readers: Parse (strict) and Read (faithful).

package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxSidLen is the longest Sid, a statement's label, that Parse takes: the
// bound KMS sets for the statements of a key policy.
const MaxSidLen = 128

// Effect is a statement's effect: Allow or Deny.
type Effect string

// The two effects RAM knows.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Version is the only version of RAM's policy language.
const Version = "1"

// Values is a set of strings that RAM writes either as one string or as a
// list. Order and duplicates carry no meaning: ["a","b","a"] equals ["b","a"],
// and "a" equals ["a"].
//
// Values marshals canonically: sorted, without duplicates, and a single value
// as a plain string (the form RAM itself uses in its examples and the ECS page
// "Encryption-related permissions" uses for one-element principals).
type Values []string

// Set returns the values sorted and without duplicates: the set they mean.
func (v Values) Set() []string {
	out := slices.Clone([]string(v))
	sort.Strings(out)
	return slices.Compact(out)
}

// Contains reports whether s is one of the values.
func (v Values) Contains(s string) bool { return slices.Contains(v, s) }

// MarshalJSON writes the values canonically (see Values).
func (v Values) MarshalJSON() ([]byte, error) {
	s := v.Set()
	if len(s) == 1 {
		return marshalString(s[0]), nil
	}
	if s == nil {
		s = []string{}
	}
	var b bytes.Buffer
	n := 2
	for _, x := range s {
		n += len(x) + 3
	}
	b.Grow(n)
	b.WriteByte('[')
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		if plainString(x) {
			b.WriteByte('"')
			b.WriteString(x)
			b.WriteByte('"')
		} else {
			b.Write(marshalString(x))
		}
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a string or a list of strings. Numbers and booleans,
// which RAM accepts as condition values, are read as their JSON text.
func (v *Values) UnmarshalJSON(data []byte) error {
	out, err := readValues(data, true)
	if err != nil {
		return err
	}
	*v = out
	return nil
}

// readValues reads a string, or a non-empty list of strings; with scalars it
// also takes numbers and booleans as their text.
func readValues(data []byte, scalars bool) (Values, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, err
		}
		if len(raw) == 0 {
			return nil, fmt.Errorf("empty list")
		}
		out := make(Values, 0, len(raw))
		for _, r := range raw {
			s, err := readScalar(r, scalars)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := readScalar(data, scalars)
	if err != nil {
		return nil, err
	}
	return Values{s}, nil
}

func readScalar(data json.RawMessage, scalars bool) (string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", fmt.Errorf("empty value")
	}
	switch data[0] {
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", err
		}
		return s, nil
	case 't', 'f':
		if scalars {
			var b bool
			if err := json.Unmarshal(data, &b); err != nil {
				return "", err
			}
			return fmt.Sprint(b), nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if scalars {
			var n json.Number
			if err := json.Unmarshal(data, &n); err != nil {
				return "", err
			}
			return n.String(), nil
		}
	}
	if scalars {
		return "", fmt.Errorf("want a string, number or boolean, got %s", kindOf(data))
	}
	return "", fmt.Errorf("want a string, got %s", kindOf(data))
}

func kindOf(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Principal names who may assume a role, in a trust policy.
type Principal struct {
	// RAM holds RAM principals: "acs:ram::<uid>:root" or
	// "acs:ram::<uid>:user/<name>".
	RAM Values
	// Service holds service principals: "ecs.aliyuncs.com" for ECS in the
	// role's own account, "<uid>@ecs.aliyuncs.com" for another account's ECS.
	Service Values
	// Federated holds identity providers: "acs:ram::<uid>:saml-provider/<name>".
	Federated Values
	// Extra holds keys this library does not model, as read; they are
	// written back with the same value, in canonical form.
	Extra map[string]json.RawMessage
}

// IsZero reports whether the principal names nobody.
func (p *Principal) IsZero() bool {
	return p == nil || len(p.RAM) == 0 && len(p.Service) == 0 && len(p.Federated) == 0 && len(p.Extra) == 0
}

// Condition maps an operator (StringEquals, StringLike, ...) to condition keys
// and the values each key may match.
type Condition map[string]map[string]Values

// Statement is one statement of a policy, a trust policy or a key policy.
// Its Sid, if any, is in Extra.
type Statement struct {
	Effect      Effect
	Action      Values
	NotAction   Values
	Resource    Values
	NotResource Values
	Principal   *Principal
	Condition   Condition
	// Extra holds keys this library does not model, or whose value it could
	// not read (for example a Principal that is not an object), as read. They
	// are written back with the same value, in canonical form. A statement
	// whose Extra holds "Principal", "Condition" or another key that changes
	// its meaning is not fully understood: evaluators must treat it
	// conservatively.
	Extra map[string]json.RawMessage
	// Opaque holds, as read, a statement this library cannot read at all:
	// one with two keys that are equal without regard to case, such as
	// "Effect":"Deny" and "effect":"Allow", which RAM might read either way,
	// or with a key that is one of Statement's only when case is folded
	// beyond ASCII, such as "Conditıon" (dotless i), which RAM might take
	// for Condition or for a key it ignores.
	// The faithful reader leaves every other field empty; such a statement
	// marshals as Opaque (compacted, its keys in the order read), evaluates
	// as a statement of unknown effect that may apply to any request, is
	// never merged into, and Lint reports it as critical. The strict parser
	// refuses it.
	Opaque json.RawMessage
}

// Document is a RAM policy document or trust policy.
//
// The zero Document is empty. Documents marshal with encoding/json to compact,
// canonical JSON: object keys in byte order, lists sorted and without
// duplicates, a one-element list as a plain string, statements in their own
// order. Values of keys the library does not model keep their meaning and are
// written canonically too: object keys in byte order (duplicates kept),
// strings re-escaped without HTML escaping, numbers as their original text.
// UnmarshalJSON reads faithfully, as Read does.
type Document struct {
	// Version is "1" for every document RAM accepts.
	Version   string
	Statement []Statement
	// Extra holds top-level keys this library does not model, as read.
	Extra map[string]json.RawMessage
}

// New returns a version-1 document holding the statements.
func New(statements ...Statement) *Document {
	return &Document{Version: Version, Statement: statements}
}

// MarshalJSON writes the document's canonical JSON.
func (d Document) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	w := newObjectWriter(&b, d.Extra)
	stmts := make([]json.RawMessage, 0, len(d.Statement))
	for i := range d.Statement {
		s, err := d.Statement[i].MarshalJSON()
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, s)
	}
	var sb bytes.Buffer
	sb.WriteByte('[')
	for i, s := range stmts {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.Write(s)
	}
	sb.WriteByte(']')
	w.field("Statement", sb.Bytes())
	if d.Version != "" {
		w.field("Version", marshalString(d.Version))
	}
	return w.close(), nil
}

// MarshalJSON writes the statement's canonical JSON, or its Opaque bytes,
// compacted, when it has them.
func (s Statement) MarshalJSON() ([]byte, error) {
	if s.Opaque != nil {
		return compactJSON(s.Opaque), nil
	}
	var b bytes.Buffer
	w := newObjectWriter(&b, s.Extra)
	put := func(key string, v Values) {
		if len(v) > 0 {
			j, _ := v.MarshalJSON()
			w.field(key, j)
		}
	}
	put("Action", s.Action)
	if len(s.Condition) > 0 {
		w.field("Condition", s.Condition.marshal())
	}
	if s.Effect != "" {
		w.field("Effect", marshalString(string(s.Effect)))
	}
	put("NotAction", s.NotAction)
	put("NotResource", s.NotResource)
	if s.Principal != nil {
		w.field("Principal", s.Principal.marshal())
	}
	put("Resource", s.Resource)
	return w.close(), nil
}

func (p *Principal) marshal() []byte {
	var b bytes.Buffer
	w := newObjectWriter(&b, p.Extra)
	for _, kv := range []struct {
		k string
		v Values
	}{{"Federated", p.Federated}, {"RAM", p.RAM}, {"Service", p.Service}} {
		if len(kv.v) > 0 {
			j, _ := kv.v.MarshalJSON()
			w.field(kv.k, j)
		}
	}
	return w.close()
}

func (c Condition) marshal() []byte {
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, op := range ops {
		keys := c[op]
		if len(keys) == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(marshalString(op))
		b.WriteString(":{")
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for i, k := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(marshalString(k))
			b.WriteByte(':')
			j, _ := keys[k].MarshalJSON()
			b.Write(j)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes()
}

// objectWriter writes a JSON object whose keys, the modelled ones and the
// extras together, come out in byte order.
type objectWriter struct {
	b      *bytes.Buffer
	fields map[string][]byte
}

func newObjectWriter(b *bytes.Buffer, extra map[string]json.RawMessage) *objectWriter {
	w := &objectWriter{b: b, fields: make(map[string][]byte, len(extra)+8)}
	for k, v := range extra {
		w.fields[k] = canonicalJSON(v)
	}
	return w
}

func (w *objectWriter) field(key string, value []byte) { w.fields[key] = value }

func (w *objectWriter) close() []byte {
	keys := make([]string, 0, len(w.fields))
	for k := range w.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.b.Write(marshalString(k))
		w.b.WriteByte(':')
		w.b.Write(w.fields[k])
	}
	w.b.WriteByte('}')
	return w.b.Bytes()
}

// canonicalJSON returns the canonical form of a JSON value this library does
// not model: compact, object keys in byte order, strings without HTML
// escaping, numbers, booleans and null as their text. An object with
// duplicate keys, or keys that collide without regard to case, keeps its keys
// in the order read, so that a value that was unreadable because of them
// stays so, and a reader that takes the last of them reads the same value. Two values
// that differ only in whitespace, key order or string escapes have the same
// canonical form. A value that does not decode (it came from a parse, so it
// does) is only compacted.
//
// The value is decoded once into a tree and written once, so the cost is
// linear in its size (plus sorting keys), however deep it nests.
func canonicalJSON(v []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err == nil {
		if _, end := dec.Token(); end != io.EOF {
			err = fmt.Errorf("data after the value")
		}
	}
	if err != nil {
		return compactJSON(v)
	}
	var b bytes.Buffer
	b.Grow(len(v))
	n.write(&b)
	return b.Bytes()
}

// jnode is one JSON value, decoded for canonical writing.
type jnode struct {
	kind   json.Delim // '{' or '[', or 0 for a scalar
	scalar []byte     // a scalar's canonical text
	keys   []string   // an object's keys, in the order read
	kids   []*jnode   // an object's values or a list's items
}

// decodeNode reads the next value of dec.
func decodeNode(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jnode{kind: t}
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				kid, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.kids = append(n.kids, kid)
			}
		case '[':
			for dec.More() {
				kid, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.kids = append(n.kids, kid)
			}
		default:
			return nil, fmt.Errorf("unexpected %v", t)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &jnode{scalar: marshalString(t)}, nil
	case json.Number:
		return &jnode{scalar: []byte(t)}, nil
	case bool:
		if t {
			return &jnode{scalar: []byte("true")}, nil
		}
		return &jnode{scalar: []byte("false")}, nil
	case nil:
		return &jnode{scalar: []byte("null")}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// write writes the node's canonical JSON to b.
func (n *jnode) write(b *bytes.Buffer) {
	switch n.kind {
	case '{':
		order := make([]int, len(n.keys))
		for i := range order {
			order[i] = i
		}
		if _, _, clash := collision(n.keys, func(k string) string { return k }); !clash {
			sort.SliceStable(order, func(i, j int) bool { return n.keys[order[i]] < n.keys[order[j]] })
		}
		b.WriteByte('{')
		for i, at := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(marshalString(n.keys[at]))
			b.WriteByte(':')
			n.kids[at].write(b)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, kid := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			kid.write(b)
		}
		b.WriteByte(']')
	default:
		b.Write(n.scalar)
	}
}

// compactJSON returns v without insignificant whitespace, or v itself if it is
// not valid JSON (it came from a parse, so it is).
func compactJSON(v []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}

// marshalString writes s as a JSON string without HTML escaping, so that
// documents read like what users write and RAM stores.
func marshalString(s string) []byte {
	if plainString(s) {
		out := make([]byte, 0, len(s)+2)
		out = append(out, '"')
		out = append(out, s...)
		return append(out, '"')
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// JSON returns the document's canonical JSON.
func (d *Document) JSON() []byte {
	if d == nil {
		return nil
	}
	b, _ := d.MarshalJSON()
	return b
}

// String returns the document's canonical JSON as a string.
func (d *Document) String() string { return string(d.JSON()) }

// Indent returns the canonical JSON indented for people to read.
func (d *Document) Indent() string {
	var b bytes.Buffer
	if err := json.Indent(&b, d.JSON(), "", "  "); err != nil {
		return d.String()
	}
	return b.String()
}

// Size returns the length RAM counts against its document limits: the bytes
// of the compact JSON this library sends.
func (d *Document) Size() int { return len(d.JSON()) }

// Clone returns a deep copy of the document.
func (d *Document) Clone() *Document {
	if d == nil {
		return nil
	}
	out := &Document{Version: d.Version, Extra: cloneRaw(d.Extra)}
	if d.Statement != nil {
		out.Statement = make([]Statement, len(d.Statement))
		for i := range d.Statement {
			out.Statement[i] = d.Statement[i].Clone()
		}
	}
	return out
}

// Clone returns a deep copy of the statement.
func (s Statement) Clone() Statement {
	out := Statement{
		Effect:      s.Effect,
		Action:      slices.Clone(s.Action),
		NotAction:   slices.Clone(s.NotAction),
		Resource:    slices.Clone(s.Resource),
		NotResource: slices.Clone(s.NotResource),
		Extra:       cloneRaw(s.Extra),
		Opaque:      slices.Clone(s.Opaque),
	}
	if s.Principal != nil {
		out.Principal = &Principal{
			RAM:       slices.Clone(s.Principal.RAM),
			Service:   slices.Clone(s.Principal.Service),
			Federated: slices.Clone(s.Principal.Federated),
			Extra:     cloneRaw(s.Principal.Extra),
		}
	}
	if s.Condition != nil {
		out.Condition = make(Condition, len(s.Condition))
		for op, keys := range s.Condition {
			m := make(map[string]Values, len(keys))
			for k, v := range keys {
				m[k] = slices.Clone(v)
			}
			out.Condition[op] = m
		}
	}
	return out
}

func cloneRaw(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// Equal reports whether two documents mean the same: a string equals a
// one-element list, order inside lists and of statements does not matter,
// duplicate values and duplicate statements collapse, and conditions must
// match operator for operator, key for key. Keys the library does not model
// are compared by their canonical JSON, so whitespace, the order of object
// keys and string escapes do not matter. Two nil documents are equal.
func (d *Document) Equal(o *Document) bool {
	if d == nil || o == nil {
		return d == nil && o == nil
	}
	if d.Version != o.Version || !equalRaw(d.Extra, o.Extra) {
		return false
	}
	return slices.Equal(d.statementSet(), o.statementSet())
}

// Equal reports whether two statements mean the same (see Document.Equal).
func (s Statement) Equal(o Statement) bool {
	a, _ := s.MarshalJSON()
	b, _ := o.MarshalJSON()
	return bytes.Equal(a, b)
}

// statementSet returns the canonical JSON of each statement, sorted and
// without duplicates.
func (d *Document) statementSet() []string {
	out := make([]string, 0, len(d.Statement))
	for _, s := range d.Statement {
		j, _ := s.MarshalJSON()
		out = append(out, string(j))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func equalRaw(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(canonicalJSON(v), canonicalJSON(w)) {
			return false
		}
	}
	return true
}

// field is one key of a JSON object, in the order read; duplicates are kept so
// that collision finds them.
type field struct {
	key   string
	value json.RawMessage
}

// readObject reads a JSON object's fields in order.
func readObject(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want an object, got %s", kindOf(data))
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	// Anything but the end of the input after the closing brace, even a
	// stray '}' or ']' that the decoder reports as a syntax error, is refused.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the object")
	}
	return out, nil
}

// reader reads a document strictly or faithfully, collecting problems.
type reader struct {
	strict bool
	bounds Limits
	p      problems
}

// Parse reads a document that a user hands in, strictly: unknown or
// duplicate keys, a Version other than "1", an Effect other than Allow or
// Deny, empty lists, values of the wrong type, and statements without an
// action or without a resource or principal are errors. The error is a
// *ValidationError that names every problem with its path, such as
// "Statement[1].Principal.service".
//
// Documents larger or deeper than DefaultLimits are refused; see
// Limits.Parse to raise the bounds.
func Parse(data []byte) (*Document, error) {
	return Limits{}.Parse(data)
}

// Parse reads a document strictly, as the package's Parse
// does, within the bounds l (zero fields take their defaults). A document
// beyond them gives a *ValidationError for which errors.Is(err,
// ErrLimitExceeded) is true.
func (l Limits) Parse(data []byte) (*Document, error) {
	return l.read(data, true, "policy document")
}

// Read reads a document as RAM returns it, faithfully: anything that
// is a JSON object parses. Keys this library does not model, and values of a
// shape it cannot read, are kept as read in the Extra maps and written back
// with the same value (in canonical form, see Document). Known keys are
// matched without regard to ASCII case, so two keys of one object that are
// equal without regard to case make it unreadable, as RAM might read either;
// so does a key that is a known one only when case is folded beyond ASCII
// ("ſtatement" with a long s, "Conditıon" with a dotless i), as RAM might
// or might not take it for that key. Such a statement is kept whole in
// Statement.Opaque, such a Principal or Condition in Statement.Extra. The
// error is non-nil only when data is not a JSON object, two of its keys are
// equal without regard to case, one of its keys is Version or Statement only
// when case is folded beyond ASCII, Statement is neither a list nor an
// object, or an element of the Statement list is not an object.
//
// Documents larger or deeper than DefaultLimits are refused; see
// Limits.Read to raise the bounds.
func Read(data []byte) (*Document, error) {
	return Limits{}.Read(data)
}

// Read reads a document faithfully, as the package's Read
// does, within the bounds l (zero fields take their defaults). A document
// beyond them gives a *ValidationError for which errors.Is(err,
// ErrLimitExceeded) is true.
func (l Limits) Read(data []byte) (*Document, error) {
	return l.read(data, false, "policy document from RAM")
}

// read reads a document strictly or faithfully within the bounds l; what
// names the document in the error.
func (l Limits) read(data []byte, strict bool, what string) (*Document, error) {
	r := &reader{strict: strict, bounds: l.WithDefaults()}
	d := r.document(data)
	if err := r.p.err(what); err != nil {
		return nil, err
	}
	return d, nil
}

// UnmarshalJSON reads the document faithfully, as Read does. A JSON
// null leaves the document unchanged, as encoding/json does for other types.
// A nil receiver, as in a struct that embeds a nil *Document, is an error.
func (d *Document) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	if d == nil {
		return fmt.Errorf("policy: unmarshal into a nil *Document")
	}
	out, err := Read(data)
	if err != nil {
		return err
	}
	*d = *out
	return nil
}

// known matches a JSON key to a modelled name: exactly when strict, without
// regard to ASCII case otherwise. A key that a lax read takes for a name
// only when case is folded beyond ASCII (see fold.go) is returned as
// lookAlike instead: RAM might read it as that name or as another key.
func (r *reader) known(key string, names ...string) (name, lookAlike string) {
	for _, n := range names {
		if key == n {
			return n, ""
		}
		if r.strict {
			continue
		}
		switch certain, possible := foldMatch(key, n); {
		case certain:
			return n, ""
		case possible:
			lookAlike = n
		}
	}
	return "", lookAlike
}

// lookAlikeReason says why a key that reads as name only beyond ASCII
// folding makes what holds it unreadable.
func lookAlikeReason(name string) string {
	return fmt.Sprintf("reads as %q only when case is folded beyond ASCII; RAM might read it either way", name)
}

func (r *reader) unknown(path, key string, names ...string) {
	hint := ""
	for _, n := range names {
		if _, possible := foldMatch(key, n); possible {
			hint = fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	r.p.add(join(path, key), "", "unknown key%s; allowed here: %s", hint, strings.Join(names, ", "))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	documentKeys  = []string{"Version", "Statement"}
	statementKeys = []string{"Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"}
	principalKeys = []string{"RAM", "Service", "Federated"}
)

func (r *reader) document(data []byte) *Document {
	// The bounds come first, in time linear in the input, so that nothing
	// else ever works on a document beyond them.
	if len(data) > r.bounds.MaxBytes {
		r.p.addLimit("", "", "%d bytes; this reader takes at most %d (policy.Limits.MaxBytes)", len(data), r.bounds.MaxBytes)
		return nil
	}
	if nestedDeeper(data, r.bounds.MaxDepth) {
		r.p.addLimit("", "", "nested more than %d levels deep (policy.Limits.MaxDepth)", r.bounds.MaxDepth)
		return nil
	}
	fields, err := readObject(data)
	if err != nil {
		r.p.add("", "", "not a JSON object: %v", err)
		return nil
	}
	if a, b, clash := collision(fields, fieldKey); clash {
		// RAM might read either key: the document as a whole cannot be read.
		r.p.add(b, "", "%s", clashReason(a, b, "key"))
		return nil
	}
	d := &Document{}
	seen := map[string]bool{}
	for _, f := range fields {
		name, alike := r.known(f.key, documentKeys...)
		if alike != "" {
			// Which statements RAM reads, if any, is not known: the
			// document as a whole cannot be read.
			r.p.add(f.key, "", "%s", lookAlikeReason(alike))
			return nil
		}
		if name == "" {
			if r.strict {
				r.unknown("", f.key, documentKeys...)
				continue
			}
			d.Extra = putRaw(d.Extra, f.key, f.value)
			continue
		}
		seen[name] = true
		switch name {
		case "Version":
			var v string
			if err := json.Unmarshal(f.value, &v); err != nil {
				if r.strict {
					r.p.add("Version", string(f.value), "must be the string \"1\"")
				} else {
					d.Extra = putRaw(d.Extra, f.key, f.value)
				}
				continue
			}
			if r.strict && v != Version {
				r.p.add("Version", v, "must be \"1\", the only version RAM knows")
			}
			d.Version = v
		case "Statement":
			d.Statement = r.statements(f.value)
		}
	}
	if r.strict {
		if !seen["Version"] {
			r.p.add("Version", "", "missing; RAM requires \"Version\": \"1\"")
		}
		if !seen["Statement"] {
			r.p.add("Statement", "", "missing; a document needs at least one statement")
		}
	}
	return d
}

func (r *reader) statements(data json.RawMessage) []Statement {
	data = bytes.TrimSpace(data)
	var raws []json.RawMessage
	switch {
	case len(data) > 0 && data[0] == '[':
		if err := json.Unmarshal(data, &raws); err != nil {
			r.p.add("Statement", "", "not a list: %v", err)
			return nil
		}
	case len(data) > 0 && data[0] == '{' && !r.strict:
		raws = []json.RawMessage{data}
	default:
		r.p.add("Statement", "", "must be a list of statements, got %s", kindOf(data))
		return nil
	}
	if len(raws) == 0 && r.strict {
		r.p.add("Statement", "", "empty; a document needs at least one statement")
	}
	out := make([]Statement, 0, len(raws))
	for i, raw := range raws {
		if s, ok := r.statement(fmt.Sprintf("Statement[%d]", i), raw); ok {
			out = append(out, s)
		}
	}
	return out
}

func (r *reader) statement(path string, data json.RawMessage) (Statement, bool) {
	var s Statement
	fields, err := readObject(data)
	if err != nil {
		r.p.add(path, "", "not an object: %v", err)
		return s, false
	}
	if a, b, clash := collision(fields, fieldKey); clash {
		if r.strict {
			r.p.add(join(path, b), "", "%s", clashReason(a, b, "key"))
			return s, false
		}
		// Which of the colliding values RAM reads is unknown: keep the
		// statement whole, as read, and read nothing of it.
		return Statement{Opaque: compactJSON(data)}, true
	}
	if !r.strict {
		for _, f := range fields {
			if _, alike := r.known(f.key, statementKeys...); alike != "" {
				// Whether RAM reads the key as that element is not known:
				// keep the statement whole, as read, and read nothing of it.
				return Statement{Opaque: compactJSON(data)}, true
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range fields {
		name, _ := r.known(f.key, statementKeys...)
		if name == "" && r.strict && f.key == "Sid" {
			// A statement's label, which RAM and KMS key policies take;
			// kept as read.
			var sid string
			if err := json.Unmarshal(f.value, &sid); err != nil || utf8.RuneCountInString(sid) > MaxSidLen {
				r.p.add(join(path, "Sid"), strings.Trim(string(f.value), `"`), "must be a string of at most %d characters", MaxSidLen)
				continue
			}
			s.Extra = putRaw(s.Extra, f.key, f.value)
			continue
		}
		if name == "" {
			if r.strict {
				r.unknown(path, f.key, statementKeys...)
			} else {
				s.Extra = putRaw(s.Extra, f.key, f.value)
			}
			continue
		}
		if seen[name] {
			// Only a lax read gets here: a key that folds to a name
			// already read without being equal to it in lower case
			// (say "Reſource" after "Resource"). Kept aside, as read.
			s.Extra = putRaw(s.Extra, f.key, f.value)
			continue
		}
		seen[name] = true
		fp := join(path, name)
		switch name {
		case "Effect":
			var e string
			if err := json.Unmarshal(f.value, &e); err != nil || (r.strict && e != string(Allow) && e != string(Deny)) {
				if r.strict {
					r.p.add(fp, strings.Trim(string(f.value), `"`), "must be \"Allow\" or \"Deny\"")
				} else {
					s.Extra = putRaw(s.Extra, f.key, f.value)
				}
				continue
			}
			s.Effect = Effect(e)
		case "Action", "NotAction", "Resource", "NotResource":
			v, err := readValues(f.value, false)
			if err != nil {
				if r.strict {
					r.p.add(fp, "", "must be a string or a non-empty list of strings: %v", err)
				} else {
					s.Extra = putRaw(s.Extra, f.key, f.value)
				}
				continue
			}
			if r.strict {
				for i, x := range v {
					if x == "" {
						r.p.add(fmt.Sprintf("%s[%d]", fp, i), "", "empty string")
					}
				}
			}
			switch name {
			case "Action":
				s.Action = v
			case "NotAction":
				s.NotAction = v
			case "Resource":
				s.Resource = v
			case "NotResource":
				s.NotResource = v
			}
		case "Principal":
			p, ok := r.principal(fp, f.value)
			if !ok {
				if !r.strict {
					s.Extra = putRaw(s.Extra, f.key, f.value)
				}
				continue
			}
			s.Principal = p
		case "Condition":
			c, ok := r.condition(fp, f.value)
			if !ok {
				if !r.strict {
					s.Extra = putRaw(s.Extra, f.key, f.value)
				}
				continue
			}
			s.Condition = c
		}
	}
	if r.strict {
		if !seen["Effect"] {
			r.p.add(join(path, "Effect"), "", "missing; must be \"Allow\" or \"Deny\"")
		}
		switch {
		case !seen["Action"] && !seen["NotAction"]:
			r.p.add(join(path, "Action"), "", "missing; a statement needs Action or NotAction")
		case seen["Action"] && seen["NotAction"]:
			r.p.add(join(path, "NotAction"), "", "a statement has Action or NotAction, not both")
		}
		if seen["Resource"] && seen["NotResource"] {
			r.p.add(join(path, "NotResource"), "", "a statement has Resource or NotResource, not both")
		}
		if !seen["Resource"] && !seen["NotResource"] && !seen["Principal"] {
			r.p.add(join(path, "Resource"), "", "missing; a policy statement needs Resource or NotResource, a trust statement a Principal")
		}
	}
	return s, true
}

func (r *reader) principal(path string, data json.RawMessage) (*Principal, bool) {
	fields, err := readObject(data)
	if err != nil {
		if r.strict {
			r.p.add(path, strings.Trim(string(data), `"`), "must be an object with RAM, Service or Federated; RAM has no bare principal")
		}
		return nil, false
	}
	if a, b, clash := collision(fields, fieldKey); clash {
		if r.strict {
			r.p.add(join(path, b), "", "%s", clashReason(a, b, "key"))
		}
		return nil, false
	}
	p := &Principal{}
	seen := map[string]bool{}
	for _, f := range fields {
		name, alike := r.known(f.key, principalKeys...)
		if alike != "" {
			// Only a lax read gets here: whom the key names is not known,
			// so the Principal as a whole cannot be read.
			return nil, false
		}
		// As in statement, only a lax read meets a name twice.
		if name == "" || seen[name] {
			if r.strict {
				r.unknown(path, f.key, principalKeys...)
			} else {
				p.Extra = putRaw(p.Extra, f.key, f.value)
			}
			continue
		}
		seen[name] = true
		v, err := readValues(f.value, false)
		if err != nil {
			if r.strict {
				r.p.add(join(path, name), "", "must be a string or a non-empty list of strings: %v", err)
			} else {
				p.Extra = putRaw(p.Extra, f.key, f.value)
			}
			continue
		}
		switch name {
		case "RAM":
			p.RAM = v
		case "Service":
			p.Service = v
		case "Federated":
			p.Federated = v
		}
	}
	if r.strict && len(seen) == 0 {
		r.p.add(path, "", "names nobody; give RAM, Service or Federated")
	}
	return p, true
}

func (r *reader) condition(path string, data json.RawMessage) (Condition, bool) {
	ops, err := readObject(data)
	if err != nil {
		if r.strict {
			r.p.add(path, "", "must be an object of operator → key → values: %v", err)
		}
		return nil, false
	}
	if a, b, clash := collision(ops, fieldKey); clash {
		if r.strict {
			r.p.add(join(path, b), "", "%s", clashReason(a, b, "operator"))
		}
		return nil, false
	}
	c := Condition{}
	for _, op := range ops {
		if r.strict && !knownOperator(op.key) {
			r.p.add(join(path, op.key), "", "unknown condition operator")
		}
		keys, err := readObject(op.value)
		if err != nil {
			if r.strict {
				r.p.add(join(path, op.key), "", "must be an object of key → values: %v", err)
			}
			return nil, false
		}
		if len(keys) == 0 {
			if r.strict {
				r.p.add(join(path, op.key), "", "empty; name at least one condition key")
			}
			return nil, false
		}
		if a, b, clash := collision(keys, fieldKey); clash {
			// Condition keys compare without regard to case.
			if r.strict {
				r.p.add(join(join(path, op.key), b), "", "%s", clashReason(a, b, "condition key"))
			}
			return nil, false
		}
		m := make(map[string]Values, len(keys))
		for _, k := range keys {
			v, err := readValues(k.value, true)
			if err != nil {
				if r.strict {
					r.p.add(join(join(path, op.key), k.key), "", "must be a value or a non-empty list of values: %v", err)
				}
				return nil, false
			}
			m[k.key] = v
		}
		c[op.key] = m
	}
	if len(c) == 0 {
		if r.strict {
			r.p.add(path, "", "empty condition; leave Condition out instead")
		}
		return nil, false
	}
	return c, true
}

// conditionOperators are the operators RAM documents.
var conditionOperators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
	"DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "IpAddress", "NotIpAddress",
}

func knownOperator(op string) bool { return slices.Contains(conditionOperators, op) }

func putRaw(m map[string]json.RawMessage, k string, v json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[k] = slices.Clone(v)
	return m
}

// collision returns the first two keys of items, as key gives them, that are
// equal without regard to case (a duplicate key included), if any. Case is
// folded as widely as any reader might (see fold.go), so a key with a
// look-alike letter ("ſtatement", with a long s, or "Eﬀect", with the ff
// ligature) collides with the plain key, as a reader that ignores case that
// way would take them for one.
func collision[T any](items []T, key func(T) string) (a, b string, ok bool) {
	if len(items) < 2 {
		return "", "", false
	}
	seen := make(map[string]string, len(items))
	for _, it := range items {
		k := key(it)
		l := foldWide(k)
		if prev, dup := seen[l]; dup {
			return prev, k, true
		}
		seen[l] = k
	}
	return "", "", false
}

func fieldKey(f field) string { return f.key }

// clashReason says why two keys of one object, equal without regard to
// case, make it unreadable.
func clashReason(a, b, what string) string {
	if a == b {
		return "duplicate " + what
	}
	return fmt.Sprintf("differs only in case from %s %q; RAM might read either", what, a)
}

// nestedDeeper reports whether the JSON text data nests objects and lists
// more than max levels deep. It looks at each byte once and allocates
// nothing; brackets inside strings do not count. It does not validate.
func nestedDeeper(data []byte, max int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// plainString reports whether s is printable ASCII that JSON writes as it
// is, between quotes: no quote, backslash or control character. (HTML
// characters are not escaped here, see marshalString.)
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
