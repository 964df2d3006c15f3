// This file holds what the grants want of each image and snapshot, and what
// was read of it.

package encryptperm

import (
	"fmt"
	"slices"
	"sort"
)

// resWant is what the grants want of one resource.
type resWant struct {
	res      Resource
	kind     Kind
	paths    []string // grants[i].Resources[j]
	grants   []int    // indexes of the grants that name it
	accounts []string // for ECS (images) or Resource Sharing (snapshots)
	targets  []string // directory and folder targets (Resource Sharing)
	keep     map[string]bool

	// read from the cloud
	found      bool
	encrypted  bool
	keyIDs     []string // the keys of its disks, sorted, without duplicates
	serviceKey bool     // a disk is encrypted with the service key
	keyUnknown bool     // a disk may be encrypted, and nothing read says with what
	snapshots  []string // the snapshots of an image's disks, every disk's
	flagged    []string // those of disks DescribeImages says are encrypted
	noSnapshot bool     // an image's disk names no snapshot
	owner      string   // the owner's UID, when known
	imageAccts []string // accounts an image is shared with through ECS
	shares     []*rsShare
	keys       []Key // the keys, once DescribeKey has answered
}

// rsShare is a resource share as read, with its associations.
type rsShare struct {
	id, name  string
	external  bool
	resources []string          // "Type/ID"
	targets   map[string]string // target ID -> association status
}

// live reports whether an association status means the entity is, or is
// being, associated.
func live(status string) bool { return status == "Associated" || status == "Associating" }

// shareState is what the share step read in one region.
type shareState struct {
	shares []*rsShare
}

// shareJob is the share step of one Plan, Apply or Revoke.
type shareJob struct {
	wants     []*resWant
	ramGrants []*Grant
	keepRAM   []*Grant
	byRes     []*resOps
	notes     []Change
}

// sharer is the share step: its reads, its pre-flight and its writes.
type sharer struct {
	c     *caller
	opts  Options
	hints *keyHints
}

// collectWants gathers the resources the grants name, with their audience.
func collectWants(grants, keep []*Grant, what string) []*resWant {
	by := map[Resource]*resWant{}
	var order []Resource
	add := func(i int, g *Grant, path string, isKeep bool) {
		for j, r := range g.Resources {
			w, ok := by[r]
			if !ok {
				w = &resWant{res: r, kind: g.Kind, keep: map[string]bool{}}
				by[r] = w
				order = append(order, r)
			}
			var targets []string
			targets = append(targets, g.Audience.ResourceDirectories...)
			for _, f := range g.Audience.Folders {
				targets = append(targets, folderTarget(f))
			}
			if isKeep {
				for _, a := range g.Audience.Accounts {
					w.keep[a] = true
				}
				for _, t := range targets {
					w.keep[t] = true
				}
				continue
			}
			w.paths = append(w.paths, fmt.Sprintf("%s[%d].Resources[%d]", path, i, j))
			w.grants = append(w.grants, i)
			w.accounts = append(w.accounts, g.Audience.Accounts...)
			w.targets = append(w.targets, targets...)
		}
	}
	for i, g := range grants {
		add(i, g, what, false)
	}
	for i, g := range keep {
		add(i, g, "keep", true)
	}
	sort.Slice(order, func(i, j int) bool { return resourceLess(order[i], order[j]) })
	out := make([]*resWant, 0, len(order))
	for _, r := range order {
		w := by[r]
		slices.Sort(w.accounts)
		w.accounts = slices.Compact(w.accounts)
		slices.Sort(w.targets)
		w.targets = slices.Compact(w.targets)
		out = append(out, w)
	}
	return out
}

// rsTargets are the targets a resource's Resource Sharing shares need:
// a snapshot's accounts too; an image's accounts go through ECS.
func (w *resWant) rsTargets() []string {
	if w.res.Type == ResourceSnapshot {
		return slices.Concat(w.accounts, w.targets)
	}
	return w.targets
}

// holders are the targets a Revoke takes the resource from, on every path
// by which they may hold it: the grant's accounts, directories and
// folders, as targets of any resource share that holds the resource (an
// image's accounts too, which the library shares with through ECS, but
// another team, or someone by hand, may have shared with through Resource
// Sharing).
func (w *resWant) holders() []string {
	return slices.Concat(w.accounts, w.targets)
}

// ecsAccounts are the accounts ECS shares an image with directly.
func (w *resWant) ecsAccounts() []string {
	if w.res.Type == ResourceImage {
		return w.accounts
	}
	return nil
}

// sharesOf returns the live shares that hold the resource.
func (st *shareState) sharesOf(r Resource) []*rsShare {
	if st == nil {
		return nil
	}
	var out []*rsShare
	for _, sh := range st.shares {
		if slices.Contains(sh.resources, shareEntity(r)) {
			out = append(out, sh)
		}
	}
	return out
}

// shareEntity is a resource as Resource Sharing names it: "Type/ID".
func shareEntity(r Resource) string {
	if r.Type == ResourceImage {
		return "Image/" + r.ID
	}
	return "Snapshot/" + r.ID
}

// rsType is a resource's Resource Sharing type.
func rsType(r Resource) string {
	if r.Type == ResourceImage {
		return "Image"
	}
	return "Snapshot"
}

// sharedAccounts lists the accounts the resource is shared with now,
// through ECS or through any resource share.
func (w *resWant) sharedAccounts() []string {
	out := slices.Clone(w.imageAccts)
	for _, sh := range w.shares {
		for t, st := range sh.targets {
			if live(st) && accountRE.MatchString(t) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// rsShared reports whether a target already has the resource through some
// resource share, and whether only by a pending invitation.
func (w *resWant) rsShared(t string) (shared, pending bool, share string) {
	for _, sh := range w.shares {
		if st := sh.targets[t]; live(st) {
			return true, st == "Associating", sh.id
		}
	}
	return false, false, ""
}
