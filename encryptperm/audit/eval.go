// This file holds the audit's judgment: for each key and each role, which
// KMS actions the role may call on the key (its policies and the key
// policy, by KMS's rules), who may assume the role (its trust policy), and
// the paths and findings that follow; and the paths a key policy opens by
// itself.

package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

const (
	assumeRole   = "sts:AssumeRole"
	listKeys     = "kms:ListKeys"
	conditionRD  = "sts:ServiceOwnerRDId"
	conditionRDP = "sts:ServiceOwnerRDPath"
	// probeKey is no key of any account: a statement whose Resource
	// matches it opens every key.
	probeKey = "acs:kms:zz-probe-9:9999999999999999:key/audit-probe-key"
)

// tri is yes, may or no.
type tri uint8

const (
	no tri = iota
	may
	yes
)

// actionAccess is what a role may do with one action on a key.
type actionAccess struct {
	action string
	answer tri
	by     []encryptperm.StatementRef
	why    string
}

// judge builds the report from what was read.
func (a *Auditor) judge(w *world) *Report {
	rep := &Report{TrustZone: a.opts.TrustZone, Account: a.opts.TrustZone.Account}
	if rep.Account == "" {
		for _, r := range w.roles {
			if uid := arnAccount(r.arn); uid != "" {
				rep.Account = uid
				break
			}
		}
	}
	keys := slices.Clone(w.keys)
	slices.SortFunc(keys, func(x, y *keyRead) int { return strings.Compare(x.key.ARN(), y.key.ARN()) })
	for _, k := range keys {
		account := rep.Account
		if account == "" {
			account = k.key.Owner
		}
		kr := a.judgeKey(w, k, account)
		rep.Keys = append(rep.Keys, kr)
		rep.Findings = append(rep.Findings, kr.Findings...)
		for _, p := range kr.Paths {
			rep.Findings = append(rep.Findings, p.Findings...)
		}
	}
	if rep.Account == "" && len(keys) > 0 {
		rep.Account = keys[0].key.Owner
	}
	return rep
}

// judgeKey finds every path to one key.
func (a *Auditor) judgeKey(w *world, k *keyRead, account string) KeyReport {
	kr := KeyReport{Key: k.key.ARN(), Instance: k.instance, KeyPolicy: k.policy, KeyPolicyNote: k.notRead}
	kp := newKeyPolicy(k, a.opts.KeyPolicyAccountWide)
	for _, r := range w.roles {
		acts := a.roleAccess(r, k, kp, account)
		if len(acts) == 0 {
			continue
		}
		kr.Paths = append(kr.Paths, a.rolePaths(r, k, acts, account)...)
	}
	kr.Paths = append(kr.Paths, a.keyPolicyPaths(w, k, kp, account)...)
	kr.Findings = kp.findings(k, a.opts.KeyPolicyAccountWide)
	return kr
}

// keyPolicy is a key's policy as KMS reads it.
type keyPolicy struct {
	ps        *policy.PolicySet // nil: the key has none
	doc       *policy.Document  // as written
	rewritten map[int]string    // Allows whose account principal was read as the account
	note      string            // why it could not be read
}

func newKeyPolicy(k *keyRead, wide bool) *keyPolicy {
	kp := &keyPolicy{doc: k.policy, note: k.notRead}
	switch {
	case k.notRead != "":
		kp.ps = policy.Compile(unreadable())
	case k.policy != nil:
		doc := k.policy
		if !wide {
			doc, kp.rewritten = policy.AccountsAsThemselves(doc)
		}
		kp.ps = policy.Compile(doc)
	}
	return kp
}

// findings are the key's own findings: a key policy that names a whole
// account, or that could not be read.
func (kp *keyPolicy) findings(k *keyRead, wide bool) []encryptperm.Finding {
	var out []encryptperm.Finding
	if kp.note != "" {
		out = append(out, encryptperm.Finding{Code: FindingCannotJudge, Severity: encryptperm.SeverityWarning, Path: k.key.ARN(),
			Message: kp.note + ": what it allows or denies is unknown, so every path to the key is reported as may"})
	}
	if kp.doc == nil {
		return out
	}
	for i, s := range kp.doc.Statement {
		if s.Principal == nil {
			continue
		}
		for _, v := range s.Principal.RAM {
			if _, ok := policy.AccountPrincipal(v); ok {
				reading := "the account itself: it leaves the decision to the account's RAM policies"
				if wide {
					reading = "every RAM identity of the account: an Allow in it suffices for any of them"
				}
				out = append(out, encryptperm.Finding{Code: FindingKeyPolicyAccountPrincipal, Severity: encryptperm.SeverityInfo,
					Path:    fmt.Sprintf("key policy of %s Statement[%d]", k.key.ARN(), i),
					Message: fmt.Sprintf("the key policy names %s, which KMS does not say how it reads; this audit reads it as %s", v, reading)})
			}
		}
	}
	return out
}

// roleAccess returns what role r may do with key k, by KMS's rules: the
// actions it may call, with the statements that allow them; nil when it
// may call none.
func (a *Auditor) roleAccess(r *roleRead, k *keyRead, kp *keyPolicy, account string) []actionAccess {
	docs := make([]*policy.Document, len(r.policies))
	names := make([]*policyRead, len(r.policies))
	for i, p := range r.policies {
		names[i] = p
		if p == nil || p.doc == nil {
			docs[i] = unreadable()
			continue
		}
		docs[i] = p.doc
	}
	ps := policy.Compile(docs...)
	roleARN := r.arn
	if roleARN == "" {
		roleARN = fmt.Sprintf("acs:ram::%s:role/%s", account, r.name)
	}
	ref := func(x policy.Ref) encryptperm.StatementRef {
		p := names[x.Doc]
		if p == nil {
			return encryptperm.StatementRef{Index: x.Statement}
		}
		return encryptperm.StatementRef{Policy: p.name, Type: p.typ, Index: x.Statement}
	}
	keyARN := k.key.ARN()
	var out []actionAccess
	any := false
	for _, act := range append(slices.Clone(a.opts.Actions), listKeys) {
		res := keyARN
		if act == listKeys {
			res = k.key.ContainerARN()
		}
		req := &policy.Request{Action: act, Resource: res, Owner: account}
		rres := ps.Eval(req)
		aa := actionAccess{action: act}
		if rres.Verdict == policy.VerdictAllow {
			aa.by = append(aa.by, ref(rres.By))
		}
		if act == listKeys || kp.ps == nil {
			aa.answer = answerOf(rres, ps, req)
			aa.why = doubtOf(rres, ps, req, ref)
		} else {
			kreq := &policy.Request{Action: act, Resource: keyARN, Principal: policy.RequestPrincipal{RAM: roleARN}, Owner: k.key.Owner}
			kres := kp.ps.Eval(kreq)
			if kres.Verdict == policy.VerdictAllow && kp.note == "" {
				aa.by = append(aa.by, encryptperm.StatementRef{Key: keyARN, Index: kres.By.Statement})
			}
			aa.answer = joinKMS(rres, ps.MayDeny(req), kres, kp.ps.MayDeny(kreq), account == k.key.Owner)
			aa.why = doubtOf(rres, ps, req, ref)
			if kp.note != "" {
				aa.why = strings.TrimPrefix(aa.why+"; "+kp.note, "; ")
			} else if w := doubtOf(kres, kp.ps, kreq, func(x policy.Ref) encryptperm.StatementRef {
				return encryptperm.StatementRef{Key: keyARN, Index: x.Statement}
			}); w != "" {
				aa.why = strings.TrimPrefix(aa.why+"; "+w, "; ")
			}
		}
		if aa.answer != no && act != listKeys {
			// Listing the region's keys alone uses no key.
			any = true
		}
		out = append(out, aa)
	}
	if !any {
		return nil
	}
	return out
}

// answerOf is a request's answer by one set of documents: yes when it is
// allowed for certain, may when it might be.
func answerOf(res policy.EvalResult, ps *policy.PolicySet, req *policy.Request) tri {
	switch {
	case res.Allowed():
		return yes
	case res.Verdict == policy.VerdictExplicitDeny:
		return no
	case res.Verdict == policy.VerdictAllow, res.Doubt.Valid():
		return may
	}
	return no
}

// joinKMS joins the role's policies' answer (r; rMayDeny: a Deny might
// apply) and the key policy's (k, kMayDeny) by KMS's rules: an explicit
// Deny in either denies; otherwise, in the key's own account, an Allow in
// either allows, and from another account both must allow.
func joinKMS(r policy.EvalResult, rMayDeny bool, k policy.EvalResult, kMayDeny bool, sameAccount bool) tri {
	if r.Verdict == policy.VerdictExplicitDeny || k.Verdict == policy.VerdictExplicitDeny {
		return no
	}
	rAllow, kAllow := r.Verdict == policy.VerdictAllow, k.Verdict == policy.VerdictAllow
	rMayAllow := rAllow || r.Doubt.Valid()
	kMayAllow := kAllow || k.Doubt.Valid()
	rDeny := rAllow && r.Doubt.Valid() || !rAllow && rMayDeny
	kDeny := kAllow && k.Doubt.Valid() || !kAllow && kMayDeny
	allow, mayAllow := rAllow || kAllow, rMayAllow || kMayAllow
	if !sameAccount {
		allow, mayAllow = rAllow && kAllow, rMayAllow && kMayAllow
	}
	switch {
	case allow && !rDeny && !kDeny:
		return yes
	case allow, mayAllow:
		return may
	}
	return no
}

// doubtOf says which statements could not be judged for req, and why.
func doubtOf(res policy.EvalResult, ps *policy.PolicySet, req *policy.Request, ref func(policy.Ref) encryptperm.StatementRef) string {
	if res.Allowed() || res.Verdict == policy.VerdictExplicitDeny || !res.Doubt.Valid() && !ps.MayDeny(req) {
		return ""
	}
	var why []string
	for _, o := range ps.Explain(req) {
		if o.Applies != policy.MatchUnknown {
			continue
		}
		w := ref(o.Ref).String() + " cannot be judged"
		if len(o.Why) > 0 {
			w += ": " + strings.Join(o.Why, "; ")
		}
		why = append(why, w)
	}
	return strings.Join(why, "; ")
}

// unreadable stands in for a document whose content is unknown: one
// statement of unknown effect that may apply to any request.
func unreadable() *policy.Document {
	unknown := json.RawMessage(`null`)
	return policy.New(policy.Statement{Extra: map[string]json.RawMessage{"Effect": unknown, "Action": unknown, "Resource": unknown}})
}

// arnAccount returns the account of acs:ram::<uid>:..., or "".
func arnAccount(arn string) string {
	rest, ok := strings.CutPrefix(arn, "acs:ram::")
	if !ok {
		return ""
	}
	uid, _, _ := strings.Cut(rest, ":")
	return uid
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
