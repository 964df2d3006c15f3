// This file holds the share step's reads: images, snapshots, their keys and
// the resource shares that hold them.

package encryptperm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

// readImage reads an image: whether it exists, and the snapshots its disks
// are made of. Whether a disk is encrypted, and with which key, only its
// snapshot tells for certain: DescribeImages' Encrypted of a disk is read
// as a claim to hold the snapshot to, and its absence (the SDK's false) as
// saying nothing, so every disk's snapshot is read (keysFrom).
func (ss *sharer) readImage(ctx context.Context, rec *recorder, w *resWant) error {
	resp, err := svcCall(ctx, ss.c, rec, "DescribeImages", w.res.ID, false, func(b *backends, t time.Duration) (*ecs.DescribeImagesResponse, error) {
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
func (ss *sharer) readImageShares(ctx context.Context, rec *recorder, w *resWant) error {
	pg := ss.newPager("DescribeImageSharePermission", w.res.ID)
	for page := 1; ; page++ {
		resp, err := svcCall(ctx, ss.c, rec, "DescribeImageSharePermission", w.res.ID, false, func(b *backends, t time.Duration) (*ecs.DescribeImageSharePermissionResponse, error) {
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
func (ss *sharer) readSnapshots(ctx context.Context, rec *recorder, region string, ws, imgs []*resWant) error {
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
		resp, err := svcCall(ctx, ss.c, rec, "DescribeSnapshots", strings.Join(chunk, ","), false, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
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
func (ss *sharer) listSnapshots(ctx context.Context, rec *recorder, region, keyID string) snapList {
	target := region
	if keyID != "" {
		target += "/" + keyID
	}
	resp, err := svcOp(ctx, ss.c, op{action: "DescribeSnapshots", target: target, rec: rec, once: true}, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
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
func (ss *sharer) readShares(ctx context.Context, rec *recorder, region string) (*shareState, error) {
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
		pg := ss.newPager("ListResourceShares", region)
		for {
			resp, err := svcCall(ctx, ss.c, rec, "ListResourceShares", region, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceSharesResponse, error) {
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
			as, err := ss.listAssocs(ctx, rec, region, typ, nil)
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
func (ss *sharer) listAssocs(ctx context.Context, rec *recorder, region, typ string, ids []string) ([]resourcesharing.ResourceShareAssociation, error) {
	var out []resourcesharing.ResourceShareAssociation
	token := ""
	pg := ss.newPager("ListResourceShareAssociations", region+"/"+typ)
	for {
		resp, err := svcCall(ctx, ss.c, rec, "ListResourceShareAssociations", region+"/"+typ, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceShareAssociationsResponse, error) {
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
