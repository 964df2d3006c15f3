// This file holds Check and Simulate: whether a recipient's ECS can assume the
// share role and use a key, with the Access asked, the Decision and its steps.

package encryptperm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

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
	Recipient string
	// RDID is the recipient's resource directory ID (rd-...), if known. It is
	// the value of sts:ServiceOwnerRDId.
	RDID string
	// RDPath is the recipient's resource directory path
	// (rd-.../r-.../fd-...), if known. It is the value of
	// sts:ServiceOwnerRDPath.
	RDPath string
	// Resource is what the key encrypts: ResourceSnapshot, ResourceImage or
	// ResourceDisk.
	Resource ResourceType
	// Key is the customer key.
	Key Key
	// Role overrides the role name that Resource implies.
	Role string
	// Owner is the UID of the account that holds the role. Check reads it
	// from the role's ARN; otherwise it defaults to Key.Owner.
	Owner string
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
	ResourceID string
	// Region is the region of ResourceID; empty means Key.Region.
	Region string
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
	// policy.
	Policy string
	// Type is System or Custom; empty for the trust policy.
	Type PolicyType
	// Index is the statement's index in the document.
	Index int
}

// String returns "trust policy Statement[0]" or
// "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]".
func (r StatementRef) String() string {
	if r.Policy == "" {
		return fmt.Sprintf("trust policy Statement[%d]", r.Index)
	}
	return fmt.Sprintf("policy %s (%s) Statement[%d]", r.Policy, r.Type, r.Index)
}

// Step is one thing ECS must be allowed to do: assume the role, or call one
// KMS action on the key or its container.
type Step struct {
	// Action is sts:AssumeRole or a KMS action.
	Action string
	// Resource is the role's ARN or the key's (or key container's) ARN.
	Resource string
	// Verdict is RAM's outcome with every statement this library cannot
	// judge left out.
	Verdict policy.Verdict
	// Allowed is true when the verdict is allow and nothing this library
	// could not judge could change it.
	Allowed bool
	// By is the statement that allowed or explicitly denied the step; nil for
	// an implicit deny.
	By *StatementRef
	// Reason says in one sentence why the step is allowed or not.
	Reason string
	// Notes add detail: statements that nearly applied and why they did not,
	// and statements that could not be judged.
	Notes []string
	// Uncertain lists condition keys the request did not carry on which the
	// step's answer depends.
	Uncertain []string
}

// Decision is the answer to an Access, with its reasons.
type Decision struct {
	// Allowed is true when every step is allowed for certain.
	Allowed bool
	// Access is the question, with its defaults filled in.
	Access Access
	// RoleARN is the role's ARN.
	RoleARN string
	// Principal is the recipient's ECS principal, <uid>@ecs.aliyuncs.com.
	Principal string
	// Reason sums up the answer in one sentence.
	Reason string
	// Steps are the assume-role step, then one step per KMS action.
	Steps []Step
	// Missing lists the actions that are not allowed.
	Missing []string
	// Uncertain lists condition keys the request did not carry and on which
	// the answer depends, such as sts:ServiceOwnerRDId when Access.RDID is
	// empty and the trust policy names a resource directory.
	Uncertain []string
	// Unreadable lists the policies this library could not read or find
	// (a system policy outside the catalog, a document that does not parse),
	// and the statements it could not read that might have changed a step.
	// An unreadable Allow grants nothing; an unreadable Deny that might apply,
	// or an unreadable policy, makes the answer "not allowed".
	Unreadable []string
	// Findings are what a reviewer should know even when access is allowed,
	// such as a folder condition that matched only by its prefix.
	Findings []Finding
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

// checkPolicy is a permission policy as Check evaluates it.
type checkPolicy struct {
	name string
	typ  PolicyType
	doc  *policy.Document
	// note says why the document stands in for one that could not be read
	// (a system policy missing from the catalog, a parse failure); such a
	// policy grants nothing, might deny anything, and is named in
	// Decision.Unreadable.
	note string
}

// unreadablePolicy stands in for a policy whose content is unknown. It may
// hold a Deny, so it is one statement of unknown effect that may apply to
// any request: it grants nothing for certain, and no step it could deny is
// allowed for certain.
func unreadablePolicy() *policy.Document {
	unknown := json.RawMessage(`null`)
	return policy.New(policy.Statement{Extra: map[string]json.RawMessage{"Effect": unknown, "Action": unknown, "Resource": unknown}})
}

// Check answers an Access against RAM: it reads the role (GetRole), its
// trust policy, and its attached policies (ListPoliciesForRole; a custom
// policy's default version through GetPolicy, or GetPolicyVersion when
// GetPolicy carries no document; a system policy from the built-in catalog,
// see SystemPolicy, or else from GetPolicy), and evaluates, as Simulate does:
//
//   - whether the trust policy lets <Recipient>@ecs.aliyuncs.com assume the
//     role, with sts:ServiceOwnerRDId and sts:ServiceOwnerRDPath set from
//     RDID and RDPath when they are given;
//   - whether the policies allow every key-use action (keyUseActions) on the
//     key's ARN, and kms:ListKeys (the call kms:List* covers that a key
//     picker needs, and the only list call KMS authorizes on the key
//     container) on the key container's ARN.
//
// A role that does not exist gives a Decision that is not allowed, not an
// error. A system policy neither in the catalog nor readable from RAM, or a
// policy that cannot be parsed, grants nothing and might deny anything: the
// answer is then not allowed, and the policy is named in Decision.Unreadable
// and in the Reason. An invalid Access gives a *ValidationError (ErrInvalid);
// a failed RAM call gives an *APIError that wraps the SDK's error and the
// sentinel that fits. A document larger or deeper than policy.DefaultLimits
// allow (for an Applier's Check, Options.Limits.Read) cannot be read, and so
// fails closed as above. Check makes no change in RAM.
//
// Check makes each call once, on the goroutine that calls it, and looks at ctx
// between calls. Applier.Check answers the same question through the
// Applier's retries, client pool and context handling.
func Check(ctx context.Context, client RAM, a Access) (*Decision, error) {
	if a.ResourceID != "" {
		return NewApplier(client, nil).Check(ctx, a)
	}
	return check(ctx, directReads{client}, policy.DefaultLimits(), a)
}

// checkReads are the RAM reads Check makes. Errors come back as *APIError.
type checkReads interface {
	// together runs independent reads: at once when the reads go through
	// a pool of clients, in order on one client. It returns their errors.
	together(fns ...func() error) []error
	// concurrent reports whether together runs reads at once, so that a
	// read that may prove needless costs no round trip.
	concurrent() bool
	getRole(ctx context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error)
	listPoliciesForRole(ctx context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error)
	getPolicy(ctx context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error)
	getPolicyVersion(ctx context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error)
}

// directReads calls a client once per read.
type directReads struct{ c RAM }

// together runs fns one after another: the client may not be safe for
// concurrent calls.
func (directReads) together(fns ...func() error) []error {
	errs := make([]error, len(fns))
	for i, fn := range fns {
		errs[i] = fn()
	}
	return errs
}

func (directReads) concurrent() bool { return false }

func (d directReads) getRole(_ context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	resp, err := d.c.GetRole(req)
	return resp, wrapError("GetRole", req.RoleName, err)
}

func (d directReads) listPoliciesForRole(_ context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	resp, err := d.c.ListPoliciesForRole(req)
	return resp, wrapError("ListPoliciesForRole", req.RoleName, err)
}

func (d directReads) getPolicy(_ context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	resp, err := d.c.GetPolicy(req)
	return resp, wrapError("GetPolicy", req.PolicyName, err)
}

func (d directReads) getPolicyVersion(_ context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	resp, err := d.c.GetPolicyVersion(req)
	return resp, wrapError("GetPolicyVersion", req.PolicyName+"@"+req.VersionId, err)
}

// engineReads makes Check's reads through an Applier's caller.
type engineReads struct {
	e   *engine
	rec *recorder
}

// together runs fns at once, on the Applier's pool of clients.
func (engineReads) together(fns ...func() error) []error { return parallel(fns...) }

// concurrent reports whether the Applier may run reads at once: a pool of
// one client (NewApplier's) runs them one after another.
func (r engineReads) concurrent() bool { return r.e.c.pool.max > 1 }

func (r engineReads) getRole(ctx context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	return invoke(ctx, r.e.c, op{action: "GetRole", target: req.RoleName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetRoleResponse, error) {
		setTimeout(req, t)
		return c.GetRole(req)
	})
}

func (r engineReads) listPoliciesForRole(ctx context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	return invoke(ctx, r.e.c, op{action: "ListPoliciesForRole", target: req.RoleName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.ListPoliciesForRoleResponse, error) {
		setTimeout(req, t)
		return c.ListPoliciesForRole(req)
	})
}

func (r engineReads) getPolicy(ctx context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	return invoke(ctx, r.e.c, op{action: "GetPolicy", target: req.PolicyName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetPolicyResponse, error) {
		setTimeout(req, t)
		return c.GetPolicy(req)
	})
}

func (r engineReads) getPolicyVersion(ctx context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	return invoke(ctx, r.e.c, op{action: "GetPolicyVersion", target: req.PolicyName + "@" + req.VersionId, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetPolicyVersionResponse, error) {
		setTimeout(req, t)
		return c.GetPolicyVersion(req)
	})
}

// Check answers an Access through the engine (see Applier).
func (e *engine) Check(ctx context.Context, a Access) (*Decision, error) {
	if a.ResourceID != "" {
		return e.checkShared(ctx, a)
	}
	return check(ctx, engineReads{e: e, rec: &recorder{}}, e.opts.Limits.Read, a)
}

// check reads with the bounds rl: a document beyond them cannot be read.
func check(ctx context.Context, client checkReads, rl policy.Limits, a Access) (*Decision, error) {
	a = a.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	rr, err := readRole(ctx, client, rl, a)
	if err != nil {
		return nil, err
	}
	return rr.decide(a), nil
}

// roleRead is what Check reads of an Access's role: enough to decide any
// Access about the same role, whatever its key.
type roleRead struct {
	missing   bool   // the role does not exist
	arn       string // as GetRole gave it, perhaps empty
	trust     *policy.Document
	trustNote string
	policies  []checkPolicy
}

// decide answers a (with defaults, valid) from what was read of its role.
func (rr *roleRead) decide(a Access) *Decision {
	if rr.missing {
		return decide(a, "", nil, "", nil)
	}
	if owner := roleOwner(rr.arn); owner != "" {
		a.Owner = owner
	}
	arn := rr.arn
	if arn == "" {
		arn = roleARN(a.Owner, a.Role)
	}
	return decide(a, arn, rr.trust, rr.trustNote, rr.policies)
}

// readRole reads the role of a (with defaults, valid), its attachments and
// their documents, with the bounds rl.
func readRole(ctx context.Context, client checkReads, rl policy.Limits, a Access) (*roleRead, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Through an Applier, the role, its attachments and the library's own
	// policy for the resource type are read at once: in the common case
	// that is all there is to read, the other attachments being system
	// policies of the built-in catalog. On a single client the reads go one
	// after another, and the policy is read only if it is attached.
	var (
		role     *ram.GetRoleResponse
		attached *ram.ListPoliciesForRoleResponse
		roleErr  error
		listErr  error
		own      ram.Policy
		ownRead  *checkPolicy
		ownErr   error
	)
	fns := []func() error{
		func() error {
			getRole := ram.CreateGetRoleRequest()
			getRole.RoleName = a.Role
			role, roleErr = client.getRole(ctx, getRole)
			return nil
		},
		func() error {
			list := ram.CreateListPoliciesForRoleRequest()
			list.RoleName = a.Role
			attached, listErr = client.listPoliciesForRole(ctx, list)
			return nil
		},
	}
	if name := a.ownPolicy(); name != "" && client.concurrent() {
		own = ram.Policy{PolicyName: name, PolicyType: string(Custom)}
		fns = append(fns, func() error {
			cp, err := readCheckPolicy(ctx, client, rl, own)
			ownRead, ownErr = &cp, err
			return nil
		})
	}
	if client.concurrent() {
		client.together(fns...)
	} else if fns[0](); roleErr == nil && ctx.Err() == nil {
		fns[1]()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if roleErr != nil {
		if errors.Is(roleErr, ErrNotFound) {
			return &roleRead{missing: true}, nil
		}
		return nil, roleErr
	}
	trust, terr := rl.Read([]byte(role.Role.AssumeRolePolicyDocument))
	trustNote := ""
	if terr != nil {
		trust, trustNote = nil, fmt.Sprintf("the trust policy of role %s cannot be read: %v", a.Role, terr)
	}
	if listErr != nil {
		return nil, listErr
	}
	// The attached policies not read yet are read at once, in one more
	// round trip.
	policies := make([]checkPolicy, len(attached.Policies.Policy))
	errs := make([]error, len(policies))
	var rest []func() error
	for i, p := range attached.Policies.Policy {
		if ownRead != nil && PolicyType(p.PolicyType) == Custom && strings.EqualFold(p.PolicyName, own.PolicyName) {
			if ownErr != nil {
				return nil, ownErr
			}
			policies[i] = *ownRead
			policies[i].name = p.PolicyName
			continue
		}
		rest = append(rest, func() error {
			if errs[i] = ctx.Err(); errs[i] == nil {
				policies[i], errs[i] = readCheckPolicy(ctx, client, rl, p)
			}
			return nil
		})
	}
	if len(rest) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		client.together(rest...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	return &roleRead{arn: role.Role.Arn, trust: trust, trustNote: trustNote, policies: policies}, nil
}

// ownPolicy returns the name of the custom policy the library gives the
// role of the Access, when the role is the one its resource type implies;
// otherwise "".
func (a Access) ownPolicy() string {
	if !strings.EqualFold(a.Role, a.Resource.RoleName()) {
		return ""
	}
	switch a.Resource {
	case ResourceSnapshot:
		return ShareSnapshotPolicyName
	case ResourceImage:
		return ShareImagePolicyName
	case ResourceDisk:
		return DiskEncryptPolicyName
	}
	return ""
}

// readCheckPolicy reads one attached policy's document.
func readCheckPolicy(ctx context.Context, client checkReads, rl policy.Limits, p ram.Policy) (checkPolicy, error) {
	cp := checkPolicy{name: p.PolicyName, typ: PolicyType(p.PolicyType)}
	if cp.typ == System {
		if d, ok := systemPolicy(p.PolicyName); ok {
			cp.doc = d
			return cp, nil
		}
	}
	get := ram.CreateGetPolicyRequest()
	get.PolicyName = p.PolicyName
	get.PolicyType = p.PolicyType
	resp, err := client.getPolicy(ctx, get)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s: RAM does not know it", cp.typ, p.PolicyName)
			if cp.typ == System {
				cp.note = fmt.Sprintf("system policy %s is neither in the built-in catalog nor readable from RAM", p.PolicyName)
			}
			return cp, nil
		}
		return cp, err
	}
	text := resp.DefaultPolicyVersion.PolicyDocument
	if text == "" {
		version := resp.Policy.DefaultVersion
		if version == "" {
			version = p.DefaultVersion
		}
		gv := ram.CreateGetPolicyVersionRequest()
		gv.PolicyName = p.PolicyName
		gv.PolicyType = p.PolicyType
		gv.VersionId = version
		v, err := client.getPolicyVersion(ctx, gv)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s: its default version %s cannot be read", cp.typ, p.PolicyName, version)
				return cp, nil
			}
			return cp, err
		}
		text = v.PolicyVersion.PolicyDocument
	}
	d, err := rl.Read([]byte(text))
	if err != nil {
		cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s cannot be read: %v", cp.typ, p.PolicyName, err)
		return cp, nil
	}
	cp.doc = d
	return cp, nil
}

// roleOwner returns the account UID of a role ARN, acs:ram::<uid>:role/<name>.
func roleOwner(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "ram" || !strings.HasPrefix(parts[4], "role/") {
		return ""
	}
	return parts[3]
}

func roleARN(owner, name string) string { return fmt.Sprintf("acs:ram::%s:role/%s", owner, name) }

// Simulate answers an Access from documents, without I/O: trust is the role's
// trust policy (nil when the role does not exist) and policies are the
// attached policies. An Attachment of type System with no Document is taken
// from the built-in catalog (see SystemPolicy); one the catalog lacks, or a
// custom one with no Document, grants nothing and might deny anything: the
// answer is then not allowed, and the policy is named in Decision.Unreadable
// and in the Reason. An invalid Access gives a Decision that is not allowed,
// with the problems as its Reason. Simulate evaluates as Check does.
func Simulate(trust *policy.Document, policies []Attachment, a Access) *Decision {
	a = a.withDefaults()
	if err := a.validate(); err != nil {
		return &Decision{Access: a, Principal: a.principal(), Reason: err.Error()}
	}
	cps := make([]checkPolicy, 0, len(policies))
	for _, p := range policies {
		cp := checkPolicy{name: p.Name, typ: p.Type, doc: p.Document}
		if cp.doc == nil {
			if d, ok := systemPolicy(p.Name); ok && p.Type == System {
				cp.doc = d
			} else {
				cp.doc = unreadablePolicy()
				cp.note = fmt.Sprintf("%s policy %s has no document", p.Type, p.Name)
				if p.Type == System {
					cp.note = fmt.Sprintf("system policy %s is not in the built-in catalog", p.Name)
				}
			}
		}
		cps = append(cps, cp)
	}
	arn := ""
	if trust != nil {
		arn = roleARN(a.Owner, a.Role)
	}
	return decide(a, arn, trust, "", cps)
}

// decide evaluates the trust policy and the permission policies for an
// Access. An empty arn means the role does not exist.
func decide(a Access, arn string, trust *policy.Document, trustNote string, policies []checkPolicy) *Decision {
	d := &Decision{Access: a, RoleARN: arn, Principal: a.principal()}
	roleRes := arn
	if roleRes == "" {
		roleRes = roleARN(a.Owner, a.Role)
	}

	// Step 1: may the recipient's ECS assume the role?
	assume := Step{Action: assumeRoleAction, Resource: roleRes}
	switch {
	case arn == "":
		assume.Reason = fmt.Sprintf("role %s does not exist in account %s", a.Role, a.Owner)
	case trust == nil:
		assume.Reason = trustNote
		d.Unreadable = append(d.Unreadable, "trust policy of role "+a.Role)
	default:
		req := &policy.Request{Action: assumeRoleAction, Principal: policy.RequestPrincipal{Service: d.Principal}, Owner: a.Owner}
		if a.RDID != "" {
			req.Context = append(req.Context, policy.ContextValue{Key: conditionRDID, Value: a.RDID})
		}
		if a.RDPath != "" {
			req.Context = append(req.Context, policy.ContextValue{Key: conditionRDPath, Value: a.RDPath})
		}
		ps := policy.Compile(trust)
		res := ps.Eval(req)
		names := []checkPolicy{{}}
		explainStep(&assume, ps, req, res, names, d)
		if res.Verdict == policy.VerdictAllow {
			assume.Reason = fmt.Sprintf("%s may assume %s: %s allows it", d.Principal, a.Role, assume.By)
			d.Findings = append(d.Findings, prefixFindings(ps.Statement(res.By), a, *assume.By)...)
		} else if res.Verdict == policy.VerdictImplicitDeny {
			assume.Reason = fmt.Sprintf("no statement of the trust policy lets %s assume %s", d.Principal, a.Role)
		}
		finishReason(&assume)
	}
	d.Steps = append(d.Steps, assume)

	// Steps 2...: may the role call each KMS action on the key?
	docs := make([]*policy.Document, len(policies))
	for i, p := range policies {
		docs[i] = p.doc
		if p.note != "" {
			d.Unreadable = append(d.Unreadable, p.note)
		}
	}
	ps := policy.Compile(docs...)
	type need struct{ action, resource string }
	var needs []need
	for _, act := range keyUseActions {
		needs = append(needs, need{act, a.Key.ARN()})
	}
	for _, act := range listActions {
		needs = append(needs, need{act, a.Key.ContainerARN()})
	}
	for _, n := range needs {
		st := Step{Action: n.action, Resource: n.resource}
		req := &policy.Request{Action: n.action, Resource: n.resource, Owner: a.Owner}
		res := ps.Eval(req)
		explainStep(&st, ps, req, res, policies, d)
		switch {
		case res.Verdict == policy.VerdictAllow:
			st.Reason = fmt.Sprintf("allowed by %s", st.By)
		case res.Verdict == policy.VerdictImplicitDeny && len(policies) == 0:
			st.Reason = fmt.Sprintf("role %s has no policy attached", a.Role)
			if arn == "" {
				st.Reason = fmt.Sprintf("role %s does not exist", a.Role)
			}
		case res.Verdict == policy.VerdictImplicitDeny:
			st.Reason = "no attached policy allows it"
		}
		finishReason(&st)
		d.Steps = append(d.Steps, st)
	}

	d.Allowed = true
	for _, s := range d.Steps {
		if !s.Allowed {
			d.Allowed = false
		}
		if s.Verdict != policy.VerdictAllow {
			d.Missing = appendUnique(d.Missing, s.Action)
		}
		for _, k := range s.Uncertain {
			d.Uncertain = appendUnique(d.Uncertain, k)
		}
	}
	d.Reason = summarize(d)
	return d
}

// explainStep fills a step's verdict, deciding statement and notes from the
// slow path.
func explainStep(st *Step, ps *policy.PolicySet, req *policy.Request, res policy.EvalResult, names []checkPolicy, d *Decision) {
	st.Verdict = res.Verdict
	st.Allowed = res.Allowed()
	ref := func(r policy.Ref) StatementRef {
		p := names[r.Doc]
		return StatementRef{Policy: p.name, Type: p.typ, Index: r.Statement}
	}
	if res.By.Valid() {
		sr := ref(res.By)
		st.By = &sr
	}
	if res.Verdict == policy.VerdictExplicitDeny {
		st.Reason = fmt.Sprintf("explicitly denied by %s", st.By)
		return
	}
	for _, o := range ps.Explain(req) {
		name := names[o.Ref.Doc]
		where := ref(o.Ref).String()
		relevant := o.Applies == policy.MatchUnknown && (res.Verdict == policy.VerdictAllow && o.Effect != policy.Allow || res.Verdict == policy.VerdictImplicitDeny && o.Effect != policy.Deny)
		switch {
		case relevant && name.note != "":
			st.Notes = append(st.Notes, name.note+"; it is taken to grant nothing and to deny what it might")
		case relevant:
			st.Notes = append(st.Notes, fmt.Sprintf("%s (%s) cannot be judged: %s", where, effectName(o.Effect), strings.Join(o.Why, "; ")))
			for _, k := range o.MissingKeys {
				st.Uncertain = appendUnique(st.Uncertain, k)
			}
			if o.Unreadable {
				d.Unreadable = appendUnique(d.Unreadable, where)
			}
		case res.Verdict == policy.VerdictImplicitDeny && o.Effect == policy.Allow && o.Applies == policy.MatchNo && nearMiss(o):
			st.Notes = append(st.Notes, fmt.Sprintf("%s does not apply: %s", where, strings.Join(o.Why, "; ")))
		}
	}
}

// nearMiss reports whether an Allow that does not apply is worth showing: its
// action matched (or, in a trust policy, it is about sts:AssumeRole), so it
// failed on the resource, the principal or a condition.
func nearMiss(o policy.Outcome) bool {
	for _, w := range o.Why {
		if strings.HasPrefix(w, "Action:") || strings.HasPrefix(w, "NotAction:") {
			return false
		}
	}
	return true
}

func effectName(e policy.Effect) string {
	if e == "" {
		return "unknown effect"
	}
	return string(e)
}

// finishReason adds to an undecided step's reason what would decide it.
func finishReason(st *Step) {
	if st.Verdict == policy.VerdictAllow && !st.Allowed {
		st.Reason += ", but a statement this library cannot judge might deny it"
	}
	if st.Verdict == policy.VerdictImplicitDeny && len(st.Uncertain) > 0 {
		st.Reason += fmt.Sprintf("; the answer depends on %s, which the request did not carry", strings.Join(st.Uncertain, ", "))
	}
}

// prefixFindings reports a folder condition that let the recipient in only by
// its trailing-* prefix: "rd/r/fd-abc*" also matches the sibling fd-abcd.
func prefixFindings(s *policy.Statement, a Access, by StatementRef) []Finding {
	if s == nil || a.RDPath == "" {
		return nil
	}
	var sibling []string
	for op, keys := range s.Condition {
		if op != "StringLike" {
			continue
		}
		for k, vals := range keys {
			if policy.CompareFold(k, conditionRDPath) == policy.MatchNo {
				continue
			}
			for _, v := range vals {
				if !policy.MatchWildcard(v, a.RDPath, false) {
					continue
				}
				base := strings.TrimSuffix(v, "*")
				if !strings.HasSuffix(v, "*") || strings.ContainsAny(base, "*?") {
					return nil
				}
				if a.RDPath == base || strings.HasPrefix(a.RDPath, strings.TrimSuffix(base, "/")+"/") {
					return nil // the folder itself or one below it
				}
				sibling = append(sibling, v)
			}
		}
	}
	if len(sibling) == 0 {
		return nil
	}
	return []Finding{{
		Code: FindingRDPathPrefix, Severity: SeverityInfo, Path: by.String() + ".Condition.StringLike." + conditionRDPath,
		Message: fmt.Sprintf("the recipient's path %q matches %q only by prefix: it is not that folder or below it, but a sibling whose ID begins with the same characters", a.RDPath, strings.Join(sibling, ", ")),
	}}
}

// summarize returns the decision's one-sentence reason.
func summarize(d *Decision) string {
	a := d.Access
	if d.Allowed {
		return fmt.Sprintf("%s may assume %s and use key %s.", d.Principal, a.Role, a.Key.ARN())
	}
	var parts []string
	for _, s := range d.Steps {
		if !s.Allowed && s.Action == assumeRoleAction {
			parts = append(parts, s.Reason)
		}
	}
	var missing []string
	for _, m := range d.Missing {
		if m != assumeRoleAction {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("the role's policies do not allow %s", strings.Join(missing, ", ")))
	}
	if len(d.Uncertain) > 0 {
		parts = append(parts, fmt.Sprintf("the answer depends on %s, which the question did not give", strings.Join(d.Uncertain, ", ")))
	}
	if len(parts) == 0 && len(d.Unreadable) > 0 {
		parts = append(parts, fmt.Sprintf("cannot tell for certain: what this library cannot read might deny access (%s)", strings.Join(d.Unreadable, "; ")))
	}
	if len(parts) == 0 {
		parts = append(parts, "not every step is allowed")
	}
	out := strings.Join(parts, "; ") + "."
	return strings.ToUpper(out[:1]) + out[1:]
}

// appendUnique appends s to list unless list holds it.
func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
