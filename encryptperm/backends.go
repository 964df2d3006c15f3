// This file holds the backend interfaces beside RAM that the share step calls
// (ECS, ResourceSharing, KMS), and the line that generates their mocks.

package encryptperm

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -destination=mock/backends_mock.go -package=mock -typed=false -write_package_comment=false github.com/ecsperm/ecsperm/encryptperm RAM,ECS,ResourceSharing
//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -destination=mock/kms_mock.go -package=mock -typed=false -write_package_comment=false github.com/ecsperm/ecsperm/internal/kmsclient KMS

// ECS is the part of the ECS API that the share step calls, with the method
// signatures of the official SDK's *ecs.Client: reading images and
// snapshots, and sharing an image with other accounts. The SDK client, the
// in-memory fake (package fake) and the generated mocks (package mock) all
// satisfy it.
//
// Implementations need not be safe for concurrent use.
type ECS interface {
	// DescribeImages lists images, one page at a time.
	DescribeImages(request *ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error)
	// DescribeSnapshots lists snapshots, one page at a time.
	DescribeSnapshots(request *ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error)
	// ModifyImageSharePermission shares an image with accounts, or stops
	// sharing it, at most 10 accounts a call.
	ModifyImageSharePermission(request *ecs.ModifyImageSharePermissionRequest) (*ecs.ModifyImageSharePermissionResponse, error)
	// DescribeImageSharePermission lists the accounts an image is shared
	// with, one page at a time.
	DescribeImageSharePermission(request *ecs.DescribeImageSharePermissionRequest) (*ecs.DescribeImageSharePermissionResponse, error)
}

// ResourceSharing is the part of the Resource Sharing API that the share
// step calls to share snapshots, with the method signatures of the official
// SDK's *resourcesharing.Client. The SDK client, the fake and the mocks all
// satisfy it.
//
// Implementations need not be safe for concurrent use.
type ResourceSharing interface {
	// CreateResourceShare creates a resource share, optionally with
	// resources and targets.
	CreateResourceShare(request *resourcesharing.CreateResourceShareRequest) (*resourcesharing.CreateResourceShareResponse, error)
	// AssociateResourceShare adds resources or targets to a resource share.
	AssociateResourceShare(request *resourcesharing.AssociateResourceShareRequest) (*resourcesharing.AssociateResourceShareResponse, error)
	// DisassociateResourceShare removes resources or targets from a
	// resource share.
	DisassociateResourceShare(request *resourcesharing.DisassociateResourceShareRequest) (*resourcesharing.DisassociateResourceShareResponse, error)
	// ListResourceShares lists resource shares, one page at a time.
	ListResourceShares(request *resourcesharing.ListResourceSharesRequest) (*resourcesharing.ListResourceSharesResponse, error)
	// ListResourceShareAssociations lists the resources or targets of
	// resource shares, one page at a time.
	ListResourceShareAssociations(request *resourcesharing.ListResourceShareAssociationsRequest) (*resourcesharing.ListResourceShareAssociationsResponse, error)
	// ListSharedTargets lists the targets resources are shared with.
	ListSharedTargets(request *resourcesharing.ListSharedTargetsRequest) (*resourcesharing.ListSharedTargetsResponse, error)
	// ListSharedResources lists the resources that are shared.
	ListSharedResources(request *resourcesharing.ListSharedResourcesRequest) (*resourcesharing.ListSharedResourcesResponse, error)
	// CheckSharingWithResourceDirectoryStatus reports whether the account
	// may share with its resource directory and the directory's folders.
	CheckSharingWithResourceDirectoryStatus(request *resourcesharing.CheckSharingWithResourceDirectoryStatusRequest) (*resourcesharing.CheckSharingWithResourceDirectoryStatusResponse, error)
}

// KMS is the part of the KMS API that the share step calls, with the method
// signature of the official SDK's *kms.Client: reading a key's region, ARN,
// state and KMS instance. The SDK client, the fake and the mocks all
// satisfy it.
//
// Check, Applier.Check and Apply also read a key's key policy, with
//
//	GetKeyPolicy(request *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
//
// when the client has that method, as the SDK's *kms.Client, the fake's
// *fake.RAM and mock.MockKMS do. KMS does not require it, so that an
// implementation written before key policies counted keeps compiling; but
// without it a key policy cannot be read, and Check answers every question
// "not allowed", with a step "key policy" whose reason begins "key policy
// not read". Add the method to such an implementation.
//
// Implementations need not be safe for concurrent use.
type KMS interface {
	// DescribeKey reads a key's metadata, its state included.
	DescribeKey(request *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error)
}

// keyPolicyReader is the optional method of a KMS client that reads a key
// policy (see KMS).
type keyPolicyReader interface {
	GetKeyPolicy(request *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
}

var (
	_ ECS             = (*ecs.Client)(nil)
	_ ResourceSharing = (*resourcesharing.Client)(nil)
	_ KMS             = (*kms.Client)(nil)
	_ keyPolicyReader = (*kms.Client)(nil)
)
