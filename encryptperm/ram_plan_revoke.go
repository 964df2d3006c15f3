// This file holds the planning of one role for a Revoke: what the grants
// name taken out of what RAM holds, except what the grants that stay name.

package encryptperm

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// planRevoke works out the writes that take what w names out of st, except
// what w.stay (the grants the caller says stay) names too: each such removal
// is left out and marked in the plan.
func planRevoke(st *roleState, w *roleWant, o Options) (*rolePlan, error) {
	p := &rolePlan{role: st.name}
	if !st.exists {
		return p, nil
	}
	stay := w.stay
	if stay == nil {
		stay = &roleWant{keys: map[string][]Key{}}
	}
	// Trust: what the revoked grants name, less what a staying grant names.
	named, staying, held := contentOf(w.trust), contentOf(stay.trust), contentOf(st.trust)
	drop := trustContent{
		principals: minus(named.principals, staying.principals),
		rds:        minus(named.rds, staying.rds),
		folders:    minus(named.folders, staying.folders),
	}
	kept := trustContent{
		principals: both(both(named.principals, staying.principals), held.principals),
		rds:        both(both(named.rds, staying.rds), held.rds),
		folders:    both(both(named.folders, staying.folders), held.folders),
	}
	newTrust, removed := subtractTrust(st.trust, drop)
	p.changes = append(p.changes, keptChanges(st.name, kept)...)
	lim := o.Limits
	// Policies.
	gone := map[string]bool{}
	for _, base := range w.bases() {
		var keys []Key
		for _, k := range w.keys[base] {
			if slices.Contains(stay.keys[base], k) {
				continue
			}
			keys = append(keys, k)
		}
		for i := 0; i < lim.CustomPoliciesPerRole+8; i++ {
			name := numberedPolicyName(base, i)
			ps := st.policy(name)
			if !ps.exists {
				continue
			}
			held := keyContentOf(ps.doc).keys
			for _, k := range sortedKeys(w.keys[base]) {
				if slices.Contains(stay.keys[base], k) && slices.Contains(held, k.ARN()) {
					p.changes = append(p.changes, Change{Kind: Note, Kept: true, Role: st.name, Policy: name,
						Summary: fmt.Sprintf("keep key %s in policy %s: a grant that stays names it", k.ARN(), name)})
				}
			}
			nd := subtractKeys(ps.doc, keys)
			if nd.Equal(ps.doc) {
				continue
			}
			if err := revokePolicy(p, st, ps, nd, o, gone); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range w.system {
		if !st.isAttached(n) {
			continue
		}
		if slices.ContainsFunc(stay.system, func(s string) bool { return strings.EqualFold(s, n) }) {
			p.changes = append(p.changes, Change{Kind: Note, Kept: true, Role: st.name, Policy: n,
				Summary: fmt.Sprintf("keep system policy %s attached to role %s: a grant that stays names it", n, st.name)})
			continue
		}
		p.detach = append(p.detach, attached{name: n, typ: System})
		gone[strings.ToLower(n)] = true
		p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: n, Summary: fmt.Sprintf("detach system policy %s from role %s", n, st.name)})
	}
	// Trust.
	if len(newTrust.Statement) == 0 {
		// RAM holds no role with an empty trust policy, so the role must
		// go; it may only when nothing but the library's own policies is
		// attached. A policy of the library's that keeps content it did not
		// write (a foreign statement) is detached and kept, with that
		// content.
		var foreign []string
		var own []attached
		for _, a := range st.attached {
			switch {
			case gone[strings.ToLower(a.name)]:
			case a.typ == Custom && strings.HasPrefix(a.name, ManagedPolicyPrefix) && st.policies[strings.ToLower(a.name)] != nil:
				own = append(own, a)
			case slices.ContainsFunc(stay.system, func(s string) bool { return strings.EqualFold(s, a.name) }):
				foreign = append(foreign, fmt.Sprintf("%s policy %s (a grant that stays names it)", a.typ, a.name))
			default:
				foreign = append(foreign, fmt.Sprintf("%s policy %s (the revoked grants do not name it)", a.typ, a.name))
			}
		}
		if len(foreign) > 0 {
			return nil, &APIError{Action: "DeleteRole", Target: st.name, Code: "DeleteConflict.Role.Policy", kind: ErrConflict,
				Message: fmt.Sprintf("revoking would leave the trust policy of role %s empty, and RAM holds no role with an empty trust policy, so the role would have to be deleted; "+
					"but it must stay for what is attached to it: %s; nothing was changed. Detach those policies first, or keep a principal in the trust policy", st.name, strings.Join(foreign, ", "))}
		}
		for _, a := range own {
			p.detach = append(p.detach, a)
			p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: a.name,
				Summary: fmt.Sprintf("detach custom policy %s from role %s; the policy is kept: content the revoked grants do not name is left in it", a.name, st.name)})
		}
		p.changes = append(p.changes, trustChanges(st.name, removed, Narrowing)...)
		p.deleteRole = true
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "DeleteRole", Role: st.name, Summary: fmt.Sprintf("delete role %s: nothing is left in its trust policy", st.name)})
	} else if !removed.empty() {
		p.updateTrust = newTrust
		p.changes = append(p.changes, trustChanges(st.name, removed, Narrowing)...)
	}
	return p, nil
}

// both returns the values of a that are also in b.
func both(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys(keys []Key) []Key {
	out := slices.Clone(keys)
	sort.Slice(out, func(i, j int) bool { return out[i].ARN() < out[j].ARN() })
	return slices.CompactFunc(out, func(a, b Key) bool { return a == b })
}

// keptChanges marks the trust content a revoke leaves in place because a
// grant that stays names it.
func keptChanges(role string, c trustContent) []Change {
	var out []Change
	note := func(what string) {
		out = append(out, Change{Kind: Note, Kept: true, Role: role,
			Summary: fmt.Sprintf("keep %s in the trust of role %s: a grant that stays names it", what, role)})
	}
	for _, pr := range c.principals {
		note("principal " + pr)
	}
	for _, rd := range c.rds {
		note("resource directory " + rd)
	}
	for _, f := range c.folders {
		note("folder path " + f)
	}
	return out
}

// revokePolicy plans narrowing one policy to nd: a new version, or, when
// nothing is left and the name is the library's, detaching and deleting it.
func revokePolicy(p *rolePlan, st *roleState, ps *policyState, nd *policy.Document, o Options, gone map[string]bool) error {
	if len(nd.Statement) == 0 && strings.HasPrefix(ps.name, ManagedPolicyPrefix) {
		if st.isAttached(ps.name) {
			p.detach = append(p.detach, attached{name: ps.name, typ: Custom})
			p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("detach custom policy %s from role %s", ps.name, st.name)})
		}
		for _, v := range ps.versions {
			if !v.IsDefaultVersion && !strings.EqualFold(v.VersionId, ps.defaultVersion) {
				p.deleteVers = append(p.deleteVers, policyVersionRef{policy: ps.name, version: v.VersionId})
			}
		}
		p.deletePols = append(p.deletePols, ps.name)
		gone[strings.ToLower(ps.name)] = true
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "DeletePolicy", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("delete custom policy %s: nothing is left in it", ps.name)})
		return nil
	}
	if len(nd.Statement) == 0 {
		p.changes = append(p.changes, Change{Kind: Note, Role: st.name, Policy: ps.name,
			Summary: fmt.Sprintf("policy %s would be empty, but its name is not one this library gives; it is left as it is", ps.name)})
		return nil
	}
	w := policyWrite{name: ps.name, doc: nd, nextVer: nextVersion(ps.versions)}
	if len(ps.versions) >= o.Limits.VersionsPerPolicy {
		for _, v := range ps.versions {
			if !v.IsDefaultVersion && !strings.EqualFold(v.VersionId, ps.defaultVersion) {
				w.rotate = v.VersionId
				break
			}
		}
		if o.ForbidVersionDeletion || w.rotate == "" {
			return versionCapError(ps, w.rotate, "revoking")
		}
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "CreatePolicyVersion", Policy: ps.name, Role: st.name,
			Summary: fmt.Sprintf("delete oldest version %s of policy %s to stay within %d versions", w.rotate, ps.name, o.Limits.VersionsPerPolicy)})
	}
	p.policies = append(p.policies, w)
	p.changes = append(p.changes, Change{Kind: Narrowing, Action: "CreatePolicyVersion", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("new default version of %s without the revoked keys", ps.name)})
	return nil
}
