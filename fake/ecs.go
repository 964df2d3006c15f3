// This file holds SimulateECS: ECS's side of a share, judged on the fake's
// state with the fake's own evaluator (refeval.go).

package fake

import (
	"fmt"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// The actions ECS calls with a shared key, as the ECS documentation lists
// them: the key-use actions on the key, and listing the region's keys on the
// key container (KMS authorizes ListAliases on the alias container, which
// the page's policy does not name).
var (
	ecsKeyActions  = []string{"kms:DescribeKey", "kms:TagResource", "kms:UntagResource", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}
	ecsListActions = []string{"kms:ListKeys"}
)

// The condition keys RAM sets when ECS assumes a role for another account.
const (
	condRDID   = "sts:ServiceOwnerRDId"
	condRDPath = "sts:ServiceOwnerRDPath"
)

// SimulateECS plays ECS's side of a share: it answers, from the fake's
// state, whether ECS in the account a.Recipient (with a.RDID and a.RDPath
// as its resource directory context) could assume the share role of
// a.Resource and call the KMS actions it needs on a.Key, step by step.
//
// It does not use the library's evaluator, which is what it checks: it has
// its own, small one, written from RAM's documented semantics, that reads the
// documents as RAM holds them (the role's trust policy and the default
// versions of its attached policies, system ones included).
//
// It fails closed: when it cannot tell (the role is missing, a document
// cannot be read, the outcome hangs on a condition key the Access does not
// give), the Decision is not allowed and names what it lacked in Missing,
// Uncertain or Unreadable. a.Owner defaults to the fake's account, a.Role to
// the resource's role, and for a disk a.Recipient to a.Owner. The Decision
// carries no Findings.
//
// When the fake holds the key in a KMS instance, its key policy joins each
// key-use step with KMS's rules: an explicit Deny in either the key policy
// or the role's policies denies; for a role of the key's own account either
// allowing suffices, for a role of another account both must allow (see
// Options.KeyPolicyAccountWide for how acs:ram::<uid>:* is read).
// a.KeyPolicy is not read: the key policy is the one the fake holds.
//
// Real ECS also checks things RAM does not hold (that the key exists and is
// enabled, that the resource may be shared in its region); the fake does not
// model them.
func (r *RAM) SimulateECS(a encryptperm.Access) *encryptperm.Decision {
	return r.simulateECS(a, r.keyPolicyOf(a), r.opts.KeyPolicyAccountWide)
}

// keyPolicyOf returns the key policy of the key a names when the fake holds
// it in an instance, or nil.
func (r *RAM) keyPolicyOf(a encryptperm.Access) *string {
	r.mu.Lock()
	defer r.mu.Unlock()
	holder := r
	if a.Key.Owner != "" && a.Key.Owner != r.opts.AccountID {
		t, ok := r.w.accounts[a.Key.Owner]
		if !ok {
			return nil
		}
		holder = t
	}
	k, ok := holder.svc.keys[a.Key.ID]
	if !ok || k.Region != a.Key.Region || k.Instance == "" {
		return nil
	}
	return &k.Policy
}

// simulateECS is SimulateECS with the key's policy given: nil when the key
// has none.
func (r *RAM) simulateECS(a encryptperm.Access, keyPolicy *string, accountWide bool) *encryptperm.Decision {
	if a.Owner == "" {
		a.Owner = r.opts.AccountID
	}
	if a.Role == "" {
		a.Role = a.Resource.RoleName()
	}
	if a.Recipient == "" && a.Resource == encryptperm.ResourceDisk {
		a.Recipient = a.Owner
	}
	d := &encryptperm.Decision{Access: a, Principal: a.Recipient + "@ecs.aliyuncs.com"}
	if why := badAccess(a); why != "" {
		d.Reason = "The access is not valid: " + why + "."
		return d
	}
	roleARN := fmt.Sprintf("acs:ram::%s:role/%s", a.Owner, a.Role)
	keyARN := fmt.Sprintf("acs:kms:%s:%s:key/%s", a.Key.Region, a.Key.Owner, a.Key.ID)
	container := fmt.Sprintf("acs:kms:%s:%s:key", a.Key.Region, a.Key.Owner)

	trust, policies, found := r.shareState(a.Role)
	if found {
		d.RoleARN = roleARN
	}
	ctx := map[string]string{}
	if a.RDID != "" {
		ctx[strings.ToLower(condRDID)] = a.RDID
	}
	if a.RDPath != "" {
		ctx[strings.ToLower(condRDPath)] = a.RDPath
	}

	assume := encryptperm.Step{Action: "sts:AssumeRole", Resource: roleARN}
	if !found {
		assume.Reason = fmt.Sprintf("role %s does not exist in account %s", a.Role, a.Owner)
	} else {
		v := refEvaluate([]refDoc{{name: "trust policy", text: trust}},
			refRequest{action: "sts:AssumeRole", service: d.Principal, owner: a.Owner, context: ctx})
		fillStep(&assume, v, d)
		switch {
		case v.allowed:
			assume.Reason = fmt.Sprintf("%s may assume %s: %s allows it", d.Principal, a.Role, v.by)
		case v.denied:
			assume.Reason = fmt.Sprintf("%s denies it", v.by)
		case v.by != "":
			assume.Reason = fmt.Sprintf("%s allows it, but %s might deny it", v.by, strings.Join(v.doubts, ", "))
		case len(v.doubts) > 0:
			assume.Reason = fmt.Sprintf("nothing allows it for certain; %s cannot be judged", strings.Join(v.doubts, ", "))
		default:
			assume.Reason = fmt.Sprintf("no statement of the trust policy lets %s assume %s", d.Principal, a.Role)
		}
	}
	d.Steps = append(d.Steps, assume)

	type need struct{ action, resource string }
	var needs []need
	for _, act := range ecsKeyActions {
		needs = append(needs, need{act, keyARN})
	}
	for _, act := range ecsListActions {
		needs = append(needs, need{act, container})
	}
	sameAccount := a.Owner == a.Key.Owner
	for _, n := range needs {
		st := encryptperm.Step{Action: n.action, Resource: n.resource}
		v := refEvaluate(policies, refRequest{action: n.action, resource: n.resource, owner: a.Owner, context: ctx})
		ramBy := v.by
		if keyPolicy != nil && n.resource == keyARN {
			kv := refEvaluate([]refDoc{{name: "key policy", text: *keyPolicy}}, refRequest{
				action: n.action, resource: n.resource, owner: a.Key.Owner, context: ctx,
				caller: &refCaller{account: a.Owner, arn: roleARN}, keyPolicy: true, accountWide: accountWide,
			})
			v = refCombine(v, kv, sameAccount)
		}
		fillStep(&st, v, d)
		switch {
		case v.allowed:
			st.Reason = "allowed by " + v.by
		case v.denied:
			st.Reason = "denied by " + v.by
		case keyPolicy != nil && n.resource == keyARN && !sameAccount && ramBy != "":
			st.Reason = fmt.Sprintf("%s allows it, but the key is of account %s, whose key policy must allow it too, and does not for certain", ramBy, a.Key.Owner)
		case !found:
			st.Reason = fmt.Sprintf("role %s does not exist", a.Role)
		case len(policies) == 0:
			st.Reason = fmt.Sprintf("role %s has no policy attached", a.Role)
		case len(v.doubts) > 0:
			st.Reason = "no attached policy allows it for certain; " + strings.Join(v.doubts, ", ") + " cannot be judged"
		default:
			st.Reason = "no attached policy allows it"
		}
		d.Steps = append(d.Steps, st)
	}

	d.Allowed = true
	for _, s := range d.Steps {
		if !s.Allowed {
			d.Allowed = false
		}
		if s.Verdict != policy.VerdictAllow {
			d.Missing = appendNew(d.Missing, s.Action)
		}
		d.Uncertain = appendNew(d.Uncertain, s.Uncertain...)
	}
	switch {
	case d.Allowed:
		d.Reason = fmt.Sprintf("%s may assume %s and use key %s.", d.Principal, a.Role, keyARN)
	case len(d.Uncertain) > 0:
		d.Reason = fmt.Sprintf("Not allowed: the answer depends on %s, which the question did not give.", strings.Join(d.Uncertain, ", "))
	default:
		d.Reason = fmt.Sprintf("Not allowed: missing %s.", strings.Join(d.Missing, ", "))
	}
	return d
}

// refCombine joins the verdict of a role's policies (v) and of the key's
// policy (k) on one key-use request, by KMS's rules: an explicit Deny in
// either denies; otherwise, for a role of the key's own account
// (sameAccount), an Allow in either allows, and for a role of another
// account both must allow; a Deny that might apply in either leaves the
// answer uncertain.
func refCombine(v, k refVerdict, sameAccount bool) refVerdict {
	out := refVerdict{
		doubts:      append(append([]string{}, v.doubts...), k.doubts...),
		missingKeys: appendNew(append([]string{}, v.missingKeys...), k.missingKeys...),
		unreadable:  append(append([]string{}, v.unreadable...), k.unreadable...),
		mightDeny:   v.mightDeny || k.mightDeny,
	}
	switch {
	case v.denied:
		out.denied, out.by = true, v.by
		return out
	case k.denied:
		out.denied, out.by = true, k.by
		return out
	case sameAccount:
		out.by = v.by
		if out.by == "" {
			out.by = k.by
		}
	case v.by != "" && k.by != "":
		out.by = v.by + " and " + k.by
	}
	out.allowed = out.by != "" && !out.mightDeny
	return out
}

// fillStep copies the evaluator's verdict into a step.
func fillStep(st *encryptperm.Step, v refVerdict, d *encryptperm.Decision) {
	switch {
	case v.denied:
		st.Verdict = policy.VerdictExplicitDeny
	case v.by != "":
		st.Verdict = policy.VerdictAllow
	default:
		st.Verdict = policy.VerdictImplicitDeny
	}
	st.Allowed = v.allowed
	for _, w := range v.doubts {
		st.Notes = append(st.Notes, w+" cannot be judged")
	}
	st.Uncertain = v.missingKeys
	d.Unreadable = appendNew(d.Unreadable, v.unreadable...)
}

// badAccess says what is wrong with an Access, or "".
func badAccess(a encryptperm.Access) string {
	var p []string
	if a.Resource.RoleName() == "" {
		p = append(p, fmt.Sprintf("resource %q is not snapshot, image or disk", a.Resource))
	}
	if !accountIDFormat.MatchString(a.Recipient) {
		p = append(p, fmt.Sprintf("recipient %q is not an account ID", a.Recipient))
	}
	if !accountIDFormat.MatchString(a.Owner) {
		p = append(p, fmt.Sprintf("owner %q is not an account ID", a.Owner))
	}
	if a.Key.Region == "" || a.Key.ID == "" || !accountIDFormat.MatchString(a.Key.Owner) {
		p = append(p, "the key needs a region, an owner account and an ID")
	}
	for _, s := range []string{a.Role, a.Key.Region, a.Key.ID, a.RDID, a.RDPath} {
		if strings.ContainsAny(s, "*?") {
			p = append(p, fmt.Sprintf("%q holds a wildcard", s))
		}
	}
	return strings.Join(p, "; ")
}

// shareState reads, under the lock, a role's trust policy and the default
// versions of its attached policies as RAM holds them. found is false when
// the role does not exist.
func (r *RAM) shareState(role string) (trust string, policies []refDoc, found bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, ok := r.st.roles[roleKey(role)]
	if !ok {
		return "", nil, false
	}
	for _, pr := range r.attachedPolicies(rr) {
		doc := refDoc{name: fmt.Sprintf("%s policy %s", pr.typ, pr.name)}
		if v := pr.defaultVersion(); v != nil {
			doc.text = v.doc
		}
		policies = append(policies, doc)
	}
	return rr.trust, policies, true
}
