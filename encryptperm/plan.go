// This file holds Plan, the value Plan and RevokePlan return and ApplyPlan
// takes, and its Targets: the state RAM will hold once it is applied.

package encryptperm

import (
	"encoding/json"
	"slices"
	"strings"
)

// Plan is what Apply or Revoke would change, read from RAM without writing.
// Review it, then pass it to ApplyPlan.
type Plan struct {
	// Changes lists every change, in the order they would be made.
	Changes []Change `json:"changes"`
	// Findings are the grants' findings.
	Findings []Finding `json:"findings,omitempty"`
	// Calls are the reads the Plan made.
	Calls []Call `json:"calls,omitempty"`

	revoke       bool
	grants       []*Grant
	keep         []*Grant
	fingerprints map[string]string
	steps        map[string]*rolePlan
	states       map[string]*roleState // what the plan read, by lower-case role name
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	for _, c := range p.Changes {
		if c.Kind != Note {
			return false
		}
	}
	return true
}

// String returns the plan as a readable diff, one change per line.
func (p *Plan) String() string {
	if p.Empty() && len(p.Changes) == 0 {
		return "no changes\n"
	}
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// JSON returns the plan as indented JSON.
func (p *Plan) JSON() []byte {
	b, _ := json.MarshalIndent(p, "", "  ")
	return b
}

// RoleTarget is one role as RAM will hold it once a Plan made by Plan is
// applied: what tools that keep RAM in code (Terraform, ROS, a script) must
// declare so that they neither strip what others added to a shared role nor
// fail on what already exists. Documents are RAM's JSON, as the engine writes
// them.
type RoleTarget struct {
	// Name is the role's name, as RAM spells it when the role exists.
	Name string `json:"name"`
	// Description is the description the role is created with; empty for a
	// role that exists (RAM keeps its own).
	Description string `json:"description,omitempty"`
	// Exists reports whether RAM held the role when the plan was made.
	Exists bool `json:"exists"`
	// TrustPolicy is the trust policy after the merge: what RAM held, with
	// the grants' principals, resource directories and folders added.
	TrustPolicy string `json:"trustPolicy"`
	// TrustWrite is the write the plan makes to the role: "CreateRole",
	// "UpdateRole", or empty when the trust policy already holds the grants.
	TrustWrite string `json:"trustWrite,omitempty"`
	// Policies are the policies the grants need attached to the role, custom
	// ones first, then system ones, and any policy the plan detaches.
	Policies []PolicyTarget `json:"policies"`
}

// PolicyTarget is one policy of a RoleTarget.
type PolicyTarget struct {
	// Name is the policy's name, as RAM spells it when the policy exists.
	Name string `json:"name"`
	// Type is Custom or System.
	Type PolicyType `json:"type"`
	// Description is the description a new custom policy is created with;
	// empty otherwise.
	Description string `json:"description,omitempty"`
	// Exists reports whether RAM held the policy when the plan was made;
	// always true for a system policy.
	Exists bool `json:"exists"`
	// Document is a custom policy's default version after the plan: what
	// RAM held, with the grants' keys added. Empty for a system policy.
	Document string `json:"document,omitempty"`
	// Write is the write the plan makes to the policy's content:
	// "CreatePolicy", "CreatePolicyVersion", or empty.
	Write string `json:"write,omitempty"`
	// RotateVersion is the version that the new version pushes out at RAM's
	// cap of versions (CreatePolicyVersion with the rotate strategy
	// DeleteOldestNonDefaultVersionWhenLimitExceeded); empty otherwise.
	RotateVersion string `json:"rotateVersion,omitempty"`
	// Attached reports whether the policy was attached to the role when the
	// plan was made. A policy that is not attached, and not detached, is
	// attached by the plan.
	Attached bool `json:"attached"`
	// Detach reports that the plan detaches the policy from the role
	// (Options.DetachBroaderPolicies).
	Detach bool `json:"detach,omitempty"`
}

// Targets returns, role by role in the plan's order, the state RAM will hold
// for everything the grants touch once the plan is applied, changed or not.
// It describes a plan made by Plan; for a plan made by RevokePlan, or a Plan
// not made by an Applier, it returns an error for which errors.Is(err,
// ErrInvalid) is true.
func (p *Plan) Targets() ([]RoleTarget, error) {
	if p == nil || p.steps == nil || p.states == nil {
		return nil, invalid("plan", "Plan", "", "not a plan made by Plan")
	}
	if p.revoke {
		return nil, invalid("plan", "Plan", "", "a revoke's plan removes content; only a plan made by Plan has a target to declare")
	}
	ws, _ := wants(p.grants)
	out := make([]RoleTarget, 0, len(ws))
	for _, w := range ws {
		k := strings.ToLower(w.role)
		rp, st := p.steps[k], p.states[k]
		if rp == nil || st == nil {
			return nil, invalid("plan", "Plan", w.role, "role %q was not planned", w.role)
		}
		rt := RoleTarget{Name: st.name, Exists: st.exists}
		switch {
		case rp.createTrust != nil:
			rt.TrustPolicy, rt.TrustWrite, rt.Description = rp.createTrust.String(), "CreateRole", rp.description
		case rp.updateTrust != nil:
			rt.TrustPolicy, rt.TrustWrite = rp.updateTrust.String(), "UpdateRole"
		default:
			rt.TrustPolicy = st.trust.String()
		}
		writes := map[string]policyWrite{}
		for _, pw := range rp.policies {
			writes[strings.ToLower(pw.name)] = pw
		}
		for _, n := range rp.expectCustom {
			ps := st.policy(n)
			pt := PolicyTarget{Name: n, Type: Custom, Exists: ps.exists, Attached: st.isAttached(n)}
			if ps.exists {
				pt.Name = ps.name
				pt.Document = ps.doc.String()
			}
			if pw, ok := writes[strings.ToLower(n)]; ok {
				pt.Document, pt.RotateVersion = pw.doc.String(), pw.rotate
				pt.Write = "CreatePolicyVersion"
				if pw.create {
					pt.Write, pt.Description = "CreatePolicy", pw.desc
				}
			}
			rt.Policies = append(rt.Policies, pt)
		}
		for _, n := range w.system {
			rt.Policies = append(rt.Policies, PolicyTarget{Name: n, Type: System, Exists: true, Attached: st.isAttached(n)})
		}
		for _, a := range slices.Concat(rp.detach, rp.detachLast) {
			rt.Policies = append(rt.Policies, PolicyTarget{Name: a.name, Type: a.typ, Exists: true, Attached: true, Detach: true})
		}
		out = append(out, rt)
	}
	return out, nil
}
