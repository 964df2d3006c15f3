// This file holds the share step's pre-flight: every read it needs, every
// check before any write, and the grants the RAM target converges.

package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

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
func (ss *sharer) prepareShare(ctx context.Context, rec *recorder, revoke bool, grants, keep []*Grant, pre *prefetch) (*shareJob, error) {
	wants := collectWants(grants, keep, "grants")
	if err := ss.checkBackends(wants, revoke); err != nil {
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
			fns = append(fns, func() error { return ss.readImage(ctx, rec, w) })
			fns = append(fns, func() error { return ss.readImageShares(ctx, rec, w) })
		case ResourceSnapshot:
			snapsByRegion[w.res.Region] = append(snapsByRegion[w.res.Region], w)
		}
	}
	for reg, ws := range snapsByRegion {
		fns = append(fns, func() error { return ss.readSnapshots(ctx, rec, reg, ws, nil) })
	}
	// The snapshots images are made of are not known yet: list the
	// region's encrypted snapshots beside DescribeImages, in the hope that
	// they are among them (see snapList).
	lists := map[string]snapList{}
	for reg, key := range imageListFilters(wants, grants) {
		fns = append(fns, func() error {
			l := ss.listSnapshots(ctx, rec, reg, key)
			mu.Lock()
			lists[reg] = l
			mu.Unlock()
			return nil
		})
	}
	for reg := range needRS {
		fns = append(fns, func() error {
			st, err := ss.readShares(ctx, rec, reg)
			mu.Lock()
			regions[reg] = st
			mu.Unlock()
			return err
		})
	}
	if needDir {
		reg := wants[0].res.Region
		fns = append(fns, func() error {
			resp, err := svcCall(ctx, ss.c, rec, "CheckSharingWithResourceDirectoryStatus", reg, false, func(b *backends, t time.Duration) (*resourcesharing.CheckSharingWithResourceDirectoryStatusResponse, error) {
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
				resp, err := describeKey(ctx, ss.c, rec, ka.region, ka.id)
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
		for _, id := range ss.hints.get(w.res) {
			ka := keyAt{w.res.Region, id}
			if described[ka] || slices.Contains(given, ka) {
				continue
			}
			described[ka] = true
			fns = append(fns, func() error {
				resp, err := describeKey(ctx, ss.c, rec, ka.region, ka.id)
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
		fns = append(fns, func() error { return ss.readSnapshots(ctx, rec, reg, nil, ws) })
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, err
	}
	for _, w := range wants {
		if w.found && !w.keyUnknown {
			ss.hints.remember(w.res, w.keyIDs)
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
			if most := shareCap(w.kind, ss.opts.Limits); len(all) > most {
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
func (ss *sharer) checkBackends(wants []*resWant, revoke bool) error {
	var p problems
	for _, w := range wants {
		if len(w.paths) == 0 {
			continue
		}
		need := []string{}
		if ss.opts.ECS == nil {
			need = append(need, "ECS (Options.ECS)")
		}
		if ss.opts.KMS == nil {
			need = append(need, "KMS (Options.KMS)")
		}
		if ss.opts.ResourceSharing == nil && (w.res.Type == ResourceSnapshot || len(w.targets) > 0 || revoke) {
			need = append(need, "Resource Sharing (Options.ResourceSharing)")
		}
		if len(need) > 0 {
			p.add(w.paths[0], w.res.ID, "sharing the %s needs a client for %s: the RAM client given to NewApplier does not implement it", w.res, strings.Join(need, ", "))
		}
	}
	return p.err("share")
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

// serviceManaged reports whether a key's Creator names a cloud service
// rather than an account.
func serviceManaged(creator string) bool {
	return creator != "" && !accountRE.MatchString(creator)
}
