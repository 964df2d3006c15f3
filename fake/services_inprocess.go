// This file holds the ECS, Resource Sharing and KMS operations called in
// process, with the SDK's types.

package fake

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"

	"github.com/ecsperm/ecsperm/encryptperm"
)

var (
	_ encryptperm.ECS             = (*RAM)(nil)
	_ encryptperm.ResourceSharing = (*RAM)(nil)
	_ encryptperm.KMS             = (*RAM)(nil)
)

// The ECS, Resource Sharing and KMS methods take and return the SDK's own
// types, as the RAM methods do. The request's RegionId says where the
// resource lives; the SDK's Create...Request functions leave it empty, and
// the fake then answers MissingRegionId, so set it.

// DescribeImages lists the region's images, one page at a time.
func (r *RAM) DescribeImages(request *ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error) {
	response := ecs.CreateDescribeImagesResponse()
	return response, r.invokeService(request, response)
}

// DescribeSnapshots lists the region's snapshots, one page at a time.
func (r *RAM) DescribeSnapshots(request *ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error) {
	response := ecs.CreateDescribeSnapshotsResponse()
	return response, r.invokeService(request, response)
}

// ModifyImageSharePermission shares an image with accounts, or stops
// sharing it, consulting RAM as ECS does for an encrypted image.
func (r *RAM) ModifyImageSharePermission(request *ecs.ModifyImageSharePermissionRequest) (*ecs.ModifyImageSharePermissionResponse, error) {
	response := ecs.CreateModifyImageSharePermissionResponse()
	return response, r.invokeService(request, response)
}

// DescribeImageSharePermission lists the accounts an image is shared with.
func (r *RAM) DescribeImageSharePermission(request *ecs.DescribeImageSharePermissionRequest) (*ecs.DescribeImageSharePermissionResponse, error) {
	response := ecs.CreateDescribeImageSharePermissionResponse()
	return response, r.invokeService(request, response)
}

// CreateResourceShare creates a resource share.
func (r *RAM) CreateResourceShare(request *resourcesharing.CreateResourceShareRequest) (*resourcesharing.CreateResourceShareResponse, error) {
	response := resourcesharing.CreateCreateResourceShareResponse()
	return response, r.invokeService(request, response)
}

// AssociateResourceShare adds resources or targets to a resource share.
func (r *RAM) AssociateResourceShare(request *resourcesharing.AssociateResourceShareRequest) (*resourcesharing.AssociateResourceShareResponse, error) {
	response := resourcesharing.CreateAssociateResourceShareResponse()
	return response, r.invokeService(request, response)
}

// DisassociateResourceShare removes resources or targets from a share.
func (r *RAM) DisassociateResourceShare(request *resourcesharing.DisassociateResourceShareRequest) (*resourcesharing.DisassociateResourceShareResponse, error) {
	response := resourcesharing.CreateDisassociateResourceShareResponse()
	return response, r.invokeService(request, response)
}

// ListResourceShares lists the region's resource shares.
func (r *RAM) ListResourceShares(request *resourcesharing.ListResourceSharesRequest) (*resourcesharing.ListResourceSharesResponse, error) {
	response := resourcesharing.CreateListResourceSharesResponse()
	return response, r.invokeService(request, response)
}

// ListResourceShareAssociations lists resources or targets of shares.
func (r *RAM) ListResourceShareAssociations(request *resourcesharing.ListResourceShareAssociationsRequest) (*resourcesharing.ListResourceShareAssociationsResponse, error) {
	response := resourcesharing.CreateListResourceShareAssociationsResponse()
	return response, r.invokeService(request, response)
}

// ListSharedTargets lists the targets of shares.
func (r *RAM) ListSharedTargets(request *resourcesharing.ListSharedTargetsRequest) (*resourcesharing.ListSharedTargetsResponse, error) {
	response := resourcesharing.CreateListSharedTargetsResponse()
	return response, r.invokeService(request, response)
}

// ListSharedResources lists the resources of shares.
func (r *RAM) ListSharedResources(request *resourcesharing.ListSharedResourcesRequest) (*resourcesharing.ListSharedResourcesResponse, error) {
	response := resourcesharing.CreateListSharedResourcesResponse()
	return response, r.invokeService(request, response)
}

// CheckSharingWithResourceDirectoryStatus reports whether the account may
// share with its resource directory.
func (r *RAM) CheckSharingWithResourceDirectoryStatus(request *resourcesharing.CheckSharingWithResourceDirectoryStatusRequest) (*resourcesharing.CheckSharingWithResourceDirectoryStatusResponse, error) {
	response := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusResponse()
	return response, r.invokeService(request, response)
}

// DescribeKey reads a key's metadata in the request's region.
func (r *RAM) DescribeKey(request *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	response := kms.CreateDescribeKeyResponse()
	return response, r.invokeService(request, response)
}

// GetResourceDirectory reads the resource directory the account is in.
func (r *RAM) GetResourceDirectory(request *resourcemanager.GetResourceDirectoryRequest) (*resourcemanager.GetResourceDirectoryResponse, error) {
	response := resourcemanager.CreateGetResourceDirectoryResponse()
	return response, r.invokeService(request, response)
}

// ListAccounts lists every account of the resource directory, one page at
// a time; only its management account may.
func (r *RAM) ListAccounts(request *resourcemanager.ListAccountsRequest) (*resourcemanager.ListAccountsResponse, error) {
	response := resourcemanager.CreateListAccountsResponse()
	return response, r.invokeService(request, response)
}

// ListAccountsForParent lists the accounts a folder holds, one page at a
// time.
func (r *RAM) ListAccountsForParent(request *resourcemanager.ListAccountsForParentRequest) (*resourcemanager.ListAccountsForParentResponse, error) {
	response := resourcemanager.CreateListAccountsForParentResponse()
	return response, r.invokeService(request, response)
}

// ListFoldersForParent lists the folders a folder holds (the root's when
// ParentFolderId is empty), one page at a time.
func (r *RAM) ListFoldersForParent(request *resourcemanager.ListFoldersForParentRequest) (*resourcemanager.ListFoldersForParentResponse, error) {
	response := resourcemanager.CreateListFoldersForParentResponse()
	return response, r.invokeService(request, response)
}
