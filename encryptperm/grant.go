// This file holds the Grant and its parts (Role, Attachment, Audience, Kind,
// Key, Resource and its ResourceType), the names from the ECS page
// "Encryption-related permissions", and the key-use actions.

package encryptperm

import (
	"errors"
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

// Key names a KMS customer master key: acs:kms:<Region>:<Owner>:key/<ID>.
type Key struct {
	// Region is the key's region ID, such as cn-hangzhou.
	Region string
	// Owner is the UID of the account that owns the key.
	Owner string
	// ID is the key ID: a UUID or key- followed by letters and digits.
	ID string
}

// ARN returns the key's resource name, acs:kms:<region>:<owner>:key/<id>.
func (k Key) ARN() string { return fmt.Sprintf("acs:kms:%s:%s:key/%s", k.Region, k.Owner, k.ID) }

// ContainerARN returns the ARN of the key container the key lives in,
// acs:kms:<region>:<owner>:key, on which kms:List* is granted.
func (k Key) ContainerARN() string { return fmt.Sprintf("acs:kms:%s:%s:key", k.Region, k.Owner) }

// String returns the key's ARN.
func (k Key) String() string { return k.ARN() }

// ParseKeyARN parses acs:kms:<region>:<owner>:key/<id> into a Key. The parts
// are validated as the builders validate a Key; the error is a
// *ValidationError.
func ParseKeyARN(arn string) (Key, error) {
	var p problems
	parts := strings.Split(arn, ":")
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "kms" || !strings.HasPrefix(parts[4], "key/") {
		p.add("ARN", arn, "not a KMS key ARN: want acs:kms:<region>:<owner>:key/<id>")
		return Key{}, p.err("key ARN")
	}
	k := Key{Region: parts[2], Owner: parts[3], ID: strings.TrimPrefix(parts[4], "key/")}
	checkKey(&p, "ARN", k)
	if err := p.err("key ARN"); err != nil {
		return Key{}, err
	}
	return k, nil
}

// checkGrant validates a Grant with the builders' own rules, one copy of
// each: it builds the grant again from its kind, audience, keys, service key,
// limits and policy name, adds the builder's problems to p under path, and
// reports every part of g that differs from what the builder makes (its role,
// trust policy and policies). A Grant made by a builder passes unchanged;
// anything a builder cannot produce (a wildcard key, a trust statement the
// audience does not call for, a policy of its own) is refused. It returns the
// grant the builder made, with its findings, or nil.
func checkGrant(p *problems, path string, g *Grant) *Grant {
	built, err := rebuild(g)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			list := make([]policy.FieldError, len(ve.Problems))
			for i, fe := range ve.Problems {
				fe.Path = path + "." + grantField(fe.Path)
				list[i] = fe
			}
			p.addAll(list, ve.More)
			p.limit = p.limit || errors.Is(err, ErrLimitExceeded)
		} else {
			p.add(path, "", "%s", err.Error())
		}
		return nil
	}
	differs := func(field, why string) {
		p.add(path+"."+field, "", "%s; a builder does not make this grant: build it with ShareSnapshot, ShareImage or DiskEncryption", why)
	}
	if g.Role.Name != built.Role.Name {
		differs("Role.Name", fmt.Sprintf("role %q is not the role of a %s grant (%s)", g.Role.Name, g.Kind, built.Role.Name))
	}
	if g.Role.Description != built.Role.Description {
		differs("Role.Description", "the role's description is not the builder's")
	}
	if !g.Role.TrustPolicy.Equal(built.Role.TrustPolicy) {
		differs("Role.TrustPolicy", "the trust policy is not the one the grant's audience calls for")
	}
	if len(g.Policies) != len(built.Policies) {
		differs("Policies", fmt.Sprintf("%d policies where the grant's keys call for %d", len(g.Policies), len(built.Policies)))
		return built
	}
	for i, a := range g.Policies {
		b := built.Policies[i]
		at := fmt.Sprintf("Policies[%d]", i)
		switch {
		case a.Name != b.Name || a.Type != b.Type:
			differs(at, fmt.Sprintf("%s policy %q where the grant calls for %s policy %q", a.Type, a.Name, b.Type, b.Name))
		case !a.Document.Equal(b.Document):
			differs(at+".Document", "the document is not the one the grant's keys call for")
		case a.Description != b.Description:
			differs(at+".Description", "the policy's description is not the builder's")
		}
	}
	return built
}

// rebuild builds g again by the rules of the builder of its kind, from what
// that builder would have been given to make it.
func rebuild(g *Grant) (*Grant, error) {
	in := inputOf(g)
	switch g.Kind {
	case KindDiskEncryption:
		return in.buildDisk()
	case KindShareSnapshot, KindShareImage:
		return in.buildShare()
	}
	var p problems
	p.add("Kind", string(g.Kind), "not a kind of grant: want %s, %s or %s (use a builder's Build)", KindDiskEncryption, KindShareSnapshot, KindShareImage)
	return nil, p.err("grant")
}

// inputOf is what the builder of g's kind would have been given to make g:
// its audience (none for disk encryption), keys, service key, resources,
// limits and custom policy name.
func inputOf(g *Grant) grantInput {
	in := grantInput{kind: g.Kind, keyArgs: keyArgs{keys: slices.Clone(g.Keys)}}
	if g.Limits != (Limits{}) {
		l := g.Limits
		in.limits = &l
	}
	in.policyName = g.policyName
	for _, a := range g.Policies {
		if a.Type == Custom {
			in.policyName = a.Name
			break
		}
	}
	if g.Kind == KindDiskEncryption {
		return in
	}
	in.accounts = slices.Clone(g.Audience.Accounts)
	in.rds = slices.Clone(g.Audience.ResourceDirectories)
	in.folders = slices.Clone(g.Audience.Folders)
	in.serviceKey = g.ServiceKey
	in.resources = slices.Clone(g.Resources)
	return in
}

// grantField maps a builder's problem path to the Grant field it comes from.
func grantField(path string) string {
	for _, f := range []string{"Accounts", "ResourceDirectories", "Folders"} {
		if strings.HasPrefix(path, f) {
			return "Audience." + path
		}
	}
	return path
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
	return "", fmt.Errorf("encryptperm: parse resource type %q: want snapshot, image or disk: %w", s, ErrInvalid)
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
