// This file holds the share target as the pipeline sees it: the share step
// over this Applier's caller, its grants, errors and changes in this
// package's terms, and the grants the RAM target converges once the step
// has found the resources' keys.

package encryptperm

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// shareTarget is the share target of the pipeline.
type shareTarget struct {
	c     *caller
	sleep func(ctx context.Context, d time.Duration) error // Options.Sleep
	cfg   *shareConfig
}

// newShareTarget returns the share target of an Applier whose calls go
// through c.
func newShareTarget(c *caller, o Options) *shareTarget {
	cfg := &shareConfig{
		imageAccounts: o.Limits.ImageShareAccounts, snapshotAccounts: o.Limits.SnapshotShareAccounts,
		maxPages: o.Limits.ListMaxPages, maxRounds: o.MaxRounds, wait: o.ShareWait, prefix: ManagedPolicyPrefix,
		ecs: o.ECS != nil, rs: o.ResourceSharing != nil, kms: o.KMS != nil,
		isAccount: accountRE.MatchString, parseKeyARN: ParseKeyARN,
		serviceKeyReason: func(t ResourceType) string { return serviceKeyReason(shareKind(t)) },
		conflict:         ErrConflict, limit: ErrLimitExceeded,
		hints: &keyHints{},
	}
	return &shareTarget{c: c, sleep: o.Sleep, cfg: cfg}
}

// shareKind is the kind of grant that shares a resource of the type.
func shareKind(t ResourceType) Kind {
	if t == ResourceImage {
		return KindShareImage
	}
	return KindShareSnapshot
}

// reader returns the share step's reads for one operation, recorded by rec.
func (t *shareTarget) reader(rec *recorder) *shareReader {
	return &shareReader{conn: &callerConn{c: t.c, rec: rec, sleep: t.sleep}, cfg: t.cfg}
}

// sharePlan is the share step of one Plan, Apply or Revoke as the pipeline
// holds it: the step's job, and the grants the RAM target converges.
type sharePlan struct {
	job *shareJob
	// ramGrants and keepRAM are the grants, and the grants that stay,
	// with the keys found for their resources (see deriveGrants).
	ramGrants, keepRAM []*Grant
}

// check refuses, before any I/O, resources whose services the Applier has
// no client for.
func (t *shareTarget) check(grants, keep []*Grant, revoke bool) error {
	return shareError(t.cfg.checkServices(collectWants(shareGrants(grants), shareGrants(keep), "grants"), revoke))
}

// prepare reads, judges and plans the share step, and derives the grants
// the RAM target converges.
func (t *shareTarget) prepare(ctx context.Context, rec *recorder, revoke bool, grants, keep []*Grant) (*sharePlan, error) {
	job, err := t.reader(rec).prepare(ctx, revoke, shareGrants(grants), shareGrants(keep))
	if err != nil {
		return nil, shareError(err)
	}
	p := &sharePlan{job: job}
	if p.ramGrants, err = deriveGrants(grants, job); err != nil {
		return nil, err
	}
	if p.keepRAM, err = deriveGrants(keep, job); err != nil {
		return nil, err
	}
	return p, nil
}

// run makes the share step's writes, and adds what they did to res.
func (t *shareTarget) run(ctx context.Context, rec *recorder, p *sharePlan, res *Result, fresh bool) error {
	r := t.reader(rec)
	done, err := (&shareWriter{conn: r.conn, cfg: t.cfg, read: r}).run(ctx, p.job, fresh)
	for _, c := range done.changes {
		res.Changes = append(res.Changes, changeOf(c))
	}
	for _, c := range done.unknown {
		res.Unknown = append(res.Unknown, changeOf(c))
	}
	return err
}

// changes lists the share step's planned changes, then its notes.
func (p *sharePlan) changes() []Change { return changesOf(p.job.changes()) }

// notes lists the share step's notes.
func (p *sharePlan) notes() []Change { return changesOf(p.job.notes) }

// changeOf is a change of the share step as this package reports it: the
// role it concerns is the one the resource's recipients' ECS assumes.
func changeOf(c shareChange) Change {
	return Change{Kind: c.kind, Action: c.action, Role: c.res.Type.RoleName(), Summary: c.summary, Kept: c.kept}
}

func changesOf(cs []shareChange) []Change {
	var out []Change
	for _, c := range cs {
		out = append(out, changeOf(c))
	}
	return out
}

// shareGrants are what the share step needs of grants.
func shareGrants(gs []*Grant) []shareGrant {
	out := make([]shareGrant, 0, len(gs))
	for _, g := range gs {
		out = append(out, shareGrant{
			accounts: g.Audience.Accounts, directories: g.Audience.ResourceDirectories, folders: g.Audience.Folders,
			keys: g.Keys, resources: g.Resources,
		})
	}
	return out
}

// preflightError lists every problem the share step found before any
// write; it wraps the *ValidationError and, where they apply, ErrNotFound
// and ErrConflict.
type preflightError struct {
	*ValidationError
	extra []error
}

func (e *preflightError) Unwrap() []error { return append([]error{e.ValidationError}, e.extra...) }

// shareError returns the share step's refusal as this package's errors: a
// *ValidationError with every problem and its path, wrapped, when the
// pre-flight's reads found them, with ErrNotFound and ErrConflict where
// they apply. Any other error is returned as it is.
func shareError(err error) error {
	r, ok := err.(*shareRefusal)
	if !ok {
		return err
	}
	var p problems
	for _, pr := range r.Problems {
		p.add(pr.Path, pr.Value, pr.Reason)
	}
	p.limit = r.Limit
	verr := p.err("share")
	if !r.Read {
		return verr
	}
	var extra []error
	if r.NotFound {
		extra = append(extra, ErrNotFound)
	}
	if r.Conflict {
		extra = append(extra, ErrConflict)
	}
	return &preflightError{verr.(*ValidationError), extra}
}

// deriveGrants returns the grants the RAM target converges: each grant
// that names resources, built again with the keys of its encrypted
// resources besides those it names; a grant whose resources are all
// unencrypted, and that names no key, needs no role and is left out.
func deriveGrants(grants []*Grant, job *shareJob) ([]*Grant, error) {
	out := make([]*Grant, 0, len(grants))
	for _, g := range grants {
		if len(g.Resources) == 0 {
			out = append(out, g)
			continue
		}
		d := *g
		d.Keys = slices.Clone(g.Keys)
		for _, k := range job.keysOf(g.Resources) {
			if !slices.Contains(d.Keys, k) {
				d.Keys = append(d.Keys, k)
			}
		}
		if len(d.Keys) == 0 && !d.ServiceKey {
			continue
		}
		if len(d.Keys) == len(g.Keys) {
			out = append(out, g)
			continue
		}
		built, err := rebuild(&d)
		if err != nil {
			return nil, fmt.Errorf("encryptperm: share: the grant with the keys found: %w", err)
		}
		out = append(out, built)
	}
	return out, nil
}
