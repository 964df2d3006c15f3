// This file holds the planning of the share step: the writes that share a
// resource with the grants' audience, or take it from them.

package encryptperm

import (
	"fmt"
	"slices"
	"strings"
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
	change   shareChange
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

// shareChange is one change of the share step, in a plan or done: the
// role it concerns is the one the resource's recipients' ECS assumes.
type shareChange struct {
	kind    ChangeKind
	action  string
	res     Resource
	summary string
	kept    bool
}

// shareJob is the share step of one Plan, Apply or Revoke: what it read,
// and the writes it plans.
type shareJob struct {
	cfg   *shareConfig
	wants []*resWant
	byRes []*resOps
	notes []shareChange
}

// planShare computes the share writes: what to add (Apply) or remove
// (Revoke), and notes on invitations not yet accepted.
func planShare(rd *shareReading, cfg *shareConfig) *shareJob {
	j := &shareJob{cfg: cfg, wants: rd.wants}
	j.plan(rd.revoke)
	return j
}

// plan computes the share writes.
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
		ro.ops = append(ro.ops, &shareOp{action: "ModifyImageSharePermission", res: w.res, entries: c, change: shareChange{
			kind: Broadening, action: "ModifyImageSharePermission", res: w.res,
			summary: fmt.Sprintf("share %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	var missing []string
	externalWanted := false
	for _, t := range w.rsTargets() {
		if j.cfg.isAccount(t) {
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
	needExternal := slices.ContainsFunc(missing, j.cfg.isAccount)
	var use *rsShare
	for _, sh := range w.shares {
		// A share that holds other resources would share them too; one
		// that refuses accounts outside the directory cannot take them.
		if len(sh.resources) != 1 || needExternal && !sh.external {
			continue
		}
		if use == nil || sh.name == shareName(j.cfg.prefix, w.res) && use.name != shareName(j.cfg.prefix, w.res) {
			use = sh
		}
	}
	rest := missing
	if use == nil {
		first := rest[:min(rsEntriesPerCall, len(rest))]
		rest = rest[len(first):]
		name := shareName(j.cfg.prefix, w.res)
		var known []string
		for _, sh := range w.shares {
			known = append(known, sh.id)
		}
		ro.ops = append(ro.ops, &shareOp{action: "CreateResourceShare", res: w.res, name: name, external: externalWanted, entries: first, known: known, change: shareChange{
			kind: Broadening, action: "CreateResourceShare", res: w.res,
			summary: fmt.Sprintf("share %s with %s through a new resource share %s", w.res, strings.Join(first, ", "), name),
		}})
	}
	id := ""
	if use != nil {
		id = use.id
	}
	for c := range slices.Chunk(rest, rsEntriesPerCall) {
		via := "the new resource share " + shareName(j.cfg.prefix, w.res)
		if id != "" {
			via = "resource share " + id
		}
		ro.ops = append(ro.ops, &shareOp{action: "AssociateResourceShare", res: w.res, shareID: id, entries: c, change: shareChange{
			kind: Broadening, action: "AssociateResourceShare", res: w.res,
			summary: fmt.Sprintf("share %s with %s through %s", w.res, strings.Join(c, ", "), via),
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
		ro.ops = append(ro.ops, &shareOp{action: "ModifyImageSharePermission", res: w.res, entries: c, remove: true, change: shareChange{
			kind: Narrowing, action: "ModifyImageSharePermission", res: w.res,
			summary: fmt.Sprintf("stop sharing %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	for _, a := range w.ecsAccounts() {
		if slices.Contains(w.imageAccts, a) && w.keep[a] {
			j.notes = append(j.notes, shareChange{kind: Note, kept: true, res: w.res,
				summary: fmt.Sprintf("keep sharing %s with account %s: a grant that stays names it", w.res, a)})
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
				j.notes = append(j.notes, shareChange{kind: Note, kept: true, res: w.res,
					summary: fmt.Sprintf("keep sharing %s with %s through resource share %s: a grant that stays names it", w.res, t, sh.id)})
				continue
			}
			ts = append(ts, t)
		}
		for c := range slices.Chunk(ts, rsEntriesPerCall) {
			ro.ops = append(ro.ops, &shareOp{action: "DisassociateResourceShare", res: w.res, shareID: sh.id, entries: c, remove: true, change: shareChange{
				kind: Narrowing, action: "DisassociateResourceShare", res: w.res,
				summary: fmt.Sprintf("stop sharing %s with %s through resource share %s", w.res, strings.Join(c, ", "), sh.id),
			}})
		}
	}
}

// pendingNote says that a target's invitation to a resource share is not
// accepted yet.
func pendingNote(r Resource, target, shareID string) shareChange {
	return shareChange{kind: Note, res: r, summary: fmt.Sprintf("%s: the invitation of %s to resource share %s is pending: the recipient must accept it before it can use the %s", r, target, shareID, r.Type)}
}

// changes lists the share step's planned changes, then its notes.
func (j *shareJob) changes() []shareChange {
	var out []shareChange
	for _, ro := range j.byRes {
		for _, o := range ro.ops {
			out = append(out, o.change)
		}
	}
	return append(out, j.notes...)
}

// keysOf returns the keys found for those of the resources the job read,
// in the order the job holds the resources, each key once.
func (j *shareJob) keysOf(resources []Resource) []Key {
	var out []Key
	for _, w := range j.wants {
		if !slices.Contains(resources, w.res) {
			continue
		}
		for _, k := range w.keys {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}
