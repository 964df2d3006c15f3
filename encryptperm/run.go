// This file holds the pipeline of Plan, Apply, ApplyPlan and Revoke over
// their two targets, RAM and the share.

package encryptperm

import (
	"context"
)

// pipeline runs Plan, Apply, ApplyPlan and Revoke over the two targets.
type pipeline struct {
	ram   *ramTarget
	share *shareTarget
}

// plan is Plan and RevokePlan with the share step: the share changes
// appear beside the RAM changes (before them for a revoke, after them for
// an apply, in the order they would be made).
func (pp *pipeline) plan(ctx context.Context, revoke bool, grants, keep []*Grant) (*Plan, error) {
	if !hasResources(grants, keep) {
		return pp.ram.plan(ctx, revoke, grants, keep)
	}
	rec := &recorder{}
	job, err := pp.share.prepare(ctx, rec, revoke, grants, keep)
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

// run is Apply, Revoke and ApplyPlan with the share step. An apply
// converges RAM first and shares after; a revoke unshares first, then
// removes the grant, so that no recipient keeps a share it cannot use.
func (pp *pipeline) run(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string) (*Result, error) {
	if !hasResources(grants, keep) {
		return pp.ram.converge(ctx, revoke, grants, keep, stale, nil, nil)
	}
	rec := &recorder{}
	res := &Result{}
	finish := func(err error) (*Result, error) {
		// rec has every call, RAM's converge included, in order.
		res.Calls = rec.list()
		res.Writes = 0
		for _, c := range res.Calls {
			if c.Write {
				res.Writes++
			}
		}
		if err != nil {
			err = ctxOr(ctx, err)
		}
		return res, err
	}
	// An apply reads RAM beside the share step's first reads, under the
	// roles' locks, held until RAM has converged. A revoke reads RAM after
	// it unshares, and a reviewed plan compares RAM with what the plan read.
	var pre *prefetch
	if !revoke && stale == nil {
		// What needs no I/O is refused before any.
		if err := pp.share.check(grants, keep, false); err != nil {
			return finish(err)
		}
		pre = pp.ram.startPrefetch(ctx, rec, grants)
		defer pre.release()
	}
	job, err := pp.share.prepare(ctx, rec, revoke, grants, keep)
	if pre != nil {
		// Wait for RAM's reads even after a refusal, so that the Result
		// lists every call made.
		if werr := pre.wait(); err == nil {
			err = werr
		}
	}
	if err != nil {
		return finish(err)
	}
	if revoke {
		if err := job.run(ctx, res, false); err != nil {
			return finish(err)
		}
		r, err := pp.ram.converge(ctx, true, job.ramGrants, job.keepRAM, stale, nil, rec)
		mergeResult(res, r)
		res.Changes = append(res.Changes, job.notes()...)
		return finish(err)
	}
	r, err := pp.ram.converge(ctx, false, job.ramGrants, nil, stale, pre, rec)
	pre.release()
	mergeResult(res, r)
	if err != nil {
		return finish(err)
	}
	fresh := r != nil && r.Writes > 0
	err = job.run(ctx, res, fresh)
	res.Changes = append(res.Changes, job.notes()...)
	return finish(err)
}

// mergeResult adds the RAM engine's result to the share step's.
func mergeResult(res, r *Result) {
	if r == nil {
		return
	}
	res.Changes = append(res.Changes, r.Changes...)
	res.Unknown = append(res.Unknown, r.Unknown...)
	res.Calls = append(res.Calls, r.Calls...)
	res.Conflicts = append(res.Conflicts, r.Conflicts...)
}

// ctxOr returns ctx's error when err is the end of ctx, else err.
func ctxOr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && isContextError(err) {
		return ctxErr
	}
	return err
}
