// This file holds Grant.Lint: the findings of a whole grant, judged from its
// documents alone, and their codes.

package encryptperm

import (
	"fmt"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Finding codes of lintGrant, beyond those in finding.go. Codes are stable.
const (
	// FindingKMSWildcardToOthers: a policy of a role that other accounts' ECS
	// may assume allows KMS actions sharing does not need, such as
	// kms:ScheduleKeyDeletion (kms:*, *, or a NotAction statement).
	FindingKMSWildcardToOthers = "EP101-KMSWildcardToOtherAccounts"
	// FindingPlainECSPrincipal: a share role trusts ecs.aliyuncs.com, which is
	// ECS of the role's own account only; a recipient's ECS is
	// <uid>@ecs.aliyuncs.com. ECS answers such a share with AssumeRoleError.
	FindingPlainECSPrincipal = "EP102-PlainECSPrincipal"
	// FindingRecipientNotTrusted: the trust policy does not let the ECS of an
	// account, resource directory or folder the grant names assume the role.
	FindingRecipientNotTrusted = "EP103-RecipientNotTrusted"
	// FindingWildcardKeyPattern: key-use actions are allowed on a resource
	// pattern (such as acs:kms:*:*:*/*) that covers keys the grant does not
	// name.
	FindingWildcardKeyPattern = "EP104-WildcardKeyPattern"
	// FindingUnknownSystemPolicy: a system policy the built-in catalog does
	// not hold is attached, so what it allows is unknown.
	FindingUnknownSystemPolicy = "EP105-UnknownSystemPolicy"
)

// lintProbeAction is an action no grant of this library needs and any broad
// KMS grant allows: deleting a key.
const lintProbeAction = "kms:ScheduleKeyDeletion"

// lintAccount stands for "some account" where a grant does not say which.
const lintAccount = "1000000000000000"

// Lint reviews a grant's documents, whoever assembled them (a builder,
// a caller by hand, or a read back from RAM), and reports:
//
//   - what the package's Lint reports for the trust policy and each custom policy
//     (unconditioned wildcard principals, kms:*, Resource "*" on key use,
//     unreadable statements);
//   - AliyunKMSFullAccess (FindingServiceKeyFullAccess) or a custom
//     statement allowing more than key use (FindingKMSWildcardToOthers) on a
//     role other accounts' ECS may assume: critical;
//   - a share role trusting plain ecs.aliyuncs.com (FindingPlainECSPrincipal),
//     and an account, resource directory or folder of the Audience whose ECS
//     the trust policy does not admit (FindingRecipientNotTrusted): errors;
//   - an action ECS needs on a key of the grant that the policies do not allow
//     (FindingMissingKeyAction): error;
//   - key use on wildcard key patterns (FindingWildcardKeyPattern): warning;
//   - a trust policy near or over its size limit (FindingTrustPolicyNearLimit);
//   - a folder condition whose trailing * also matches sibling folders
//     (FindingRDPathPrefix): info;
//   - a system policy the catalog does not hold (FindingUnknownSystemPolicy).
//
// A grant from a builder already carries some of these in Grant.Findings;
// Lint finds them again from the documents alone. It never fails, and a nil
// grant has no findings.
func (g *Grant) Lint() []Finding { return lintGrant(g) }

func lintGrant(g *Grant) []Finding {
	if g == nil {
		return nil
	}
	var out []Finding
	add := func(f Finding) {
		for _, x := range out {
			if x == f {
				return
			}
		}
		out = append(out, f)
	}
	trust := g.Role.TrustPolicy
	for _, f := range Lint(trust) {
		f.Path = join("Role.TrustPolicy", f.Path)
		add(f)
	}
	docs := make([]*policy.Document, len(g.Policies))
	for i, p := range g.Policies {
		path := fmt.Sprintf("Policies[%d]", i)
		switch {
		case p.Document != nil:
			docs[i] = p.Document
			for _, f := range Lint(p.Document) {
				f.Path = join(path+".Document", f.Path)
				add(f)
			}
		case p.Type == System:
			if d, ok := systemPolicy(p.Name); ok {
				docs[i] = d
			} else {
				add(Finding{
					Code: FindingUnknownSystemPolicy, Severity: SeverityWarning, Path: path,
					Message: fmt.Sprintf("system policy %s is not in the built-in catalog, so what it allows is unknown; Check takes it to grant nothing", p.Name),
				})
			}
		}
	}
	share := g.Kind == KindShareSnapshot || g.Kind == KindShareImage
	others := share || trustsOtherAccounts(trust)
	if others {
		for _, f := range lintBroadKMS(g, docs) {
			add(f)
		}
	}
	for _, f := range lintKeyPatterns(g, docs) {
		add(f)
	}
	for _, f := range lintMissingActions(g, docs) {
		add(f)
	}
	for _, f := range lintTrust(g, share) {
		add(f)
	}
	return out
}

// trustsOtherAccounts reports whether an Allow statement of a trust policy
// names a qualified service principal (<uid>@service, or a pattern) or a RAM
// principal: principals that may belong to another account.
func trustsOtherAccounts(trust *policy.Document) bool {
	if trust == nil {
		return false
	}
	for _, s := range trust.Statement {
		if s.Effect != policy.Allow || s.Principal == nil {
			continue
		}
		if len(s.Principal.RAM) > 0 || len(s.Principal.Federated) > 0 {
			return true
		}
		for _, v := range s.Principal.Service {
			if strings.Contains(v, "@") || strings.ContainsAny(v, "*?") {
				return true
			}
		}
	}
	return false
}

// lintProbeKey is the key a probe request names: the grant's first key, or a
// stand-in.
func lintProbeKey(g *Grant) Key {
	if len(g.Keys) > 0 {
		return g.Keys[0]
	}
	return Key{Region: "cn-hangzhou", Owner: lintAccount, ID: "key-probe"}
}

// lintBroadKMS reports policies that let other accounts' ECS do more with
// keys than use them.
func lintBroadKMS(g *Grant, docs []*policy.Document) []Finding {
	var out []Finding
	probe := &policy.Request{Action: lintProbeAction, Resource: lintProbeKey(g).ARN()}
	for i, p := range g.Policies {
		path := fmt.Sprintf("Policies[%d]", i)
		if p.Type == System && p.Name == KMSFullAccessPolicy {
			out = append(out, Finding{
				Code: FindingServiceKeyFullAccess, Severity: SeverityCritical, Path: path,
				Message: KMSFullAccessPolicy + " allows kms:* on every key of the account to other accounts' ECS, far more than sharing needs; copy the resource with a customer key and grant WithKey for that key",
			})
			continue
		}
		if p.Document == nil || docs[i] == nil {
			continue
		}
		res := policy.Compile(docs[i]).Eval(probe)
		if res.Verdict != policy.VerdictAllow {
			continue
		}
		out = append(out, Finding{
			Code: FindingKMSWildcardToOthers, Severity: SeverityCritical,
			Path:    fmt.Sprintf("%s.Document.Statement[%d]", path, res.By.Statement),
			Message: fmt.Sprintf("this statement allows %s and every other KMS action to other accounts' ECS; sharing needs only %s and %s", lintProbeAction, listKeysAction, strings.Join(keyUseActions, ", ")),
		})
	}
	return out
}

// lintKeyPatterns reports key use on wildcard resource patterns other than
// "*" (which Lint reports).
func lintKeyPatterns(g *Grant, docs []*policy.Document) []Finding {
	var out []Finding
	for i, p := range g.Policies {
		if p.Document == nil {
			continue
		}
		for si, s := range docs[i].Statement {
			if s.Effect != policy.Allow || !allowsKeyUse(s) {
				continue
			}
			for _, r := range s.Resource {
				if r == "*" || !strings.ContainsAny(r, "*?") {
					continue
				}
				out = append(out, Finding{
					Code: FindingWildcardKeyPattern, Severity: SeverityWarning,
					Path:    fmt.Sprintf("Policies[%d].Document.Statement[%d].Resource", i, si),
					Message: fmt.Sprintf("key-use actions on %q cover keys this grant does not name; list the key ARNs", r),
				})
			}
		}
	}
	return out
}

// lintMissingActions reports each action ECS needs on each key of the grant
// that the policies do not allow for certain.
func lintMissingActions(g *Grant, docs []*policy.Document) []Finding {
	if len(g.Keys) == 0 {
		return nil
	}
	ps := policy.Compile(docs...)
	var out []Finding
	for ki, k := range g.Keys {
		var missing []string
		for _, a := range keyUseActions {
			if !ps.Eval(&policy.Request{Action: a, Resource: k.ARN()}).Allowed() {
				missing = append(missing, a)
			}
		}
		for _, a := range listActions {
			if !ps.Eval(&policy.Request{Action: a, Resource: k.ContainerARN()}).Allowed() {
				missing = append(missing, a+" (on "+k.ContainerARN()+")")
			}
		}
		if len(missing) > 0 {
			out = append(out, Finding{
				Code: FindingMissingKeyAction, Severity: SeverityError, Path: fmt.Sprintf("Keys[%d]", ki),
				Message: fmt.Sprintf("ECS needs %s on %s, and no policy of the grant allows it for certain", strings.Join(missing, ", "), k.ARN()),
			})
		}
	}
	return out
}

// lintTrust reviews the trust policy against the grant's audience, its size,
// and its folder conditions.
func lintTrust(g *Grant, share bool) []Finding {
	trust := g.Role.TrustPolicy
	if trust == nil {
		return nil
	}
	var out []Finding
	ps := policy.Compile(trust)
	admits := func(uid string, ctx ...policy.ContextValue) policy.EvalResult {
		return ps.Eval(&policy.Request{
			Action: assumeRoleAction, Principal: policy.RequestPrincipal{Service: accountECSPrincipal(uid)},
			Owner: lintOwner(g), Context: ctx,
		})
	}
	for si, s := range trust.Statement {
		if s.Effect != policy.Allow || s.Principal == nil {
			continue
		}
		for _, v := range s.Principal.Service {
			if share && policy.CompareFold(v, ecsService) != policy.MatchNo {
				out = append(out, Finding{
					Code: FindingPlainECSPrincipal, Severity: SeverityError,
					Path:    fmt.Sprintf("Role.TrustPolicy.Statement[%d].Principal.Service", si),
					Message: fmt.Sprintf("%q is ECS of the role's own account only; another account's ECS is <uid>@%s, and ECS answers the share with AssumeRoleError", v, ecsService),
				})
			}
		}
		for op, keys := range s.Condition {
			if op != "StringLike" {
				continue
			}
			for k, vals := range keys {
				if policy.CompareFold(k, conditionRDPath) == policy.MatchNo {
					continue
				}
				for _, v := range vals {
					if strings.HasSuffix(v, "*") && !strings.HasSuffix(v, "/*") {
						out = append(out, Finding{
							Code: FindingRDPathPrefix, Severity: SeverityInfo,
							Path:    fmt.Sprintf("Role.TrustPolicy.Statement[%d].Condition.StringLike.%s", si, k),
							Message: fmt.Sprintf("%q also matches sibling folders whose IDs begin with the same characters as the last folder ID", v),
						})
					}
				}
			}
		}
	}
	for i, uid := range g.Audience.Accounts {
		if !admits(uid).Allowed() {
			out = append(out, Finding{
				Code: FindingRecipientNotTrusted, Severity: SeverityError, Path: fmt.Sprintf("Audience.Accounts[%d]", i),
				Message: fmt.Sprintf("the trust policy does not let %s assume the role", accountECSPrincipal(uid)),
			})
		}
	}
	for i, rd := range g.Audience.ResourceDirectories {
		if !admits(lintAccount, policy.ContextValue{Key: conditionRDID, Value: rd}).Allowed() {
			out = append(out, Finding{
				Code: FindingRecipientNotTrusted, Severity: SeverityError, Path: fmt.Sprintf("Audience.ResourceDirectories[%d]", i),
				Message: fmt.Sprintf("the trust policy does not let ECS of accounts in resource directory %s assume the role", rd),
			})
		}
	}
	for i, f := range g.Audience.Folders {
		rd, _, _ := strings.Cut(f, "/")
		if !admits(lintAccount, policy.ContextValue{Key: conditionRDID, Value: rd}, policy.ContextValue{Key: conditionRDPath, Value: f}).Allowed() {
			out = append(out, Finding{
				Code: FindingRecipientNotTrusted, Severity: SeverityError, Path: fmt.Sprintf("Audience.Folders[%d]", i),
				Message: fmt.Sprintf("the trust policy does not let ECS of accounts in folder %s assume the role", f),
			})
		}
	}
	if g.Kind == KindDiskEncryption {
		owner := lintOwner(g)
		if !admits(owner).Allowed() {
			out = append(out, Finding{
				Code: FindingRecipientNotTrusted, Severity: SeverityError, Path: "Role.TrustPolicy",
				Message: fmt.Sprintf("the trust policy does not let ECS of the role's own account (%s) assume the role", ecsService),
			})
		}
	}
	l := g.Limits.WithDefaults()
	switch size := trust.Size(); {
	case size > l.TrustPolicyMaxLen:
		out = append(out, Finding{
			Code: FindingTrustPolicyNearLimit, Severity: SeverityError, Path: "Role.TrustPolicy",
			Message: fmt.Sprintf("the trust policy is %d bytes, over its limit of %d; share with a resource directory or folder instead of listing accounts", size, l.TrustPolicyMaxLen),
		})
	case size*5 > l.TrustPolicyMaxLen*4:
		out = append(out, Finding{
			Code: FindingTrustPolicyNearLimit, Severity: SeverityWarning, Path: "Role.TrustPolicy",
			Message: fmt.Sprintf("the trust policy uses %d of its %d bytes; a resource directory or folder share has no per-account cost", size, l.TrustPolicyMaxLen),
		})
	}
	return out
}

// lintOwner is the account that holds the grant's role: the owner of its
// first key, or a stand-in.
func lintOwner(g *Grant) string {
	if len(g.Keys) > 0 {
		return g.Keys[0].Owner
	}
	return lintAccount
}

// join joins a field path and a key with a dot.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
