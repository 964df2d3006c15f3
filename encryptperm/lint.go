// This file holds Lint: the findings a reviewer should see in one document.

package encryptperm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// meaningKeys are the keys of a statement that change what it means.
var meaningKeys = []string{"Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"}

// Lint reports what a reviewer should know about a document, whoever wrote
// it: an unconditioned wildcard principal (critical), kms:* (warning),
// key-use actions on every resource (warning). Paths name statements, such as
// "Statement[1].Principal.Service". Lint never fails: a statement it cannot
// fully read (one whose Extra holds a key that changes its meaning) is
// reported as a warning, and one it cannot read at all (Statement.Opaque:
// keys that differ only in case, or a key that is one of a statement's only
// when case is folded beyond ASCII) as critical.
func Lint(d *policy.Document) []Finding {
	if d == nil {
		return nil
	}
	var out []Finding
	for i, s := range d.Statement {
		path := fmt.Sprintf("Statement[%d]", i)
		if s.Opaque != nil {
			out = append(out, Finding{
				Code: FindingUnreadableStatement, Severity: SeverityCritical, Path: path,
				Message: "two keys of this statement differ only in case, or a key is one of a statement's only when case is folded beyond ASCII (a long s, a dotless i, a Kelvin sign), so RAM might read it either way: it may allow or deny anything; spell every key in ASCII, once",
			})
			continue
		}
		for k := range s.Extra {
			if slices.ContainsFunc(meaningKeys, func(n string) bool { return policy.CompareFold(k, n) != policy.MatchNo }) {
				out = append(out, Finding{
					Code: FindingUnreadableStatement, Severity: SeverityWarning, Path: path + "." + k,
					Message: "this library cannot read this value, so it cannot tell what the statement allows",
				})
			}
		}
		// RAM spells the effect "Allow"; a faithful read keeps other spellings, and
		// lint reads them as RAM might, without regard to case, however it folds.
		if policy.CompareFold(string(s.Effect), string(policy.Allow)) == policy.MatchNo {
			continue
		}
		if s.Principal != nil && len(s.Condition) == 0 {
			for _, kv := range []struct {
				k string
				v policy.Values
			}{{"RAM", s.Principal.RAM}, {"Service", s.Principal.Service}, {"Federated", s.Principal.Federated}} {
				for _, p := range kv.v {
					if strings.ContainsAny(p, "*?") {
						out = append(out, Finding{
							Code: FindingUnconditionedWildcardPrincipal, Severity: SeverityCritical,
							Path:    path + ".Principal." + kv.k,
							Message: fmt.Sprintf("%q with no condition lets any matching principal of any account assume the role; add a resource directory condition or name the accounts", p),
						})
					}
				}
			}
		}
		for _, a := range s.Action {
			if a == "*" || policy.CompareFold(a, "kms:*") != policy.MatchNo {
				out = append(out, Finding{
					Code: FindingKMSWildcardAction, Severity: SeverityWarning, Path: path + ".Action",
					Message: fmt.Sprintf("%q allows every KMS action, including key deletion and policy changes; ECS needs only %s and %s", a, listKeysAction, strings.Join(keyUseActions, ", ")),
				})
			}
		}
		if allowsKeyUse(s) && s.Resource.Contains("*") {
			out = append(out, Finding{
				Code: FindingWildcardKeyResource, Severity: SeverityWarning, Path: path + ".Resource",
				Message: "key-use actions on Resource \"*\" cover every key of every region; name the key ARNs",
			})
		}
	}
	return out
}

// allowsKeyUse reports whether a statement's Action covers a key-use action.
func allowsKeyUse(s policy.Statement) bool {
	for _, a := range keyUseActions {
		for _, p := range s.Action {
			if policy.MatchWildcard(p, a, true) {
				return true
			}
		}
	}
	return false
}
