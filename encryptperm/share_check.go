package encryptperm

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// checkShared answers an Access that names a resource: the key's steps as
// Check answers them (the key found when not given), then the share.
func (e *engine) checkShared(ctx context.Context, a Access) (*Decision, error) {
	var p problems
	if a.Region == "" {
		a.Region = a.Key.Region
	}
	r := Resource{Type: a.Resource, Region: a.Region, ID: a.ResourceID}
	kind := KindShareImage
	if a.Resource == ResourceSnapshot {
		kind = KindShareSnapshot
	} else if a.Resource != ResourceImage {
		p.add("Resource", string(a.Resource), "a named resource is an image or a snapshot")
	}
	checkResources(&p, kind, []Resource{r})
	checkAccount(&p, "Recipient", a.Recipient)
	if err := p.err("access"); err != nil {
		return nil, err
	}
	g := &Grant{Kind: kind, Resources: []Resource{r}}
	if a.RDID != "" {
		g.Audience.ResourceDirectories = []string{a.RDID}
	}
	rec := &recorder{}
	w := collectWants([]*Grant{g}, nil, "access")[0]
	if err := e.checkBackends([]*resWant{w}); err != nil {
		return nil, err
	}
	fns := []func() error{}
	var st *shareState
	var list snapList
	if r.Type == ResourceImage {
		fns = append(fns, func() error { return e.readImage(ctx, rec, w) }, func() error { return e.readImageShares(ctx, rec, w) })
		fns = append(fns, func() error { list = e.listSnapshots(ctx, rec, r.Region, a.Key.ID); return nil })
	} else {
		fns = append(fns, func() error { return e.readSnapshots(ctx, rec, r.Region, []*resWant{w}, nil) })
	}
	if e.opts.ResourceSharing != nil {
		fns = append(fns, func() error {
			var err error
			st, err = e.readShares(ctx, rec, r.Region)
			return err
		})
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, ctxOr(ctx, err)
	}
	if !w.found {
		return nil, fmt.Errorf("encryptperm: check: no %s %s in %s: %w", r.Type, r.ID, r.Region, ErrNotFound)
	}
	if r.Type == ResourceImage && w.encrypted && list.covers(w) {
		w.keysFrom(list)
	} else if r.Type == ResourceImage && w.encrypted {
		if err := e.readSnapshots(ctx, rec, r.Region, nil, []*resWant{w}); err != nil {
			return nil, ctxOr(ctx, err)
		}
	}
	w.shares = st.sharesOf(r)
	if w.serviceKey {
		return nil, fmt.Errorf("encryptperm: check: the %s is encrypted with the service key: %s: %w", r, serviceKeyReason(kind), ErrInvalid)
	}
	if w.keyUnknown {
		return nil, fmt.Errorf("encryptperm: check: the %s is encrypted, but none of its snapshots says with which key: %w", r, ErrInvalid)
	}
	if a.Key.ID != "" && w.encrypted && !slices.Contains(w.keyIDs, a.Key.ID) {
		return nil, fmt.Errorf("encryptperm: check: the %s is encrypted with key %s, not %s: %w", r, strings.Join(w.keyIDs, ", "), a.Key.ID, ErrInvalid)
	}
	var d *Decision
	if w.encrypted {
		// One question per key of the resource (an image's data disks may
		// have keys of their own); the answer is allowed only if every key
		// is. The questions share the role, read once.
		owner := cmp.Or(a.Owner, w.owner)
		reads := engineReads{e: e, rec: rec}
		var rr *roleRead
		for i, id := range w.keyIDs {
			q := a
			if a.Key.ID == "" || a.Key.ID != id {
				if owner == "" {
					o, err := e.keyOwner(ctx, rec, r.Region, id)
					if err != nil {
						return nil, err
					}
					owner = o
				}
				q.Key = Key{Region: r.Region, Owner: owner, ID: id}
			}
			q = q.withDefaults()
			if err := q.validate(); err != nil {
				return nil, err
			}
			if rr == nil {
				var err error
				if rr, err = readRole(ctx, reads, e.opts.Limits.Read, q); err != nil {
					return nil, err
				}
			}
			di := rr.decide(q)
			if i == 0 {
				d, a = di, q
				continue
			}
			mergeDecision(d, di)
		}
	} else {
		a = a.withDefaults()
		d = &Decision{Access: a, Principal: a.principal(), Allowed: true, Reason: fmt.Sprintf("the %s is not encrypted: no role and no key are needed", r)}
	}
	shareStep(d, w, a)
	return d, nil
}

// keyOwner reads a key's owner from its ARN.
func (e *engine) keyOwner(ctx context.Context, rec *recorder, region, keyID string) (string, error) {
	resp, err := describeKey(ctx, e, rec, region, keyID)
	if err != nil {
		return "", ctxOr(ctx, err)
	}
	k, err := ParseKeyARN(resp.KeyMetadata.Arn)
	if err != nil {
		return "", fmt.Errorf("encryptperm: check: KMS answered the ARN %q for key %s: %w", resp.KeyMetadata.Arn, keyID, ErrInvalid)
	}
	return k.Owner, nil
}

// shareStep adds to d the step that says whether the resource is shared
// with the recipient.
func shareStep(d *Decision, w *resWant, a Access) {
	st := Step{Action: "share", Resource: w.res.String()}
	switch {
	case slices.Contains(w.imageAccts, a.Recipient):
		st.Allowed, st.Reason = true, fmt.Sprintf("ECS shares the %s with account %s", w.res.Type, a.Recipient)
	default:
		// Targets in a fixed order, so that the same state gives the same
		// reason; a pending invitation is the reason only while nothing
		// shares the resource with the recipient.
		for _, sh := range w.shares {
			for _, t := range slices.Sorted(maps.Keys(sh.targets)) {
				reach := t == a.Recipient || a.RDID != "" && t == a.RDID || a.RDPath != "" && slices.Contains(strings.Split(a.RDPath, "/"), t)
				if !reach {
					continue
				}
				if sh.targets[t] == "Associating" {
					if !st.Allowed {
						st.Reason = fmt.Sprintf("resource share %s reaches %s through %s, but the invitation is pending: the recipient must accept it", sh.id, a.Recipient, t)
					}
					continue
				}
				st.Allowed, st.Reason = true, fmt.Sprintf("resource share %s shares the %s with %s", sh.id, w.res.Type, t)
			}
		}
	}
	if st.Reason == "" {
		st.Reason = fmt.Sprintf("the %s is not shared with account %s", w.res, a.Recipient)
	}
	d.Steps = append(d.Steps, st)
	if st.Allowed && d.Allowed {
		d.Reason = strings.TrimSuffix(d.Reason, ".") + "; " + st.Reason + "."
	}
	if !st.Allowed {
		if d.Allowed {
			d.Reason = st.Reason
		} else {
			d.Reason = strings.TrimSuffix(d.Reason, ".") + "; and " + st.Reason
		}
		d.Allowed = false
		d.Missing = append(d.Missing, "share")
	}
}

// mergeDecision adds to d the key steps of another key's decision (its
// assume-role step is d's own).
func mergeDecision(d, o *Decision) {
	for _, st := range o.Steps {
		if st.Action != "sts:AssumeRole" {
			d.Steps = append(d.Steps, st)
		}
	}
	for _, m := range o.Missing {
		if !slices.Contains(d.Missing, m) {
			d.Missing = append(d.Missing, m)
		}
	}
	d.Uncertain = append(d.Uncertain, o.Uncertain...)
	d.Unreadable = append(d.Unreadable, o.Unreadable...)
	if d.Allowed && !o.Allowed {
		d.Allowed, d.Reason = false, o.Reason
	}
}
