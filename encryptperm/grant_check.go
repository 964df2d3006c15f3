// This file holds the check of a grant made elsewhere than by a builder: it
// is built again by the rules of the builder of its kind, and every part that
// differs is refused.

package encryptperm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// checkGrant validates a Grant with the builders' own rules, one copy of
// each: it builds the grant again from its kind, audience, keys, service key,
// limits and policy name, adds the builder's problems to p under path, and
// reports every part of g that differs from what the builder makes (its role,
// trust policy and policies). A Grant made by a builder passes unchanged;
// anything a builder cannot produce (a wildcard key, a trust statement the
// audience does not call for, a policy of its own) is refused. It returns the
// grant the builder made, with its findings, or nil.
func checkGrant(p *problems, path string, g *Grant) *Grant {
	built, err := rebuild(g)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			list := make([]policy.FieldError, len(ve.Problems))
			for i, fe := range ve.Problems {
				fe.Path = path + "." + grantField(fe.Path)
				list[i] = fe
			}
			p.addAll(list, ve.More)
			p.limit = p.limit || errors.Is(err, ErrLimitExceeded)
		} else {
			p.add(path, "", "%s", err.Error())
		}
		return nil
	}
	differs := func(field, why string) {
		p.add(path+"."+field, "", "%s; a builder does not make this grant: build it with ShareSnapshot, ShareImage or DiskEncryption", why)
	}
	if g.Role.Name != built.Role.Name {
		differs("Role.Name", fmt.Sprintf("role %q is not the role of a %s grant (%s)", g.Role.Name, g.Kind, built.Role.Name))
	}
	if g.Role.Description != built.Role.Description {
		differs("Role.Description", "the role's description is not the builder's")
	}
	if !g.Role.TrustPolicy.Equal(built.Role.TrustPolicy) {
		differs("Role.TrustPolicy", "the trust policy is not the one the grant's audience calls for")
	}
	if len(g.Policies) != len(built.Policies) {
		differs("Policies", fmt.Sprintf("%d policies where the grant's keys call for %d", len(g.Policies), len(built.Policies)))
		return built
	}
	for i, a := range g.Policies {
		b := built.Policies[i]
		at := fmt.Sprintf("Policies[%d]", i)
		switch {
		case a.Name != b.Name || a.Type != b.Type:
			differs(at, fmt.Sprintf("%s policy %q where the grant calls for %s policy %q", a.Type, a.Name, b.Type, b.Name))
		case !a.Document.Equal(b.Document):
			differs(at+".Document", "the document is not the one the grant's keys call for")
		case a.Description != b.Description:
			differs(at+".Description", "the policy's description is not the builder's")
		}
	}
	return built
}

// rebuild builds g again by the rules of the builder of its kind, from what
// that builder would have been given to make it.
func rebuild(g *Grant) (*Grant, error) {
	in := inputOf(g)
	switch g.Kind {
	case KindDiskEncryption:
		return in.buildDisk()
	case KindShareSnapshot, KindShareImage:
		return in.buildShare()
	}
	var p problems
	p.add("Kind", string(g.Kind), "not a kind of grant: want %s, %s or %s (use a builder's Build)", KindDiskEncryption, KindShareSnapshot, KindShareImage)
	return nil, p.err("grant")
}

// inputOf is what the builder of g's kind would have been given to make g:
// its audience (none for disk encryption), keys, service key, resources,
// limits and custom policy name.
func inputOf(g *Grant) grantInput {
	in := grantInput{kind: g.Kind, keyArgs: keyArgs{keys: slices.Clone(g.Keys)}}
	if g.Limits != (Limits{}) {
		l := g.Limits
		in.limits = &l
	}
	in.policyName = g.policyName
	for _, a := range g.Policies {
		if a.Type == Custom {
			in.policyName = a.Name
			break
		}
	}
	if g.Kind == KindDiskEncryption {
		return in
	}
	in.accounts = slices.Clone(g.Audience.Accounts)
	in.rds = slices.Clone(g.Audience.ResourceDirectories)
	in.folders = slices.Clone(g.Audience.Folders)
	in.serviceKey = g.ServiceKey
	in.resources = slices.Clone(g.Resources)
	return in
}

// grantField maps a builder's problem path to the Grant field it comes from.
func grantField(path string) string {
	for _, f := range []string{"Accounts", "ResourceDirectories", "Folders"} {
		if strings.HasPrefix(path, f) {
			return "Audience." + path
		}
	}
	return path
}
