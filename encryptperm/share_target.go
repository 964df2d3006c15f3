// This file holds the share target as the pipeline sees it: the share step
// (internal/share) over this Applier's caller, its grants, errors and
// changes in this package's terms, and the grants the RAM target converges
// once the step has found the resources' keys.

package encryptperm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ecsperm/ecsperm/internal/share"
)

// shareTarget is the share target of the pipeline.
type shareTarget struct {
	c     *caller
	sleep func(ctx context.Context, d time.Duration) error // Options.Sleep
	cfg   *share.Config
}

// newShareTarget returns the share target of an Applier whose calls go
// through c.
func newShareTarget(c *caller, o Options) *shareTarget {
	cfg := &share.Config{
		ImageAccounts: o.Limits.ImageShareAccounts, SnapshotAccounts: o.Limits.SnapshotShareAccounts,
		MaxPages: o.Limits.ListMaxPages, MaxRounds: o.MaxRounds, Wait: o.ShareWait, NamePrefix: ManagedPolicyPrefix,
		Services:    share.Services{ECS: o.ECS != nil, ResourceSharing: o.ResourceSharing != nil, KMS: o.KMS != nil},
		IsAccount:   accountRE.MatchString,
		ParseKeyARN: func(arn string) (share.Key, error) { k, err := ParseKeyARN(arn); return share.Key(k), err },
		ServiceKeyReason: func(t share.Type) string {
			return serviceKeyReason(shareKind(ResourceType(t)))
		},
		Conflict: ErrConflict, LimitExceeded: ErrLimitExceeded,
		Hints: &share.Hints{},
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

// step returns the share step for one operation, whose calls rec records.
func (t *shareTarget) step(rec *recorder) *share.Step {
	return share.New(&callerConn{c: t.c, rec: rec, sleep: t.sleep}, t.cfg)
}

// sharePlan is the share step of one Plan, Apply or Revoke as the pipeline
// holds it: the step and its job, and the grants the RAM target converges.
type sharePlan struct {
	step *share.Step
	job  *share.Job
	// ramGrants and keepRAM are the grants, and the grants that stay,
	// with the keys found for their resources (see deriveGrants).
	ramGrants, keepRAM []*Grant
}

// check refuses, before any I/O, resources whose services the Applier has
// no client for.
func (t *shareTarget) check(grants, keep []*Grant, revoke bool) error {
	return shareError(t.cfg.CheckServices(shareGrants(grants), shareGrants(keep), revoke))
}

// prepare reads, judges and plans the share step, and derives the grants
// the RAM target converges.
func (t *shareTarget) prepare(ctx context.Context, rec *recorder, revoke bool, grants, keep []*Grant) (*sharePlan, error) {
	step := t.step(rec)
	job, err := step.Prepare(ctx, revoke, shareGrants(grants), shareGrants(keep))
	if err != nil {
		return nil, shareError(err)
	}
	p := &sharePlan{step: step, job: job}
	if p.ramGrants, err = deriveGrants(grants, job); err != nil {
		return nil, err
	}
	if p.keepRAM, err = deriveGrants(keep, job); err != nil {
		return nil, err
	}
	return p, nil
}

// run makes the share step's writes, and adds what they did to res.
func (p *sharePlan) run(ctx context.Context, res *Result, fresh bool) error {
	done, err := p.step.Run(ctx, p.job, fresh)
	res.Changes = append(res.Changes, changesOf(done.Changes)...)
	res.Unknown = append(res.Unknown, changesOf(done.Unknown)...)
	return err
}

// changes lists the share step's planned changes, then its notes.
func (p *sharePlan) changes() []Change { return changesOf(p.job.Changes()) }

// notes lists the share step's notes.
func (p *sharePlan) notes() []Change { return changesOf(p.job.Notes()) }

// changesOf are changes of the share step as this package reports them: the
// role each concerns is the one the resource's recipients' ECS assumes.
func changesOf(cs []share.Change) []Change {
	var out []Change
	for _, c := range cs {
		ch := Change{Kind: ChangeKind(c.Kind), Action: c.Action, Role: ResourceType(c.Resource.Type).RoleName(), Summary: c.Summary, Kept: c.Kept}
		if w := c.Write; w != nil {
			ch.Share = &ShareWrite{Region: c.Resource.Region, ResourceType: ResourceType(c.Resource.Type), ResourceID: c.Resource.ID,
				Targets: w.Targets, ShareID: w.ShareID, ShareName: w.ShareName, AllowExternalTargets: w.External, Remove: w.Remove}
		}
		out = append(out, ch)
	}
	return out
}

// shareGrants are what the share step needs of grants.
func shareGrants(gs []*Grant) []share.Grant {
	out := make([]share.Grant, 0, len(gs))
	for _, g := range gs {
		sg := share.Grant{Accounts: g.Audience.Accounts, Directories: g.Audience.ResourceDirectories, Folders: g.Audience.Folders}
		for _, k := range g.Keys {
			sg.Keys = append(sg.Keys, share.Key(k))
		}
		for _, r := range g.Resources {
			sg.Resources = append(sg.Resources, shareResource(r))
		}
		out = append(out, sg)
	}
	return out
}

// shareResource is a resource as the share step names it.
func shareResource(r Resource) share.Resource {
	return share.Resource{Type: share.Type(r.Type), Region: r.Region, ID: r.ID}
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
	r, ok := err.(*share.Refusal)
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
func deriveGrants(grants []*Grant, job *share.Job) ([]*Grant, error) {
	out := make([]*Grant, 0, len(grants))
	for _, g := range grants {
		if len(g.Resources) == 0 {
			out = append(out, g)
			continue
		}
		d := *g
		d.Keys = slices.Clone(g.Keys)
		resources := make([]share.Resource, 0, len(g.Resources))
		for _, r := range g.Resources {
			resources = append(resources, shareResource(r))
		}
		for _, k := range job.KeysOf(resources) {
			if !slices.Contains(d.Keys, Key(k)) {
				d.Keys = append(d.Keys, Key(k))
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
