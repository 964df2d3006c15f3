// Package share is the share step of encryptperm's Applier: it shares the
// images and snapshots a grant names with the grant's audience, through ECS
// and Resource Sharing, and takes them back, after reading each resource,
// its keys (KMS) and its shares, and judging everything before any write.
//
// It imports nothing of encryptperm. Every call goes through a Conn, which
// encryptperm implements over its caller, so that retries, redaction and
// the record of calls stay in one place; the caller's rules for accounts
// and keys, its limits and the errors the step's own errors wrap come in a
// Config. The step works on plain values: Grant, Resource, Key, and the
// rows a Conn answers with.
//
// A Plan, Apply or Revoke runs Prepare (read, judge, plan), then Run (the
// writes); Check runs Inspect and DescribeKeys.
package share

import "context"

// Step is the share step over one connection.
type Step struct {
	cfg   *Config
	read  *reader
	write *writer
}

// New returns the share step that calls conn, configured by cfg.
func New(conn Conn, cfg *Config) *Step {
	r := &reader{conn: conn, cfg: cfg}
	return &Step{cfg: cfg, read: r, write: &writer{conn: conn, cfg: cfg, read: r}}
}

// CheckServices refuses, before any I/O, the resources of grants whose
// services cfg has no client for (a *Refusal), as Prepare does first.
func (c *Config) CheckServices(grants, keep []Grant, revoke bool) error {
	return c.checkServices(collectWants(grants, keep, "grants"), revoke)
}

// Prepare reads what the share step needs (the resources, their keys,
// their shares, the directory's sharing status), judges it, every problem
// at once, before any write, and plans the writes: what to add (an apply)
// or remove (a revoke, which keep's grants limit). A problem found is
// returned as a *Refusal, and nothing is planned.
func (s *Step) Prepare(ctx context.Context, revoke bool, grants, keep []Grant) (*Job, error) {
	rd, err := s.read.read(ctx, revoke, grants, keep)
	if err != nil {
		return nil, err
	}
	if err := judgeAll(rd, s.cfg); err != nil {
		return nil, err
	}
	return planAll(rd, s.cfg), nil
}

// Run makes the job's writes: resources in parallel, the writes of one
// resource in order. fresh says RAM has just taken a grant: ECS's view of
// RAM lags, so a refusal for want of it is tried again within Config.Wait.
// A write is never sent again before a read shows what an earlier attempt
// did. Run adds to the job's notes the invitations its writes left
// pending, and returns what it did, with its error.
func (s *Step) Run(ctx context.Context, j *Job, fresh bool) (*Done, error) {
	res := &Done{}
	err := s.write.writeAll(ctx, j, res, fresh)
	return res, err
}

// DescribeKeys reads the keys ids of a region at once: the metadata of
// each key, nil for a key KMS does not find.
func (s *Step) DescribeKeys(ctx context.Context, region string, ids []string) ([]*KeyMeta, error) {
	return describeKeys(ctx, s.read.conn, region, ids)
}
