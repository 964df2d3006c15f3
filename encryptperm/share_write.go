// This file holds the share step's writes: made in order per resource,
// never sent again before a read shows what an attempt did.

package encryptperm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

// isLagCode reports whether ECS refused a share for want of the grant,
// which it may not see yet just after RAM took it.
func isLagCode(code string) bool {
	return code == "AssumeRoleError" || strings.HasSuffix(code, "KMSKeyId.CMKUnauthorized")
}

// runShare makes the share step's writes: resources in parallel, the
// writes of one resource in order. fresh says RAM has just taken a grant:
// ECS's view of RAM lags, so a refusal for want of it is retried within
// Options.ShareWait.
func (ss *sharer) runShare(ctx context.Context, rec *recorder, j *shareJob, res *Result, fresh bool) error {
	var mu sync.Mutex
	touched := map[string][]string{} // region -> share IDs written
	fns := make([]func() error, 0, len(j.byRes))
	for _, ro := range j.byRes {
		fns = append(fns, func() error {
			created := ""
			for _, o := range ro.ops {
				if o.shareID == "" && o.action == "AssociateResourceShare" {
					o.shareID = created
				}
				id, err := ss.shareWrite(ctx, rec, o, fresh)
				mu.Lock()
				if err != nil {
					if outcomeUnknown(err) {
						res.Unknown = append(res.Unknown, o.change)
					}
					mu.Unlock()
					return err
				}
				res.Changes = append(res.Changes, o.change)
				if id != "" {
					created, o.shareID = id, id
				}
				if !o.remove && (id != "" || o.shareID != "") {
					touched[o.res.Region] = append(touched[o.res.Region], cmp.Or(id, o.shareID))
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return err
	}
	// Invitations of the shares just written: read their targets again.
	var notes []Change
	fns = fns[:0]
	for reg, ids := range touched {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		fns = append(fns, func() error {
			ns, err := ss.pendingOf(ctx, rec, reg, ids, j)
			mu.Lock()
			notes = append(notes, ns...)
			mu.Unlock()
			return err
		})
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return err
	}
	sort.Slice(notes, func(a, b int) bool { return notes[a].Summary < notes[b].Summary })
	for _, n := range notes {
		if !slices.Contains(j.notes, n) {
			j.notes = append(j.notes, n)
		}
	}
	return nil
}

// pendingOf lists the pending invitations of the shares ids.
func (ss *sharer) pendingOf(ctx context.Context, rec *recorder, region string, ids []string, j *shareJob) ([]Change, error) {
	assocs, err := ss.listAssocs(ctx, rec, region, "Target", ids)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, a := range assocs {
		if a.AssociationStatus != "Associating" {
			continue
		}
		for _, ro := range j.byRes {
			for _, o := range ro.ops {
				if o.shareID == a.ResourceShareId && slices.Contains(o.entries, a.EntityId) {
					out = append(out, pendingNote(ro.res, a.EntityId, a.ResourceShareId))
				}
			}
		}
	}
	return out, nil
}

// shareTry is one attempt of a share write: the op's action with the
// entries still to write, or, once a read finds the share an earlier
// CreateResourceShare made, an AssociateResourceShare of the targets that
// share lacks.
type shareTry struct {
	action  string
	shareID string
	entries []string
}

// shareWrite makes one share write, and returns the ID of a share it
// created. A write is never resent blindly. After a failure that may have
// been carried out (a 5xx answer, a lost answer: see outcomeUnknown) and
// after a refusal for want of a grant RAM has just taken (fresh: ECS's view
// of RAM lags, so the write is tried again within Options.ShareWait), it
// reads what the attempt did (settle) and sends again only what is still
// missing, or nothing. A refusal for want of the grant is read after the
// wait, so that the read sees an attempt that took effect late. After
// Options.MaxRounds attempts whose outcome was unknown it gives up, with an
// error that says what the last read showed (not carried out); an outcome
// no read could settle is returned as an error for which outcomeUnknown
// holds.
func (ss *sharer) shareWrite(ctx context.Context, rec *recorder, o *shareOp, fresh bool) (string, error) {
	try := shareTry{action: o.action, shareID: o.shareID, entries: slices.Clone(o.entries)}
	created := "" // a share an earlier attempt made, found by a read
	waited := time.Duration(0)
	wait := time.Second
	unknown := 0
	for {
		id, err := ss.shareWriteOnce(ctx, rec, o, try)
		if err == nil {
			return cmp.Or(id, created), nil
		}
		lag := fresh && isLagCode(codeOf(err))
		switch {
		case outcomeUnknown(err):
			unknown++
		case !lag:
			return "", err
		}
		last := unknown >= ss.opts.MaxRounds || lag && waited+wait > ss.opts.ShareWait
		if lag && !last {
			if err := ss.shareSleep(ctx, wait); err != nil {
				return "", err
			}
			waited += wait
			wait = min(2*wait, 8*time.Second)
		}
		next, made, done, rerr := ss.settle(ctx, rec, o, try)
		if rerr != nil {
			return "", &unsettledError{write: err, read: rerr}
		}
		created = cmp.Or(made, created)
		if done {
			return created, nil
		}
		if last {
			if lag {
				return "", fmt.Errorf("encryptperm: %s: ECS still refuses the share %v after RAM took the grant (Options.ShareWait): %w", o.change.Summary, waited, err)
			}
			return "", &notDoneError{err}
		}
		try = next
	}
}

// settle reads what an attempt of a share write may have done, and returns
// what is left to write: the entries the resource is not yet shared with
// (an add) or still shared with (a removal), and done when there are none.
// For a CreateResourceShare it looks for the share the attempt made (see
// shareOp.known): when there is one, its ID is returned as made, and what is
// left is an association with that share, not a second share.
func (ss *sharer) settle(ctx context.Context, rec *recorder, o *shareOp, try shareTry) (next shareTry, made string, done bool, err error) {
	var has func(string) bool // whether the resource is shared with an entry now
	switch try.action {
	case "ModifyImageSharePermission":
		w := &resWant{res: o.res}
		if err := ss.readImageShares(ctx, rec, w); err != nil {
			return try, "", false, err
		}
		has = func(a string) bool { return slices.Contains(w.imageAccts, a) }
	case "CreateResourceShare":
		st, err := ss.readShares(ctx, rec, o.res.Region)
		if err != nil {
			return try, "", false, err
		}
		var mine *rsShare
		for _, sh := range st.sharesOf(o.res) {
			if sh.name == o.name && len(sh.resources) == 1 && !slices.Contains(o.known, sh.id) {
				mine = sh
				break
			}
		}
		if mine == nil {
			return try, "", false, nil // nothing was made: the same call again
		}
		made = mine.id
		try = shareTry{action: "AssociateResourceShare", shareID: mine.id, entries: try.entries}
		has = func(t string) bool { return live(mine.targets[t]) }
	case "AssociateResourceShare", "DisassociateResourceShare":
		assocs, err := ss.listAssocs(ctx, rec, o.res.Region, "Target", []string{try.shareID})
		if err != nil {
			return try, "", false, err
		}
		has = func(t string) bool {
			return slices.ContainsFunc(assocs, func(a resourcesharing.ResourceShareAssociation) bool {
				return a.ResourceShareId == try.shareID && a.EntityId == t && live(a.AssociationStatus)
			})
		}
	default:
		return try, "", false, fmt.Errorf("encryptperm: share: unknown write %q", try.action)
	}
	var left []string
	for _, x := range try.entries {
		if has(x) == o.remove {
			left = append(left, x)
		}
	}
	try.entries = left
	return try, made, len(left) == 0, nil
}

// shareSleep waits d (Options.Sleep when set), or until ctx ends.
func (ss *sharer) shareSleep(ctx context.Context, d time.Duration) error {
	if ss.opts.Sleep != nil {
		return ss.opts.Sleep(ctx, d)
	}
	return ss.c.pause(ctx, d)
}

// shareWriteOnce sends one attempt of a share write.
func (ss *sharer) shareWriteOnce(ctx context.Context, rec *recorder, o *shareOp, try shareTry) (string, error) {
	entries := slices.Clone(try.entries)
	switch try.action {
	case "ModifyImageSharePermission":
		_, err := svcCall(ctx, ss.c, rec, try.action, o.res.ID, true, func(b *backends, t time.Duration) (*ecs.ModifyImageSharePermissionResponse, error) {
			req := ecs.CreateModifyImageSharePermissionRequest()
			setTimeout(req, t)
			req.RegionId, req.ImageId = o.res.Region, o.res.ID
			if o.remove {
				req.RemoveAccount = &entries
			} else {
				req.AddAccount = &entries
			}
			return b.ecs.ModifyImageSharePermission(req)
		})
		return "", err
	case "CreateResourceShare":
		resp, err := svcCall(ctx, ss.c, rec, try.action, o.name, true, func(b *backends, t time.Duration) (*resourcesharing.CreateResourceShareResponse, error) {
			req := resourcesharing.CreateCreateResourceShareRequest()
			setTimeout(req, t)
			req.RegionId, req.ResourceShareName = o.res.Region, o.name
			req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: o.res.ID, ResourceType: rsType(o.res)}}
			req.Targets = &entries
			req.AllowExternalTargets = requests.NewBoolean(o.external)
			return b.rs.CreateResourceShare(req)
		})
		if err != nil {
			return "", err
		}
		return resp.ResourceShare.ResourceShareId, nil
	case "AssociateResourceShare":
		if try.shareID == "" {
			return "", fmt.Errorf("encryptperm: %s: no resource share to add to: %w", o.change.Summary, ErrConflict)
		}
		_, err := svcCall(ctx, ss.c, rec, try.action, try.shareID, true, func(b *backends, t time.Duration) (*resourcesharing.AssociateResourceShareResponse, error) {
			req := resourcesharing.CreateAssociateResourceShareRequest()
			setTimeout(req, t)
			req.RegionId, req.ResourceShareId, req.Targets = o.res.Region, try.shareID, &entries
			return b.rs.AssociateResourceShare(req)
		})
		return "", err
	case "DisassociateResourceShare":
		return "", ss.disassociate(ctx, rec, o, try)
	}
	return "", fmt.Errorf("encryptperm: share: unknown write %q", try.action)
}

// disassociate takes o's targets out of o's resource share. Resource
// Sharing refuses the whole call when one of them is no longer associated
// (EntityNotExists.Resource, or .Target), though the others still are:
// such a refusal is no proof that the targets are gone, so the share's
// associations are read again and the targets still there are taken out
// in a call of their own, for at most Options.MaxRounds calls. A share
// that no longer exists, or no longer holds the resource, holds nobody to
// it; one that now holds other resources too is left alone (ErrConflict),
// as the pre-flight leaves it.
func (ss *sharer) disassociate(ctx context.Context, rec *recorder, o *shareOp, try shareTry) error {
	entries := slices.Clone(try.entries)
	for round := 1; ; round++ {
		_, err := svcCall(ctx, ss.c, rec, try.action, try.shareID, true, func(b *backends, t time.Duration) (*resourcesharing.DisassociateResourceShareResponse, error) {
			req := resourcesharing.CreateDisassociateResourceShareRequest()
			setTimeout(req, t)
			batch := slices.Clone(entries)
			req.RegionId, req.ResourceShareId, req.Targets = o.res.Region, try.shareID, &batch
			return b.rs.DisassociateResourceShare(req)
		})
		switch code := codeOf(err); {
		case err == nil:
			return nil
		case code == "EntityNotExists.ResourceShare":
			return nil // the share is gone, and nobody holds anything through it
		case code != "EntityNotExists.Resource" && code != "EntityNotExists.Target":
			return err
		case round >= ss.opts.MaxRounds:
			return fmt.Errorf("encryptperm: %s: Resource Sharing refused to take %s out of the share %d times though they were still associated (Options.MaxRounds): %w",
				o.change.Summary, strings.Join(entries, ", "), round, err)
		}
		still, err := ss.stillHeld(ctx, rec, o, try)
		if err != nil || len(still) == 0 {
			return err
		}
		entries = still
	}
}

// stillHeld reads the attempt's resource share again and returns those of
// its targets that still hold o's resource through it.
func (ss *sharer) stillHeld(ctx context.Context, rec *recorder, o *shareOp, try shareTry) ([]string, error) {
	var res, targets []resourcesharing.ResourceShareAssociation
	errs := parallel(func() error {
		var err error
		res, err = ss.listAssocs(ctx, rec, o.res.Region, "Resource", []string{try.shareID})
		return err
	}, func() error {
		var err error
		targets, err = ss.listAssocs(ctx, rec, o.res.Region, "Target", []string{try.shareID})
		return err
	})
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	holds, others := false, []string{}
	for _, a := range res {
		if a.ResourceShareId != try.shareID || !live(a.AssociationStatus) {
			continue
		}
		if a.EntityType+"/"+a.EntityId == shareEntity(o.res) {
			holds = true
		} else {
			others = append(others, a.EntityType+"/"+a.EntityId)
		}
	}
	if !holds {
		return nil, nil
	}
	var still []string
	for _, a := range targets {
		if a.ResourceShareId == try.shareID && live(a.AssociationStatus) && slices.Contains(try.entries, a.EntityId) && !slices.Contains(still, a.EntityId) {
			still = append(still, a.EntityId)
		}
	}
	if len(still) > 0 && len(others) > 0 {
		return nil, fmt.Errorf("encryptperm: %s: resource share %s now holds other resources too (%s): taking %s out of it would unshare them as well; take them out yourself, or move the %s to a share of its own: %w",
			o.change.Summary, try.shareID, strings.Join(others, ", "), strings.Join(still, ", "), o.res.Type, ErrConflict)
	}
	return still, nil
}
