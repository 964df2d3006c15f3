// This file holds the share step's reads: images, snapshots, their keys and
// the resource shares that hold them.

package share

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// reader makes the share step's reads through its connection.
type reader struct {
	conn Conn
	cfg  *Config
}

// readImage reads an image: whether it exists, and the snapshots its disks
// are made of. Whether a disk is encrypted, and with which key, only its
// snapshot tells for certain: DescribeImages' Encrypted of a disk is read
// as a claim to hold the snapshot to, and its absence (the SDK's false) as
// saying nothing, so every disk's snapshot is read (keysFrom).
func (r *reader) readImage(ctx context.Context, w *want) error {
	images, err := r.conn.DescribeImages(ctx, w.res.Region, w.res.ID)
	if err != nil {
		return err
	}
	for _, im := range images {
		if im.ID != w.res.ID {
			continue
		}
		w.found = true
		if im.Owner != "" {
			w.owner = im.Owner
		}
		for _, m := range im.Disks {
			if m.SnapshotID == "" {
				// Nothing to read: whether the disk is encrypted, and
				// with what, cannot be told.
				w.noSnapshot = true
				continue
			}
			if !slices.Contains(w.snapshots, m.SnapshotID) {
				w.snapshots = append(w.snapshots, m.SnapshotID)
			}
			if m.Encrypted {
				w.flagged = append(w.flagged, m.SnapshotID)
			}
		}
		w.encrypted = len(w.flagged) > 0 || w.noSnapshot
		w.keyUnknown = w.noSnapshot
	}
	return nil
}

// readImageShares reads the accounts an image is shared with through ECS.
func (r *reader) readImageShares(ctx context.Context, w *want) error {
	pg := newPager(r.cfg, "DescribeImageSharePermission", w.res.ID)
	for page := 1; ; page++ {
		accounts, total, err := r.conn.ImageSharePage(ctx, w.res.Region, w.res.ID, page, 100)
		if r.conn.Code(err) == "InvalidImageId.NotFound" {
			return nil // DescribeImages tells
		}
		if err != nil {
			return err
		}
		w.imageAccts = append(w.imageAccts, accounts...)
		if len(accounts) == 0 || page*100 >= total {
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
func (r *reader) readSnapshots(ctx context.Context, region string, ws, imgs []*want) error {
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
		snaps, err := r.conn.DescribeSnapshots(ctx, region, chunk)
		if err != nil {
			return err
		}
		for _, s := range snaps {
			found[s.ID] = snapRow{s.Encrypted, s.KeyID}
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
func (w *want) keysFrom(found map[string]snapRow) {
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
func (l snapList) covers(w *want) bool {
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
func (r *reader) listSnapshots(ctx context.Context, region, keyID string) snapList {
	snaps, err := r.conn.ImageSnapshots(ctx, region, keyID, 100)
	if err != nil {
		return nil
	}
	out := snapList{}
	bad := map[string]bool{}
	for _, s := range snaps {
		row := snapRow{s.Encrypted, s.KeyID}
		if prev, ok := out[s.ID]; ok && prev != row {
			bad[s.ID] = true
		}
		out[s.ID] = row
	}
	for id := range bad {
		delete(out, id)
	}
	return out
}

// readShares reads the account's resource shares in a region, with their
// resources and targets.
func (r *reader) readShares(ctx context.Context, region string) (*regionShares, error) {
	st := &regionShares{}
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
	var shares []ResourceShare
	var assocs []Association
	listShares := func() error {
		token := ""
		pg := newPager(r.cfg, "ListResourceShares", region)
		for {
			page, next, err := r.conn.SharesPage(ctx, region, token)
			if err != nil {
				return err
			}
			mu.Lock()
			shares = append(shares, page...)
			mu.Unlock()
			token = next
			if more, err := pg.next(token); !more {
				return err
			}
		}
	}
	listAssocs := func(typ string) func() error {
		return func() error {
			as, err := r.listAssocs(ctx, region, typ, nil)
			mu.Lock()
			assocs = append(assocs, as...)
			mu.Unlock()
			return err
		}
	}
	if err := parallel.All(listShares, listAssocs("Resource"), listAssocs("Target")); err != nil {
		return nil, err
	}
	for _, s := range shares {
		if s.Status != "" && s.Status != "Active" {
			continue
		}
		sh := get(s.ID)
		sh.name, sh.external = s.Name, s.External
		st.shares = append(st.shares, sh)
	}
	for _, a := range assocs {
		sh, ok := byID[a.ShareID]
		if !ok || !live(a.Status) {
			continue
		}
		if a.Type == "Resource" {
			sh.resources = append(sh.resources, a.EntityType+"/"+a.EntityID)
		} else {
			sh.targets[a.EntityID] = a.Status
		}
	}
	sort.Slice(st.shares, func(i, j int) bool { return st.shares[i].id < st.shares[j].id })
	return st, nil
}

// listAssocs lists a region's resource share associations of type typ
// ("Resource" or "Target"), of the shares ids only when ids is set, every
// page.
func (r *reader) listAssocs(ctx context.Context, region, typ string, ids []string) ([]Association, error) {
	var out []Association
	token := ""
	pg := newPager(r.cfg, "ListResourceShareAssociations", region+"/"+typ)
	for {
		page, next, err := r.conn.AssociationsPage(ctx, region, typ, ids, token)
		if err != nil {
			return out, err
		}
		out = append(out, page...)
		token = next
		if more, err := pg.next(token); !more {
			return out, err
		}
	}
}

// describeKeys reads the keys ids of a region at once: the metadata of each
// key, nil for a key KMS does not find.
func describeKeys(ctx context.Context, conn Conn, region string, ids []string) ([]*KeyMeta, error) {
	metas := make([]*KeyMeta, len(ids))
	fns := make([]func() error, len(ids))
	for i, id := range ids {
		fns[i] = func() error {
			m, err := conn.DescribeKey(ctx, region, id)
			metas[i] = m
			return err
		}
	}
	return metas, parallel.All(fns...)
}
