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

// Per-call limits of the share writes.
const (
	// imageAccountsPerCall is how many accounts ModifyImageSharePermission
	// reads in AddAccount.N or RemoveAccount.N; ECS ignores the rest.
	imageAccountsPerCall = 10
	// rsEntriesPerCall is how many targets one Resource Sharing call takes.
	rsEntriesPerCall = 5
)

// shareOp is one write of the share step.
type shareOp struct {
	action   string // ModifyImageSharePermission, CreateResourceShare, AssociateResourceShare, DisassociateResourceShare
	res      Resource
	shareID  string // "" for the share a CreateResourceShare before it made
	name     string // CreateResourceShare
	external bool   // CreateResourceShare
	entries  []string
	remove   bool
	change   Change
	// known lists, for a CreateResourceShare, the shares that held the
	// resource when the plan was made: a share that a read finds besides
	// them, of this name and holding only the resource, is the one an
	// earlier attempt made.
	known []string
}

// resOps is the writes for one resource, made in order.
type resOps struct {
	res Resource
	ops []*shareOp
}

// plan computes the share writes: what to add (Apply) or remove (Revoke),
// and notes on invitations not yet accepted.
func (j *shareJob) plan(revoke bool) {
	for _, w := range j.wants {
		if len(w.paths) == 0 || !w.found {
			continue
		}
		ro := &resOps{res: w.res}
		if revoke {
			j.planRemove(w, ro)
		} else {
			j.planAdd(w, ro)
		}
		if len(ro.ops) > 0 {
			j.byRes = append(j.byRes, ro)
		}
	}
}

func (j *shareJob) planAdd(w *resWant, ro *resOps) {
	var add []string
	for _, a := range w.ecsAccounts() {
		if !slices.Contains(w.imageAccts, a) {
			add = append(add, a)
		}
	}
	for c := range slices.Chunk(add, imageAccountsPerCall) {
		ro.ops = append(ro.ops, &shareOp{action: "ModifyImageSharePermission", res: w.res, entries: c, change: Change{
			Kind: Broadening, Action: "ModifyImageSharePermission", Role: roleOfResource(w.res),
			Summary: fmt.Sprintf("share %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	var missing []string
	externalWanted := false
	for _, t := range w.rsTargets() {
		if accountRE.MatchString(t) {
			externalWanted = true
		}
		shared, pending, id := w.rsShared(t)
		if pending {
			j.notes = append(j.notes, pendingNote(w.res, t, id))
		}
		if !shared {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return
	}
	needExternal := slices.ContainsFunc(missing, accountRE.MatchString)
	var use *rsShare
	for _, sh := range w.shares {
		// A share that holds other resources would share them too; one
		// that refuses accounts outside the directory cannot take them.
		if len(sh.resources) != 1 || needExternal && !sh.external {
			continue
		}
		if use == nil || sh.name == shareName(w.res) && use.name != shareName(w.res) {
			use = sh
		}
	}
	rest := missing
	if use == nil {
		first := rest[:min(rsEntriesPerCall, len(rest))]
		rest = rest[len(first):]
		name := shareName(w.res)
		var known []string
		for _, sh := range w.shares {
			known = append(known, sh.id)
		}
		ro.ops = append(ro.ops, &shareOp{action: "CreateResourceShare", res: w.res, name: name, external: externalWanted, entries: first, known: known, change: Change{
			Kind: Broadening, Action: "CreateResourceShare", Role: roleOfResource(w.res),
			Summary: fmt.Sprintf("share %s with %s through a new resource share %s", w.res, strings.Join(first, ", "), name),
		}})
	}
	id := ""
	if use != nil {
		id = use.id
	}
	for c := range slices.Chunk(rest, rsEntriesPerCall) {
		via := "the new resource share " + shareName(w.res)
		if id != "" {
			via = "resource share " + id
		}
		ro.ops = append(ro.ops, &shareOp{action: "AssociateResourceShare", res: w.res, shareID: id, entries: c, change: Change{
			Kind: Broadening, Action: "AssociateResourceShare", Role: roleOfResource(w.res),
			Summary: fmt.Sprintf("share %s with %s through %s", w.res, strings.Join(c, ", "), via),
		}})
	}
}

func (j *shareJob) planRemove(w *resWant, ro *resOps) {
	var remove []string
	for _, a := range w.ecsAccounts() {
		if slices.Contains(w.imageAccts, a) && !w.keep[a] {
			remove = append(remove, a)
		}
	}
	for c := range slices.Chunk(remove, imageAccountsPerCall) {
		ro.ops = append(ro.ops, &shareOp{action: "ModifyImageSharePermission", res: w.res, entries: c, remove: true, change: Change{
			Kind: Narrowing, Action: "ModifyImageSharePermission", Role: roleOfResource(w.res),
			Summary: fmt.Sprintf("stop sharing %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	for _, a := range w.ecsAccounts() {
		if slices.Contains(w.imageAccts, a) && w.keep[a] {
			j.notes = append(j.notes, Change{Kind: Note, Kept: true, Role: roleOfResource(w.res),
				Summary: fmt.Sprintf("keep sharing %s with account %s: a grant that stays names it", w.res, a)})
		}
	}
	for _, sh := range w.shares {
		if len(sh.resources) != 1 {
			continue // refused by the pre-flight when it mattered
		}
		var ts []string
		for _, t := range w.holders() {
			if !live(sh.targets[t]) {
				continue
			}
			if w.keep[t] {
				j.notes = append(j.notes, Change{Kind: Note, Kept: true, Role: roleOfResource(w.res),
					Summary: fmt.Sprintf("keep sharing %s with %s through resource share %s: a grant that stays names it", w.res, t, sh.id)})
				continue
			}
			ts = append(ts, t)
		}
		for c := range slices.Chunk(ts, rsEntriesPerCall) {
			ro.ops = append(ro.ops, &shareOp{action: "DisassociateResourceShare", res: w.res, shareID: sh.id, entries: c, remove: true, change: Change{
				Kind: Narrowing, Action: "DisassociateResourceShare", Role: roleOfResource(w.res),
				Summary: fmt.Sprintf("stop sharing %s with %s through resource share %s", w.res, strings.Join(c, ", "), sh.id),
			}})
		}
	}
}

// roleOfResource is the share role a resource's recipients' ECS assumes.
func roleOfResource(r Resource) string { return r.Type.RoleName() }

func pendingNote(r Resource, target, shareID string) Change {
	return Change{Kind: Note, Role: roleOfResource(r), Summary: fmt.Sprintf("%s: the invitation of %s to resource share %s is pending: the recipient must accept it before it can use the %s", r, target, shareID, r.Type)}
}

// changes lists the share step's planned changes, then its notes.
func (j *shareJob) changes() []Change {
	var out []Change
	for _, ro := range j.byRes {
		for _, o := range ro.ops {
			out = append(out, o.change)
		}
	}
	return append(out, j.notes...)
}

// isLagCode reports whether ECS refused a share for want of the grant,
// which it may not see yet just after RAM took it.
func isLagCode(code string) bool {
	return code == "AssumeRoleError" || strings.HasSuffix(code, "KMSKeyId.CMKUnauthorized")
}

// runShare makes the share step's writes: resources in parallel, the
// writes of one resource in order. fresh says RAM has just taken a grant:
// ECS's view of RAM lags, so a refusal for want of it is retried within
// Options.ShareWait.
func (e *engine) runShare(ctx context.Context, rec *recorder, j *shareJob, res *Result, fresh bool) error {
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
				id, err := e.shareWrite(ctx, rec, o, fresh)
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
			ns, err := e.pendingOf(ctx, rec, reg, ids, j)
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
func (e *engine) pendingOf(ctx context.Context, rec *recorder, region string, ids []string, j *shareJob) ([]Change, error) {
	assocs, err := e.listAssocs(ctx, rec, region, "Target", ids)
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
func (e *engine) shareWrite(ctx context.Context, rec *recorder, o *shareOp, fresh bool) (string, error) {
	try := shareTry{action: o.action, shareID: o.shareID, entries: slices.Clone(o.entries)}
	created := "" // a share an earlier attempt made, found by a read
	waited := time.Duration(0)
	wait := time.Second
	unknown := 0
	for {
		id, err := e.shareWriteOnce(ctx, rec, o, try)
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
		last := unknown >= e.opts.MaxRounds || lag && waited+wait > e.opts.ShareWait
		if lag && !last {
			if err := e.shareSleep(ctx, wait); err != nil {
				return "", err
			}
			waited += wait
			wait = min(2*wait, 8*time.Second)
		}
		next, made, done, rerr := e.settle(ctx, rec, o, try)
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
func (e *engine) settle(ctx context.Context, rec *recorder, o *shareOp, try shareTry) (next shareTry, made string, done bool, err error) {
	var has func(string) bool // whether the resource is shared with an entry now
	switch try.action {
	case "ModifyImageSharePermission":
		w := &resWant{res: o.res}
		if err := e.readImageShares(ctx, rec, w); err != nil {
			return try, "", false, err
		}
		has = func(a string) bool { return slices.Contains(w.imageAccts, a) }
	case "CreateResourceShare":
		st, err := e.readShares(ctx, rec, o.res.Region)
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
		assocs, err := e.listAssocs(ctx, rec, o.res.Region, "Target", []string{try.shareID})
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
func (e *engine) shareSleep(ctx context.Context, d time.Duration) error {
	if e.opts.Sleep != nil {
		return e.opts.Sleep(ctx, d)
	}
	return e.c.pause(ctx, d)
}

// shareWriteOnce sends one attempt of a share write.
func (e *engine) shareWriteOnce(ctx context.Context, rec *recorder, o *shareOp, try shareTry) (string, error) {
	entries := slices.Clone(try.entries)
	switch try.action {
	case "ModifyImageSharePermission":
		_, err := svcCall(ctx, e, rec, try.action, o.res.ID, true, func(b *backends, t time.Duration) (*ecs.ModifyImageSharePermissionResponse, error) {
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
		resp, err := svcCall(ctx, e, rec, try.action, o.name, true, func(b *backends, t time.Duration) (*resourcesharing.CreateResourceShareResponse, error) {
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
		_, err := svcCall(ctx, e, rec, try.action, try.shareID, true, func(b *backends, t time.Duration) (*resourcesharing.AssociateResourceShareResponse, error) {
			req := resourcesharing.CreateAssociateResourceShareRequest()
			setTimeout(req, t)
			req.RegionId, req.ResourceShareId, req.Targets = o.res.Region, try.shareID, &entries
			return b.rs.AssociateResourceShare(req)
		})
		return "", err
	case "DisassociateResourceShare":
		return "", e.disassociate(ctx, rec, o, try)
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
func (e *engine) disassociate(ctx context.Context, rec *recorder, o *shareOp, try shareTry) error {
	entries := slices.Clone(try.entries)
	for round := 1; ; round++ {
		_, err := svcCall(ctx, e, rec, try.action, try.shareID, true, func(b *backends, t time.Duration) (*resourcesharing.DisassociateResourceShareResponse, error) {
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
		case round >= e.opts.MaxRounds:
			return fmt.Errorf("encryptperm: %s: Resource Sharing refused to take %s out of the share %d times though they were still associated (Options.MaxRounds): %w",
				o.change.Summary, strings.Join(entries, ", "), round, err)
		}
		still, err := e.stillHeld(ctx, rec, o, try)
		if err != nil || len(still) == 0 {
			return err
		}
		entries = still
	}
}

// stillHeld reads the attempt's resource share again and returns those of
// its targets that still hold o's resource through it.
func (e *engine) stillHeld(ctx context.Context, rec *recorder, o *shareOp, try shareTry) ([]string, error) {
	var res, targets []resourcesharing.ResourceShareAssociation
	errs := parallel(func() error {
		var err error
		res, err = e.listAssocs(ctx, rec, o.res.Region, "Resource", []string{try.shareID})
		return err
	}, func() error {
		var err error
		targets, err = e.listAssocs(ctx, rec, o.res.Region, "Target", []string{try.shareID})
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

// planAll is Plan and RevokePlan with the share step: the share changes
// appear beside the RAM changes (before them for a revoke, after them for
// an apply, in the order they would be made).
func (e *engine) planAll(ctx context.Context, revoke bool, grants, keep []*Grant) (*Plan, error) {
	if !hasResources(grants, keep) {
		return e.plan(ctx, revoke, grants, keep)
	}
	rec := &recorder{}
	job, err := e.prepareShare(ctx, rec, revoke, grants, keep, nil)
	if err != nil {
		return nil, ctxOr(ctx, err)
	}
	pl, err := e.plan(ctx, revoke, job.ramGrants, job.keepRAM)
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

// convergeAll is Apply, Revoke and ApplyPlan with the share step. An apply
// converges RAM first and shares after; a revoke unshares first, then
// removes the grant, so that no recipient keeps a share it cannot use.
func (e *engine) convergeAll(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string) (*Result, error) {
	if !hasResources(grants, keep) {
		return e.converge(ctx, revoke, grants, keep, stale, nil, nil)
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
		if err := e.checkBackends(collectWants(grants, keep, "grants"), false); err != nil {
			return finish(err)
		}
		pre = e.startPrefetch(ctx, rec, grants)
		defer pre.release()
	}
	job, err := e.prepareShare(ctx, rec, revoke, grants, keep, pre)
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
		if err := e.runShare(ctx, rec, job, res, false); err != nil {
			return finish(err)
		}
		r, err := e.converge(ctx, true, job.ramGrants, job.keepRAM, stale, nil, rec)
		mergeResult(res, r)
		res.Changes = append(res.Changes, job.notes...)
		return finish(err)
	}
	r, err := e.converge(ctx, false, job.ramGrants, nil, stale, pre, rec)
	pre.release()
	mergeResult(res, r)
	if err != nil {
		return finish(err)
	}
	fresh := r != nil && r.Writes > 0
	err = e.runShare(ctx, rec, job, res, fresh)
	res.Changes = append(res.Changes, job.notes...)
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
