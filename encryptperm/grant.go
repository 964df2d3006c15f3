// This file holds the Grant and its parts (Role, Attachment, Audience, Kind,
// Resource and its ResourceType; Key is in key.go), the names from the ECS
// page "Encryption-related permissions", and the key-use actions.

package encryptperm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Role and policy names from the ECS page "Encryption-related permissions"
// (https://alibabacloud.com/help/en/ecs/user-guide/encryption-related-permissions),
// and the system policies it names.
const (
	// DiskEncryptRoleName is the role ECS assumes to use a customer key for
	// disks, snapshots and images in its own account.
	DiskEncryptRoleName = "AliyunECSDiskEncryptDefaultRole"
	// ShareSnapshotRoleName is the role that lets other accounts' ECS use the
	// key of a shared encrypted snapshot.
	ShareSnapshotRoleName = "AliyunECSShareEncryptSnapshotDefaultRole"
	// ShareImageRoleName is the role that lets other accounts' ECS use the key
	// of a shared encrypted image.
	ShareImageRoleName = "AliyunECSShareEncryptImageDefaultRole"
	// DiskEncryptSystemPolicy is the system policy the console attaches to
	// DiskEncryptRoleName: key-use actions on every key of the account.
	DiskEncryptSystemPolicy = "AliyunECSDiskEncryptRolePolicy"
	// KMSFullAccessPolicy is the system policy that the ECS page
	// "Encryption-related permissions" attaches for an
	// image encrypted with the service key: kms:* on every key.
	KMSFullAccessPolicy = "AliyunKMSFullAccess"
	// ecsService is ECS's service principal in the role's own account.
	ecsService = "ecs.aliyuncs.com"
	// assumeRoleAction is the action of every trust statement.
	assumeRoleAction = "sts:AssumeRole"
	// conditionRDID is the condition key holding the recipient's resource
	// directory ID.
	conditionRDID = "sts:ServiceOwnerRDId"
	// conditionRDPath is the condition key holding the recipient's resource
	// directory path.
	conditionRDPath = "sts:ServiceOwnerRDPath"
	// ManagedPolicyPrefix starts the name of every custom policy this
	// library creates; Revoke deletes only policies whose name has it.
	ManagedPolicyPrefix = "EncryptPerm-"
)

// keyUseActions are the KMS actions ECS needs on a key, per the ECS page
// "Encryption-related permissions".
var keyUseActions = []string{
	"kms:DescribeKey", "kms:TagResource", "kms:UntagResource",
	"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
}

// KeyUseActions returns the KMS actions ECS needs on a key, per the ECS
// page: a new slice on every call.
func KeyUseActions() []string { return slices.Clone(keyUseActions) }

// listKeysAction is allowed on a key container so that ECS can list keys.
const listKeysAction = "kms:List*"

// PolicyType says whether a policy is RAM's (System) or the account's (Custom).
type PolicyType string

// The two policy types.
const (
	System PolicyType = "System"
	Custom PolicyType = "Custom"
)

// Kind names what a grant is for.
type Kind string

// The kinds of grant, one per builder.
const (
	KindDiskEncryption Kind = "DiskEncryption"
	KindShareSnapshot  Kind = "ShareSnapshot"
	KindShareImage     Kind = "ShareImage"
)

// Role is the RAM role a grant needs.
type Role struct {
	// Name is the role's name, fixed by ECS for each kind of grant.
	Name string
	// Description is written when the role is created.
	Description string
	// TrustPolicy says who may assume the role.
	TrustPolicy *policy.Document
}

// Attachment is a policy attached to the grant's role.
type Attachment struct {
	// Name is the policy's name.
	Name string
	// Type is System for RAM's policies and Custom for the account's.
	Type PolicyType
	// Document is the custom policy's content; nil for a system policy.
	Document *policy.Document
	// Description is written when a custom policy is created.
	Description string
}

// Audience is who a share grant reaches.
type Audience struct {
	// Accounts are recipient account UIDs, sorted and without duplicates.
	Accounts []string
	// ResourceDirectories are resource directory IDs whose member accounts
	// are reached.
	ResourceDirectories []string
	// Folders are resource directory paths (without the trailing *) whose
	// accounts, in the folder and below, are reached.
	Folders []string
}

// Grant is what Build returns: a role, its trust policy and the policies to
// attach, all validated, with findings for a reviewer. Apply makes RAM hold at
// least what a Grant says; Revoke removes what it names.
type Grant struct {
	// Kind says which builder made the grant.
	Kind Kind
	// Role is the role, with its trust policy.
	Role Role
	// Policies are attached to the role. Several custom policies appear when
	// the keys do not fit in one document.
	Policies []Attachment
	// Findings are what a reviewer should know; a critical one must be
	// accepted explicitly before the grant is applied.
	Findings []Finding
	// Audience is who the grant reaches (empty for disk encryption).
	Audience Audience
	// Keys are the customer keys the grant covers.
	Keys []Key
	// ServiceKey is true when the grant is for the service key.
	ServiceKey bool
	// Resources are the images or snapshots the grant shares (WithImage,
	// WithSnapshot), sorted and without duplicates; empty when the grant
	// only gives the permissions.
	Resources []Resource

	// policyName is the custom policy name the builder was given, kept for
	// a grant whose keys the Applier finds (it has no policy yet).
	policyName string
	// Limits are the limits the grant was validated against.
	Limits Limits
}

// Critical returns the grant's critical findings.
func (g *Grant) Critical() []Finding {
	var out []Finding
	for _, f := range g.Findings {
		if f.Severity == SeverityCritical {
			out = append(out, f)
		}
	}
	return out
}

// ResourceType names what ECS uses a key for, and so which role it assumes.
type ResourceType string

// The resource types Check knows.
const (
	// ResourceSnapshot: a shared encrypted snapshot
	// (AliyunECSShareEncryptSnapshotDefaultRole).
	ResourceSnapshot ResourceType = "snapshot"
	// ResourceImage: a shared encrypted image
	// (AliyunECSShareEncryptImageDefaultRole).
	ResourceImage ResourceType = "image"
	// ResourceDisk: disks, snapshots and images encrypted in the key owner's
	// own account (AliyunECSDiskEncryptDefaultRole).
	ResourceDisk ResourceType = "disk"
)

// ParseResourceType reads "snapshot", "image" or "disk", in any case.
func ParseResourceType(s string) (ResourceType, error) {
	switch t := ResourceType(strings.ToLower(strings.TrimSpace(s))); t {
	case ResourceSnapshot, ResourceImage, ResourceDisk:
		return t, nil
	}
	return "", invalid("resource type", "", s, "want snapshot, image or disk")
}

// RoleName returns the role ECS assumes for the type, or "" for an unknown
// type.
func (t ResourceType) RoleName() string {
	switch t {
	case ResourceSnapshot:
		return ShareSnapshotRoleName
	case ResourceImage:
		return ShareImageRoleName
	case ResourceDisk:
		return DiskEncryptRoleName
	}
	return ""
}

// noun names the type for people: "a shared snapshot", "a shared image",
// "disks of its own".
func (t ResourceType) noun() string {
	switch t {
	case ResourceSnapshot:
		return "a shared snapshot"
	case ResourceImage:
		return "a shared image"
	case ResourceDisk:
		return "its own disks, snapshots and images"
	}
	return string(t)
}

// Resource names an image or snapshot that a share grant shares
// (ShareBuilder.WithImage, ShareBuilder.WithSnapshot).
type Resource struct {
	// Type is ResourceImage or ResourceSnapshot.
	Type ResourceType
	// Region is the resource's region ID, such as cn-hangzhou.
	Region string
	// ID is the image ID (m-...) or the snapshot ID (s-...).
	ID string
}

// String returns the resource for people: "image m-... in cn-hangzhou".
func (r Resource) String() string { return fmt.Sprintf("%s %s in %s", r.Type, r.ID, r.Region) }

// wildcardECSPrincipal is the service principal that matches every account's
// ECS. The builders write it only together with a resource directory
// condition.
const wildcardECSPrincipal = "*@ecs.aliyuncs.com"

// accountECSPrincipal returns the service principal of an account's ECS,
// <uid>@ecs.aliyuncs.com.
func accountECSPrincipal(uid string) string { return uid + "@" + ecsService }
