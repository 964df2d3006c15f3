// This file holds Check of a named image or snapshot: its keys, found and
// read, judged as Check judges a key, and whether it is shared with the
// recipient.

package encryptperm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
)

// resourceCheck answers an Access that names an image or a snapshot.
type resourceCheck struct {
	c     *caller
	opts  Options
	share *sharer
}

// checkShared answers an Access that names a resource: the key's steps as
// Check answers them (the key found when not given), then the share.
func (rc *resourceCheck) checkShared(ctx context.Context, a Access) (*Decision, error) {
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
	if err := rc.share.checkBackends([]*resWant{w}, false); err != nil {
		return nil, err
	}
	fns := []func() error{}
	var st *shareState
	var list snapList
	if r.Type == ResourceImage {
		fns = append(fns, func() error { return rc.share.readImage(ctx, rec, w) }, func() error { return rc.share.readImageShares(ctx, rec, w) })
		fns = append(fns, func() error { list = rc.share.listSnapshots(ctx, rec, r.Region, a.Key.ID); return nil })
	} else {
		fns = append(fns, func() error { return rc.share.readSnapshots(ctx, rec, r.Region, []*resWant{w}, nil) })
	}
	if rc.opts.ResourceSharing != nil {
		fns = append(fns, func() error {
			var err error
			st, err = rc.share.readShares(ctx, rec, r.Region)
			return err
		})
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, ctxOr(ctx, err)
	}
	if !w.found {
		return nil, fmt.Errorf("encryptperm: check: no %s %s in %s: %w", r.Type, r.ID, r.Region, ErrNotFound)
	}
	if r.Type == ResourceImage && list.covers(w) {
		w.keysFrom(list)
	} else if r.Type == ResourceImage && len(w.snapshots) > 0 {
		if err := rc.share.readSnapshots(ctx, rec, r.Region, nil, []*resWant{w}); err != nil {
			return nil, ctxOr(ctx, err)
		}
	}
	w.shares = st.sharesOf(r)
	if w.serviceKey {
		return nil, fmt.Errorf("encryptperm: check: the %s is encrypted with the service key: %s: %w", r, serviceKeyReason(kind), ErrInvalid)
	}
	if w.keyUnknown {
		return nil, fmt.Errorf("encryptperm: check: %s: %w", w.unknownKeyReason(), ErrInvalid)
	}
	if a.Key.ID != "" && w.encrypted && !slices.Contains(w.keyIDs, a.Key.ID) {
		return nil, fmt.Errorf("encryptperm: check: the %s is encrypted with key %s, not %s: %w", r, strings.Join(w.keyIDs, ", "), a.Key.ID, ErrInvalid)
	}
	var d *Decision
	if w.encrypted {
		var err error
		if d, a, err = rc.checkKeys(ctx, rec, a, w); err != nil {
			return nil, err
		}
	} else {
		a = a.withDefaults()
		d = &Decision{Access: a, Principal: a.principal(), Allowed: true, Reason: fmt.Sprintf("the %s is not encrypted: no role and no key are needed", r)}
	}
	shareStep(d, w, a)
	return d, nil
}

// checkKeys answers a for each key of an encrypted resource (an image's
// data disks may have keys of their own): allowed only if every key is,
// and only if KMS holds every key, Enabled. Each key is judged as KMS names
// it (DescribeKey's ARN), not as the question does: a Key or Owner in a
// that names it otherwise (another region or account) is a step "key ARN"
// that is not allowed, with both ARNs in its reason. The keys' metadata is
// read beside the role when the keys' owner is known, before it otherwise
// (the owner comes from a key's ARN). It returns the decision and the
// access of its first question.
func (rc *resourceCheck) checkKeys(ctx context.Context, rec *recorder, a Access, w *resWant) (*Decision, Access, error) {
	r := w.res
	owner := cmp.Or(a.Owner, w.owner)
	metas := make([]*kms.KeyMetadata, len(w.keyIDs)) // nil: KMS does not find it
	named := make([]Key, len(w.keyIDs))              // as KMS names them
	describe := func() error {
		fns := make([]func() error, len(w.keyIDs))
		for i, id := range w.keyIDs {
			fns[i] = func() error {
				resp, err := describeKey(ctx, rc.c, rec, r.Region, id)
				if keyMissing(err) {
					return nil
				}
				if err != nil {
					return err
				}
				m := resp.KeyMetadata
				metas[i] = &m
				return nil
			}
		}
		return firstErr(parallel(fns...))
	}
	// parse reads the ARNs KMS gave; a key KMS does not find keeps the
	// name the resource's region and the owner give it (its state step
	// says why it fails).
	parse := func() error {
		for i, m := range metas {
			if m == nil {
				named[i] = Key{Region: r.Region, Owner: owner, ID: w.keyIDs[i]}
				continue
			}
			k, err := ParseKeyARN(m.Arn)
			if err != nil || k.ID != w.keyIDs[i] {
				return fmt.Errorf("encryptperm: check: KMS answered the ARN %q for key %s: %w", m.Arn, w.keyIDs[i], ErrInvalid)
			}
			named[i] = k
		}
		return nil
	}
	question := func(i int) (Access, error) {
		q := a
		q.Key = named[i]
		q = q.withDefaults()
		return q, q.validate()
	}
	reads := engineReads{c: rc.c, rec: rec}
	var rr *roleRead
	// The role's reads depend on the role's name only, not on the key.
	readFirst := func() error {
		q := a.withDefaults()
		q.Key = Key{Region: r.Region, Owner: cmp.Or(owner, named[0].Owner), ID: w.keyIDs[0]}
		if err := q.validate(); err != nil {
			return err
		}
		var err error
		rr, err = readRole(ctx, reads, rc.opts.Limits.Read, q)
		return err
	}
	if owner == "" {
		if err := describe(); err != nil {
			return nil, a, ctxOr(ctx, err)
		}
		for _, m := range metas {
			if m == nil {
				continue
			}
			if k, err := ParseKeyARN(m.Arn); err == nil {
				owner = k.Owner
				break
			}
		}
		if owner == "" && !slices.ContainsFunc(metas, func(m *kms.KeyMetadata) bool { return m != nil }) {
			return nil, a, fmt.Errorf("encryptperm: check: the %s is encrypted with key %s, which KMS does not find in %s: %w", r, strings.Join(w.keyIDs, ", "), r.Region, ErrNotFound)
		}
		if err := parse(); err != nil {
			return nil, a, err
		}
		if err := readFirst(); err != nil {
			return nil, a, err
		}
	} else if err := firstErr(parallel(describe, readFirst)); err != nil {
		return nil, a, ctxOr(ctx, err)
	} else if err := parse(); err != nil {
		return nil, a, err
	}
	var d *Decision
	first := a
	for i := range w.keyIDs {
		q, err := question(i)
		if err != nil {
			return nil, a, err
		}
		di := rr.decide(q)
		if len(w.keyIDs) > 1 && !di.Allowed && di.Reason != "" {
			// Say which disk key the answer is about.
			di.Reason = fmt.Sprintf("For key %s, one of the keys of the %s's disks: %s%s", q.Key.ARN(), r.Type, strings.ToLower(di.Reason[:1]), di.Reason[1:])
		}
		if i == 0 {
			d, first = di, q
		} else {
			mergeDecision(d, di)
		}
	}
	for i, id := range w.keyIDs {
		m, k := metas[i], named[i]
		if m != nil && serviceManaged(m.Creator) {
			return nil, a, fmt.Errorf("encryptperm: check: the %s is encrypted with key %s, which %s manages: %s: %w", r, id, m.Creator, serviceKeyReason(w.kind), ErrInvalid)
		}
		st := Step{Action: "key state", Resource: k.ARN()}
		switch {
		case m == nil:
			st.Reason = fmt.Sprintf("KMS does not find key %s in %s", id, r.Region)
		case m.KeyState != "Enabled":
			st.Reason = fmt.Sprintf("key %s is %s, not Enabled: ECS cannot use it", id, m.KeyState)
		default:
			st.Allowed, st.Reason = true, fmt.Sprintf("key %s is Enabled", id)
		}
		if !st.Allowed {
			addStep(d, st, "key state")
		}
		if m == nil {
			continue // no ARN to hold the question's to
		}
		if why := keyMismatch(a, r, k); why != "" {
			addStep(d, Step{Action: "key ARN", Resource: k.ARN(), Reason: why}, "key ARN")
		}
	}
	return d, first, nil
}

// keyMismatch says how the question a names the key k of resource r other
// than KMS does (k is KMS's ARN), or "". The question's Key counts when it
// names k's ID, its Owner when it is given; KMS's key must be in r's
// region, where ECS looks for it.
func keyMismatch(a Access, r Resource, k Key) string {
	var why []string
	if a.Key.ID == k.ID && (a.Key.Region != "" && a.Key.Region != k.Region || a.Key.Owner != "" && a.Key.Owner != k.Owner) {
		why = append(why, fmt.Sprintf("the question names key %s, but KMS names the %s's key %s", a.Key.ARN(), r.Type, k.ARN()))
	}
	if a.Owner != "" && a.Owner != k.Owner {
		why = append(why, fmt.Sprintf("the question's owner %s makes the key %s, but KMS names the %s's key %s", a.Owner, Key{Region: k.Region, Owner: a.Owner, ID: k.ID}.ARN(), r.Type, k.ARN()))
	}
	if k.Region != r.Region {
		why = append(why, fmt.Sprintf("KMS names the %s's key %s, in %s, but the %s is in %s: ECS uses a key of the resource's own region", r.Type, k.ARN(), k.Region, r.Type, r.Region))
	}
	return strings.Join(why, "; ")
}

// keyMissing reports whether err is KMS saying it does not find a key.
func keyMissing(err error) bool {
	return errors.Is(err, ErrNotFound) || codeOf(err) == "Forbidden.KeyNotFound" || codeOf(err) == "NotFound.Key"
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
	addStep(d, st, "share")
}

// addStep adds st to d; a step not allowed makes d not allowed, says why,
// and adds missing to d.Missing.
func addStep(d *Decision, st Step, missing string) {
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
		d.Missing = append(d.Missing, missing)
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
