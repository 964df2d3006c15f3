// This file holds RAM's document grammar as the fake checks it, independent of
// the library's own reader, and the principals of a trust policy.

package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// docKind says which grammar a document follows.
type docKind int

const (
	// permissionDoc is a policy document: statements need a Resource.
	permissionDoc docKind = iota
	// trustDoc is a role's trust policy: statements need a Principal.
	trustDoc
	// keyPolicyDoc is a KMS key policy: statements need a Resource and a
	// Principal, which names RAM identities only, and a Sid is at most
	// maxSidLen characters.
	keyPolicyDoc
)

// principalTypes are the principal keys RAM defines, by lower-case spelling.
// RAM reads principal keys without regard to case.
var principalTypes = map[string]string{
	"ram":       "RAM",
	"service":   "Service",
	"federated": "Federated",
}

// checkDocument checks doc against RAM's policy grammar and returns what is
// wrong, or "" when the document is valid. It is deliberately independent of
// package encryptperm's parsers: it accepts whatever RAM accepts (NotAction,
// NotResource, Sid and keys RAM does not define) and refuses only what breaks
// RAM's grammar.
func checkDocument(doc string, kind docKind) string {
	v, err := decodeJSON(doc)
	if err != nil {
		return "the document is not valid JSON: " + err.Error()
	}
	top, ok := v.(map[string]any)
	if !ok {
		return "the document must be a JSON object"
	}
	ver, ok := top["Version"]
	if !ok {
		return `"Version" is missing`
	}
	if s, ok := ver.(string); !ok || s != "1" {
		return `"Version" must be the string "1"`
	}
	st, ok := top["Statement"]
	if !ok {
		return `"Statement" is missing`
	}
	list, ok := st.([]any)
	if !ok {
		return `"Statement" must be an array of statements`
	}
	if len(list) == 0 {
		return `"Statement" must not be empty`
	}
	for i, s := range list {
		if msg := checkStatement(s, kind); msg != "" {
			return fmt.Sprintf("Statement[%d]: %s", i, msg)
		}
	}
	return ""
}

// decodeJSON decodes one JSON value, keeping numbers as written, and refuses
// anything after it.
func decodeJSON(doc string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func checkStatement(s any, kind docKind) string {
	m, ok := s.(map[string]any)
	if !ok {
		return "a statement must be a JSON object"
	}
	eff, ok := m["Effect"]
	if !ok {
		return `"Effect" is missing`
	}
	if e, ok := eff.(string); !ok || (e != "Allow" && e != "Deny") {
		return `"Effect" must be "Allow" or "Deny"`
	}
	if msg := checkPair(m, "Action", "NotAction", true); msg != "" {
		return msg
	}
	if msg := checkPair(m, "Resource", "NotResource", kind != trustDoc); msg != "" {
		return msg
	}
	if p, ok := m["Principal"]; ok {
		if msg := checkPrincipal(p); msg != "" {
			return msg
		}
		if kind == keyPolicyDoc {
			for k := range p.(map[string]any) {
				if principalTypes[strings.ToLower(k)] != "RAM" {
					return fmt.Sprintf("Principal key %q is not RAM: a key policy names RAM identities", k)
				}
			}
		}
	} else if kind != permissionDoc {
		return `"Principal" is missing`
	}
	if sid, ok := m["Sid"]; ok && kind == keyPolicyDoc {
		if s, ok := sid.(string); !ok || len([]rune(s)) > maxSidLen {
			return fmt.Sprintf(`"Sid" must be a string of at most %d characters`, maxSidLen)
		}
	}
	if c, ok := m["Condition"]; ok {
		if msg := checkCondition(c); msg != "" {
			return msg
		}
	}
	return ""
}

// checkPair checks an element that has a negated twin, such as Action and
// NotAction: at most one may appear, and one must when required.
func checkPair(m map[string]any, name, not string, required bool) string {
	v, has := m[name]
	nv, hasNot := m[not]
	switch {
	case has && hasNot:
		return fmt.Sprintf("%q and %q must not both appear", name, not)
	case has:
		return checkStrings(name, v)
	case hasNot:
		return checkStrings(not, nv)
	case required:
		return fmt.Sprintf("%q or %q is missing", name, not)
	}
	return ""
}

// checkStrings checks a value that is a string or a non-empty array of
// strings.
func checkStrings(name string, v any) string {
	switch t := v.(type) {
	case string:
		if t == "" {
			return fmt.Sprintf("%q must not be empty", name)
		}
		return ""
	case []any:
		if len(t) == 0 {
			return fmt.Sprintf("%q must not be an empty array", name)
		}
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return fmt.Sprintf("%s[%d] must be a string", name, i)
			}
			if s == "" {
				return fmt.Sprintf("%s[%d] must not be empty", name, i)
			}
		}
		return ""
	}
	return fmt.Sprintf("%q must be a string or an array of strings", name)
}

func checkPrincipal(p any) string {
	m, ok := p.(map[string]any)
	if !ok {
		return `"Principal" must be an object keyed by RAM, Service or Federated`
	}
	if len(m) == 0 {
		return `"Principal" must name at least one principal`
	}
	for k, v := range m {
		typ, ok := principalTypes[strings.ToLower(k)]
		if !ok {
			return fmt.Sprintf("Principal key %q is not RAM, Service or Federated", k)
		}
		if msg := checkStrings("Principal."+typ, v); msg != "" {
			return msg
		}
	}
	return ""
}

func checkCondition(c any) string {
	ops, ok := c.(map[string]any)
	if !ok {
		return `"Condition" must be an object of operators`
	}
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok {
			return fmt.Sprintf("Condition.%s must be an object of condition keys", op)
		}
		for key, val := range km {
			if !conditionValue(val) {
				return fmt.Sprintf("Condition.%s.%s must be a string, number or boolean, or a non-empty array of them", op, key)
			}
		}
	}
	return ""
}

func conditionValue(v any) bool {
	switch t := v.(type) {
	case string, json.Number, bool:
		return true
	case []any:
		if len(t) == 0 {
			return false
		}
		for _, e := range t {
			switch e.(type) {
			case string, json.Number, bool:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// compactDocument returns doc with insignificant whitespace removed, the way
// RAM returns documents reformatted. doc must be valid JSON.
func compactDocument(doc string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		return doc
	}
	return b.String()
}

// TrustedPrincipal is one trusted principal of a role's trust policy.
type TrustedPrincipal struct {
	// Type is "RAM", "Service" or "Federated".
	Type string
	// Value is the principal as written, such as "ecs.aliyuncs.com" or
	// "acs:ram::1234567890123456:root".
	Value string
}

// trustedPrincipals returns the principals of the Allow statements of a
// trust policy, sorted and without duplicates.
func trustedPrincipals(doc string) []TrustedPrincipal {
	v, err := decodeJSON(doc)
	if err != nil {
		return nil
	}
	top, _ := v.(map[string]any)
	list, _ := top["Statement"].([]any)
	seen := make(map[TrustedPrincipal]bool)
	var out []TrustedPrincipal
	add := func(typ string, v any) {
		var vals []any
		switch t := v.(type) {
		case string:
			vals = []any{t}
		case []any:
			vals = t
		}
		for _, e := range vals {
			s, ok := e.(string)
			if !ok {
				continue
			}
			p := TrustedPrincipal{Type: typ, Value: s}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	for _, s := range list {
		m, _ := s.(map[string]any)
		if eff, _ := m["Effect"].(string); eff != "Allow" {
			continue
		}
		pm, _ := m["Principal"].(map[string]any)
		for k, v := range pm {
			if typ, ok := principalTypes[strings.ToLower(k)]; ok {
				add(typ, v)
			}
		}
	}
	sortPrincipals(out)
	return out
}
