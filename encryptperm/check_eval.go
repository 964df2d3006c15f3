// This file holds the evaluation under Check and Simulate: the trust policy
// and the permission policies, as read or given, judged for each step an
// Access needs.

package encryptperm

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Simulate answers an Access from documents, without I/O: trust is the role's
// trust policy (nil when the role does not exist) and policies are the
// attached policies, and a.KeyPolicy the key's KMS key policy (nil: none).
// An Attachment of type System with no Document is taken
// from the built-in catalog (see SystemPolicy); one the catalog lacks, or a
// custom one with no Document, grants nothing and might deny anything: the
// answer is then not allowed, and the policy is named in Decision.Unreadable
// and in the Reason. An invalid Access gives a Decision that is not allowed,
// with the problems as its Reason. Simulate evaluates as Check does, and
// reads acs:ram::<uid>:* in a key policy as the account itself (see
// Options.KeyPolicyAccountWide).
func Simulate(trust *policy.Document, policies []Attachment, a Access) *Decision {
	a = a.withDefaults()
	if err := a.validate(); err != nil {
		return &Decision{Access: a, Principal: a.principal(), Reason: err.Error()}
	}
	cps := make([]checkPolicy, 0, len(policies))
	for _, p := range policies {
		cp := checkPolicy{name: p.Name, typ: p.Type, doc: p.Document}
		if cp.doc == nil {
			if d, ok := systemPolicy(p.Name); ok && p.Type == System {
				cp.doc = d
			} else {
				cp.doc = unreadablePolicy()
				cp.note = fmt.Sprintf("%s policy %s has no document", p.Type, p.Name)
				if p.Type == System {
					cp.note = fmt.Sprintf("system policy %s is not in the built-in catalog", p.Name)
				}
			}
		}
		cps = append(cps, cp)
	}
	arn := ""
	if trust != nil {
		arn = roleARN(a.Owner, a.Role)
	}
	return decide(a, arn, trust, "", cps, keyPolicyOf(a), false)
}

// decide evaluates the trust policy, the permission policies and the key's
// KMS key policy for an Access. An empty arn means the role does not
// exist; wide reads acs:ram::<uid>:* in the key policy as every identity
// of the account.
func decide(a Access, arn string, trust *policy.Document, trustNote string, policies []checkPolicy, kp keyPolicyRead, wide bool) *Decision {
	a.KeyPolicy = kp.doc
	d := &Decision{Access: a, RoleARN: arn, Principal: a.principal()}
	roleRes := arn
	if roleRes == "" {
		roleRes = roleARN(a.Owner, a.Role)
	}
	kpe := newKeyPolicyEval(kp, a, roleRes, wide)

	// Step 1: may the recipient's ECS assume the role?
	assume := Step{Action: assumeRoleAction, Resource: roleRes}
	switch {
	case arn == "":
		assume.Reason = fmt.Sprintf("role %s does not exist in account %s", a.Role, a.Owner)
	case trust == nil:
		assume.Reason = trustNote
		d.Unreadable = append(d.Unreadable, "trust policy of role "+a.Role)
	default:
		req := &policy.Request{Action: assumeRoleAction, Principal: policy.RequestPrincipal{Service: d.Principal}, Owner: a.Owner}
		if a.RDID != "" {
			req.Context = append(req.Context, policy.ContextValue{Key: conditionRDID, Value: a.RDID})
		}
		if a.RDPath != "" {
			req.Context = append(req.Context, policy.ContextValue{Key: conditionRDPath, Value: a.RDPath})
		}
		ps := policy.Compile(trust)
		res := ps.Eval(req)
		names := []checkPolicy{{}}
		explainStep(&assume, ps, req, res, names, d)
		if res.Verdict == policy.VerdictAllow {
			assume.Reason = fmt.Sprintf("%s may assume %s: %s allows it", d.Principal, a.Role, assume.By)
			d.Findings = append(d.Findings, prefixFindings(ps.Statement(res.By), a, *assume.By)...)
		} else if res.Verdict == policy.VerdictImplicitDeny {
			assume.Reason = fmt.Sprintf("no statement of the trust policy lets %s assume %s", d.Principal, a.Role)
		}
		finishReason(&assume)
	}
	d.Steps = append(d.Steps, assume)

	// Steps 2...: may the role call each KMS action on the key?
	docs := make([]*policy.Document, len(policies))
	for i, p := range policies {
		docs[i] = p.doc
		if p.note != "" {
			d.Unreadable = append(d.Unreadable, p.note)
		}
	}
	ps := policy.Compile(docs...)
	type need struct{ action, resource string }
	var needs []need
	for _, act := range keyUseActions {
		needs = append(needs, need{act, a.Key.ARN()})
	}
	for _, act := range listActions {
		needs = append(needs, need{act, a.Key.ContainerARN()})
	}
	for _, n := range needs {
		st := Step{Action: n.action, Resource: n.resource}
		req := &policy.Request{Action: n.action, Resource: n.resource, Owner: a.Owner}
		res := ps.Eval(req)
		explainStep(&st, ps, req, res, policies, d)
		switch {
		case res.Verdict == policy.VerdictAllow:
			st.Reason = fmt.Sprintf("allowed by %s", st.By)
		case res.Verdict == policy.VerdictImplicitDeny && len(policies) == 0:
			st.Reason = fmt.Sprintf("role %s has no policy attached", a.Role)
			if arn == "" {
				st.Reason = fmt.Sprintf("role %s does not exist", a.Role)
			}
		case res.Verdict == policy.VerdictImplicitDeny:
			st.Reason = "no attached policy allows it"
		}
		if kpe != nil && n.resource == a.Key.ARN() {
			kpe.join(&st, ps, req, res, d)
		}
		finishReason(&st)
		d.Steps = append(d.Steps, st)
	}
	addKeyPolicyStep(d, kp)

	d.Allowed = true
	for _, s := range d.Steps {
		if !s.Allowed {
			d.Allowed = false
		}
		if s.Verdict != policy.VerdictAllow {
			d.Missing = appendUnique(d.Missing, s.Action)
		}
		for _, k := range s.Uncertain {
			d.Uncertain = appendUnique(d.Uncertain, k)
		}
	}
	d.Reason = summarize(d)
	return d
}

// explainStep fills a step's verdict, deciding statement and notes from the
// slow path.
func explainStep(st *Step, ps *policy.PolicySet, req *policy.Request, res policy.EvalResult, names []checkPolicy, d *Decision) {
	st.Verdict = res.Verdict
	st.Allowed = res.Allowed()
	ref := func(r policy.Ref) StatementRef {
		p := names[r.Doc]
		return StatementRef{Policy: p.name, Type: p.typ, Index: r.Statement, Key: p.key}
	}
	if res.By.Valid() {
		sr := ref(res.By)
		st.By = &sr
	}
	if res.Verdict == policy.VerdictExplicitDeny {
		st.Reason = fmt.Sprintf("explicitly denied by %s", st.By)
		return
	}
	for _, o := range ps.Explain(req) {
		name := names[o.Ref.Doc]
		where := ref(o.Ref).String()
		relevant := o.Applies == policy.MatchUnknown && (res.Verdict == policy.VerdictAllow && o.Effect != policy.Allow || res.Verdict == policy.VerdictImplicitDeny && o.Effect != policy.Deny)
		switch {
		case relevant && name.note != "":
			st.Notes = append(st.Notes, name.note+"; it is taken to grant nothing and to deny what it might")
		case relevant:
			st.Notes = append(st.Notes, fmt.Sprintf("%s (%s) cannot be judged: %s", where, effectName(o.Effect), strings.Join(o.Why, "; ")))
			for _, k := range o.MissingKeys {
				st.Uncertain = appendUnique(st.Uncertain, k)
			}
			if o.Unreadable {
				d.Unreadable = appendUnique(d.Unreadable, where)
			}
		case res.Verdict == policy.VerdictImplicitDeny && o.Effect == policy.Allow && o.Applies == policy.MatchNo && nearMiss(o):
			st.Notes = append(st.Notes, fmt.Sprintf("%s does not apply: %s", where, strings.Join(o.Why, "; ")))
		}
	}
}

// nearMiss reports whether an Allow that does not apply is worth showing: its
// action matched (or, in a trust policy, it is about sts:AssumeRole), so it
// failed on the resource, the principal or a condition.
func nearMiss(o policy.Outcome) bool {
	for _, w := range o.Why {
		if strings.HasPrefix(w, "Action:") || strings.HasPrefix(w, "NotAction:") {
			return false
		}
	}
	return true
}

func effectName(e policy.Effect) string {
	if e == "" {
		return "unknown effect"
	}
	return string(e)
}

// finishReason adds to an undecided step's reason what would decide it.
func finishReason(st *Step) {
	if st.Verdict == policy.VerdictAllow && !st.Allowed {
		st.Reason += ", but a statement this library cannot judge might deny it"
	}
	if st.Verdict == policy.VerdictImplicitDeny && len(st.Uncertain) > 0 {
		st.Reason += fmt.Sprintf("; the answer depends on %s, which the request did not carry", strings.Join(st.Uncertain, ", "))
	}
}

// prefixFindings reports a folder condition that let the recipient in only by
// its trailing-* prefix: "rd/r/fd-abc*" also matches the sibling fd-abcd.
func prefixFindings(s *policy.Statement, a Access, by StatementRef) []Finding {
	if s == nil || a.RDPath == "" {
		return nil
	}
	var sibling []string
	for op, keys := range s.Condition {
		if op != "StringLike" {
			continue
		}
		for k, vals := range keys {
			if policy.CompareFold(k, conditionRDPath) == policy.MatchNo {
				continue
			}
			for _, v := range vals {
				if !policy.MatchWildcard(v, a.RDPath, false) {
					continue
				}
				base := strings.TrimSuffix(v, "*")
				if !strings.HasSuffix(v, "*") || strings.ContainsAny(base, "*?") {
					return nil
				}
				if a.RDPath == base || strings.HasPrefix(a.RDPath, strings.TrimSuffix(base, "/")+"/") {
					return nil // the folder itself or one below it
				}
				sibling = append(sibling, v)
			}
		}
	}
	if len(sibling) == 0 {
		return nil
	}
	return []Finding{{
		Code: FindingRDPathPrefix, Severity: SeverityInfo, Path: by.String() + ".Condition.StringLike." + conditionRDPath,
		Message: fmt.Sprintf("the recipient's path %q matches %q only by prefix: it is not that folder or below it, but a sibling whose ID begins with the same characters", a.RDPath, strings.Join(sibling, ", ")),
	}}
}

// summarize returns the decision's one-sentence reason.
func summarize(d *Decision) string {
	a := d.Access
	if d.Allowed {
		return fmt.Sprintf("%s may assume %s and use key %s.", d.Principal, a.Role, a.Key.ARN())
	}
	var parts []string
	var byKeyPolicy []string
	for _, s := range d.Steps {
		switch {
		case !s.Allowed && (s.Action == assumeRoleAction || s.Action == "key policy"):
			parts = append(parts, s.Reason)
		case isKeyPolicyDenial(s):
			byKeyPolicy = appendUnique(byKeyPolicy, s.Action)
		}
	}
	var missing []string
	for _, m := range d.Missing {
		if m != assumeRoleAction && m != "key policy" && !containsString(byKeyPolicy, m) {
			missing = append(missing, m)
		}
	}
	if len(byKeyPolicy) > 0 {
		parts = append(parts, fmt.Sprintf("the key policy of %s denies %s", a.Key.ARN(), strings.Join(byKeyPolicy, ", ")))
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("the role's policies do not allow %s", strings.Join(missing, ", ")))
	}
	if len(d.Uncertain) > 0 {
		parts = append(parts, fmt.Sprintf("the answer depends on %s, which the question did not give", strings.Join(d.Uncertain, ", ")))
	}
	if len(parts) == 0 && len(d.Unreadable) > 0 {
		parts = append(parts, fmt.Sprintf("cannot tell for certain: what this library cannot read might deny access (%s)", strings.Join(d.Unreadable, "; ")))
	}
	if len(parts) == 0 {
		parts = append(parts, "not every step is allowed")
	}
	out := strings.Join(parts, "; ") + "."
	return strings.ToUpper(out[:1]) + out[1:]
}

// appendUnique appends s to list unless list holds it.
func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool { return slices.Contains(list, s) }

// checkPolicy is a permission policy, or a key policy, as Check evaluates
// it.
type checkPolicy struct {
	name string
	typ  PolicyType
	key  string // the key's ARN, for a key policy
	doc  *policy.Document
	// note says why the document stands in for one that could not be read
	// (a system policy missing from the catalog, a parse failure); such a
	// policy grants nothing, might deny anything, and is named in
	// Decision.Unreadable.
	note string
}

// unreadablePolicy stands in for a policy whose content is unknown. It may
// hold a Deny, so it is one statement of unknown effect that may apply to
// any request: it grants nothing for certain, and no step it could deny is
// allowed for certain.
func unreadablePolicy() *policy.Document {
	unknown := json.RawMessage(`null`)
	return policy.New(policy.Statement{Extra: map[string]json.RawMessage{"Effect": unknown, "Action": unknown, "Resource": unknown}})
}

// roleOwner returns the account UID of a role ARN, acs:ram::<uid>:role/<name>.
func roleOwner(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "ram" || !strings.HasPrefix(parts[4], "role/") {
		return ""
	}
	return parts[3]
}

func roleARN(owner, name string) string { return fmt.Sprintf("acs:ram::%s:role/%s", owner, name) }
