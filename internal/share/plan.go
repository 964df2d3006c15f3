// This file holds the planning of the share step: the writes that share a
// resource with the grants' audience, or take it from them.

package share

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

// op is one write of the share step.
type op struct {
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
	ops []*op
}

// ChangeKind says what a change does to access.
type ChangeKind string

// The kinds of change the share step makes.
const (
	// Broadening shares a resource with more recipients.
	Broadening ChangeKind = "broadening"
	// Narrowing takes a resource from recipients.
	Narrowing ChangeKind = "narrowing"
	// Note is not a change: something a reviewer should know.
	Note ChangeKind = "note"
)

// Change is one change of the share step, planned or made.
type Change struct {
	Kind ChangeKind
	// Action is the call that makes it, "" for a Note.
	Action string
	// Resource is the resource shared or unshared.
	Resource Resource
	// Summary says what changes, for people.
	Summary string
	// Kept marks a Note of a removal left out because a grant that stays
	// names it.
	Kept bool
	// Write holds the parameters of the call that makes the change; nil
	// for a Note.
	Write *Write
}

// Write is what one share write sends: its targets, and the resource
// share it writes to.
type Write struct {
	// Targets are the accounts, directories and folders the call adds or
	// takes out.
	Targets []string
	// ShareID is the resource share written to; empty for ECS, and for a
	// share that a CreateResourceShare of the same job makes (ShareName).
	ShareID string
	// ShareName names the resource share a CreateResourceShare makes, and
	// that share in the AssociateResourceShare calls after it.
	ShareName string
	// External is the AllowExternalTargets of a CreateResourceShare.
	External bool
	// Remove is true for a call that takes targets out.
	Remove bool
}

// Job is the share step of one Plan, Apply or Revoke: what it read, and
// the writes it plans. Prepare makes it; Run makes its writes.
type Job struct {
	cfg   *Config
	wants []*want
	byRes []*resOps
	notes []Change
}

// planAll computes the share writes: what to add (Apply) or remove
// (Revoke), and notes on invitations not yet accepted.
func planAll(rd *reading, cfg *Config) *Job {
	j := &Job{cfg: cfg, wants: rd.wants}
	j.plan(rd.revoke)
	return j
}

// plan computes the share writes.
func (j *Job) plan(revoke bool) {
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

func (j *Job) planAdd(w *want, ro *resOps) {
	var add []string
	for _, a := range w.ecsAccounts() {
		if !slices.Contains(w.imageAccts, a) {
			add = append(add, a)
		}
	}
	for c := range slices.Chunk(add, imageAccountsPerCall) {
		ro.ops = append(ro.ops, &op{action: "ModifyImageSharePermission", res: w.res, entries: c, change: Change{
			Kind: Broadening, Action: "ModifyImageSharePermission", Resource: w.res,
			Summary: fmt.Sprintf("share %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	var missing []string
	externalWanted := false
	for _, t := range w.rsTargets() {
		if j.cfg.IsAccount(t) {
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
	needExternal := slices.ContainsFunc(missing, j.cfg.IsAccount)
	var use *rsShare
	for _, sh := range w.shares {
		// A share that holds other resources would share them too; one
		// that refuses accounts outside the directory cannot take them.
		if len(sh.resources) != 1 || needExternal && !sh.external {
			continue
		}
		if use == nil || sh.name == shareName(j.cfg.NamePrefix, w.res) && use.name != shareName(j.cfg.NamePrefix, w.res) {
			use = sh
		}
	}
	rest := missing
	if use == nil {
		first := rest[:min(rsEntriesPerCall, len(rest))]
		rest = rest[len(first):]
		name := shareName(j.cfg.NamePrefix, w.res)
		var known []string
		for _, sh := range w.shares {
			known = append(known, sh.id)
		}
		ro.ops = append(ro.ops, &op{action: "CreateResourceShare", res: w.res, name: name, external: externalWanted, entries: first, known: known, change: Change{
			Kind: Broadening, Action: "CreateResourceShare", Resource: w.res,
			Summary: fmt.Sprintf("share %s with %s through a new resource share %s", w.res, strings.Join(first, ", "), name),
		}})
	}
	id := ""
	if use != nil {
		id = use.id
	}
	for c := range slices.Chunk(rest, rsEntriesPerCall) {
		via := "the new resource share " + shareName(j.cfg.NamePrefix, w.res)
		if id != "" {
			via = "resource share " + id
		}
		ro.ops = append(ro.ops, &op{action: "AssociateResourceShare", res: w.res, shareID: id, entries: c, change: Change{
			Kind: Broadening, Action: "AssociateResourceShare", Resource: w.res,
			Summary: fmt.Sprintf("share %s with %s through %s", w.res, strings.Join(c, ", "), via),
		}})
	}
}

func (j *Job) planRemove(w *want, ro *resOps) {
	var remove []string
	for _, a := range w.ecsAccounts() {
		if slices.Contains(w.imageAccts, a) && !w.keep[a] {
			remove = append(remove, a)
		}
	}
	for c := range slices.Chunk(remove, imageAccountsPerCall) {
		ro.ops = append(ro.ops, &op{action: "ModifyImageSharePermission", res: w.res, entries: c, remove: true, change: Change{
			Kind: Narrowing, Action: "ModifyImageSharePermission", Resource: w.res,
			Summary: fmt.Sprintf("stop sharing %s with account(s) %s (ECS)", w.res, strings.Join(c, ", ")),
		}})
	}
	for _, a := range w.ecsAccounts() {
		if slices.Contains(w.imageAccts, a) && w.keep[a] {
			j.notes = append(j.notes, Change{Kind: Note, Kept: true, Resource: w.res,
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
				j.notes = append(j.notes, Change{Kind: Note, Kept: true, Resource: w.res,
					Summary: fmt.Sprintf("keep sharing %s with %s through resource share %s: a grant that stays names it", w.res, t, sh.id)})
				continue
			}
			ts = append(ts, t)
		}
		for c := range slices.Chunk(ts, rsEntriesPerCall) {
			ro.ops = append(ro.ops, &op{action: "DisassociateResourceShare", res: w.res, shareID: sh.id, entries: c, remove: true, change: Change{
				Kind: Narrowing, Action: "DisassociateResourceShare", Resource: w.res,
				Summary: fmt.Sprintf("stop sharing %s with %s through resource share %s", w.res, strings.Join(c, ", "), sh.id),
			}})
		}
	}
}

// pendingNote says that a target's invitation to a resource share is not
// accepted yet.
func pendingNote(r Resource, target, shareID string) Change {
	return Change{Kind: Note, Resource: r, Summary: fmt.Sprintf("%s: the invitation of %s to resource share %s is pending: the recipient must accept it before it can use the %s", r, target, shareID, r.Type)}
}

// Changes lists the share step's planned changes, each with its write,
// then its notes.
func (j *Job) Changes() []Change {
	var out []Change
	for _, ro := range j.byRes {
		created := ""
		for _, o := range ro.ops {
			c := o.change
			wr := &Write{Targets: slices.Clone(o.entries), ShareID: o.shareID, External: o.external, Remove: o.remove}
			switch {
			case o.action == "CreateResourceShare":
				wr.ShareName, created = o.name, o.name
			case o.action == "AssociateResourceShare" && o.shareID == "":
				wr.ShareName = created
			}
			c.Write = wr
			out = append(out, c)
		}
	}
	return append(out, j.notes...)
}

// KeysOf returns the keys found for those of the resources the job read,
// in the order the job holds the resources, each key once.
func (j *Job) KeysOf(resources []Resource) []Key {
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

// Notes lists the job's notes: invitations not yet accepted, removals left
// out for grants that stay, and, after Run, the invitations its writes
// left pending.
func (j *Job) Notes() []Change { return slices.Clone(j.notes) }
