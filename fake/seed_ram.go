// This file holds the RAM part of a seed: roles with their trust policies
// and attachments, and custom policies with their versions, so that a seed
// can describe an account whose keys an audit follows.

package fake

import (
	"cmp"
	"fmt"
	"strings"
)

// SeedRole is a RAM role of a seed: its trust policy and the policies
// attached to it.
type SeedRole struct {
	// Account is the UID of the account that holds the role, as Key.Account
	// says of a key; empty means the fake's own.
	Account string `json:"account,omitempty"`
	// Name is the role name.
	Name string `json:"name"`
	// Trust is the role's trust policy, as JSON text.
	Trust string `json:"trust"`
	// Description is the role's description.
	Description string `json:"description,omitempty"`
	// Attached are the policies attached to the role: custom policies of
	// the seed or of the account, or system policies the fake knows.
	Attached []SeedAttachment `json:"attached,omitempty"`
}

// SeedAttachment names a policy attached to a role of a seed.
type SeedAttachment struct {
	// Name is the policy name.
	Name string `json:"name"`
	// Type is "Custom" (the default) or "System".
	Type string `json:"type,omitempty"`
}

// SeedPolicy is a custom policy of a seed (or a further system policy),
// with one version (Document) or several (Versions).
type SeedPolicy struct {
	// Account is the UID of the account that holds the policy; empty means
	// the fake's own.
	Account string `json:"account,omitempty"`
	// Name is the policy name.
	Name string `json:"name"`
	// Type is "Custom" (the default) or "System".
	Type string `json:"type,omitempty"`
	// Description is the policy's description.
	Description string `json:"description,omitempty"`
	// Document is the policy's one version, v1, as JSON text.
	Document string `json:"document,omitempty"`
	// Versions are the policy's versions, v1, v2, ..., in order, as JSON
	// text; give Document or Versions, not both.
	Versions []string `json:"versions,omitempty"`
	// DefaultVersion is the version in force, such as "v2"; empty means the
	// newest.
	DefaultVersion string `json:"defaultVersion,omitempty"`
}

// seedRAMShape is the shape of the RAM part of a seed.
var seedRAMShape = map[string]*shape{
	"roles": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
		"account": stringShape, "name": stringShape, "trust": stringShape, "description": stringShape,
		"attached": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
			"name": stringShape, "type": stringShape,
		}}},
	}}},
	"policies": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
		"account": stringShape, "name": stringShape, "type": stringShape, "description": stringShape,
		"document": stringShape, "versions": {kind: "array", elem: stringShape}, "defaultVersion": stringShape,
	}}},
}

// checkRAM checks what the RAM part of a seed says of itself: the types,
// one or several versions, names given once per account, and attachments
// of custom policies the seed or the account has. holder checks an
// entry's account and returns its UID; known reports whether an account
// already holds a policy. What RAM's rules refuse (names, grammar, sizes)
// is found when the seed is put on a scratch fake.
func (s *Seed) checkRAM(holder func(at, uid string) (string, error), known func(uid, typ, name string) bool) error {
	type named struct{ account, kind, name string }
	policies := map[named]string{}
	for i, p := range s.Policies {
		at := fmt.Sprintf("policies[%d]", i)
		acct, err := holder(at, p.Account)
		if err != nil {
			return err
		}
		typ := cmp.Or(p.Type, policyTypeCustom)
		switch {
		case typ != policyTypeCustom && typ != policyTypeSystem:
			return seedError(at+".type", "%s is not Custom or System", quoted(p.Type))
		case p.Document != "" && len(p.Versions) > 0:
			return seedError(at+".versions", "given with document: give one version in document, or several in versions")
		case p.Document == "" && len(p.Versions) == 0:
			return seedError(at+".document", "missing: a policy needs a document, or versions")
		}
		k := named{acct, typ, strings.ToLower(p.Name)}
		if prev, dup := policies[k]; dup {
			return seedError(at+".name", "the %s policy %s is given twice (%s)", typ, quoted(p.Name), prev)
		}
		policies[k] = at
	}
	roles := map[named]string{}
	for i, r := range s.Roles {
		at := fmt.Sprintf("roles[%d]", i)
		acct, err := holder(at, r.Account)
		if err != nil {
			return err
		}
		k := named{acct, "role", strings.ToLower(r.Name)}
		if prev, dup := roles[k]; dup {
			return seedError(at+".name", "the role %s is given twice (%s)", quoted(r.Name), prev)
		}
		roles[k] = at
		seen := map[named]bool{}
		for j, a := range r.Attached {
			aat := fmt.Sprintf("%s.attached[%d]", at, j)
			typ := cmp.Or(a.Type, policyTypeCustom)
			if typ != policyTypeCustom && typ != policyTypeSystem {
				return seedError(aat+".type", "%s is not Custom or System", quoted(a.Type))
			}
			pk := named{acct, typ, strings.ToLower(a.Name)}
			if seen[pk] {
				return seedError(aat+".name", "the %s policy %s is attached twice", typ, quoted(a.Name))
			}
			seen[pk] = true
			if _, ok := policies[pk]; !ok && !known(acct, typ, a.Name) {
				return seedError(aat+".name", "no %s policy %s in policies, nor in account %s", typ, quoted(a.Name), acct)
			}
		}
	}
	return nil
}

// putRAM puts the policies, then the roles and their attachments.
func (s *Seed) putRAM(r *RAM) error {
	for i, p := range s.Policies {
		t, err := r.seedHolder(p.Account)
		if err != nil {
			return fmt.Errorf("fake: load seed: policies[%d]: %w", i, err)
		}
		docs := p.Versions
		if p.Document != "" {
			docs = []string{p.Document}
		}
		fp := Policy{Name: p.Name, Type: cmp.Or(p.Type, policyTypeCustom), Description: p.Description, DefaultVersion: p.DefaultVersion}
		for n, d := range docs {
			fp.Versions = append(fp.Versions, PolicyVersion{ID: fmt.Sprintf("v%d", n+1), Document: d})
		}
		if err := t.PutPolicy(fp); err != nil {
			return seedError(fmt.Sprintf("policies[%d]", i), "%v", err)
		}
	}
	for i, role := range s.Roles {
		t, err := r.seedHolder(role.Account)
		if err != nil {
			return fmt.Errorf("fake: load seed: roles[%d]: %w", i, err)
		}
		if err := t.PutRole(Role{Name: role.Name, TrustPolicy: role.Trust, Description: role.Description}); err != nil {
			return seedError(fmt.Sprintf("roles[%d]", i), "%v", err)
		}
		for j, a := range role.Attached {
			if err := t.PutAttachment(role.Name, cmp.Or(a.Type, policyTypeCustom), a.Name); err != nil {
				return seedError(fmt.Sprintf("roles[%d].attached[%d]", i, j), "%v", err)
			}
		}
	}
	return nil
}

// seedHolder returns the account of UID uid, r's own when uid is empty or
// r's.
func (r *RAM) seedHolder(uid string) (*RAM, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if uid == r.opts.AccountID {
		return r, nil
	}
	return r.holderLocked(uid)
}

// hasPolicy reports whether the account of UID uid holds a policy.
func (r *RAM) hasPolicy(uid, typ, name string) bool {
	t, err := r.seedHolder(uid)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := t.st.policies[policyKey(typ, name)]
	return ok
}
