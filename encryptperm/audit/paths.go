// This file holds the paths of an audit: the principals a role's trust
// policy lets in, each judged with the whole trust policy, and the
// principals a key policy names itself; each path with its findings.

package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// candidate is a principal a trust statement names.
type candidate struct {
	p    Principal
	stmt int
	cond policy.Condition
	// req is the request that stands for the principal, when it is one
	// account or identity; nil for a pattern.
	req *policy.Request
	// svc is the service a Service pattern names (ecs.aliyuncs.com in
	// *@ecs.aliyuncs.com), whose accounts of the trust zone it may let in.
	svc string
}

// rolePaths returns the paths through role r to key k, whose actions for
// the role are acts.
func (a *Auditor) rolePaths(r *roleRead, k *keyRead, acts []actionAccess, account string) []Path {
	var certainActs, mayActs, why []string
	var by []encryptperm.StatementRef
	opens := false
	for _, x := range acts {
		switch x.answer {
		case yes:
			certainActs = append(certainActs, x.action)
		case may:
			mayActs = append(mayActs, x.action)
		}
		if x.answer != no {
			for _, s := range x.by {
				if !slices.Contains(by, s) {
					by = append(by, s)
				}
			}
			if x.why != "" && !slices.Contains(why, x.why) {
				why = append(why, x.why)
			}
		}
	}
	for _, s := range by {
		if a.opensEveryKey(r, s) {
			opens = true
		}
	}
	roleARN := r.arn
	if r.trust == nil {
		p := Path{Principal: Principal{Kind: KindUnknown, Value: "?"}, Role: r.name, RoleARN: roleARN,
			Actions: certainActs, MayActions: mayActs, By: by, Why: append(why, cmpOr(r.trustNote, "the trust policy was not read"))}
		a.addFindings(&p, k, opens, account)
		return []Path{p}
	}
	ps := policy.Compile(r.trust)
	var out []Path
	for _, c := range a.candidates(r.trust, account) {
		p := Path{Principal: c.p, Role: r.name, RoleARN: roleARN, Condition: c.cond,
			Actions: certainActs, MayActions: mayActs, By: by, Why: slices.Clone(why)}
		ref := encryptperm.StatementRef{Index: c.stmt}
		p.Trust = &ref
		trust := yes
		if c.req != nil {
			res := ps.Eval(c.req)
			trust = answerOf(res, ps, c.req)
			if trust == no {
				continue
			}
			if res.Verdict == policy.VerdictAllow {
				ref = encryptperm.StatementRef{Index: res.By.Statement}
				p.Trust = &ref
			}
			if trust == may {
				p.Why = append(p.Why, "the trust policy lets it in only maybe: "+doubtOf(res, ps, c.req, func(x policy.Ref) encryptperm.StatementRef {
					return encryptperm.StatementRef{Index: x.Statement}
				}))
			}
			if c.p.Account != "" {
				a.place(&p.Principal, c.p.Account, trust)
			}
		} else {
			if trust = a.patternTrust(r.trust, c, &p); trust == no {
				continue
			}
			a.members(ps, c, &p, account)
		}
		p.Certain = trust == yes && len(mayActs) == 0 && len(certainActs) > 0
		a.addFindings(&p, k, opens, account)
		out = append(out, p)
	}
	return out
}

// candidates returns the principals the Allow statements of a trust
// policy name (and those of statements of unknown effect), each once.
func (a *Auditor) candidates(trust *policy.Document, account string) []candidate {
	var out []candidate
	seen := map[string]bool{}
	add := func(c candidate) {
		k := string(c.p.Kind) + " " + strings.ToLower(c.p.Value)
		if !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	for i, s := range trust.Statement {
		if s.Effect == policy.Deny {
			continue
		}
		if s.Principal == nil || s.Opaque != nil || s.Extra["Principal"] != nil {
			if s.Opaque != nil || s.Extra["Principal"] != nil {
				add(candidate{p: Principal{Kind: KindUnknown, Value: "?"}, stmt: i})
			}
			continue
		}
		for _, v := range s.Principal.Service {
			add(a.serviceCandidate(v, i, s.Condition, account))
		}
		for _, v := range s.Principal.RAM {
			add(a.identityCandidate(KindRAM, v, i, s.Condition))
		}
		for _, v := range s.Principal.Federated {
			add(a.identityCandidate(KindFederated, v, i, s.Condition))
		}
		if len(s.Principal.Extra) > 0 {
			add(candidate{p: Principal{Kind: KindUnknown, Value: "?"}, stmt: i, cond: s.Condition})
		}
	}
	return out
}

// serviceCandidate reads a Service principal: one account's service, the
// role's own account's, or a pattern bound by a directory or folder.
func (a *Auditor) serviceCandidate(v string, stmt int, cond policy.Condition, account string) candidate {
	c := candidate{stmt: stmt, cond: cond}
	uid, svc, qualified := strings.Cut(v, "@")
	switch {
	case qualified && !strings.ContainsAny(uid, "*?") && !strings.ContainsAny(svc, "*?"):
		c.p = Principal{Kind: KindAccount, Value: v, Account: uid}
		c.req = a.serviceRequest(uid, svc, account)
	case !qualified && !strings.ContainsAny(v, "*?"):
		c.p = Principal{Kind: KindService, Value: v, Account: account}
		c.req = a.serviceRequest(account, v, account)
	default:
		c.p = Principal{Kind: KindAny, Value: v}
		if qualified && !strings.ContainsAny(svc, "*?") {
			c.svc = svc
		}
		if rd := conditionValue(cond, conditionRD); rd != "" {
			c.p.Kind, c.p.Directory = KindDirectory, rd
		} else if path := conditionValue(cond, conditionRDP); path != "" {
			c.p.Kind, c.p.Folder = KindFolder, path
		}
	}
	return c
}

// serviceRequest is the request of service svc of account uid assuming a
// role of account, with uid's directory and path when the zone lists it.
func (a *Auditor) serviceRequest(uid, svc, account string) *policy.Request {
	req := &policy.Request{Action: assumeRole, Principal: policy.RequestPrincipal{Service: uid + "@" + svc}, Owner: account}
	if m, ok := a.member(uid); ok {
		req.Context = append(req.Context, policy.ContextValue{Key: conditionRD, Value: a.opts.TrustZone.RDID})
		if m.Path != "" {
			req.Context = append(req.Context, policy.ContextValue{Key: conditionRDP, Value: m.Path})
		}
	}
	return req
}

// identityCandidate reads a RAM or Federated principal.
func (a *Auditor) identityCandidate(kind Kind, v string, stmt int, cond policy.Condition) candidate {
	c := candidate{stmt: stmt, cond: cond, p: Principal{Kind: kind, Value: v, Account: arnAccount(v)}}
	if strings.ContainsAny(v, "*?") {
		c.p.Kind, c.p.Account = KindAny, ""
		return c
	}
	req := &policy.Request{Action: assumeRole}
	if kind == KindRAM {
		req.Principal.RAM = v
	} else {
		req.Principal.Federated = v
	}
	c.req = req
	return c
}

// patternTrust judges a pattern principal: certain when its statement is
// read whole, bound only by the directory conditions that define it, and
// no statement of the trust policy might deny.
func (a *Auditor) patternTrust(trust *policy.Document, c candidate, p *Path) tri {
	s := trust.Statement[c.stmt]
	answer := yes
	switch {
	case len(s.NotAction) > 0 || len(s.Action) == 0:
		answer = may
		p.Why = append(p.Why, fmt.Sprintf("trust policy Statement[%d] names its actions by NotAction", c.stmt))
	case !slices.ContainsFunc(s.Action, func(x string) bool { return policy.MatchWildcard(x, assumeRole, true) }):
		return no
	}
	if s.Effect != policy.Allow || len(s.Extra) > 0 {
		answer = may
		p.Why = append(p.Why, fmt.Sprintf("trust policy Statement[%d] cannot be read whole", c.stmt))
	}
	for op, keys := range s.Condition {
		for key := range keys {
			if (op == "StringEquals" || op == "StringLike") && (strings.EqualFold(key, conditionRD) || strings.EqualFold(key, conditionRDP)) {
				continue
			}
			answer = may
			p.Why = append(p.Why, fmt.Sprintf("trust policy Statement[%d] holds a condition on %s (%s), which depends on the caller", c.stmt, key, op))
		}
	}
	for i, o := range trust.Statement {
		if i != c.stmt && o.Effect != policy.Allow {
			answer = may
			p.Why = append(p.Why, fmt.Sprintf("trust policy Statement[%d] may deny some of the accounts the pattern names", i))
		}
	}
	return answer
}

// members names the trust zone's members a Service pattern lets in, each
// judged with the whole trust policy (a role of account).
func (a *Auditor) members(ps *policy.PolicySet, c candidate, p *Path, account string) {
	if c.svc == "" {
		return
	}
	for _, m := range a.opts.TrustZone.Members {
		req := a.serviceRequest(m.UID, c.svc, account)
		a.place(&p.Principal, m.UID, answerOf(ps.Eval(req), ps, req))
	}
}

// place adds uid to the principal's accounts as the answer says.
func (a *Auditor) place(p *Principal, uid string, answer tri) {
	switch answer {
	case yes:
		p.Accounts = append(p.Accounts, uid)
	case may:
		p.MayAccounts = append(p.MayAccounts, uid)
	}
}

// member returns the zone's member uid.
func (a *Auditor) member(uid string) (Member, bool) {
	for _, m := range a.opts.TrustZone.Members {
		if m.UID == uid {
			return m, true
		}
	}
	return Member{}, false
}

// inZone reports whether account uid is in the trust zone.
func (a *Auditor) inZone(uid, account string) bool {
	if uid == account || uid == a.opts.TrustZone.Account && uid != "" {
		return true
	}
	_, ok := a.member(uid)
	return ok
}

// conditionValue returns the one value a StringEquals or StringLike
// condition gives key, or "".
func conditionValue(c policy.Condition, key string) string {
	for _, op := range []string{"StringEquals", "StringLike"} {
		for k, vals := range c[op] {
			if strings.EqualFold(k, key) && len(vals) == 1 {
				return vals[0]
			}
		}
	}
	return ""
}

// addFindings gives a path its findings: outside the trust zone, opens
// every key, cannot be judged.
func (a *Auditor) addFindings(p *Path, k *keyRead, opens bool, account string) {
	where := fmt.Sprintf("%s <- %s", k.key.ARN(), p.Principal.Value)
	if p.Role != "" {
		where = fmt.Sprintf("%s <- role %s <- %s", k.key.ARN(), p.Role, p.Principal.Value)
	}
	if why := a.outside(p.Principal, account); why != "" {
		p.Findings = append(p.Findings, encryptperm.Finding{Code: FindingOutsideTrustZone, Severity: encryptperm.SeverityError, Path: where,
			Message: fmt.Sprintf("%s can make a service use the key (%s), and %s", p.Principal.Value, actionsText(*p), why)})
	}
	if opens {
		p.Findings = append(p.Findings, encryptperm.Finding{Code: FindingOpensEveryKey, Severity: encryptperm.SeverityWarning, Path: where,
			Message: "a statement that lets this path use the key opens every key (kms:*, or a Resource that matches any key)"})
	}
	if !p.Certain {
		why := "nothing is allowed for certain"
		if len(p.Why) > 0 {
			why = strings.Join(p.Why, "; ")
		}
		p.Findings = append(p.Findings, encryptperm.Finding{Code: FindingCannotJudge, Severity: encryptperm.SeverityWarning, Path: where,
			Message: "the path may exist: " + why})
	}
}

func actionsText(p Path) string {
	acts := strings.Join(p.Actions, ", ")
	if len(p.MayActions) > 0 {
		acts = strings.TrimPrefix(acts+"; maybe "+strings.Join(p.MayActions, ", "), "; ")
	}
	return acts
}

// outside says how a principal reaches outside the trust zone, or "".
func (a *Auditor) outside(p Principal, account string) string {
	tz := a.opts.TrustZone
	switch p.Kind {
	case KindService:
		return ""
	case KindAccount, KindRAM, KindFederated:
		if p.Account == "" {
			return "its account is not known"
		}
		if !a.inZone(p.Account, account) {
			return fmt.Sprintf("account %s is not in the trust zone", p.Account)
		}
		return ""
	case KindDirectory:
		if tz.RDID != "" && p.Directory == tz.RDID {
			return ""
		}
		return fmt.Sprintf("resource directory %s is not the trust zone's", p.Directory)
	case KindFolder:
		if tz.RDID != "" && strings.HasPrefix(p.Folder, tz.RDID+"/") {
			return ""
		}
		return fmt.Sprintf("folder %s is not in the trust zone's resource directory", p.Folder)
	case KindAny:
		return "the pattern names any account"
	}
	return "who it is could not be read"
}

// opensEveryKey reports whether the statement s names (of role r's
// policies) opens every key: kms:*, or a Resource that matches any key.
func (a *Auditor) opensEveryKey(r *roleRead, s encryptperm.StatementRef) bool {
	if s.Key != "" {
		return false // a key policy's Resource is its key
	}
	for _, p := range r.policies {
		if p == nil || p.doc == nil || p.name != s.Policy || p.typ != s.Type || s.Index >= len(p.doc.Statement) {
			continue
		}
		st := p.doc.Statement[s.Index]
		if slices.ContainsFunc(st.Action, func(x string) bool { return x == "*" || strings.EqualFold(x, "kms:*") }) {
			return true
		}
		for _, res := range st.Resource {
			if policy.MatchWildcard(res, probeKey, false) {
				return true
			}
		}
	}
	return false
}

// keyPolicyPaths returns the paths a key policy opens by itself: RAM
// identities it names that are not roles the audit read (users, roles of
// other accounts, whole accounts read as every identity). Their own RAM
// policies are not read, so each path may exist.
func (a *Auditor) keyPolicyPaths(w *world, k *keyRead, kp *keyPolicy, account string) []Path {
	if kp.doc == nil || kp.note != "" {
		return nil
	}
	var out []Path
	seen := map[string]bool{}
	for i, s := range kp.doc.Statement {
		if s.Effect != policy.Allow || s.Principal == nil {
			continue
		}
		for _, v := range s.Principal.RAM {
			if seen[strings.ToLower(v)] || a.isReadRole(w, v) {
				continue
			}
			seen[strings.ToLower(v)] = true
			p, ok := a.keyPolicyPath(k, kp, i, v, account)
			if ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// keyPolicyPath is the path of one principal v that statement i of the key
// policy names.
func (a *Auditor) keyPolicyPath(k *keyRead, kp *keyPolicy, i int, v string, account string) (Path, bool) {
	uid, accountForm := policy.AccountPrincipal(v)
	if accountForm && !a.opts.KeyPolicyAccountWide {
		return Path{}, false // the account itself: its RAM policies decide, through its roles
	}
	p := Path{Principal: Principal{Kind: KindRAM, Value: v, Account: arnAccount(v)}}
	if accountForm {
		p.Principal.Account = uid
	}
	if strings.ContainsAny(strings.TrimSuffix(v, ":*"), "*?") || p.Principal.Account == "" {
		p.Principal.Kind, p.Principal.Account = KindAny, ""
	}
	probe := v
	if accountForm {
		probe = "acs:ram::" + uid + ":user/any-identity"
	}
	ref := encryptperm.StatementRef{Key: k.key.ARN(), Index: i}
	for _, act := range a.opts.Actions {
		req := &policy.Request{Action: act, Resource: k.key.ARN(), Principal: policy.RequestPrincipal{RAM: probe}, Owner: k.key.Owner}
		switch answerOf(kp.ps.Eval(req), kp.ps, req) {
		case yes, may:
			p.MayActions = append(p.MayActions, act)
		}
	}
	if len(p.MayActions) == 0 {
		return Path{}, false
	}
	p.By = []encryptperm.StatementRef{ref}
	if p.Principal.Account != "" && p.Principal.Account != k.key.Owner {
		p.Why = append(p.Why, fmt.Sprintf("%s is of account %s, whose own RAM policies must allow it too; they are not read", v, p.Principal.Account))
		p.Findings = append(p.Findings, encryptperm.Finding{Code: FindingKeyPolicyForeignPrincipal, Severity: encryptperm.SeverityWarning,
			Path: ref.String(), Message: fmt.Sprintf("the key policy names %s, of another account: it can use the key if its account's RAM policies allow it", v)})
	} else {
		p.Why = append(p.Why, fmt.Sprintf("%s's own RAM policies are not read; a Deny in them would stop it", v))
	}
	a.addFindings(&p, k, false, account)
	return p, true
}

// isReadRole reports whether v names a role the audit read (its paths go
// through the role).
func (a *Auditor) isReadRole(w *world, v string) bool {
	for _, r := range w.roles {
		if strings.EqualFold(r.arn, v) {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
