// This file holds the pipeline of Plan, Apply, ApplyPlan and Revoke over
// their two targets, RAM and the share.

package encryptperm

import (
	"context"
)

// pipeline runs Plan, Apply, ApplyPlan and Revoke over two targets: RAM (the
// roles and policies the grants need) and the share (the images and
// snapshots the grants name). Each target reads, plans, writes and verifies
// its writes on its own; the pipeline alone names both, and holds the one
// rule of their order. An apply writes RAM, then shares: a recipient is
// offered a resource only once its ECS may use the resource's key. A revoke
// unshares, then writes RAM: no recipient keeps a resource whose key its
// ECS may no longer use. Every check of either target comes before the
// first write of either.
type pipeline struct {
	ram   *ramTarget
	share *shareTarget
	keys  *keyPreflight
}

// plan is Plan and RevokePlan: the share changes appear beside the RAM
// changes, in the order they would be made (before them for a revoke,
// after them for an apply).
func (pp *pipeline) plan(ctx context.Context, revoke bool, grants, keep []*Grant) (*Plan, error) {
	rec := &recorder{}
	var kc *keyCheck
	if !revoke {
		kc = pp.share.startKeyCheck(ctx, rec, grants)
	}
	if !hasResources(grants, keep) {
		pl, err := pp.ram.plan(ctx, revoke, grants, keep)
		if kerr := kc.wait(); kerr != nil {
			return nil, ctxOr(ctx, kerr)
		}
		if err != nil {
			return nil, err
		}
		pl.Calls = append(rec.list(), pl.Calls...)
		return pl, nil
	}
	// The share is read and planned first: it finds the keys the RAM
	// target's grants name.
	job, err := pp.share.prepare(ctx, rec, revoke, grants, keep)
	if kerr := kc.wait(); err == nil {
		err = kerr
	}
	if err != nil {
		return nil, ctxOr(ctx, err)
	}
	pl, err := pp.ram.plan(ctx, revoke, job.ramGrants, job.keepRAM)
	if err != nil {
		return nil, err
	}
	sc := job.changes()
	if revoke {
		pl.Changes = append(sc, pl.Changes...)
	} else {
		pl.Changes = append(pl.Changes, sc...)
	}
	pl.Calls = append(rec.list(), pl.Calls...)
	// ApplyPlan converges the grants as given: the share step reads the
	// resources again then.
	pl.grants, pl.keep = grants, keep
	return pl, nil
}

// run is Apply, Revoke and ApplyPlan (stale holds the reviewed plan's
// fingerprints of RAM).
func (pp *pipeline) run(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string) (*Result, error) {
	if !hasResources(grants, keep) {
		if revoke {
			return pp.ram.converge(ctx, revoke, grants, keep, stale, nil, nil, nil)
		}
		// The keys and their key policies are read beside RAM's first
		// reads; no write waits for more than that level.
		rec := &recorder{}
		kc := pp.share.startKeyCheck(ctx, rec, grants)
		pf := pp.keys.start(ctx, rec, grants)
		res, err := pp.ram.converge(ctx, revoke, grants, keep, stale, nil, rec, joinGates(kc.gate(), pf.gate(ctx)))
		if kerr := kc.wait(); kerr != nil && (err == nil || !isContextError(kerr)) {
			err = ctxOr(ctx, kerr)
		}
		return res, pf.finish(ctx, res, rec, err)
	}
	r := &pipelineRun{pp: pp, ctx: ctx, rec: &recorder{}, res: &Result{}, stale: stale}
	if !revoke {
		r.gate = pp.keys.start(ctx, r.rec, grants)
	}
	job, pre, err := r.read(revoke, grants, keep)
	defer pre.release()
	if err != nil {
		r.gate.wait(ctx)
		return r.finish(err)
	}
	if revoke {
		return r.finish(r.unshareThenRevoke(job))
	}
	err = r.grantThenShare(job, pre)
	if gerr := r.gate.wait(ctx); err == nil {
		err = gerr
	}
	return r.finish(err)
}

// pipelineRun is one run of the pipeline: its calls, in the order made,
// and what it did.
type pipelineRun struct {
	pp    *pipeline
	ctx   context.Context
	rec   *recorder
	res   *Result
	stale map[string]string
	gate  *preflight // an apply's pre-flight of key policies
}

// read reads and plans the share, and, for an apply, RAM beside the share's
// first reads: the roles' locks are taken before those reads and held until
// RAM has converged (see prefetch), so that what is read is as good as a
// read under the locks. A revoke reads RAM after it unshares, and a
// reviewed plan compares RAM with what the plan read.
func (r *pipelineRun) read(revoke bool, grants, keep []*Grant) (*sharePlan, *prefetch, error) {
	if revoke {
		job, err := r.pp.share.prepare(r.ctx, r.rec, revoke, grants, keep)
		return job, nil, err
	}
	// What needs no I/O is refused before any.
	if err := r.pp.share.check(grants, keep, false); err != nil {
		return nil, nil, err
	}
	// The keys of the grants without resources are read beside the share
	// step's first reads.
	kc := r.pp.share.startKeyCheck(r.ctx, r.rec, grants)
	var pre *prefetch
	if r.stale == nil {
		pre = r.pp.ram.startPrefetch(r.ctx, r.rec, grants)
	}
	job, err := r.pp.share.prepare(r.ctx, r.rec, false, grants, keep)
	// Wait for RAM's reads even after a refusal, so that the Result lists
	// every call made.
	if werr := pre.wait(); err == nil {
		err = werr
	}
	if kerr := kc.wait(); err == nil {
		err = kerr
	}
	return job, pre, err
}

// grantThenShare converges RAM, from the state pre read and under its
// locks, then shares; the share is told when RAM has just taken a grant,
// which ECS may not see yet.
func (r *pipelineRun) grantThenShare(job *sharePlan, pre *prefetch) error {
	ram, err := r.pp.ram.converge(r.ctx, false, job.ramGrants, nil, r.stale, pre, r.rec, r.gate.gate(r.ctx))
	pre.release()
	mergeResult(r.res, ram)
	if err != nil {
		return err
	}
	if err := r.gate.wait(r.ctx); err != nil {
		return err
	}
	fresh := ram != nil && ram.Writes > 0
	err = job.run(r.ctx, r.res, fresh)
	r.res.Changes = append(r.res.Changes, job.notes()...)
	return err
}

// unshareThenRevoke unshares, then converges RAM without the grants.
func (r *pipelineRun) unshareThenRevoke(job *sharePlan) error {
	if err := job.run(r.ctx, r.res, false); err != nil {
		return err
	}
	ram, err := r.pp.ram.converge(r.ctx, true, job.ramGrants, job.keepRAM, r.stale, nil, r.rec, nil)
	mergeResult(r.res, ram)
	r.res.Changes = append(r.res.Changes, job.notes()...)
	return err
}

// finish returns the run's result with every call made, RAM's included, in
// order, and err (ctx's own error when ctx ended).
func (r *pipelineRun) finish(err error) (*Result, error) {
	r.res.Calls = r.rec.list()
	r.res.Writes = 0
	for _, c := range r.res.Calls {
		if c.Write {
			r.res.Writes++
		}
	}
	if err != nil {
		err = ctxOr(r.ctx, err)
	}
	return r.res, err
}

// mergeResult adds the RAM target's result to the run's.
func mergeResult(res, r *Result) {
	if r == nil {
		return
	}
	res.Changes = append(res.Changes, r.Changes...)
	res.Unknown = append(res.Unknown, r.Unknown...)
	res.Calls = append(res.Calls, r.Calls...)
	res.Conflicts = append(res.Conflicts, r.Conflicts...)
}
