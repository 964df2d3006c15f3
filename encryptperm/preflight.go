// This file holds an Apply's pre-flight of key policies: the key policy of
// each key a grant names is read beside the first reads of RAM and the
// share, and a grant that a key policy explicitly denies is refused before
// any write.

package encryptperm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/parallel"
)

// keyPreflight reads the key policies of an Applier's applies.
type keyPreflight struct {
	c      *caller
	limits policy.Limits
	// enabled is false when the Applier's KMS client cannot read key
	// policies (see KMS): there is then nothing to read.
	enabled bool
}

// preflight is one Apply's pre-flight: done closes when its reads have
// answered; err then holds the refusal, if any.
type preflight struct {
	done chan struct{}
	err  error
}

// wait waits for the pre-flight, or for ctx, and returns the refusal or
// ctx's error. A nil pre-flight passes at once.
func (p *preflight) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		<-p.done // its reads end with ctx
		return ctx.Err()
	}
}

// finish waits for the pre-flight at the end of an apply whose result is
// res and error err: res then lists every call made in order, rec's, and a
// refusal is the apply's error when nothing else failed (RAM may hold the
// grant already, but it cannot take effect).
func (p *preflight) finish(ctx context.Context, res *Result, rec *recorder, err error) error {
	if p == nil {
		return err
	}
	werr := p.wait(ctx)
	if res != nil {
		res.Calls = rec.list()
	}
	if err == nil {
		err = werr
	}
	return err
}

// gate returns the pre-flight as a gate of the RAM target (see
// convergeLocked), waited for under ctx; nil for a nil pre-flight.
func (p *preflight) gate(ctx context.Context) func() error {
	if p == nil {
		return nil
	}
	return func() error { return p.wait(ctx) }
}

// joinGates returns a gate that passes once each of gs has, in order, and
// fails with the first refusal; nil gates are passed over, and nil comes
// back when every one is nil.
func joinGates(gs ...func() error) func() error {
	var live []func() error
	for _, g := range gs {
		if g != nil {
			live = append(live, g)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return func() error {
		for _, g := range live {
			if err := g(); err != nil {
				return err
			}
		}
		return nil
	}
}

// keyRoles is a key the grants name, and the roles that get it.
type keyRoles struct {
	key   Key
	roles []string
}

// namedKeys returns the keys the grants name (WithKey), each once, with
// the roles of the grants that name it.
func namedKeys(grants []*Grant) []*keyRoles {
	var out []*keyRoles
	byARN := map[string]*keyRoles{}
	for _, g := range grants {
		if g == nil {
			continue
		}
		for _, k := range g.Keys {
			kr, ok := byARN[k.ARN()]
			if !ok {
				kr = &keyRoles{key: k}
				byARN[k.ARN()] = kr
				out = append(out, kr)
			}
			if !slices.ContainsFunc(kr.roles, func(r string) bool { return strings.EqualFold(r, g.Role.Name) }) {
				kr.roles = append(kr.roles, g.Role.Name)
			}
		}
	}
	return out
}

// start reads, in the background, the key policy of each key the grants
// name; nil when there is none to read. The caller must wait for it
// (preflight.wait or finish) before returning.
func (kp *keyPreflight) start(ctx context.Context, rec *recorder, grants []*Grant) *preflight {
	keys := namedKeys(grants)
	if kp == nil || !kp.enabled || len(keys) == 0 {
		return nil
	}
	p := &preflight{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		reads := engineReads{c: kp.c, rec: rec}
		refusals := make([]error, len(keys))
		fns := make([]func() error, len(keys))
		for i, k := range keys {
			fns[i] = func() error {
				resp, err := reads.getKeyPolicy(ctx, getKeyPolicyRequest(k.key.Region, k.key.ARN()))
				if err != nil {
					// No key policy (a key of the default kind), or one that
					// cannot be read: the grant is not refused for it; Check
					// says what it means.
					return nil
				}
				doc, err := kp.limits.Read([]byte(resp.Policy))
				if err == nil {
					refusals[i] = keyPolicyRefusal(k, doc)
				}
				return nil
			}
		}
		parallel.All(fns...)
		if err := ctx.Err(); err != nil {
			p.err = err
			return
		}
		p.err = parallel.First(refusals)
	}()
	return p
}

// keyPolicyRefusal returns the refusal of the grants of k's roles when the
// key policy doc explicitly denies one of them a key-use action, or nil.
// The roles are taken to be of the key's account, where the Applier writes
// them.
func keyPolicyRefusal(k *keyRoles, doc *policy.Document) error {
	ps := policy.Compile(doc)
	for _, role := range k.roles {
		var denied []string
		var by StatementRef
		for _, act := range keyUseActions {
			req := &policy.Request{Action: act, Resource: k.key.ARN(), Principal: policy.RequestPrincipal{RAM: roleARN(k.key.Owner, role)}, Owner: k.key.Owner}
			if res := ps.Eval(req); res.Verdict == policy.VerdictExplicitDeny {
				if len(denied) == 0 {
					by = StatementRef{Key: k.key.ARN(), Index: res.By.Statement}
				}
				denied = append(denied, act)
			}
		}
		if len(denied) > 0 {
			return fmt.Errorf("encryptperm: apply: %s denies %s to role %s, so the grant could not take effect; nothing was written for it: %w",
				by, strings.Join(denied, ", "), role, ErrInvalid)
		}
	}
	return nil
}
