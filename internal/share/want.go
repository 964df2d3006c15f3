// This file holds what the grants want of each image and snapshot, and what
// was read of it.

package share

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
)

// Type is the type of a resource the share step shares.
type Type string

// The types of resource.
const (
	Image    Type = "image"
	Snapshot Type = "snapshot"
)

// Resource names an image or a snapshot.
type Resource struct {
	Type   Type
	Region string
	ID     string
}

// String returns the resource for people: "image m-... in cn-hangzhou".
func (r Resource) String() string { return fmt.Sprintf("%s %s in %s", r.Type, r.ID, r.Region) }

// Key names a KMS key: acs:kms:<Region>:<Owner>:key/<ID>.
type Key struct {
	Region, Owner, ID string
}

// ARN returns the key's resource name, acs:kms:<region>:<owner>:key/<id>.
func (k Key) ARN() string { return fmt.Sprintf("acs:kms:%s:%s:key/%s", k.Region, k.Owner, k.ID) }

// Grant is what the share step needs of one grant: its audience, the keys
// it names and the resources it shares. Its values are valid, as the
// caller's builders make them.
type Grant struct {
	// Accounts are the recipient accounts' UIDs.
	Accounts []string
	// Directories are resource directory IDs (rd-...).
	Directories []string
	// Folders are resource directory paths (rd-.../r-.../fd-...).
	Folders []string
	// Keys are the keys the grant names.
	Keys []Key
	// Resources are the images and snapshots it shares.
	Resources []Resource
}

// want is what the grants want of one resource.
type want struct {
	res      Resource
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

// regionShares is what the share step read in one region.
type regionShares struct {
	shares []*rsShare
}

// collectWants gathers the resources the grants name, with their audience.
func collectWants(grants, keep []Grant, what string) []*want {
	by := map[Resource]*want{}
	var order []Resource
	add := func(i int, g Grant, path string, isKeep bool) {
		for j, r := range g.Resources {
			w, ok := by[r]
			if !ok {
				w = &want{res: r, keep: map[string]bool{}}
				by[r] = w
				order = append(order, r)
			}
			var targets []string
			targets = append(targets, g.Directories...)
			for _, f := range g.Folders {
				targets = append(targets, folderTarget(f))
			}
			if isKeep {
				for _, a := range g.Accounts {
					w.keep[a] = true
				}
				for _, t := range targets {
					w.keep[t] = true
				}
				continue
			}
			w.paths = append(w.paths, fmt.Sprintf("%s[%d].Resources[%d]", path, i, j))
			w.grants = append(w.grants, i)
			w.accounts = append(w.accounts, g.Accounts...)
			w.targets = append(w.targets, targets...)
		}
	}
	for i, g := range grants {
		add(i, g, what, false)
	}
	for i, g := range keep {
		add(i, g, "keep", true)
	}
	slices.SortFunc(order, func(a, b Resource) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(string(a.Type), string(b.Type)), strings.Compare(a.ID, b.ID))
	})
	out := make([]*want, 0, len(order))
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

// folderTarget returns the Resource Sharing target of a folder path: its
// last element (the folder ID, or the root ID).
func folderTarget(rdPath string) string {
	parts := strings.Split(strings.TrimSuffix(rdPath, "/"), "/")
	return parts[len(parts)-1]
}

// rsTargets are the targets a resource's Resource Sharing shares need:
// a snapshot's accounts too; an image's accounts go through ECS.
func (w *want) rsTargets() []string {
	if w.res.Type == Snapshot {
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
func (w *want) holders() []string {
	return slices.Concat(w.accounts, w.targets)
}

// ecsAccounts are the accounts ECS shares an image with directly.
func (w *want) ecsAccounts() []string {
	if w.res.Type == Image {
		return w.accounts
	}
	return nil
}

// sharesOf returns the live shares that hold the resource.
func (st *regionShares) sharesOf(r Resource) []*rsShare {
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
	return rsType(r) + "/" + r.ID
}

// rsType is a resource's Resource Sharing type.
func rsType(r Resource) string {
	if r.Type == Image {
		return "Image"
	}
	return "Snapshot"
}

// shareName is the name of the resource share the step creates for a
// resource: the prefix and the resource ID, at most 50 characters.
func shareName(prefix string, r Resource) string {
	n := prefix + r.ID
	if len(n) <= 50 {
		return n
	}
	h := fnv.New32a()
	h.Write([]byte(r.ID))
	return fmt.Sprintf("%s%s-%08x", prefix, r.ID[:50-len(prefix)-9], h.Sum32())
}

// sharedAccounts lists the accounts the resource is shared with now,
// through ECS or through any resource share.
func (w *want) sharedAccounts(isAccount func(string) bool) []string {
	out := slices.Clone(w.imageAccts)
	for _, sh := range w.shares {
		for t, st := range sh.targets {
			if live(st) && isAccount(t) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// rsShared reports whether a target already has the resource through some
// resource share, and whether only by a pending invitation.
func (w *want) rsShared(t string) (shared, pending bool, share string) {
	for _, sh := range w.shares {
		if st := sh.targets[t]; live(st) {
			return true, st == "Associating", sh.id
		}
	}
	return false, false, ""
}

// unknownKeyReason says why an image's keys cannot all be named.
func (w *want) unknownKeyReason() string {
	why := fmt.Sprintf("the %s may be encrypted, but DescribeSnapshots does not say with which key for every disk (snapshots %s)", w.res, strings.Join(w.snapshots, ", "))
	if w.noSnapshot {
		why += ", and a disk names no snapshot"
	}
	return why
}
