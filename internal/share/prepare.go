// This file holds the share step's pre-flight reads: the resources, their
// keys, their shares and the directory's status, level by level, before
// anything is judged.

package share

import (
	"context"
	"slices"
	"sync"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// keyAt names a key by its region and ID.
type keyAt struct{ region, id string }

// reading is what the pre-flight read.
type reading struct {
	grants, keep []Grant
	revoke       bool
	wants        []*want

	mu         sync.Mutex
	regions    map[string]*regionShares // by region
	lists      map[string]snapList      // by region
	dirEnabled bool
	keys       map[keyAt]*KeyMeta
	missing    map[keyAt]bool // keys KMS does not find
	described  map[keyAt]bool // keys whose read is made
	// owners are the resources' owners as the resources told them, before
	// any key did (by want).
	owners []string
}

// read reads, in three levels, the resources, their keys, their shares and
// the directory's sharing status.
//
// The keys the grants name (WithKey), and those found for the resources
// before (Hints), are read in the first level; the other keys found are
// read in a level of their own, after the snapshots that name them. Every
// key is read before anything is judged, whether anything is to be written
// or not: an Apply that finds RAM and the shares in place still refuses a
// key nobody can use.
func (r *reader) read(ctx context.Context, revoke bool, grants, keep []Grant) (*reading, error) {
	rd := &reading{
		grants: grants, keep: keep, revoke: revoke, wants: collectWants(grants, keep, "grants"),
		regions: map[string]*regionShares{}, lists: map[string]snapList{}, dirEnabled: true,
		keys: map[keyAt]*KeyMeta{}, missing: map[keyAt]bool{}, described: map[keyAt]bool{},
	}
	if err := r.cfg.checkServices(rd.wants, revoke); err != nil {
		return nil, err
	}
	// Level 1: the resources, the image shares, the resource shares, the
	// directory's status, and the keys known already.
	given := rd.givenKeys()
	fns := append(r.resourceReads(ctx, rd), r.keyReads(ctx, rd, given)...)
	fns = append(fns, r.hintReads(ctx, rd, given)...)
	if err := parallel.All(fns...); err != nil {
		return nil, err
	}
	// Level 2: the snapshots images are made of, for their keys.
	if err := parallel.All(r.imageSnapshotReads(ctx, rd)...); err != nil {
		return nil, err
	}
	for _, w := range rd.wants {
		if w.found && !w.keyUnknown {
			r.cfg.Hints.Remember(w.res, w.keyIDs)
		}
	}
	// The keys found that level 1 did not read.
	var found []keyAt
	for _, w := range rd.wants {
		for _, id := range w.keyIDs {
			if ka := (keyAt{w.res.Region, id}); !rd.described[ka] && !slices.Contains(found, ka) {
				found = append(found, ka)
			}
		}
	}
	for _, w := range rd.wants {
		w.shares = rd.regions[w.res.Region].sharesOf(w.res)
	}
	rd.owners = make([]string, len(rd.wants))
	for i, w := range rd.wants {
		rd.owners[i] = w.owner
	}
	// Level 3: the keys found that level 1 did not read, before anything
	// is written, and whether anything is to be written or not: a key
	// nobody can use is refused even when RAM and the shares are in place.
	if err := parallel.All(r.keyReads(ctx, rd, found)...); err != nil {
		return nil, err
	}
	return rd, nil
}

// resourceReads are the reads of the first level that need no key: the
// resources, ECS's image shares, a list of the regions' image snapshots,
// the resource shares and the directory's status.
func (r *reader) resourceReads(ctx context.Context, rd *reading) []func() error {
	needRS := map[string]bool{}
	needDir := false
	for _, w := range rd.wants {
		// A revoke reads every resource share: a recipient may hold the
		// resource through one that another team made, or one made by
		// hand, whatever path the library shares it by.
		if len(w.rsTargets()) > 0 || w.res.Type == Snapshot || rd.revoke {
			needRS[w.res.Region] = true
		}
		if len(w.targets) > 0 && !rd.revoke {
			needDir = true
		}
	}
	var fns []func() error
	snapsByRegion := map[string][]*want{}
	for _, w := range rd.wants {
		switch w.res.Type {
		case Image:
			fns = append(fns, func() error { return r.readImage(ctx, w) })
			fns = append(fns, func() error { return r.readImageShares(ctx, w) })
		case Snapshot:
			snapsByRegion[w.res.Region] = append(snapsByRegion[w.res.Region], w)
		}
	}
	for reg, ws := range snapsByRegion {
		fns = append(fns, func() error { return r.readSnapshots(ctx, reg, ws, nil) })
	}
	// The snapshots images are made of are not known yet: list the
	// region's encrypted snapshots beside DescribeImages, in the hope that
	// they are among them (see snapList).
	for reg, key := range imageListFilters(rd.wants, rd.grants) {
		fns = append(fns, func() error {
			l := r.listSnapshots(ctx, reg, key)
			rd.mu.Lock()
			rd.lists[reg] = l
			rd.mu.Unlock()
			return nil
		})
	}
	for reg := range needRS {
		fns = append(fns, func() error {
			st, err := r.readShares(ctx, reg)
			rd.mu.Lock()
			rd.regions[reg] = st
			rd.mu.Unlock()
			return err
		})
	}
	if needDir {
		reg := rd.wants[0].res.Region
		fns = append(fns, func() error {
			enabled, err := r.conn.DirectorySharing(ctx, reg)
			if err == nil {
				rd.dirEnabled = enabled
			}
			return err
		})
	}
	return fns
}

// givenKeys are the keys the grants that name the resources name. They
// depend on no read.
func (rd *reading) givenKeys() []keyAt {
	var given []keyAt
	for _, w := range rd.wants {
		for _, gi := range w.grants {
			for _, k := range rd.grants[gi].Keys {
				if ka := (keyAt{k.Region, k.ID}); !slices.Contains(given, ka) {
					given = append(given, ka)
				}
			}
		}
	}
	return given
}

// keyReads read the keys want, each marked as read.
func (r *reader) keyReads(ctx context.Context, rd *reading, want []keyAt) []func() error {
	out := make([]func() error, 0, len(want))
	for _, ka := range want {
		rd.described[ka] = true
		out = append(out, func() error {
			m, err := r.conn.DescribeKey(ctx, ka.region, ka.id)
			rd.mu.Lock()
			defer rd.mu.Unlock()
			if err != nil {
				return err
			}
			if m == nil {
				rd.missing[ka] = true
				return nil
			}
			rd.keys[ka] = m
			return nil
		})
	}
	return out
}

// hintReads read the keys found for the resources before: an image's or
// snapshot's keys do not change, so they are read in level 1 too, and a
// warm Apply knows every key's state in its first level. A hint is only a
// guess at what to read early: the keys judged are those read from the
// resources now, and a hinted read that fails is made again in level 3 if
// the key is found.
func (r *reader) hintReads(ctx context.Context, rd *reading, given []keyAt) []func() error {
	var fns []func() error
	for _, w := range rd.wants {
		for _, id := range r.cfg.Hints.Get(w.res) {
			ka := keyAt{w.res.Region, id}
			if rd.described[ka] || slices.Contains(given, ka) {
				continue
			}
			rd.described[ka] = true
			fns = append(fns, func() error {
				m, err := r.conn.DescribeKey(ctx, ka.region, ka.id)
				rd.mu.Lock()
				defer rd.mu.Unlock()
				switch {
				case err != nil:
					delete(rd.described, ka)
				case m == nil:
					rd.missing[ka] = true
				default:
					rd.keys[ka] = m
				}
				return nil
			})
		}
	}
	return fns
}

// imageSnapshotReads read the snapshots the images found are made of, for
// their keys, unless the list of level 1 answers for them.
func (r *reader) imageSnapshotReads(ctx context.Context, rd *reading) []func() error {
	var fns []func() error
	imgSnaps := map[string][]*want{}
	for _, w := range rd.wants {
		if w.res.Type != Image || !w.found || len(w.snapshots) == 0 {
			continue
		}
		if l := rd.lists[w.res.Region]; l.covers(w) {
			w.keysFrom(l)
			continue
		}
		imgSnaps[w.res.Region] = append(imgSnaps[w.res.Region], w)
	}
	for reg, ws := range imgSnaps {
		fns = append(fns, func() error { return r.readSnapshots(ctx, reg, nil, ws) })
	}
	return fns
}

// imageListFilters returns, for each region with images to share, the key
// its snapshot list is filtered by: the one key the grants naming those
// images name, when there is exactly one; else "" (every encrypted
// snapshot).
func imageListFilters(wants []*want, grants []Grant) map[string]string {
	out := map[string]string{}
	named := map[string][]string{}
	unnamed := map[string]bool{}
	for _, w := range wants {
		if w.res.Type != Image {
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
