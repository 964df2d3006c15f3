// This file holds the helpers that answer the share step's reads (ECS,
// Resource Sharing, KMS) and take its writes, as ExpectEmptyAccount answers
// RAM's reads.

package mock

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"go.uber.org/mock/gomock"
)

// Resource is an image or a snapshot the share helpers answer for: what
// ECS says of it, and what KMS says of its key.
type Resource struct {
	// Region is the resource's region, such as cn-hangzhou.
	Region string
	// ID is the image (m-...) or snapshot (s-...) ID; the prefix says
	// which.
	ID string
	// Owner is the UID of the account that holds the resource, and its
	// key.
	Owner string
	// KeyID is the ID of the customer key that encrypts the resource; ""
	// for an unencrypted one.
	KeyID string
	// SnapshotID is, for an image, the snapshot it is made from; empty
	// means "s-" and the image ID after "m-". A snapshot ignores it.
	SnapshotID string
}

func (r Resource) image() bool { return strings.HasPrefix(r.ID, "m-") }

// snapshot returns the ID of the snapshot that carries the resource's key.
func (r Resource) snapshot() string {
	if !r.image() {
		return r.ID
	}
	if r.SnapshotID != "" {
		return r.SnapshotID
	}
	return "s-" + strings.TrimPrefix(r.ID, "m-")
}

// ExpectShareReads sets e, rs and k up to answer, any number of times,
// every read the share step of a Plan, Apply, Revoke or Check makes, as the
// services answer for an account that holds the resources given and no
// resource share, and whose sharing with its resource directory is on:
//
//   - ECS DescribeImages (each image, by ID), DescribeImageSharePermission
//     (an image shared with nobody), DescribeSnapshots (by ID, and the list
//     of a region's encrypted image snapshots);
//   - KMS DescribeKey of each resource's key (Enabled, a customer key of
//     its Owner); a key the resources do not name is not expected (see
//     ExpectKey);
//   - Resource Sharing ListResourceShares and ListResourceShareAssociations
//     (none), CheckSharingWithResourceDirectoryStatus (on).
//
// A resource the reads ask about that is not given is answered as missing
// (ECS answers an empty list). Give the mocks to NewApplier as
// Options.ECS, Options.ResourceSharing and Options.KMS; expect the writes
// with ExpectShareWrites. Expectations set before these take precedence,
// since gomock matches them in the order they were set.
func ExpectShareReads(e *MockECS, rs *MockResourceSharing, k *MockKMS, resources ...Resource) {
	e.EXPECT().DescribeImages(gomock.Any()).DoAndReturn(func(req *ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error) {
		resp := ecs.CreateDescribeImagesResponse()
		for _, r := range resources {
			if !r.image() || r.Region != req.RegionId || !slices.Contains(strings.Split(req.ImageId, ","), r.ID) {
				continue
			}
			im := ecs.Image{ImageId: r.ID}
			im.ImageOwnerId, _ = strconv.ParseInt(r.Owner, 10, 64)
			im.DiskDeviceMappings.DiskDeviceMapping = []ecs.DiskDeviceMapping{{SnapshotId: r.snapshot(), Encrypted: r.KeyID != ""}}
			resp.Images.Image = append(resp.Images.Image, im)
		}
		resp.TotalCount = len(resp.Images.Image)
		return resp, nil
	}).AnyTimes()
	e.EXPECT().DescribeImageSharePermission(gomock.Any()).DoAndReturn(func(req *ecs.DescribeImageSharePermissionRequest) (*ecs.DescribeImageSharePermissionResponse, error) {
		for _, r := range resources {
			if r.image() && r.Region == req.RegionId && r.ID == req.ImageId {
				resp := ecs.CreateDescribeImageSharePermissionResponse()
				resp.ImageId, resp.RegionId = r.ID, r.Region
				return resp, nil
			}
		}
		return nil, ServerError(404, "InvalidImageId.NotFound")
	}).AnyTimes()
	e.EXPECT().DescribeSnapshots(gomock.Any()).DoAndReturn(func(req *ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error) {
		var ids []string
		if req.SnapshotIds != "" {
			if err := json.Unmarshal([]byte(req.SnapshotIds), &ids); err != nil {
				return nil, ServerError(400, "InvalidParameter.SnapshotIds")
			}
		}
		resp := ecs.CreateDescribeSnapshotsResponse()
		for _, r := range resources {
			listed := ids == nil && req.Encrypted == "true" && r.KeyID != "" && (req.KMSKeyId == "" || req.KMSKeyId == r.KeyID)
			if r.Region != req.RegionId || !listed && !slices.Contains(ids, r.snapshot()) {
				continue
			}
			resp.Snapshots.Snapshot = append(resp.Snapshots.Snapshot, ecs.Snapshot{SnapshotId: r.snapshot(), Encrypted: r.KeyID != "", KMSKeyId: r.KeyID})
		}
		resp.TotalCount = len(resp.Snapshots.Snapshot)
		return resp, nil
	}).AnyTimes()
	for _, r := range resources {
		if r.KeyID != "" {
			ExpectKey(k, r.Region, r.Owner, r.KeyID, "Enabled")
		}
	}
	rs.EXPECT().ListResourceShares(gomock.Any()).Return(resourcesharing.CreateListResourceSharesResponse(), nil).AnyTimes()
	rs.EXPECT().ListResourceShareAssociations(gomock.Any()).Return(resourcesharing.CreateListResourceShareAssociationsResponse(), nil).AnyTimes()
	on := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusResponse()
	on.EnableSharingWithRd = true
	rs.EXPECT().CheckSharingWithResourceDirectoryStatus(gomock.Any()).Return(on, nil).AnyTimes()
}

// ExpectKey sets k up to answer, any number of times, KMS DescribeKey of
// the key keyID in region: a customer key of the account owner, in state
// ("Enabled", "Disabled" or "PendingDeletion"), in no KMS instance; and
// GetKeyPolicy of it as KMS answers for such a key, which has no key
// policy (UnsupportedOperation). It matches only requests that name that
// key in that region, by ID or by ARN, so keys expected this way do not
// shadow each other. Plan and Apply read each key a grant names
// (WithKey) this way, once the Applier has a KMS client.
func ExpectKey(k *MockKMS, region, owner, keyID, state string) {
	arn := fmt.Sprintf("acs:kms:%s:%s:key/%s", region, owner, keyID)
	k.EXPECT().GetKeyPolicy(gomock.Cond(func(req *kms.GetKeyPolicyRequest) bool {
		return req.RegionId == region && (req.KeyId == keyID || req.KeyId == arn)
	})).Return(nil, ServerError(400, "UnsupportedOperation")).AnyTimes()
	k.EXPECT().DescribeKey(gomock.Cond(func(req *kms.DescribeKeyRequest) bool {
		return req.RegionId == region && (req.KeyId == keyID || req.KeyId == arn)
	})).DoAndReturn(func(*kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
		resp := kms.CreateDescribeKeyResponse()
		m := &resp.KeyMetadata
		m.KeyId, m.KeyState, m.Creator = keyID, state, owner
		m.Arn = fmt.Sprintf("acs:kms:%s:%s:key/%s", region, owner, keyID)
		return resp, nil
	}).AnyTimes()
}

// ExpectShareWrites sets e and rs up to take, any number of times, the
// writes a share Apply or Revoke makes, as the services take them when
// they succeed: ModifyImageSharePermission, CreateResourceShare (answered
// with the share IDs given in turn, then "rs-mock" and a number),
// AssociateResourceShare and DisassociateResourceShare. To test an error
// path, set the failing expectation first, for instance
//
//	rs.EXPECT().CreateResourceShare(gomock.Any()).Return(nil, mock.ServerError(503, "ServiceUnavailable"))
//	mock.ExpectShareWrites(e, rs)
//
// and the Applier's answer to that failure (no blind resend of a write
// whose outcome is unknown, a read first) is what the test sees.
func ExpectShareWrites(e *MockECS, rs *MockResourceSharing, shareIDs ...string) {
	e.EXPECT().ModifyImageSharePermission(gomock.Any()).Return(ecs.CreateModifyImageSharePermissionResponse(), nil).AnyTimes()
	var made atomic.Int64 // the share step writes resources in parallel
	rs.EXPECT().CreateResourceShare(gomock.Any()).DoAndReturn(func(*resourcesharing.CreateResourceShareRequest) (*resourcesharing.CreateResourceShareResponse, error) {
		resp := resourcesharing.CreateCreateResourceShareResponse()
		n := int(made.Add(1))
		if n <= len(shareIDs) {
			resp.ResourceShare.ResourceShareId = shareIDs[n-1]
		} else {
			resp.ResourceShare.ResourceShareId = fmt.Sprintf("rs-mock%d", n)
		}
		return resp, nil
	}).AnyTimes()
	rs.EXPECT().AssociateResourceShare(gomock.Any()).Return(resourcesharing.CreateAssociateResourceShareResponse(), nil).AnyTimes()
	rs.EXPECT().DisassociateResourceShare(gomock.Any()).Return(resourcesharing.CreateDisassociateResourceShareResponse(), nil).AnyTimes()
}
