package encryptperm

import (
	"fmt"
	"strings"
)

// Role and policy names from the seed page, and the system policies it names.
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
	// KMSFullAccessPolicy is the system policy the seed page attaches for an
	// image encrypted with the service key: kms:* on every key.
	KMSFullAccessPolicy = "AliyunKMSFullAccess"
	// ECSService is ECS's service principal in the role's own account.
	ECSService = "ecs.aliyuncs.com"
	// AssumeRoleAction is the action of every trust statement.
	AssumeRoleAction = "sts:AssumeRole"
	// ConditionRDID is the condition key holding the recipient's resource
	// directory ID.
	ConditionRDID = "sts:ServiceOwnerRDId"
	// ConditionRDPath is the condition key holding the recipient's resource
	// directory path.
	ConditionRDPath = "sts:ServiceOwnerRDPath"
	// ManagedPolicyPrefix starts the name of every custom policy this
	// library creates; Revoke deletes only policies whose name has it.
	ManagedPolicyPrefix = "EncryptPerm-"
)

// KeyUseActions are the KMS actions ECS needs on a key, per the seed page.
var KeyUseActions = []string{
	"kms:DescribeKey", "kms:TagResource", "kms:UntagResource",
	"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
}

// ListKeysAction is allowed on a key container so that ECS can list keys.
const ListKeysAction = "kms:List*"

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
	TrustPolicy *Document
}

// Attachment is a policy attached to the grant's role.
type Attachment struct {
	// Name is the policy's name.
	Name string
	// Type is System for RAM's policies and Custom for the account's.
	Type PolicyType
	// Document is the custom policy's content; nil for a system policy.
	Document *Document
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
