// This file holds the RAM interface: the operations of the SDK's *ram.Client
// this library calls.

package encryptperm

import "github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

// RAM is the part of the RAM API that this library calls, with the method
// signatures of the official SDK's *ram.Client. The SDK client, the in-memory
// fake (package fake) and generated mocks all satisfy it, so the engine runs the
// same code whichever backend sits beneath it.
//
// Implementations need not be safe for concurrent use: the engine serializes
// calls on a client it is given (the SDK's client is not safe for concurrent
// calls).
type RAM interface {
	// CreateRole creates a role with a trust policy.
	CreateRole(request *ram.CreateRoleRequest) (*ram.CreateRoleResponse, error)
	// GetRole reads a role and its trust policy.
	GetRole(request *ram.GetRoleRequest) (*ram.GetRoleResponse, error)
	// UpdateRole replaces a role's trust policy, description or session length.
	UpdateRole(request *ram.UpdateRoleRequest) (*ram.UpdateRoleResponse, error)
	// DeleteRole deletes a role that has no attached policies.
	DeleteRole(request *ram.DeleteRoleRequest) (*ram.DeleteRoleResponse, error)
	// ListRoles lists roles one page at a time.
	ListRoles(request *ram.ListRolesRequest) (*ram.ListRolesResponse, error)
	// CreatePolicy creates a custom policy whose first version is v1.
	CreatePolicy(request *ram.CreatePolicyRequest) (*ram.CreatePolicyResponse, error)
	// GetPolicy reads a policy and its default version.
	GetPolicy(request *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error)
	// DeletePolicy deletes a detached custom policy that has only its default version.
	DeletePolicy(request *ram.DeletePolicyRequest) (*ram.DeletePolicyResponse, error)
	// CreatePolicyVersion adds a version to a custom policy.
	CreatePolicyVersion(request *ram.CreatePolicyVersionRequest) (*ram.CreatePolicyVersionResponse, error)
	// GetPolicyVersion reads one version of a policy.
	GetPolicyVersion(request *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error)
	// ListPolicyVersions lists every version of a policy.
	ListPolicyVersions(request *ram.ListPolicyVersionsRequest) (*ram.ListPolicyVersionsResponse, error)
	// DeletePolicyVersion deletes a version that is not the default.
	DeletePolicyVersion(request *ram.DeletePolicyVersionRequest) (*ram.DeletePolicyVersionResponse, error)
	// SetDefaultPolicyVersion makes a version the one in force.
	SetDefaultPolicyVersion(request *ram.SetDefaultPolicyVersionRequest) (*ram.SetDefaultPolicyVersionResponse, error)
	// AttachPolicyToRole attaches a system or custom policy to a role.
	AttachPolicyToRole(request *ram.AttachPolicyToRoleRequest) (*ram.AttachPolicyToRoleResponse, error)
	// DetachPolicyFromRole detaches a policy from a role.
	DetachPolicyFromRole(request *ram.DetachPolicyFromRoleRequest) (*ram.DetachPolicyFromRoleResponse, error)
	// ListPoliciesForRole lists the policies attached to a role.
	ListPoliciesForRole(request *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error)
	// ListEntitiesForPolicy lists the users, groups and roles a policy is attached to.
	ListEntitiesForPolicy(request *ram.ListEntitiesForPolicyRequest) (*ram.ListEntitiesForPolicyResponse, error)
}

var _ RAM = (*ram.Client)(nil)
