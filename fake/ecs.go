// This file holds SimulateECS: ECS's side of a share, judged on the fake's
// state.

package fake

import (
	"encoding/json"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// SimulateECS plays ECS's side of a share: it answers, from the fake's
// state, whether ECS in the account a.Recipient (with a.RDID and a.RDPath
// as its resource directory context) could assume the share role of
// a.Resource and call the KMS actions it needs on a.Key. The answer is
// encryptperm.Simulate's, on the role's trust policy and the default
// versions of its attached policies, so it says why, step by step.
//
// It fails closed: when it cannot tell (the role is missing, a document
// cannot be read, the outcome hangs on a condition key the Access does not
// give), the Decision is not allowed and names what it lacked in Missing,
// Uncertain or Unreadable. a.Owner defaults to the fake's account.
//
// Real ECS also checks things RAM does not hold (that the key exists and is
// enabled, that the resource may be shared in its region); the fake does not
// model them.
func (r *RAM) SimulateECS(a encryptperm.Access) *encryptperm.Decision {
	if a.Owner == "" {
		a.Owner = r.opts.AccountID
	}
	if a.Role == "" {
		a.Role = a.Resource.RoleName()
	}
	trust, policies := r.shareState(a.Role)
	return encryptperm.Simulate(trust, policies, a)
}

// shareState reads a role's trust policy and attached policies under the
// lock. A missing role gives a nil trust policy.
func (r *RAM) shareState(role string) (*policy.Document, []encryptperm.Attachment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, ok := r.st.roles[roleKey(role)]
	if !ok {
		return nil, nil
	}
	trust, err := policy.Read([]byte(rr.trust))
	if err != nil {
		// Keep the role, but with a trust policy nobody can read: the
		// evaluation then fails closed and names it.
		trust = &policy.Document{Version: policy.Version, Statement: []policy.Statement{{
			Effect: policy.Allow,
			Extra:  map[string]json.RawMessage{"Principal": json.RawMessage(`"unreadable trust policy"`)},
		}}}
	}
	var out []encryptperm.Attachment
	for _, pr := range r.attachedPolicies(rr) {
		at := encryptperm.Attachment{Name: pr.name, Type: encryptperm.PolicyType(pr.typ)}
		if v := pr.defaultVersion(); v != nil {
			if d, err := policy.Read([]byte(v.doc)); err == nil {
				at.Document = d
			}
		}
		out = append(out, at)
	}
	return trust, out
}
