// This file holds the RAM reads an Apply with a share step makes beside the
// share step's first reads: the library's policy names are known before the
// image's key is, so RAM need not wait for ECS and KMS.

package encryptperm

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
)

// prefetch is RAM's state of the roles an Apply's grants converge, read
// under the roles' locks while the share step reads ECS and KMS. The locks
// are held from before the reads until the RAM engine has converged the
// roles (release), so the state is as good as one read after taking them.
type prefetch struct {
	specs map[string]*prefetchSpec // by lower-case role name

	done   chan struct{}
	err    error
	states map[string]*roleState

	mu      sync.Mutex
	unlocks []func()
	ctxs    map[string]context.Context // see setLockedCtx
}

// prefetchSpec is what is read of one role: the role, its attachments, the
// named custom policies, and the attached policies of the families.
type prefetchSpec struct {
	role         string
	names, bases []string
}

// shareBase is the key policy a grant that names resources but no key will
// have once the share step has found the keys: the policy name it was built
// with, or its kind's.
func shareBase(g *Grant) string {
	if g.policyName != "" {
		return g.policyName
	}
	if g.Kind == KindShareImage {
		return ShareImagePolicyName
	}
	return ShareSnapshotPolicyName
}

// addFold appends the strings of add that s does not hold, ignoring case.
func addFold(s []string, add ...string) []string {
	for _, a := range add {
		if !slices.ContainsFunc(s, func(x string) bool { return strings.EqualFold(x, a) }) {
			s = append(s, a)
		}
	}
	return s
}

// sameFold reports whether a and b hold the same strings, ignoring case
// and order.
func sameFold(a, b []string) bool {
	norm := func(s []string) []string {
		out := make([]string, 0, len(s))
		for _, x := range s {
			out = addFold(out, strings.ToLower(x))
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

// prefetchSpecs returns what to read of each role the grants name, as far
// as it is known before the share step: a grant with resources and no key
// gets its key policy's name from its kind; the RAM engine reads again a
// role whose grants turn out to need other names (stateFor).
func prefetchSpecs(grants []*Grant) map[string]*prefetchSpec {
	out := map[string]*prefetchSpec{}
	for _, g := range grants {
		var names, bases []string
		if len(g.Resources) > 0 && len(g.Keys) == 0 && !g.ServiceKey {
			names, bases = []string{shareBase(g)}, []string{shareBase(g)}
		} else {
			ws, gs := wants([]*Grant{g})
			names, bases = ws[0].policyNames(gs[strings.ToLower(ws[0].role)]), ws[0].bases()
		}
		k := strings.ToLower(g.Role.Name)
		sp, ok := out[k]
		if !ok {
			sp = &prefetchSpec{role: g.Role.Name}
			out[k] = sp
		}
		sp.names, sp.bases = addFold(sp.names, names...), addFold(sp.bases, bases...)
	}
	return out
}

// wait waits for the reads, and returns their error; a nil prefetch has
// none.
func (p *prefetch) wait() error {
	if p == nil {
		return nil
	}
	<-p.done
	return p.err
}

// holds reports whether the prefetch holds the locks of role.
func (p *prefetch) holds(role string) bool {
	if p == nil || p.wait() != nil {
		return false
	}
	_, ok := p.specs[strings.ToLower(role)]
	return ok
}

// stateFor returns the state read of w's role when it was read with exactly
// the policy names and families that the RAM engine would read for grants;
// else nil, and the engine reads the role again (under the same locks).
func (p *prefetch) stateFor(w *roleWant, grants []*Grant) *roleState {
	if p == nil || p.wait() != nil {
		return nil
	}
	k := strings.ToLower(w.role)
	sp, ok := p.specs[k]
	if !ok || p.states[k] == nil || !sameFold(sp.names, w.policyNames(grants)) || !sameFold(sp.bases, w.bases()) {
		return nil
	}
	return p.states[k].clone()
}

// release lets the roles go. It may be called more than once.
func (p *prefetch) release() {
	if p == nil {
		return
	}
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.unlocks) - 1; i >= 0; i-- {
		p.unlocks[i]()
	}
	p.unlocks = nil
}
