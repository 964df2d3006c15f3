// This file holds the RAM target as the pipeline sees it: every role the
// grants name, planned or converged, roles in parallel.

package encryptperm

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// ramTarget is the RAM target of the pipeline: the roles the grants name,
// read, planned, written and verified, each role on its own, roles in
// parallel.
type ramTarget struct {
	opts  Options
	read  *ramReader
	conv  *converger
	batch *batcher
	locks *roleLocks
}

// newRAMTarget returns the RAM target of an Applier whose calls go through
// c.
func newRAMTarget(c *caller, o Options) *ramTarget {
	read := &ramReader{c: c}
	locks := &roleLocks{locker: o.Locker, roles: map[string]*sync.Mutex{}}
	conv := &converger{c: c, opts: o, read: read, write: &roleWriter{c: c, opts: o, read: read}, locks: locks}
	return &ramTarget{opts: o, read: read, conv: conv, batch: &batcher{conv: conv}, locks: locks}
}

// withStay sets on each role's want what the staying grants want of it.
func withStay(ws []*roleWant, keep []*Grant) {
	if len(keep) == 0 {
		return
	}
	ks, _ := wants(keep)
	for _, w := range ws {
		w.stay = &roleWant{keys: map[string][]Key{}}
		for _, k := range ks {
			if strings.EqualFold(k.role, w.role) {
				w.stay = k
			}
		}
	}
}

// plan reads and plans every role the grants name, roles in parallel.
func (t *ramTarget) plan(ctx context.Context, revoke bool, grants, keep []*Grant) (*Plan, error) {
	rec := &recorder{}
	ws, gs := wants(grants)
	withStay(ws, keep)
	pl := &Plan{revoke: revoke, grants: grants, keep: keep, fingerprints: map[string]string{}, steps: map[string]*rolePlan{}, states: map[string]*roleState{}}
	for _, g := range grants {
		pl.Findings = append(pl.Findings, g.Findings...)
	}
	results := make([]*rolePlan, len(ws))
	states := make([]*roleState, len(ws))
	fns := make([]func() error, len(ws))
	for i, w := range ws {
		fns[i] = func() error {
			st, err := t.read.readRole(ctx, rec, w.role, w.policyNames(gs[strings.ToLower(w.role)]), w.bases())
			if err != nil {
				return err
			}
			rp, err := planRole(st, w, revoke, t.opts)
			if err != nil {
				return err
			}
			results[i], states[i] = rp, st
			return nil
		}
	}
	if err := parallel.All(fns...); err != nil {
		return nil, ctxOr(ctx, err)
	}
	for i, rp := range results {
		k := strings.ToLower(ws[i].role)
		pl.Changes = append(pl.Changes, rp.changes...)
		pl.fingerprints[k] = states[i].fingerprint()
		pl.steps[k] = rp
		pl.states[k] = states[i]
	}
	pl.Calls = rec.list()
	return pl, nil
}

// converge runs each role's read-plan-write-verify loop, roles in parallel.
//
// pre, when not nil, holds the locks of some roles and their state, read
// beside the share step's reads: those roles are converged from it, under
// its locks, without a batch. parent, when not nil, records the calls too
// (the share step's recorder).
//
// gate, when not nil, must pass before any write: the grants' key policies.
func (t *ramTarget) converge(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string, pre *prefetch, parent *recorder, gate *preflight) (*Result, error) {
	rec := &recorder{parent: parent}
	ws, gs := wants(grants)
	withStay(ws, keep)
	res := &Result{}
	// Roles run in parallel; their changes are reported in the grants'
	// order of roles, whichever finishes first.
	per := make([]*Result, len(ws))
	fns := make([]func() error, len(ws))
	for i, w := range ws {
		fns[i] = func() error {
			var r *Result
			var err error
			if pre.holds(w.role) {
				r, err = t.conv.convergeLocked(ctx, rec, w, gs[strings.ToLower(w.role)], revoke, stale, pre.stateFor(w, gs[strings.ToLower(w.role)]), gates{gate})
			} else {
				r, err = t.batch.submit(ctx, rec, w, gs[strings.ToLower(w.role)], revoke, stale, gate)
			}
			per[i] = r
			return err
		}
	}
	err := parallel.All(fns...)
	for _, r := range per {
		if r == nil {
			continue
		}
		res.Changes = append(res.Changes, r.Changes...)
		res.Unknown = append(res.Unknown, r.Unknown...)
		res.Conflicts = append(res.Conflicts, r.Conflicts...)
	}
	res.Calls = rec.list()
	for _, c := range res.Calls {
		if c.Write {
			res.Writes++
		}
	}
	return res, ctxOr(ctx, err)
}

// startPrefetch takes the locks of the roles the grants name, in order of
// their names (so two Applies cannot wait for each other), and reads the
// roles, in the background. The caller must call release.
func (t *ramTarget) startPrefetch(ctx context.Context, rec *recorder, grants []*Grant) *prefetch {
	p := &prefetch{specs: prefetchSpecs(grants), done: make(chan struct{}), states: map[string]*roleState{}}
	go func() {
		defer close(p.done)
		keys := make([]string, 0, len(p.specs))
		for k := range p.specs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			unlock, err := t.locks.lockRole(ctx, p.specs[k].role)
			if err != nil {
				p.err = err
				return
			}
			p.mu.Lock()
			p.unlocks = append(p.unlocks, unlock)
			p.mu.Unlock()
		}
		var mu sync.Mutex
		fns := make([]func() error, 0, len(keys))
		for _, k := range keys {
			sp := p.specs[k]
			fns = append(fns, func() error {
				st, err := t.read.readRole(ctx, rec, sp.role, sp.names, sp.bases)
				mu.Lock()
				p.states[k] = st
				mu.Unlock()
				return err
			})
		}
		p.err = parallel.All(fns...)
	}()
	return p
}
