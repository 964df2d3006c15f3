package encryptperm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

// backends is what one client slot of the engine's pool holds: the RAM
// client, and the ECS, Resource Sharing and KMS clients of the share step
// (nil when there is none). Calls on one slot are serialized, as the SDK's
// clients need; with NewApplier the four are often one object (the fake).
type backends struct {
	RAM
	ecs ECS
	rs  ResourceSharing
	kms KMS
}

// withBackends wraps the RAM client given to NewApplier with the share
// step's clients: those Options names, or else the RAM client itself when
// it implements them. It records in o which services are present.
func withBackends(ramClient RAM, o *Options) RAM {
	b := &backends{RAM: ramClient, ecs: o.ECS, rs: o.ResourceSharing, kms: o.KMS}
	if x, ok := ramClient.(ECS); ok && b.ecs == nil {
		b.ecs = x
	}
	if x, ok := ramClient.(ResourceSharing); ok && b.rs == nil {
		b.rs = x
	}
	if x, ok := ramClient.(KMS); ok && b.kms == nil {
		b.kms = x
	}
	o.ECS, o.ResourceSharing, o.KMS = b.ecs, b.rs, b.kms
	return b
}

// svcCall makes one ECS, Resource Sharing or KMS call on a client slot,
// with the engine's retries, timeouts, logging and record.
func svcCall[Resp any](ctx context.Context, e *engine, rec *recorder, action, target string, write bool, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return svcOp(ctx, e, op{action: action, target: target, write: write, rec: rec}, fn)
}

// svcOp is svcCall with the whole op given.
func svcOp[Resp any](ctx context.Context, e *engine, o op, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return invoke(ctx, e.c, o, func(r RAM, t time.Duration) (Resp, error) {
		b, ok := r.(*backends)
		if !ok || b.ecs == nil && b.rs == nil && b.kms == nil {
			var zero Resp
			return zero, &clientError{o.action, o.target, "has no ECS, Resource Sharing or KMS backend"}
		}
		return fn(b, t)
	})
}

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

// preflightError lists every problem the share step found before any
// write; it wraps the *ValidationError and, where they apply, ErrNotFound
// and ErrConflict.
type preflightError struct {
	*ValidationError
	extra []error
}

func (e *preflightError) Unwrap() []error { return append([]error{e.ValidationError}, e.extra...) }

// prepareShare reads what the share step needs (the resources, their keys,
// their shares, the directory's sharing status), checks everything before
// any write and reports every problem at once, and derives the grants the
// RAM engine converges: each grant with the keys of its resources.
//
// The keys the grants name (WithKey), and those this Applier found for the
// resources before (keyHints), are read in the first level; the other keys
// found are read in a level of their own, after the snapshots that name
// them. Every key is read before anything is judged, whether anything is
// to be written or not: an Apply that finds RAM and the shares in place
// still refuses a key nobody can use.
func (e *engine) prepareShare(ctx context.Context, rec *recorder, revoke bool, grants, keep []*Grant, pre *prefetch) (*shareJob, error) {
	wants := collectWants(grants, keep, "grants")
	if err := e.checkBackends(wants, revoke); err != nil {
		return nil, err
	}
	regions := map[string]*shareState{}
	var mu sync.Mutex
	needRS := map[string]bool{}
	needDir := false
	for _, w := range wants {
		// A revoke reads every resource share: a recipient may hold the
		// resource through one that another team made, or one made by
		// hand, whatever path the library shares it by.
		if len(w.rsTargets()) > 0 || w.res.Type == ResourceSnapshot || revoke {
			needRS[w.res.Region] = true
		}
		if len(w.targets) > 0 && !revoke {
			needDir = true
		}
	}
	dirEnabled := true
	// Level 1: the resources, the image shares, the resource shares, the
	// directory's status.
	var fns []func() error
	snapsByRegion := map[string][]*resWant{}
	for _, w := range wants {
		switch w.res.Type {
		case ResourceImage:
			fns = append(fns, func() error { return e.readImage(ctx, rec, w) })
			fns = append(fns, func() error { return e.readImageShares(ctx, rec, w) })
		case ResourceSnapshot:
			snapsByRegion[w.res.Region] = append(snapsByRegion[w.res.Region], w)
		}
	}
	for reg, ws := range snapsByRegion {
		fns = append(fns, func() error { return e.readSnapshots(ctx, rec, reg, ws, nil) })
	}
	// The snapshots images are made of are not known yet: list the
	// region's encrypted snapshots beside DescribeImages, in the hope that
	// they are among them (see snapList).
	lists := map[string]snapList{}
	for reg, key := range imageListFilters(wants, grants) {
		fns = append(fns, func() error {
			l := e.listSnapshots(ctx, rec, reg, key)
			mu.Lock()
			lists[reg] = l
			mu.Unlock()
			return nil
		})
	}
	for reg := range needRS {
		fns = append(fns, func() error {
			st, err := e.readShares(ctx, rec, reg)
			mu.Lock()
			regions[reg] = st
			mu.Unlock()
			return err
		})
	}
	if needDir {
		reg := wants[0].res.Region
		fns = append(fns, func() error {
			resp, err := svcCall(ctx, e, rec, "CheckSharingWithResourceDirectoryStatus", reg, false, func(b *backends, t time.Duration) (*resourcesharing.CheckSharingWithResourceDirectoryStatusResponse, error) {
				req := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusRequest()
				setTimeout(req, t)
				req.RegionId = reg
				return b.rs.CheckSharingWithResourceDirectoryStatus(req)
			})
			if err == nil {
				dirEnabled = resp.EnableSharingWithRd
			}
			return err
		})
	}
	// The keys the grants name depend on no read: they go in level 1 too.
	type keyAt struct{ region, id string }
	keys := map[keyAt]*kms.KeyMetadata{}
	missing := map[keyAt]bool{}
	described := map[keyAt]bool{}
	describe := func(want []keyAt) []func() error {
		out := make([]func() error, 0, len(want))
		for _, ka := range want {
			described[ka] = true
			out = append(out, func() error {
				resp, err := describeKey(ctx, e, rec, ka.region, ka.id)
				mu.Lock()
				defer mu.Unlock()
				if keyMissing(err) {
					missing[ka] = true
					return nil
				}
				if err != nil {
					return err
				}
				m := resp.KeyMetadata
				keys[ka] = &m
				return nil
			})
		}
		return out
	}
	var given []keyAt
	for _, w := range wants {
		for _, gi := range w.grants {
			for _, k := range grants[gi].Keys {
				if ka := (keyAt{k.Region, k.ID}); !slices.Contains(given, ka) {
					given = append(given, ka)
				}
			}
		}
	}
	fns = append(fns, describe(given)...)
	// The keys this Applier found for the resources before: an image's or
	// snapshot's keys do not change, so they are read in level 1 too, and
	// a warm Apply knows every key's state in its first level. A hint is
	// only a guess at what to read early: the keys judged are those read
	// from the resources now, and a hinted read that fails is made again
	// in level 3 if the key is found.
	for _, w := range wants {
		for _, id := range e.keyHints(w.res) {
			ka := keyAt{w.res.Region, id}
			if described[ka] || slices.Contains(given, ka) {
				continue
			}
			described[ka] = true
			fns = append(fns, func() error {
				resp, err := describeKey(ctx, e, rec, ka.region, ka.id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case keyMissing(err):
					missing[ka] = true
				case err != nil:
					delete(described, ka)
				default:
					m := resp.KeyMetadata
					keys[ka] = &m
				}
				return nil
			})
		}
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, err
	}
	// Level 2: the snapshots images are made of, for their keys.
	fns = nil
	imgSnaps := map[string][]*resWant{}
	for _, w := range wants {
		if w.res.Type != ResourceImage || !w.found || len(w.snapshots) == 0 {
			continue
		}
		if l := lists[w.res.Region]; l.covers(w) {
			w.keysFrom(l)
			continue
		}
		imgSnaps[w.res.Region] = append(imgSnaps[w.res.Region], w)
	}
	for reg, ws := range imgSnaps {
		fns = append(fns, func() error { return e.readSnapshots(ctx, rec, reg, nil, ws) })
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, err
	}
	for _, w := range wants {
		if w.found && !w.keyUnknown {
			e.rememberKeys(w.res, w.keyIDs)
		}
	}
	// The keys found that level 1 did not read.
	var found []keyAt
	for _, w := range wants {
		for _, id := range w.keyIDs {
			if ka := (keyAt{w.res.Region, id}); !described[ka] && !slices.Contains(found, ka) {
				found = append(found, ka)
			}
		}
	}
	for _, w := range wants {
		w.shares = regions[w.res.Region].sharesOf(w.res)
	}
	owners := make([]string, len(wants))
	for i, w := range wants {
		owners[i] = w.owner
	}
	// Judge, all at once, once every key has been read.
	judge := func() (*shareJob, error) {
		for i, w := range wants {
			w.keys, w.owner = nil, owners[i]
		}
		var p problems
		var extra []error
		notFound, conflict := false, false
		keyed := map[int]bool{} // grants whose own keys are checked below
		for _, w := range wants {
			if len(w.paths) == 0 {
				continue // named only by grants that stay
			}
			at := w.paths[0]
			if !w.found && revoke {
				continue // nothing is shared; the grant's own keys still go
			}
			if !w.found {
				p.add(at, w.res.ID, "no %s with this ID in %s (Describe%ss found none)", w.res.Type, w.res.Region, rsType(w.res))
				notFound = true
				continue
			}
			if (w.serviceKey || w.keyUnknown) && !revoke {
				if w.serviceKey {
					p.add(at, w.res.ID, "%s", serviceKeyReason(w.kind))
				} else {
					p.add(at, w.res.ID, "%s; nothing is shared with a key nobody can name", w.unknownKeyReason())
				}
				continue
			}
			for _, id := range w.keyIDs {
				ka := keyAt{w.res.Region, id}
				switch m := keys[ka]; {
				case missing[ka] && revoke:
					// A key deleted since: what the grant gave for it still
					// goes, when the owner is known.
					if w.owner != "" {
						w.keys = append(w.keys, Key{Region: w.res.Region, Owner: w.owner, ID: id})
					}
				case missing[ka]:
					p.add(at, w.res.ID, "the %s is encrypted with key %s, which KMS does not find in %s", w.res.Type, id, w.res.Region)
				case m != nil:
					k, err := ParseKeyARN(m.Arn)
					if err != nil {
						p.add(at, w.res.ID, "KMS answered the ARN %q for key %s, which is not a key ARN", m.Arn, id)
						break
					}
					if serviceManaged(m.Creator) && !revoke {
						// A key a cloud service created for itself, such as
						// ECS's default key, is the service key by another
						// name (inferred: KMS names such a key's Creator by
						// the service, a customer key's by the account UID).
						p.add(at, w.res.ID, "the %s is encrypted with key %s, which %s manages: %s", w.res.Type, id, m.Creator, serviceKeyReason(w.kind))
						break
					}
					w.keys = append(w.keys, k)
					if w.owner == "" {
						w.owner = k.Owner
					}
					if m.KeyState != "Enabled" && !revoke {
						p.add(at, w.res.ID, "the %s's key %s is %s, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first", w.res.Type, k.ARN(), m.KeyState)
					}
				}
			}
			for _, gi := range w.grants {
				g := grants[gi]
				given := make([]string, 0, len(g.Keys))
				for _, k := range g.Keys {
					given = append(given, k.ARN())
				}
				for _, k := range w.keys {
					if len(g.Keys) > 0 && !slices.Contains(g.Keys, k) {
						p.add(fmt.Sprintf("grants[%d].Keys", gi), strings.Join(given, ","), "the %s is encrypted with key %s, not with the key the grant names (%s): drop WithKey to let the Applier find the key, or name that key", w.res, k.ARN(), strings.Join(given, ", "))
					}
				}
				keyed[gi] = true
				for ki, k := range g.Keys {
					if k.Region != w.res.Region && !revoke {
						p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "the key is in %s, but the %s is in %s: ECS uses a key of the resource's own region", k.Region, w.res, w.res.Region)
					}
				}
			}
			if revoke {
				// Unsharing from a share that holds other resources would
				// unshare them too: refuse, change nothing.
				for _, sh := range w.shares {
					if len(sh.resources) < 2 {
						continue
					}
					for _, t := range w.holders() {
						if live(sh.targets[t]) && !w.keep[t] {
							p.add(at, w.res.ID, "resource share %s (%s) holds other resources too: removing target %s from it would unshare them as well; remove the target yourself, or move the %s to a share of its own", sh.id, sh.name, t, w.res.Type)
							conflict = true
						}
					}
				}
				continue
			}
			// The owner's own account, the caps, the directory.
			owner := w.owner
			for _, gi := range w.grants {
				for ai, a := range grants[gi].Audience.Accounts {
					if owner != "" && a == owner {
						p.add(fmt.Sprintf("grants[%d].Audience.Accounts[%d]", gi, ai), a, "account %s owns the %s; ECS does not share a resource with its own owner (InvalidAccount.Forbbiden)", a, w.res)
					}
				}
			}
			have := w.sharedAccounts()
			all := slices.Clone(have)
			for _, a := range w.accounts {
				if !slices.Contains(all, a) {
					all = append(all, a)
				}
			}
			if most := shareCap(w.kind, e.opts.Limits); len(all) > most {
				p.addLimit(at, w.res.ID, "the %s would be shared with %d accounts (%d already), but ECS shares one %s with at most %d; share with a resource directory or folder instead", w.res, len(all), len(have), w.res.Type, most)
			}
			if len(w.targets) > 0 && !dirEnabled {
				p.add(at, w.res.ID, "sharing with a resource directory or folder is not enabled for this account (CheckSharingWithResourceDirectoryStatus); enable it in Resource Sharing (EnableSharingWithResourceDirectory) from the directory's management account")
			}
		}
		// The keys a grant names, once per grant however many of its
		// resources it names.
		for gi, g := range grants {
			if !keyed[gi] || revoke {
				continue
			}
			for ki, k := range g.Keys {
				ka := keyAt{k.Region, k.ID}
				switch m := keys[ka]; {
				case missing[ka]:
					p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "KMS does not find this key in %s", k.Region)
				case m != nil && m.KeyState != "Enabled":
					p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "the key is %s, not Enabled", m.KeyState)
				}
			}
		}
		if notFound {
			extra = append(extra, ErrNotFound)
		}
		if conflict {
			extra = append(extra, ErrConflict)
		}
		if err := p.err("share"); err != nil {
			var ve *ValidationError
			errors.As(err, &ve)
			return nil, &preflightError{ve, extra}
		}
		job := &shareJob{wants: wants}
		var err error
		if job.ramGrants, err = deriveGrants(grants, wants); err != nil {
			return nil, err
		}
		if job.keepRAM, err = deriveGrants(keep, wants); err != nil {
			return nil, err
		}
		job.plan(revoke)
		return job, nil
	}

	// Level 3: the keys found that level 1 did not read, before anything
	// is written, and whether anything is to be written or not: a key
	// nobody can use is refused even when RAM and the shares are in place.
	if err := firstErr(parallel(describe(found)...)); err != nil {
		return nil, err
	}
	return judge()
}

// imageListFilters returns, for each region with images to share, the key
// its snapshot list is filtered by: the one key the grants naming those
// images name, when there is exactly one; else "" (every encrypted
// snapshot).
func imageListFilters(wants []*resWant, grants []*Grant) map[string]string {
	out := map[string]string{}
	named := map[string][]string{}
	unnamed := map[string]bool{}
	for _, w := range wants {
		if w.res.Type != ResourceImage {
			continue
		}
		reg := w.res.Region
		out[reg] = ""
		if len(w.grants) == 0 {
			unnamed[reg] = true
		}
		for _, gi := range w.grants {
			if len(grants[gi].Keys) == 0 {
				unnamed[reg] = true
			}
			for _, k := range grants[gi].Keys {
				if !slices.Contains(named[reg], k.ID) {
					named[reg] = append(named[reg], k.ID)
				}
			}
		}
	}
	for reg := range out {
		if !unnamed[reg] && len(named[reg]) == 1 {
			out[reg] = named[reg][0]
		}
	}
	return out
}

// checkBackends refuses, before any I/O, resources whose services the
// Applier has no client for. A revoke needs Resource Sharing for every
// resource, to read the shares a recipient may hold it through.
func (e *engine) checkBackends(wants []*resWant, revoke bool) error {
	var p problems
	for _, w := range wants {
		if len(w.paths) == 0 {
			continue
		}
		need := []string{}
		if e.opts.ECS == nil {
			need = append(need, "ECS (Options.ECS)")
		}
		if e.opts.KMS == nil {
			need = append(need, "KMS (Options.KMS)")
		}
		if e.opts.ResourceSharing == nil && (w.res.Type == ResourceSnapshot || len(w.targets) > 0 || revoke) {
			need = append(need, "Resource Sharing (Options.ResourceSharing)")
		}
		if len(need) > 0 {
			p.add(w.paths[0], w.res.ID, "sharing the %s needs a client for %s: the RAM client given to NewApplier does not implement it", w.res, strings.Join(need, ", "))
		}
	}
	return p.err("share")
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

// readImage reads an image: whether it exists, and the snapshots its disks
// are made of. Whether a disk is encrypted, and with which key, only its
// snapshot tells for certain: DescribeImages' Encrypted of a disk is read
// as a claim to hold the snapshot to, and its absence (the SDK's false) as
// saying nothing, so every disk's snapshot is read (keysFrom).
func (e *engine) readImage(ctx context.Context, rec *recorder, w *resWant) error {
	resp, err := svcCall(ctx, e, rec, "DescribeImages", w.res.ID, false, func(b *backends, t time.Duration) (*ecs.DescribeImagesResponse, error) {
		req := ecs.CreateDescribeImagesRequest()
		setTimeout(req, t)
		req.RegionId, req.ImageId, req.ImageOwnerAlias = w.res.Region, w.res.ID, "self"
		return b.ecs.DescribeImages(req)
	})
	if err != nil {
		return err
	}
	for _, im := range resp.Images.Image {
		if im.ImageId != w.res.ID {
			continue
		}
		w.found = true
		if im.ImageOwnerId > 0 {
			w.owner = strconv.FormatInt(im.ImageOwnerId, 10)
		}
		for _, m := range im.DiskDeviceMappings.DiskDeviceMapping {
			if m.SnapshotId == "" {
				// Nothing to read: whether the disk is encrypted, and
				// with what, cannot be told.
				w.noSnapshot = true
				continue
			}
			if !slices.Contains(w.snapshots, m.SnapshotId) {
				w.snapshots = append(w.snapshots, m.SnapshotId)
			}
			if m.Encrypted {
				w.flagged = append(w.flagged, m.SnapshotId)
			}
		}
		w.encrypted = len(w.flagged) > 0 || w.noSnapshot
		w.keyUnknown = w.noSnapshot
	}
	return nil
}

// readImageShares reads the accounts an image is shared with through ECS.
func (e *engine) readImageShares(ctx context.Context, rec *recorder, w *resWant) error {
	pg := e.newPager("DescribeImageSharePermission", w.res.ID)
	for page := 1; ; page++ {
		resp, err := svcCall(ctx, e, rec, "DescribeImageSharePermission", w.res.ID, false, func(b *backends, t time.Duration) (*ecs.DescribeImageSharePermissionResponse, error) {
			req := ecs.CreateDescribeImageSharePermissionRequest()
			setTimeout(req, t)
			req.RegionId, req.ImageId = w.res.Region, w.res.ID
			req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(100)
			return b.ecs.DescribeImageSharePermission(req)
		})
		if codeOf(err) == "InvalidImageId.NotFound" {
			return nil // DescribeImages tells
		}
		if err != nil {
			return err
		}
		for _, a := range resp.Accounts.Account {
			w.imageAccts = append(w.imageAccts, a.AliyunId)
		}
		if len(resp.Accounts.Account) == 0 || page*100 >= resp.TotalCount {
			return nil
		}
		if _, err := pg.next(strconv.Itoa(page + 1)); err != nil {
			return err
		}
	}
}

// snapRow is what DescribeSnapshots says of one snapshot.
type snapRow struct {
	encrypted bool
	key       string
}

// readSnapshots reads snapshots by ID: the snapshots ws name, or the
// snapshots the images imgs are made of (for their keys).
func (e *engine) readSnapshots(ctx context.Context, rec *recorder, region string, ws, imgs []*resWant) error {
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.res.ID)
	}
	for _, w := range imgs {
		ids = append(ids, w.snapshots...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	found := map[string]snapRow{}
	for chunk := range slices.Chunk(ids, 100) {
		list, _ := json.Marshal(chunk)
		resp, err := svcCall(ctx, e, rec, "DescribeSnapshots", strings.Join(chunk, ","), false, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
			req := ecs.CreateDescribeSnapshotsRequest()
			setTimeout(req, t)
			req.RegionId, req.SnapshotIds = region, string(list)
			req.PageSize = requests.NewInteger(100)
			return b.ecs.DescribeSnapshots(req)
		})
		if err != nil {
			return err
		}
		for _, s := range resp.Snapshots.Snapshot {
			found[s.SnapshotId] = snapRow{s.Encrypted, s.KMSKeyId}
		}
	}
	for _, w := range ws {
		if s, ok := found[w.res.ID]; ok {
			w.found, w.encrypted = true, s.encrypted || s.key != ""
			w.keyIDs, w.serviceKey = nil, s.encrypted && s.key == ""
			if s.key != "" {
				w.keyIDs = []string{s.key}
			}
		}
	}
	for _, w := range imgs {
		w.keysFrom(found)
	}
	return nil
}

// keysFrom sets an image's keys from what DescribeSnapshots said of the
// snapshots its disks are made of. An image is encrypted with the keys of
// its disks' snapshots, system and data disks alike (a data disk may have a
// key of its own, and DescribeImages may not say that it is encrypted); an
// encrypted snapshot with no key is encrypted with the service key. A disk
// whose snapshot does not answer, or that DescribeImages says is encrypted
// while its snapshot says it is not, or that names no snapshot, may have a
// key nobody knows: the pre-flight refuses it, and Check too, failing
// closed.
func (w *resWant) keysFrom(found map[string]snapRow) {
	w.keyIDs, w.serviceKey, w.keyUnknown = nil, false, w.noSnapshot
	w.encrypted = len(w.flagged) > 0 || w.noSnapshot
	for _, id := range w.snapshots {
		s, ok := found[id]
		switch {
		case !ok:
			w.keyUnknown = true
		case s.key != "":
			w.keyIDs = append(w.keyIDs, s.key)
			w.encrypted = true
		case s.encrypted:
			w.serviceKey, w.encrypted = true, true
		case slices.Contains(w.flagged, id):
			w.keyUnknown = true
		}
	}
	w.encrypted = w.encrypted || w.keyUnknown
	slices.Sort(w.keyIDs)
	w.keyIDs = slices.Compact(w.keyIDs)
}

// unknownKeyReason says why an image's keys cannot all be named.
func (w *resWant) unknownKeyReason() string {
	why := fmt.Sprintf("the %s may be encrypted, but DescribeSnapshots does not say with which key for every disk (snapshots %s)", w.res, strings.Join(w.snapshots, ", "))
	if w.noSnapshot {
		why += ", and a disk names no snapshot"
	}
	return why
}

// snapList is the first page of a region's encrypted image snapshots, listed
// beside DescribeImages before the image's snapshot IDs are known, so that
// the snapshot an image is made of need not be read a level later. It is
// only ever evidence about the snapshots it lists, by ID, each row carrying
// its own key: a server that ignored the filters would list more rows, not
// change what a row says. A snapshot listed twice with different answers
// is left out, and is read by ID.
type snapList map[string]snapRow

// covers reports whether the list answers for every snapshot the image is
// made of.
func (l snapList) covers(w *resWant) bool {
	if l == nil || len(w.snapshots) == 0 {
		return false
	}
	for _, id := range w.snapshots {
		if _, ok := l[id]; !ok {
			return false
		}
	}
	return true
}

// listSnapshots lists the first page (up to 100) of the region's encrypted
// snapshots that images are made of (Usage "image"), with keyID's only when
// keyID is set. It is a guess made to save a level: it is tried once, and
// when it fails, or does not list an image's snapshots (a region with more
// such snapshots than a page, or a snapshot that made disks as well, whose
// Usage is "image_disk"), the snapshots are read by ID as before, so only
// the level is lost. It returns nil for a failed call.
func (e *engine) listSnapshots(ctx context.Context, rec *recorder, region, keyID string) snapList {
	target := region
	if keyID != "" {
		target += "/" + keyID
	}
	resp, err := svcOp(ctx, e, op{action: "DescribeSnapshots", target: target, rec: rec, once: true}, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
		req := ecs.CreateDescribeSnapshotsRequest()
		setTimeout(req, t)
		req.RegionId, req.Encrypted, req.Usage = region, requests.NewBoolean(true), "image"
		if keyID != "" {
			req.KMSKeyId = keyID
		}
		req.PageNumber, req.PageSize = requests.NewInteger(1), requests.NewInteger(100)
		return b.ecs.DescribeSnapshots(req)
	})
	if err != nil || resp == nil {
		return nil
	}
	out := snapList{}
	bad := map[string]bool{}
	for _, s := range resp.Snapshots.Snapshot {
		row := snapRow{s.Encrypted, s.KMSKeyId}
		if prev, ok := out[s.SnapshotId]; ok && prev != row {
			bad[s.SnapshotId] = true
		}
		out[s.SnapshotId] = row
	}
	for id := range bad {
		delete(out, id)
	}
	return out
}

// readShares reads the account's resource shares in a region, with their
// resources and targets.
func (e *engine) readShares(ctx context.Context, rec *recorder, region string) (*shareState, error) {
	st := &shareState{}
	byID := map[string]*rsShare{}
	var mu sync.Mutex
	get := func(id string) *rsShare {
		sh, ok := byID[id]
		if !ok {
			sh = &rsShare{id: id, targets: map[string]string{}}
			byID[id] = sh
		}
		return sh
	}
	var shares []resourcesharing.ResourceShare
	var assocs []resourcesharing.ResourceShareAssociation
	listShares := func() error {
		token := ""
		pg := e.newPager("ListResourceShares", region)
		for {
			resp, err := svcCall(ctx, e, rec, "ListResourceShares", region, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceSharesResponse, error) {
				req := resourcesharing.CreateListResourceSharesRequest()
				setTimeout(req, t)
				req.RegionId, req.ResourceOwner, req.NextToken = region, "Self", token
				req.MaxResults = requests.NewInteger(100)
				return b.rs.ListResourceShares(req)
			})
			if err != nil {
				return err
			}
			mu.Lock()
			shares = append(shares, resp.ResourceShares...)
			mu.Unlock()
			token = resp.NextToken
			if more, err := pg.next(token); !more {
				return err
			}
		}
	}
	listAssocs := func(typ string) func() error {
		return func() error {
			as, err := e.listAssocs(ctx, rec, region, typ, nil)
			mu.Lock()
			assocs = append(assocs, as...)
			mu.Unlock()
			return err
		}
	}
	if err := firstErr(parallel(listShares, listAssocs("Resource"), listAssocs("Target"))); err != nil {
		return nil, err
	}
	for _, s := range shares {
		if s.ResourceShareStatus != "" && s.ResourceShareStatus != "Active" {
			continue
		}
		sh := get(s.ResourceShareId)
		sh.name, sh.external = s.ResourceShareName, s.AllowExternalTargets
		st.shares = append(st.shares, sh)
	}
	for _, a := range assocs {
		sh, ok := byID[a.ResourceShareId]
		if !ok || !live(a.AssociationStatus) {
			continue
		}
		if a.AssociationType == "Resource" {
			sh.resources = append(sh.resources, a.EntityType+"/"+a.EntityId)
		} else {
			sh.targets[a.EntityId] = a.AssociationStatus
		}
	}
	sort.Slice(st.shares, func(i, j int) bool { return st.shares[i].id < st.shares[j].id })
	return st, nil
}

// listAssocs lists a region's resource share associations of type typ
// ("Resource" or "Target"), of the shares ids only when ids is set, every
// page.
func (e *engine) listAssocs(ctx context.Context, rec *recorder, region, typ string, ids []string) ([]resourcesharing.ResourceShareAssociation, error) {
	var out []resourcesharing.ResourceShareAssociation
	token := ""
	pg := e.newPager("ListResourceShareAssociations", region+"/"+typ)
	for {
		resp, err := svcCall(ctx, e, rec, "ListResourceShareAssociations", region+"/"+typ, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceShareAssociationsResponse, error) {
			req := resourcesharing.CreateListResourceShareAssociationsRequest()
			setTimeout(req, t)
			req.RegionId, req.AssociationType, req.NextToken = region, typ, token
			if ids != nil {
				req.ResourceShareIds = &ids
			}
			req.MaxResults = requests.NewInteger(100)
			return b.rs.ListResourceShareAssociations(req)
		})
		if err != nil {
			return out, err
		}
		out = append(out, resp.ResourceShareAssociations...)
		token = resp.NextToken
		if more, err := pg.next(token); !more {
			return out, err
		}
	}
}

// deriveGrants returns the grants the RAM engine converges: each grant
// that names resources, built again with the keys of its encrypted
// resources besides those it names; a grant whose resources are all
// unencrypted, and that names no key, needs no role and is left out.
func deriveGrants(grants []*Grant, wants []*resWant) ([]*Grant, error) {
	out := make([]*Grant, 0, len(grants))
	for _, g := range grants {
		if len(g.Resources) == 0 {
			out = append(out, g)
			continue
		}
		d := *g
		d.Keys = slices.Clone(g.Keys)
		for _, w := range wants {
			if !slices.Contains(g.Resources, w.res) {
				continue
			}
			for _, k := range w.keys {
				if !slices.Contains(d.Keys, k) {
					d.Keys = append(d.Keys, k)
				}
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

// describeKey reads a key's metadata.
func describeKey(ctx context.Context, e *engine, rec *recorder, region, keyID string) (*kms.DescribeKeyResponse, error) {
	return svcCall(ctx, e, rec, "DescribeKey", keyID, false, func(b *backends, t time.Duration) (*kms.DescribeKeyResponse, error) {
		req := kms.CreateDescribeKeyRequest()
		setTimeout(req, t)
		req.RegionId, req.KeyId = region, keyID
		return b.kms.DescribeKey(req)
	})
}

// serviceManaged reports whether a key's Creator names a cloud service
// rather than an account.
func serviceManaged(creator string) bool {
	return creator != "" && !accountRE.MatchString(creator)
}
