// This file holds the share step's connection over the engine's caller: the
// SDK requests of ECS, Resource Sharing and KMS, made with the engine's
// retries, timeouts, redaction and record of calls.

package encryptperm

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/ecsperm/ecsperm/internal/share"
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
func svcCall[Resp any](ctx context.Context, c *caller, rec *recorder, action, target string, write bool, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return svcOp(ctx, c, op{action: action, target: target, write: write, rec: rec}, fn)
}

// svcOp is svcCall with the whole op given.
func svcOp[Resp any](ctx context.Context, c *caller, o op, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return invoke(ctx, c, o, func(r RAM, t time.Duration) (Resp, error) {
		b, ok := r.(*backends)
		if !ok || b.ecs == nil && b.rs == nil && b.kms == nil {
			var zero Resp
			return zero, &clientError{o.action, o.target, "has no ECS, Resource Sharing or KMS backend"}
		}
		return fn(b, t)
	})
}

// callerConn is the share step's connection over the engine's caller, for
// one Plan, Apply, Revoke or Check: every call goes to its recorder.
type callerConn struct {
	c     *caller
	rec   *recorder
	sleep func(ctx context.Context, d time.Duration) error // Options.Sleep
}

var _ share.Conn = (*callerConn)(nil)

// DescribeImages implements share.Conn.
func (cc *callerConn) DescribeImages(ctx context.Context, region, imageID string) ([]share.ImageRow, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "DescribeImages", imageID, false, func(b *backends, t time.Duration) (*ecs.DescribeImagesResponse, error) {
		req := ecs.CreateDescribeImagesRequest()
		setTimeout(req, t)
		req.RegionId, req.ImageId, req.ImageOwnerAlias = region, imageID, "self"
		return b.ecs.DescribeImages(req)
	})
	if err != nil {
		return nil, err
	}
	out := make([]share.ImageRow, 0, len(resp.Images.Image))
	for _, im := range resp.Images.Image {
		img := share.ImageRow{ID: im.ImageId}
		if im.ImageOwnerId > 0 {
			img.Owner = strconv.FormatInt(im.ImageOwnerId, 10)
		}
		for _, m := range im.DiskDeviceMappings.DiskDeviceMapping {
			img.Disks = append(img.Disks, share.Disk{SnapshotID: m.SnapshotId, Encrypted: m.Encrypted})
		}
		out = append(out, img)
	}
	return out, nil
}

// ImageSharePage implements share.Conn.
func (cc *callerConn) ImageSharePage(ctx context.Context, region, imageID string, page, size int) ([]string, int, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "DescribeImageSharePermission", imageID, false, func(b *backends, t time.Duration) (*ecs.DescribeImageSharePermissionResponse, error) {
		req := ecs.CreateDescribeImageSharePermissionRequest()
		setTimeout(req, t)
		req.RegionId, req.ImageId = region, imageID
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(size)
		return b.ecs.DescribeImageSharePermission(req)
	})
	if err != nil {
		return nil, 0, err
	}
	return rows(resp.Accounts.Account, func(a ecs.Account) string { return a.AliyunId }), resp.TotalCount, nil
}

// DescribeSnapshots implements share.Conn.
func (cc *callerConn) DescribeSnapshots(ctx context.Context, region string, ids []string) ([]share.SnapshotRow, error) {
	list, _ := json.Marshal(ids)
	resp, err := svcCall(ctx, cc.c, cc.rec, "DescribeSnapshots", strings.Join(ids, ","), false, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
		req := ecs.CreateDescribeSnapshotsRequest()
		setTimeout(req, t)
		req.RegionId, req.SnapshotIds = region, string(list)
		req.PageSize = requests.NewInteger(100)
		return b.ecs.DescribeSnapshots(req)
	})
	if err != nil {
		return nil, err
	}
	return snapshotRows(resp), nil
}

// ImageSnapshots implements share.Conn.
func (cc *callerConn) ImageSnapshots(ctx context.Context, region, keyID string, size int) ([]share.SnapshotRow, error) {
	target := region
	if keyID != "" {
		target += "/" + keyID
	}
	resp, err := svcOp(ctx, cc.c, op{action: "DescribeSnapshots", target: target, rec: cc.rec, once: true}, func(b *backends, t time.Duration) (*ecs.DescribeSnapshotsResponse, error) {
		req := ecs.CreateDescribeSnapshotsRequest()
		setTimeout(req, t)
		req.RegionId, req.Encrypted, req.Usage = region, requests.NewBoolean(true), "image"
		if keyID != "" {
			req.KMSKeyId = keyID
		}
		req.PageNumber, req.PageSize = requests.NewInteger(1), requests.NewInteger(size)
		return b.ecs.DescribeSnapshots(req)
	})
	if err != nil {
		return nil, err
	}
	return snapshotRows(resp), nil
}

// snapshotRows returns what DescribeSnapshots says of each snapshot.
func snapshotRows(resp *ecs.DescribeSnapshotsResponse) []share.SnapshotRow {
	return rows(resp.Snapshots.Snapshot, func(s ecs.Snapshot) share.SnapshotRow {
		return share.SnapshotRow{ID: s.SnapshotId, Encrypted: s.Encrypted, KeyID: s.KMSKeyId}
	})
}

// rows returns the rows of an answer as the share step reads them.
func rows[T, R any](in []T, row func(T) R) []R {
	out := make([]R, 0, len(in))
	for _, x := range in {
		out = append(out, row(x))
	}
	return out
}

// SharesPage implements share.Conn.
func (cc *callerConn) SharesPage(ctx context.Context, region, token string) ([]share.ResourceShare, string, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "ListResourceShares", region, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceSharesResponse, error) {
		req := resourcesharing.CreateListResourceSharesRequest()
		setTimeout(req, t)
		req.RegionId, req.ResourceOwner, req.NextToken = region, "Self", token
		req.MaxResults = requests.NewInteger(100)
		return b.rs.ListResourceShares(req)
	})
	if err != nil {
		return nil, "", err
	}
	return rows(resp.ResourceShares, func(s resourcesharing.ResourceShare) share.ResourceShare {
		return share.ResourceShare{ID: s.ResourceShareId, Name: s.ResourceShareName, Status: s.ResourceShareStatus, External: s.AllowExternalTargets}
	}), resp.NextToken, nil
}

// AssociationsPage implements share.Conn.
func (cc *callerConn) AssociationsPage(ctx context.Context, region, typ string, ids []string, token string) ([]share.Association, string, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "ListResourceShareAssociations", region+"/"+typ, false, func(b *backends, t time.Duration) (*resourcesharing.ListResourceShareAssociationsResponse, error) {
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
		return nil, "", err
	}
	return rows(resp.ResourceShareAssociations, func(a resourcesharing.ResourceShareAssociation) share.Association {
		return share.Association{ShareID: a.ResourceShareId, EntityID: a.EntityId, EntityType: a.EntityType, Status: a.AssociationStatus, Type: a.AssociationType}
	}), resp.NextToken, nil
}

// DirectorySharing implements share.Conn.
func (cc *callerConn) DirectorySharing(ctx context.Context, region string) (bool, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "CheckSharingWithResourceDirectoryStatus", region, false, func(b *backends, t time.Duration) (*resourcesharing.CheckSharingWithResourceDirectoryStatusResponse, error) {
		req := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusRequest()
		setTimeout(req, t)
		req.RegionId = region
		return b.rs.CheckSharingWithResourceDirectoryStatus(req)
	})
	if err != nil {
		return false, err
	}
	return resp.EnableSharingWithRd, nil
}

// DescribeKey implements share.Conn.
func (cc *callerConn) DescribeKey(ctx context.Context, region, keyID string) (*share.KeyMeta, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "DescribeKey", keyID, false, func(b *backends, t time.Duration) (*kms.DescribeKeyResponse, error) {
		req := kms.CreateDescribeKeyRequest()
		setTimeout(req, t)
		req.RegionId, req.KeyId = region, keyID
		return b.kms.DescribeKey(req)
	})
	if keyMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := resp.KeyMetadata
	return &share.KeyMeta{ARN: m.Arn, Creator: m.Creator, State: m.KeyState, Instance: m.DKMSInstanceId}, nil
}

// keyMissing reports whether err is KMS saying it does not find a key.
func keyMissing(err error) bool {
	return errors.Is(err, ErrNotFound) || codeOf(err) == "Forbidden.KeyNotFound" || codeOf(err) == "NotFound.Key"
}

// ModifyImageShare implements share.Conn.
func (cc *callerConn) ModifyImageShare(ctx context.Context, region, imageID string, accounts []string, remove bool) error {
	_, err := svcCall(ctx, cc.c, cc.rec, "ModifyImageSharePermission", imageID, true, func(b *backends, t time.Duration) (*ecs.ModifyImageSharePermissionResponse, error) {
		req := ecs.CreateModifyImageSharePermissionRequest()
		setTimeout(req, t)
		req.RegionId, req.ImageId = region, imageID
		if remove {
			req.RemoveAccount = &accounts
		} else {
			req.AddAccount = &accounts
		}
		return b.ecs.ModifyImageSharePermission(req)
	})
	return err
}

// CreateShare implements share.Conn.
func (cc *callerConn) CreateShare(ctx context.Context, region, name, resourceType, resourceID string, targets []string, external bool) (string, error) {
	resp, err := svcCall(ctx, cc.c, cc.rec, "CreateResourceShare", name, true, func(b *backends, t time.Duration) (*resourcesharing.CreateResourceShareResponse, error) {
		req := resourcesharing.CreateCreateResourceShareRequest()
		setTimeout(req, t)
		req.RegionId, req.ResourceShareName = region, name
		req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: resourceID, ResourceType: resourceType}}
		req.Targets = &targets
		req.AllowExternalTargets = requests.NewBoolean(external)
		return b.rs.CreateResourceShare(req)
	})
	if err != nil {
		return "", err
	}
	return resp.ResourceShare.ResourceShareId, nil
}

// Associate implements share.Conn.
func (cc *callerConn) Associate(ctx context.Context, region, shareID string, targets []string) error {
	_, err := svcCall(ctx, cc.c, cc.rec, "AssociateResourceShare", shareID, true, func(b *backends, t time.Duration) (*resourcesharing.AssociateResourceShareResponse, error) {
		req := resourcesharing.CreateAssociateResourceShareRequest()
		setTimeout(req, t)
		req.RegionId, req.ResourceShareId, req.Targets = region, shareID, &targets
		return b.rs.AssociateResourceShare(req)
	})
	return err
}

// Disassociate implements share.Conn.
func (cc *callerConn) Disassociate(ctx context.Context, region, shareID string, targets []string) error {
	_, err := svcCall(ctx, cc.c, cc.rec, "DisassociateResourceShare", shareID, true, func(b *backends, t time.Duration) (*resourcesharing.DisassociateResourceShareResponse, error) {
		req := resourcesharing.CreateDisassociateResourceShareRequest()
		setTimeout(req, t)
		batch := slices.Clone(targets)
		req.RegionId, req.ResourceShareId, req.Targets = region, shareID, &batch
		return b.rs.DisassociateResourceShare(req)
	})
	return err
}

// Sleep waits d with Options.Sleep when set, else as the caller waits.
func (cc *callerConn) Sleep(ctx context.Context, d time.Duration) error {
	if cc.sleep != nil {
		return cc.sleep(ctx, d)
	}
	return cc.c.pause(ctx, d)
}

// Code returns the service's error code of err.
func (cc *callerConn) Code(err error) string { return codeOf(err) }

// OutcomeUnknown reports whether a write that failed with err may have
// been carried out: a call never sent was not, and a write the share step
// read again is as the read left it (share.Outcome); any other error is
// judged as every write's is.
func (cc *callerConn) OutcomeUnknown(err error) bool {
	var ns *notSentError
	if errors.As(err, &ns) {
		return false
	}
	if unknown, settled := share.Outcome(err); settled {
		return unknown
	}
	return outcomeUnknown(err)
}
