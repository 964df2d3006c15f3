// This file holds the per-role queues: callers that wait for one role are
// served together in one batch, which ram_converge.go then applies.

package encryptperm

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Concurrent Apply (or Revoke) calls on one Applier that touch the same role
// are batched: while one call works on the role, the calls that arrive wait in
// the role's queue, and the next batch takes all of them at once, so that N
// callers adding N accounts cost one trust policy write, not N. A batch runs
// in a goroutine of its own; each caller waits for its batch or for its own
// context, whichever ends first.

// roleQueue holds the calls waiting for one role.
type roleQueue struct {
	mu   sync.Mutex
	jobs []*roleJob
	busy bool
}

// roleJob is one caller's share of a batch.
type roleJob struct {
	ctx    context.Context
	grants []*Grant
	revoke bool
	rec    *recorder
	gate   *preflight // what must be known before the job's first write

	done  chan struct{}
	res   *Result
	err   error
	batch *batch // set, under the queue's lock, when a batch takes the job
}

// batch is the jobs run together, and the context they run under: it ends
// when every job's context has ended.
type batch struct {
	mu   sync.Mutex
	live int
	jobs []*roleJob
}

// batcher holds the queues of one Applier's roles.
type batcher struct {
	conv *converger

	mu     sync.Mutex
	queues map[string]*roleQueue
	// enqueued, when set (by tests), is called when a caller waits in a
	// role's queue behind a running batch.
	enqueued func(role string)
}

func (bt *batcher) queue(role string) *roleQueue {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if bt.queues == nil {
		bt.queues = map[string]*roleQueue{}
	}
	k := strings.ToLower(role)
	q, ok := bt.queues[k]
	if !ok {
		q = &roleQueue{}
		bt.queues[k] = q
	}
	return q
}

// submit runs one caller's grants for one role, batched with concurrent
// callers for that role. A reviewed plan (stale != nil) runs alone.
func (bt *batcher) submit(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string, gate *preflight) (*Result, error) {
	if stale != nil || w.stay != nil {
		// A revoke told which grants stay runs alone too: a batch would
		// lose what stays.
		return bt.conv.convergeRole(ctx, rec, w, grants, revoke, stale, gates{gate})
	}
	q := bt.queue(w.role)
	j := &roleJob{ctx: ctx, grants: grants, revoke: revoke, rec: rec, gate: gate, done: make(chan struct{})}
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	start := !q.busy
	q.busy = true
	q.mu.Unlock()
	if start {
		go bt.drain(q)
	} else if bt.enqueued != nil {
		bt.enqueued(w.role)
	}
	select {
	case <-j.done:
		return j.res, j.err
	case <-ctx.Done():
	}
	q.mu.Lock()
	if j.batch == nil {
		// Still waiting: nothing was sent for this caller.
		q.jobs = slices.DeleteFunc(q.jobs, func(x *roleJob) bool { return x == j })
		q.mu.Unlock()
		return &Result{}, ctx.Err()
	}
	b := j.batch
	q.mu.Unlock()
	alone := true
	for _, x := range b.jobs {
		if x.ctx.Err() == nil {
			alone = false
		}
	}
	if alone {
		// Every caller of the batch has gone, so the batch is being
		// cancelled: wait for it to say which writes are unknown.
		<-j.done
		if j.err == nil {
			return j.res, ctx.Err()
		}
		return j.res, j.err
	}
	// Others still wait on the batch, which goes on; what it will write for
	// this caller is unknown.
	return &Result{Unknown: []Change{{Kind: Note, Role: w.role,
		Summary: "the context ended while this call's grants were being applied together with other callers'; their outcome is unknown"}}}, ctx.Err()
}

// drain runs batches until the queue is empty.
func (bt *batcher) drain(q *roleQueue) {
	for {
		q.mu.Lock()
		if len(q.jobs) == 0 {
			q.busy = false
			q.mu.Unlock()
			return
		}
		mode := q.jobs[0].revoke
		b := &batch{}
		var rest []*roleJob
		for _, j := range q.jobs {
			if j.revoke == mode && j.ctx.Err() == nil {
				j.batch = b
				b.jobs = append(b.jobs, j)
			} else if j.ctx.Err() == nil {
				rest = append(rest, j)
			} else {
				j.res, j.err = &Result{}, j.ctx.Err()
				close(j.done)
			}
		}
		q.jobs = rest
		q.mu.Unlock()
		if len(b.jobs) > 0 {
			bt.runBatch(b, mode)
		}
	}
}

// runBatch runs a batch's grants together. If that fails and the batch holds
// several callers, each is run alone, so that one caller's bad grant or limit
// does not fail the others.
func (bt *batcher) runBatch(b *batch, revoke bool) {
	if len(b.jobs) == 1 {
		j := b.jobs[0]
		b.live = 1
		stop := context.AfterFunc(j.ctx, func() { b.mu.Lock(); b.live--; b.mu.Unlock() })
		bt.runJobs(j.ctx, b.jobs, revoke)
		stop()
		return
	}
	ctx, cancel := batchContext(b)
	defer cancel()
	var grants []*Grant
	var gs0 gates
	for _, j := range b.jobs {
		grants = append(grants, j.grants...)
		gs0 = append(gs0, j.gate)
	}
	ws, gs := wants(grants)
	rec := &recorder{}
	res, err := bt.conv.convergeRole(ctx, rec, ws[0], gs[strings.ToLower(ws[0].role)], revoke, nil, gs0)
	if err != nil && ctx.Err() == nil && !isContextError(err) {
		// Try each caller alone.
		for _, j := range b.jobs {
			for _, c := range rec.list() {
				j.rec.add(c)
			}
			if j.ctx.Err() != nil {
				j.res, j.err = &Result{}, j.ctx.Err()
				close(j.done)
				continue
			}
			bt.runJobs(j.ctx, []*roleJob{j}, revoke)
		}
		return
	}
	for _, j := range b.jobs {
		for _, c := range rec.list() {
			j.rec.add(c)
		}
		r := *res
		j.res, j.err = &r, err
		close(j.done)
	}
}

// runJobs runs jobs (one, in practice) under ctx and hands out the result.
func (bt *batcher) runJobs(ctx context.Context, jobs []*roleJob, revoke bool) {
	var grants []*Grant
	var gs0 gates
	for _, j := range jobs {
		grants = append(grants, j.grants...)
		gs0 = append(gs0, j.gate)
	}
	ws, gs := wants(grants)
	rec := jobs[0].rec
	res, err := bt.conv.convergeRole(ctx, rec, ws[0], gs[strings.ToLower(ws[0].role)], revoke, nil, gs0)
	for _, j := range jobs {
		j.res, j.err = res, err
		close(j.done)
	}
}

// batchContext returns the context a batch of several callers runs under: it
// ends when every caller's context has ended, and its deadline is the latest
// of theirs (none if any caller has none).
func batchContext(b *batch) (context.Context, context.CancelFunc) {
	first := b.jobs[0].ctx
	var ctx context.Context = context.WithoutCancel(first)
	var latest time.Time
	all := true
	for _, j := range b.jobs {
		d, ok := j.ctx.Deadline()
		if !ok {
			all = false
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	var cancelDeadline context.CancelFunc = func() {}
	if all {
		ctx, cancelDeadline = context.WithDeadline(ctx, latest)
	}
	ctx, cancel := context.WithCancel(ctx)
	b.live = len(b.jobs)
	stops := make([]func() bool, 0, len(b.jobs))
	for _, j := range b.jobs {
		stops = append(stops, context.AfterFunc(j.ctx, func() {
			b.mu.Lock()
			b.live--
			if b.live == 0 {
				cancel()
			}
			b.mu.Unlock()
		}))
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
		cancelDeadline()
	}
}
