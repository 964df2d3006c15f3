// This file holds inspection and seeding: the call log (RecordedCall), the
// views of roles, policies and attachments, and the Put methods.

package fake

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Redacted replaces secrets in the call log.
const Redacted = "[redacted]"

// secretParams are the parameters the call log never shows, by lower-case
// name: those of signed queries, and the headers of header-signed requests,
// should they be recorded. encryptperm.Redact covers the same names in
// free text.
var secretParams = map[string]bool{
	"accesskeyid":            true,
	"accesskeysecret":        true,
	"signature":              true,
	"securitytoken":          true,
	"bearertoken":            true,
	"authorization":          true,
	"x-acs-security-token":   true,
	"x-acs-accesskey-id":     true,
	"x-acs-bearer-token":     true,
	"x-acs-accesskey-secret": true,
}

// DefaultMaxCallValueBytes is how much of each parameter's name and value
// the call log keeps when Options.MaxCallValueBytes is zero: more than any
// document RAM accepts, so that documents are logged whole.
const DefaultMaxCallValueBytes = 8192

// maxCallParams is how many parameters of one call the log keeps, in the
// order of their names; a call of RAM or the services has far fewer.
const maxCallParams = 64

// RecordedCall is one call the fake answered, as its call log records it.
type RecordedCall struct {
	// Action is the action, of RAM or another service, such as "CreateRole".
	Action string
	// Account is the UID of the account the call acted on (the account
	// whose state served it, or for AssumeRole the account that holds the
	// role), or empty for the fake's own account, the one New made.
	Account string
	// Params holds the API parameters. AccessKeyId, AccessKeySecret,
	// Signature and SecurityToken, should they appear, are Redacted. A name
	// or value longer than Options.MaxCallValueBytes is kept as its first
	// bytes (cut on a character boundary) followed by a marker such as
	// "…[4186112 more bytes]"; so a call with a huge parameter does not
	// pin it, and MaxCalls bounds the log's memory.
	Params map[string]string
	// Omitted counts the parameters left out of Params: the log keeps the
	// first 64 in the order of their names.
	Omitted int
	// AccessKeyID is Redacted when the call came with an access key (through
	// the endpoint), and empty for in-process calls.
	AccessKeyID string
	// RequestID is the RequestId of the answer.
	RequestID string
	// Code is the error code of the answer; empty on success.
	Code string
	// Status is the HTTP status of the answer.
	Status int
	// Lost is true when the answer was dropped (Rule.LoseAnswer).
	Lost bool
}

// recordLocked appends a call to the log.
func (r *RAM) recordLocked(req request, p params, rid, code string, res response) {
	c := RecordedCall{
		Action:    req.Action,
		Account:   r.w.logName(req.Account),
		RequestID: rid,
		Code:      code,
		Status:    res.Status,
		Lost:      res.Lost,
	}
	c.Params, c.Omitted = boundParams(redact(p), r.maxCallValue)
	if req.AccessKeyID != "" {
		c.AccessKeyID = Redacted
	}
	r.w.calls = append(r.w.calls, c)
	// Trim only when the log has doubled past the cap, so that keeping the
	// last MaxCalls costs O(1) per call; Calls shows only the last MaxCalls.
	if m := r.opts.MaxCalls; m > 0 && len(r.w.calls) >= 2*m {
		r.w.calls = slices.Delete(r.w.calls, 0, len(r.w.calls)-m)
	}
}

// callLogLocked returns the part of the log that Calls shows.
func (r *RAM) callLogLocked() []RecordedCall {
	if m := r.opts.MaxCalls; m > 0 && len(r.w.calls) > m {
		return r.w.calls[len(r.w.calls)-m:]
	}
	return r.w.calls
}

// boundParams keeps at most maxCallParams parameters, in the order of
// their names, each name and value cut to max bytes, as copies that share
// no memory with the call's own strings. It returns how many it left out.
func boundParams(p map[string]string, max int) (map[string]string, int) {
	names := slices.Sorted(maps.Keys(p))
	omitted := 0
	if len(names) > maxCallParams {
		omitted = len(names) - maxCallParams
		names = names[:maxCallParams]
	}
	out := make(map[string]string, len(names))
	for _, k := range names {
		out[cutValue(k, max)] = cutValue(p[k], max)
	}
	return out, omitted
}

// cutValue returns a copy of s, or of its first max bytes (fewer, to end on
// a character boundary) and a marker that says how many bytes were cut.
func cutValue(s string, max int) string {
	if len(s) <= max {
		return strings.Clone(s)
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("…[%d more bytes]", len(s)-n)
}

func redact(p params) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if secretParams[strings.ToLower(k)] {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// Calls returns a copy of the calls in the call log that acted on this
// account, oldest first. The log is the fake's, shared by its accounts;
// Options.MaxCalls bounds it as a whole.
func (r *RAM) Calls() []RecordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	log := r.callLogLocked()
	out := make([]RecordedCall, 0, len(log))
	me := r.w.logName(r.opts.AccountID)
	for _, c := range log {
		if c.Account != me {
			continue
		}
		c.Params = maps.Clone(c.Params)
		out = append(out, c)
	}
	return out
}

// Role is a role as the fake stores it.
type Role struct {
	// Name is the role name, spelled as when it was created.
	Name string
	// ID is RAM's RoleId. PutRole generates one when it is empty.
	ID string
	// ARN is acs:ram::<account>:role/<Name>. PutRole ignores it.
	ARN string
	// Description is the role's description.
	Description string
	// MaxSessionDuration is in seconds. PutRole takes zero as 3600.
	MaxSessionDuration int64
	// TrustPolicy is the AssumeRolePolicyDocument, compacted as RAM
	// returns it.
	TrustPolicy string
	// CreateDate and UpdateDate are the role's dates; UpdateDate is zero
	// until the role is updated. PutRole takes a zero CreateDate as now.
	CreateDate, UpdateDate time.Time
}

// Policy is a policy as the fake stores it.
type Policy struct {
	// Name is the policy name.
	Name string
	// Type is "System" or "Custom" (encryptperm.System, encryptperm.Custom). PutPolicy takes empty
	// as "Custom".
	Type string
	// Description is the policy's description.
	Description string
	// DefaultVersion is the ID of the default version, such as "v3".
	DefaultVersion string
	// CreateDate and UpdateDate are the policy's dates. PutPolicy takes a
	// zero CreateDate as now.
	CreateDate, UpdateDate time.Time
	// Versions holds the versions, oldest first.
	Versions []PolicyVersion
}

// PolicyVersion is one version of a policy.
type PolicyVersion struct {
	// ID is the version ID, such as "v2".
	ID string
	// Document is the policy document, compacted as RAM returns it.
	Document string
	// IsDefault is true for the version in force.
	IsDefault bool
	// CreateDate is when the version was created. PutPolicy takes zero as
	// the policy's CreateDate.
	CreateDate time.Time
}

// RoleAttachment is a policy attached to a role.
type RoleAttachment struct {
	// RoleName is the role's name.
	RoleName string
	// PolicyType is "System" or "Custom" (encryptperm.System, encryptperm.Custom).
	PolicyType string
	// PolicyName is the policy's name.
	PolicyName string
	// AttachDate is when the policy was attached.
	AttachDate time.Time
}

func (r *RAM) roleView(rr *roleRec) Role {
	return Role{
		Name:               rr.name,
		ID:                 rr.id,
		ARN:                r.arn(rr.name),
		Description:        rr.desc,
		MaxSessionDuration: rr.maxSession,
		TrustPolicy:        rr.trust,
		CreateDate:         rr.created,
		UpdateDate:         rr.updated,
	}
}

func policyView(pr *policyRec) Policy {
	p := Policy{
		Name:           pr.name,
		Type:           pr.typ,
		Description:    pr.desc,
		DefaultVersion: "v" + strconv.Itoa(pr.def),
		CreateDate:     pr.created,
		UpdateDate:     pr.updated,
		Versions:       make([]PolicyVersion, len(pr.versions)),
	}
	for i, v := range pr.versions {
		p.Versions[i] = PolicyVersion{ID: v.id(), Document: v.doc, IsDefault: v.num == pr.def, CreateDate: v.created}
	}
	return p
}

// Roles returns every role, sorted by name without regard to case.
func (r *RAM) Roles() []Role {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.st.sortedRoles()
	out := make([]Role, len(rs))
	for i, rr := range rs {
		out[i] = r.roleView(rr)
	}
	return out
}

// Role returns the role called name (matched without regard to case) and
// whether it exists.
func (r *RAM) Role(name string) (Role, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, ok := r.st.roles[roleKey(name)]
	if !ok {
		return Role{}, false
	}
	return r.roleView(rr), true
}

// TrustPolicy returns the trust policy of the role called name and whether
// the role exists.
func (r *RAM) TrustPolicy(name string) (string, bool) {
	role, ok := r.Role(name)
	return role.TrustPolicy, ok
}

// TrustedPrincipals returns the principals that the Allow statements of the
// role's trust policy name, sorted by type and value without duplicates, and
// whether the role exists. Conditions are not evaluated.
func (r *RAM) TrustedPrincipals(name string) ([]TrustedPrincipal, bool) {
	doc, ok := r.TrustPolicy(name)
	if !ok {
		return nil, false
	}
	return trustedPrincipals(doc), true
}

// Policies returns every policy, system and custom, with its versions,
// sorted by name without regard to case and then by type.
func (r *RAM) Policies() []Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.st.sortedPolicies("")
	out := make([]Policy, len(ps))
	for i, pr := range ps {
		out[i] = policyView(pr)
	}
	return out
}

// Policy returns the policy of type typ called name, with its versions, and
// whether it exists.
func (r *RAM) Policy(typ, name string) (Policy, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pr, ok := r.st.policies[policyKey(typ, name)]
	if !ok {
		return Policy{}, false
	}
	return policyView(pr), true
}

// PolicyVersions returns the versions of the policy of type typ called name,
// oldest first, and whether the policy exists.
func (r *RAM) PolicyVersions(typ, name string) ([]PolicyVersion, bool) {
	p, ok := r.Policy(typ, name)
	return p.Versions, ok
}

// Attachments returns every attachment, sorted by role name, then policy
// name, then policy type.
func (r *RAM) Attachments() []RoleAttachment {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []RoleAttachment
	for _, rr := range r.st.sortedRoles() {
		out = append(out, r.attachmentsLocked(rr)...)
	}
	return out
}

// AttachmentsOf returns the policies attached to the role called name,
// sorted by policy name and then type, and whether the role exists.
func (r *RAM) AttachmentsOf(name string) ([]RoleAttachment, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, ok := r.st.roles[roleKey(name)]
	if !ok {
		return nil, false
	}
	return r.attachmentsLocked(rr), true
}

func (r *RAM) attachmentsLocked(rr *roleRec) []RoleAttachment {
	ps := r.attachedPolicies(rr)
	out := make([]RoleAttachment, len(ps))
	for i, pr := range ps {
		out[i] = RoleAttachment{
			RoleName:   rr.name,
			PolicyType: pr.typ,
			PolicyName: pr.name,
			AttachDate: rr.attached[policyKey(pr.typ, pr.name)],
		}
	}
	return out
}

// PutRole stores a role directly, bypassing fault rules, the call log, count
// limits and the propagation delay: use it to seed state, such as a role
// whose trust policy holds statements this module did not write. Name,
// MaxSessionDuration and TrustPolicy must be valid as RAM requires. A role of
// the same name (without regard to case) is replaced, keeping its
// attachments, and its ID unless role.ID is set.
func (r *RAM) PutRole(role Role) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.putRoleLocked(role)
}

// putRoleLocked is PutRole with the lock held.
func (r *RAM) putRoleLocked(role Role) error {
	if role.MaxSessionDuration == 0 {
		role.MaxSessionDuration = defaultSessionDuration
	}
	if msg := r.seedRoleProblem(role); msg != "" {
		return fmt.Errorf("fake: put role %q: %s", role.Name, msg)
	}
	now := r.now()
	key := roleKey(role.Name)
	rr, ok := r.st.roles[key]
	if !ok {
		rr = &roleRec{attached: make(map[string]time.Time)}
		r.st.roles[key] = rr
	}
	rr.name = role.Name
	switch {
	case role.ID != "":
		rr.id = role.ID
	case rr.id == "":
		rr.id = r.st.newRoleID()
	}
	rr.desc = role.Description
	rr.maxSession = role.MaxSessionDuration
	rr.trust = compactDocument(role.TrustPolicy)
	rr.created = role.CreateDate
	if rr.created.IsZero() {
		rr.created = now
	}
	rr.updated = role.UpdateDate
	rr.visibleAt = time.Time{}
	return nil
}

func (r *RAM) seedRoleProblem(role Role) string {
	if role.Name == "" {
		return "the name is empty"
	}
	if e := r.checkRoleName(role.Name); e != nil {
		return e.Code
	}
	if len(role.Description) > 0 && len([]rune(role.Description)) > r.limits.DescriptionMaxLen {
		return "InvalidParameter.Description.Length"
	}
	if role.MaxSessionDuration < int64(r.limits.MinSessionDuration) || role.MaxSessionDuration > int64(r.limits.MaxSessionDuration) {
		return "MaxSessionDuration is out of range"
	}
	if len(role.TrustPolicy) > r.limits.TrustPolicyMaxLen {
		return "InvalidParameter.AssumeRolePolicyDocument.Length"
	}
	if msg := checkDocument(role.TrustPolicy, trustDoc); msg != "" {
		return "MalformedPolicyDocument: " + msg
	}
	return ""
}

// PutPolicy stores a policy directly, bypassing fault rules, the call log,
// count limits and the propagation delay: use it to seed state, such as a
// custom policy that already has five versions, or another system policy.
// The policy needs at least one version and, if custom, at most
// Limits.VersionsPerPolicy. The default version is the one marked IsDefault,
// else the one named by DefaultVersion, else the newest. Version IDs must be
// v1, v2, ...; later versions continue after the highest. A policy of the
// same type and name is replaced, keeping its attachments.
func (r *RAM) PutPolicy(p Policy) error {
	if p.Type == "" {
		p.Type = policyTypeCustom
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	pr, msg := r.seedPolicy(p)
	if msg != "" {
		return fmt.Errorf("fake: put policy %q: %s", p.Name, msg)
	}
	key := policyKey(pr.typ, pr.name)
	if old, ok := r.st.policies[key]; ok {
		pr.attached = old.attached
	} else if pr.typ == policyTypeCustom {
		r.st.custom++
	}
	r.st.policies[key] = pr
	return nil
}

// seedPolicy checks a seeded policy and builds its record.
func (r *RAM) seedPolicy(p Policy) (*policyRec, string) {
	if e := checkPolicyType(p.Type); e != nil {
		return nil, e.Code
	}
	if p.Name == "" {
		return nil, "the name is empty"
	}
	if e := r.checkPolicyName(p.Name); e != nil {
		return nil, e.Code
	}
	if len([]rune(p.Description)) > r.limits.DescriptionMaxLen {
		return nil, "InvalidParameter.Description.Length"
	}
	if len(p.Versions) == 0 {
		return nil, "a policy needs at least one version"
	}
	if p.Type == policyTypeCustom && len(p.Versions) > r.limits.VersionsPerPolicy {
		return nil, fmt.Sprintf("LimitExceeded.Policy.Version: %d versions, at most %d", len(p.Versions), r.limits.VersionsPerPolicy)
	}
	now := r.now()
	pr := &policyRec{
		name:     p.Name,
		typ:      p.Type,
		desc:     p.Description,
		created:  p.CreateDate,
		updated:  p.UpdateDate,
		attached: make(map[string]time.Time),
	}
	if pr.created.IsZero() {
		pr.created = now
	}
	defaultNamed := 0
	for _, v := range p.Versions {
		num, e := checkVersionID(v.ID)
		if e != nil {
			return nil, fmt.Sprintf("version ID %q is not v1, v2, ...", v.ID)
		}
		if pr.version(num) != nil {
			return nil, fmt.Sprintf("version %s appears twice", v.ID)
		}
		if len(v.Document) > r.limits.PolicyDocumentMaxLen {
			return nil, fmt.Sprintf("version %s: InvalidParameter.PolicyDocument.Length", v.ID)
		}
		if msg := checkDocument(v.Document, permissionDoc); msg != "" {
			return nil, fmt.Sprintf("version %s: MalformedPolicyDocument: %s", v.ID, msg)
		}
		created := v.CreateDate
		if created.IsZero() {
			created = pr.created
		}
		pr.versions = append(pr.versions, &versionRec{num: num, doc: compactDocument(v.Document), created: created})
		if v.IsDefault {
			if pr.def != 0 {
				return nil, "more than one version is marked default"
			}
			pr.def = num
		}
		if v.ID == p.DefaultVersion {
			defaultNamed = num
		}
	}
	slices.SortFunc(pr.versions, func(a, b *versionRec) int { return a.num - b.num })
	last := pr.versions[len(pr.versions)-1].num
	switch {
	case pr.def != 0:
	case defaultNamed != 0:
		pr.def = defaultNamed
	case p.DefaultVersion != "":
		return nil, fmt.Sprintf("default version %s is not among the versions", p.DefaultVersion)
	default:
		pr.def = last
	}
	pr.next = last + 1
	return pr, ""
}

// PutAttachment attaches a policy to a role directly, bypassing fault rules,
// the call log, the per-role limits and the propagation delay. The role and
// the policy must exist; attaching twice is not an error.
func (r *RAM) PutAttachment(roleName, policyType, policyName string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, ok := r.st.roles[roleKey(roleName)]
	if !ok {
		return fmt.Errorf("fake: put attachment of %s policy %q to role %q: no such role", policyType, policyName, roleName)
	}
	pr, ok := r.st.policies[policyKey(policyType, policyName)]
	if !ok {
		return fmt.Errorf("fake: put attachment of %s policy %q to role %q: no such policy", policyType, policyName, roleName)
	}
	pk := policyKey(pr.typ, pr.name)
	if _, ok := rr.attached[pk]; ok {
		return nil
	}
	now := r.now()
	rr.attached[pk] = now
	pr.attached[roleKey(rr.name)] = now
	return nil
}
