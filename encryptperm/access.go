// This file holds the question Check and Simulate answer (Access) and their
// answer (Decision, its Steps and the statements that decided them).

package encryptperm

import (
	"fmt"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// listActions are the concrete actions Check asks for on the key container,
// acs:kms:<region>:<uid>:key. The ECS page
// "Encryption-related permissions" grants kms:List* there without
// saying which list calls ECS makes. KMS authorizes ListKeys on the key
// container and ListAliases on the alias container (acs:kms:<region>:<uid>:alias),
// so of the calls kms:List* covers on the key container only ListKeys is
// ever asked in that form; it is the one a key picker needs.
var listActions = []string{"kms:ListKeys"}

// Access is the question Check and Simulate answer: may ECS of the recipient
// account assume the role for the resource type, and call every KMS action it
// needs on the key?
type Access struct {
	// Recipient is the UID of the account whose ECS uses the key. For
	// ResourceDisk it defaults to Owner.
	Recipient string `json:"recipient"`
	// RDID is the recipient's resource directory ID (rd-...), if known. It is
	// the value of sts:ServiceOwnerRDId.
	RDID string `json:"rdId,omitempty"`
	// RDPath is the recipient's resource directory path
	// (rd-.../r-.../fd-...), if known. It is the value of
	// sts:ServiceOwnerRDPath.
	RDPath string `json:"rdPath,omitempty"`
	// Resource is what the key encrypts: ResourceSnapshot, ResourceImage or
	// ResourceDisk.
	Resource ResourceType `json:"resource"`
	// Key is the customer key.
	Key Key `json:"key"`
	// Role overrides the role name that Resource implies.
	Role string `json:"role,omitempty"`
	// Owner is the UID of the account that holds the role. Check reads it
	// from the role's ARN; otherwise it defaults to Key.Owner.
	Owner string `json:"owner,omitempty"`
	// ResourceID names the shared image (m-...) or snapshot (s-...) in
	// Region, for Resource ResourceImage or ResourceSnapshot. Check then
	// finds its key when Key is empty (DescribeImages, DescribeSnapshots),
	// reads each key's state (DescribeKey: a key not Enabled, or one KMS
	// does not find, is a step "key state" not allowed; a key a cloud
	// service manages is refused with ErrInvalid, as Apply refuses it),
	// judges each key as KMS names it (the ARN DescribeKey answers: a Key
	// or Owner that names it in another account or region is a step "key
	// ARN" not allowed, with both ARNs in its reason), counts the key of
	// every disk of an image (a data disk's too, read from its snapshot
	// whatever DescribeImages says), and answers too whether the resource
	// is shared with the Recipient (a last step, "share"): through ECS, or
	// through a resource share whose target is the account, its directory
	// (RDID) or a folder on its path (RDPath). An invitation not yet
	// accepted is not a share. An unencrypted resource needs only the
	// share. The client must implement ECS, ResourceSharing and KMS too
	// (the fake does).
	ResourceID string `json:"resourceId,omitempty"`
	// Region is the region of ResourceID; empty means Key.Region.
	Region string `json:"region,omitempty"`
	// KeyPolicy is the key's KMS key policy, for Simulate: nil when the key
	// has none (a key of the default kind, in no KMS instance). Check and
	// Applier.Check read the key policy themselves (DescribeKey and
	// GetKeyPolicy, see KMS) and ignore this field; their Decision.Access
	// holds the key policy they read. It is left out of JSON when nil.
	KeyPolicy *policy.Document `json:"keyPolicy,omitempty"`
}

// principal returns the recipient's ECS service principal.
func (a Access) principal() string { return accountECSPrincipal(a.Recipient) }

// withDefaults fills Role, Owner and Recipient where they may be implied.
func (a Access) withDefaults() Access {
	if a.Role == "" {
		a.Role = a.Resource.RoleName()
	}
	if a.Owner == "" {
		a.Owner = a.Key.Owner
	}
	if a.Recipient == "" && a.Resource == ResourceDisk {
		a.Recipient = a.Owner
	}
	return a
}

// validate reports every problem of an Access at once.
func (a Access) validate() error {
	var p problems
	if a.Resource.RoleName() == "" {
		p.add("Resource", string(a.Resource), "want snapshot, image or disk")
	}
	checkAccount(&p, "Recipient", a.Recipient)
	if a.RDID != "" {
		checkRDID(&p, "RDID", a.RDID)
	}
	if a.RDPath != "" {
		if why := forbidden(a.RDPath); why != "" {
			p.add("RDPath", a.RDPath, "%s", why)
		}
	}
	checkKey(&p, "Key", a.Key)
	if a.Owner != "" {
		checkAccount(&p, "Owner", a.Owner)
	}
	if a.Role != "" {
		checkRoleName(&p, "Role", a.Role, DefaultLimits())
	}
	return p.err("access")
}

// StatementRef names the statement that decided a step.
type StatementRef struct {
	// Policy is the permission policy's name; empty for the role's trust
	// policy and for a key policy.
	Policy string `json:"policy,omitempty"`
	// Type is System or Custom; empty for the trust policy and for a key
	// policy.
	Type PolicyType `json:"type,omitempty"`
	// Index is the statement's index in the document.
	Index int `json:"index"`
	// Key is the ARN of the key whose KMS key policy holds the statement;
	// empty for RAM's documents, and then left out of JSON.
	Key string `json:"key,omitempty"`
}

// String returns "trust policy Statement[0]",
// "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]" or
// "key policy of acs:kms:cn-hangzhou:1234567890123456:key/<id> Statement[0]".
func (r StatementRef) String() string {
	switch {
	case r.Key != "":
		return fmt.Sprintf("key policy of %s Statement[%d]", r.Key, r.Index)
	case r.Policy == "":
		return fmt.Sprintf("trust policy Statement[%d]", r.Index)
	}
	return fmt.Sprintf("policy %s (%s) Statement[%d]", r.Policy, r.Type, r.Index)
}

// Step is one thing that must hold for the recipient's ECS to use the key:
// assume the role, call one KMS action on the key or its container, and,
// for an Access that names a resource, the key's state, its name and the
// share.
type Step struct {
	// Action names the step. Every Decision has the step "sts:AssumeRole"
	// (may ECS of the recipient assume the role?), then one step per KMS
	// action ECS calls: "kms:ListKeys" on the key container, and
	// "kms:DescribeKey", "kms:TagResource", "kms:UntagResource",
	// "kms:Encrypt", "kms:Decrypt" and "kms:GenerateDataKey" on the key
	// (KeyUseActions). A key whose KMS key policy could not be read adds
	// "key policy", not allowed. An Access with a ResourceID adds, when they fail,
	// "key state" (KMS does not find the key, or it is not Enabled) and
	// "key ARN" (the question names the key otherwise than KMS does), and
	// always, last, "share" (is the resource shared with the recipient?
	// See Decision.Shared). Decision.Missing lists the names of the steps
	// not allowed. These names are stable; compare with them.
	Action string `json:"action"`
	// Resource is the role's ARN or the key's (or key container's) ARN.
	Resource string `json:"resource"`
	// Verdict is RAM's outcome with every statement this library cannot
	// judge left out.
	Verdict policy.Verdict `json:"verdict"`
	// Allowed is true when the verdict is allow and nothing this library
	// could not judge could change it.
	Allowed bool `json:"allowed"`
	// By is the statement that allowed or explicitly denied the step; nil for
	// an implicit deny.
	By *StatementRef `json:"by,omitempty"`
	// Reason says in one sentence why the step is allowed or not.
	Reason string `json:"reason"`
	// Notes add detail: statements that nearly applied and why they did not,
	// and statements that could not be judged.
	Notes []string `json:"notes,omitempty"`
	// Uncertain lists condition keys the request did not carry on which the
	// step's answer depends.
	Uncertain []string `json:"uncertain,omitempty"`
}

// Decision is the answer to an Access, with its reasons.
type Decision struct {
	// Allowed is true when every step is allowed for certain.
	Allowed bool `json:"allowed"`
	// Access is the question, with its defaults filled in.
	Access Access `json:"access"`
	// RoleARN is the role's ARN.
	RoleARN string `json:"roleArn"`
	// Principal is the recipient's ECS principal, <uid>@ecs.aliyuncs.com.
	Principal string `json:"principal"`
	// Reason sums up the answer in one sentence.
	Reason string `json:"reason"`
	// Steps are the assume-role step, then one step per KMS action, then,
	// for an Access with a ResourceID, the key's and the share's (see
	// Step.Action for every name). A key whose key policy could not be
	// read adds a step "key policy", not allowed, whose reason says why.
	Steps []Step `json:"steps"`
	// Missing lists the names of the steps that are not allowed (an
	// action, "key policy", "key state", "key ARN" or "share"), each once.
	Missing []string `json:"missing,omitempty"`
	// Shared reports, for an Access with a ResourceID, whether the image
	// or snapshot is shared with the recipient: through ECS (an image's
	// share permission), or through a resource share whose target is the
	// account, its directory (Access.RDID) or a folder on its path
	// (Access.RDPath), and whose invitation, for an account outside the
	// directory, was accepted. It is the step "share" allowed.
	Shared bool `json:"shared"`
	// SharePending reports that a resource share reaches the recipient
	// but the recipient has not accepted its invitation yet, and nothing
	// else shares the resource with it: Shared is false, and the step
	// "share" says so. The recipient accepts with its own credentials
	// (Resource Sharing ListResourceShareInvitations, filtered by
	// ResourceShareID, then AcceptResourceShareInvitation); the fake's
	// RAM.AcceptInvitation does it in tests.
	SharePending bool `json:"sharePending"`
	// ResourceShareID is the resource share that shares the resource with
	// the recipient, or whose invitation is pending; empty when ECS shares
	// it or nothing does.
	ResourceShareID string `json:"resourceShareId,omitempty"`
	// Uncertain lists condition keys the request did not carry and on which
	// the answer depends, such as sts:ServiceOwnerRDId when Access.RDID is
	// empty and the trust policy names a resource directory.
	Uncertain []string `json:"uncertain,omitempty"`
	// Unreadable lists the policies this library could not read or find
	// (a system policy outside the catalog, a document that does not parse),
	// and the statements it could not read that might have changed a step.
	// An unreadable Allow grants nothing; an unreadable Deny that might apply,
	// or an unreadable policy, makes the answer "not allowed".
	Unreadable []string `json:"unreadable,omitempty"`
	// Findings are what a reviewer should know even when access is allowed,
	// such as a folder condition that matched only by its prefix.
	Findings []Finding `json:"findings,omitempty"`
}

// Explanation returns the decision and its reasons, one line each, for
// people to read.
func (d *Decision) Explanation() string {
	var b strings.Builder
	a := d.Access
	fmt.Fprintf(&b, "Can ECS of account %s", a.Recipient)
	if a.RDID != "" || a.RDPath != "" {
		fmt.Fprintf(&b, " (resource directory %s, path %s)", orDash(a.RDID), orDash(a.RDPath))
	}
	fmt.Fprintf(&b, " use key %s for %s, through role %s?\n", a.Key.ARN(), a.Resource.noun(), a.Role)
	answer := "allowed"
	switch {
	case d.Allowed:
	case len(d.Missing) == 0 && (len(d.Uncertain) > 0 || len(d.Unreadable) > 0):
		answer = "not allowed: cannot tell for certain"
	default:
		answer = "denied"
	}
	fmt.Fprintf(&b, "Answer: %s. %s\n", answer, d.Reason)
	for i, s := range d.Steps {
		mark := "ok  "
		if !s.Allowed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %d. [%s] %s on %s: %s\n", i+1, mark, s.Action, s.Resource, s.Reason)
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "         - %s\n", n)
		}
	}
	if len(d.Missing) > 0 {
		fmt.Fprintf(&b, "Missing: %s\n", strings.Join(d.Missing, ", "))
	}
	if len(d.Uncertain) > 0 {
		fmt.Fprintf(&b, "Uncertain: the request did not carry %s\n", strings.Join(d.Uncertain, ", "))
	}
	if len(d.Unreadable) > 0 {
		fmt.Fprintf(&b, "Unreadable: %s\n", strings.Join(d.Unreadable, "; "))
	}
	for _, f := range d.Findings {
		fmt.Fprintf(&b, "Finding: %s\n", f)
	}
	return b.String()
}

// String returns the Explanation.
func (d *Decision) String() string { return d.Explanation() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
