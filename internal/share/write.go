// This file holds the share step's writes: made in order per resource,
// never sent again before a read shows what an attempt did.

package share

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// isLagCode reports whether ECS refused a share for want of the grant,
// which it may not see yet just after RAM took it.
func isLagCode(code string) bool {
	return code == "AssumeRoleError" || strings.HasSuffix(code, "KMSKeyId.CMKUnauthorized")
}

// writer makes the share step's writes through its connection.
type writer struct {
	conn Conn
	cfg  *Config
	read *reader
}

// Done is what the writes of a share step did.
type Done struct {
	// Changes are the changes made, in the order they were made.
	Changes []Change
	// Unknown are the writes whose outcome is unknown: they may have been
	// carried out or not.
	Unknown []Change
}

// writeAll makes the job's writes, adding what they did to res.
func (sw *writer) writeAll(ctx context.Context, j *Job, res *Done, fresh bool) error {
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
				id, err := sw.write(ctx, o, fresh)
				mu.Lock()
				if err != nil {
					if sw.conn.OutcomeUnknown(err) {
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
	if err := parallel.All(fns...); err != nil {
		return err
	}
	// Invitations of the shares just written: read their targets again.
	var notes []Change
	fns = fns[:0]
	for reg, ids := range touched {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		fns = append(fns, func() error {
			ns, err := sw.pendingOf(ctx, reg, ids, j)
			mu.Lock()
			notes = append(notes, ns...)
			mu.Unlock()
			return err
		})
	}
	if err := parallel.All(fns...); err != nil {
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
func (sw *writer) pendingOf(ctx context.Context, region string, ids []string, j *Job) ([]Change, error) {
	assocs, err := sw.read.listAssocs(ctx, region, "Target", ids)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, a := range assocs {
		if a.Status != "Associating" {
			continue
		}
		for _, ro := range j.byRes {
			for _, o := range ro.ops {
				if o.shareID == a.ShareID && slices.Contains(o.entries, a.EntityID) {
					out = append(out, pendingNote(ro.res, a.EntityID, a.ShareID))
				}
			}
		}
	}
	return out, nil
}

// attempt is one attempt of a share write: the op's action with the
// entries still to write, or, once a read finds the share an earlier
// CreateResourceShare made, an AssociateResourceShare of the targets that
// share lacks.
type attempt struct {
	action  string
	shareID string
	entries []string
}

// write makes one share write, and returns the ID of a share it
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
func (sw *writer) write(ctx context.Context, o *op, fresh bool) (string, error) {
	try := attempt{action: o.action, shareID: o.shareID, entries: slices.Clone(o.entries)}
	created := "" // a share an earlier attempt made, found by a read
	waited := time.Duration(0)
	wait := time.Second
	unknown := 0
	for {
		id, err := sw.writeOnce(ctx, o, try)
		if err == nil {
			return cmp.Or(id, created), nil
		}
		lag := fresh && isLagCode(sw.conn.Code(err))
		switch {
		case sw.conn.OutcomeUnknown(err):
			unknown++
		case !lag:
			return "", err
		}
		last := unknown >= sw.cfg.MaxRounds || lag && waited+wait > sw.cfg.Wait
		if lag && !last {
			if err := sw.conn.Sleep(ctx, wait); err != nil {
				return "", err
			}
			waited += wait
			wait = min(2*wait, 8*time.Second)
		}
		next, made, done, rerr := sw.settle(ctx, o, try)
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
// op.known): when there is one, its ID is returned as made, and what is
// left is an association with that share, not a second share.
func (sw *writer) settle(ctx context.Context, o *op, try attempt) (next attempt, made string, done bool, err error) {
	var has func(string) bool // whether the resource is shared with an entry now
	switch try.action {
	case "ModifyImageSharePermission":
		w := &want{res: o.res}
		if err := sw.read.readImageShares(ctx, w); err != nil {
			return try, "", false, err
		}
		has = func(a string) bool { return slices.Contains(w.imageAccts, a) }
	case "CreateResourceShare":
		st, err := sw.read.readShares(ctx, o.res.Region)
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
		try = attempt{action: "AssociateResourceShare", shareID: mine.id, entries: try.entries}
		has = func(t string) bool { return live(mine.targets[t]) }
	case "AssociateResourceShare", "DisassociateResourceShare":
		assocs, err := sw.read.listAssocs(ctx, o.res.Region, "Target", []string{try.shareID})
		if err != nil {
			return try, "", false, err
		}
		has = func(t string) bool {
			return slices.ContainsFunc(assocs, func(a Association) bool {
				return a.ShareID == try.shareID && a.EntityID == t && live(a.Status)
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

// writeOnce sends one attempt of a share write.
func (sw *writer) writeOnce(ctx context.Context, o *op, try attempt) (string, error) {
	entries := slices.Clone(try.entries)
	switch try.action {
	case "ModifyImageSharePermission":
		return "", sw.conn.ModifyImageShare(ctx, o.res.Region, o.res.ID, entries, o.remove)
	case "CreateResourceShare":
		return sw.conn.CreateShare(ctx, o.res.Region, o.name, rsType(o.res), o.res.ID, entries, o.external)
	case "AssociateResourceShare":
		if try.shareID == "" {
			return "", errorOf(sw.cfg.Conflict, "encryptperm: %s: no resource share to add to", o.change.Summary)
		}
		return "", sw.conn.Associate(ctx, o.res.Region, try.shareID, entries)
	case "DisassociateResourceShare":
		return "", sw.disassociate(ctx, o, try)
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
func (sw *writer) disassociate(ctx context.Context, o *op, try attempt) error {
	entries := slices.Clone(try.entries)
	for round := 1; ; round++ {
		err := sw.conn.Disassociate(ctx, o.res.Region, try.shareID, entries)
		switch code := sw.conn.Code(err); {
		case err == nil:
			return nil
		case code == "EntityNotExists.ResourceShare":
			return nil // the share is gone, and nobody holds anything through it
		case code != "EntityNotExists.Resource" && code != "EntityNotExists.Target":
			return err
		case round >= sw.cfg.MaxRounds:
			return fmt.Errorf("encryptperm: %s: Resource Sharing refused to take %s out of the share %d times though they were still associated (Options.MaxRounds): %w",
				o.change.Summary, strings.Join(entries, ", "), round, err)
		}
		still, err := sw.stillHeld(ctx, o, try)
		if err != nil || len(still) == 0 {
			return err
		}
		entries = still
	}
}

// stillHeld reads the attempt's resource share again and returns those of
// its targets that still hold o's resource through it.
func (sw *writer) stillHeld(ctx context.Context, o *op, try attempt) ([]string, error) {
	var res, targets []Association
	errs := parallel.Do(func() error {
		var err error
		res, err = sw.read.listAssocs(ctx, o.res.Region, "Resource", []string{try.shareID})
		return err
	}, func() error {
		var err error
		targets, err = sw.read.listAssocs(ctx, o.res.Region, "Target", []string{try.shareID})
		return err
	})
	if err := parallel.First(errs); err != nil {
		return nil, err
	}
	holds, others := false, []string{}
	for _, a := range res {
		if a.ShareID != try.shareID || !live(a.Status) {
			continue
		}
		if a.EntityType+"/"+a.EntityID == shareEntity(o.res) {
			holds = true
		} else {
			others = append(others, a.EntityType+"/"+a.EntityID)
		}
	}
	if !holds {
		return nil, nil
	}
	var still []string
	for _, a := range targets {
		if a.ShareID == try.shareID && live(a.Status) && slices.Contains(try.entries, a.EntityID) && !slices.Contains(still, a.EntityID) {
			still = append(still, a.EntityID)
		}
	}
	if len(still) > 0 && len(others) > 0 {
		return nil, errorOf(sw.cfg.Conflict, "encryptperm: %s: resource share %s now holds other resources too (%s): taking %s out of it would unshare them as well; take them out yourself, or move the %s to a share of its own",
			o.change.Summary, try.shareID, strings.Join(others, ", "), strings.Join(still, ", "), o.res.Type)
	}
	return still, nil
}
