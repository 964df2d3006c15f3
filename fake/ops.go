// This file holds the handlers of RAM's operations on the fake's state, shared
// by the in-process methods and the endpoint.

package fake

import (
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// accepted lists, per action, the API parameters the fake implements. Every
// other parameter, tags (Tag.N.Key, Tag.N.Value) and the like included, is
// refused with InvalidParameter.NotSupported rather than ignored, so that a
// caller never believes the fake did what it did not.
var accepted = map[string][]string{
	"CreateRole":              {"RoleName", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration"},
	"GetRole":                 {"RoleName"},
	"UpdateRole":              {"RoleName", "NewAssumeRolePolicyDocument", "NewDescription", "NewMaxSessionDuration"},
	"DeleteRole":              {"RoleName"},
	"ListRoles":               {"Marker", "MaxItems"},
	"CreatePolicy":            {"PolicyName", "PolicyDocument", "Description"},
	"GetPolicy":               {"PolicyName", "PolicyType"},
	"DeletePolicy":            {"PolicyName", "CascadingDelete"},
	"ListPolicies":            {"PolicyType", "Marker", "MaxItems"},
	"CreatePolicyVersion":     {"PolicyName", "PolicyDocument", "SetAsDefault", "RotateStrategy"},
	"GetPolicyVersion":        {"PolicyName", "PolicyType", "VersionId"},
	"ListPolicyVersions":      {"PolicyName", "PolicyType"},
	"DeletePolicyVersion":     {"PolicyName", "VersionId"},
	"SetDefaultPolicyVersion": {"PolicyName", "VersionId"},
	"AttachPolicyToRole":      {"PolicyType", "PolicyName", "RoleName"},
	"DetachPolicyFromRole":    {"PolicyType", "PolicyName", "RoleName"},
	"ListPoliciesForRole":     {"RoleName"},
	"ListEntitiesForPolicy":   {"PolicyType", "PolicyName"},
}

// checkAccepted refuses the first parameter, in name order, that action does
// not implement. The protocol's own parameters (AccessKeyId, SecurityToken
// and the like), which the endpoint and the in-process client strip before a
// call reaches the core, are left to the layer that handles them.
func checkAccepted(action string, p params) *apiError {
	names := slices.Sorted(maps.Keys(p))
	for _, k := range names {
		if !slices.Contains(accepted[action], k) && !sdkCommonParams[k] {
			return errorf("InvalidParameter.NotSupported",
				"The parameter - %q is not supported by this endpoint for %s; it is refused rather than ignored.", clip(k), action)
		}
	}
	return nil
}

// Request and paging constants RAM uses.
const (
	defaultSessionDuration = 3600
	defaultMaxItems        = 100

	rotateNone   = "None"
	rotateOldest = "DeleteOldestNonDefaultVersionWhenLimitExceeded"
)

var (
	roleNameChars   = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	policyNameChars = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	versionIDFormat = regexp.MustCompile(`^v[1-9][0-9]{0,8}$`)
)

// params holds a call's API parameters.
type params map[string]string

// handler serves one action with the fake's lock held. rid is the call's
// request ID and now its time.
type handler func(r *RAM, p params, rid string, now time.Time) (any, *apiError)

// handlers maps each action the fake serves to its handler.
var handlers = map[string]handler{
	"CreateRole":              (*RAM).createRole,
	"GetRole":                 (*RAM).getRole,
	"UpdateRole":              (*RAM).updateRole,
	"DeleteRole":              (*RAM).deleteRole,
	"ListRoles":               (*RAM).listRoles,
	"CreatePolicy":            (*RAM).createPolicy,
	"GetPolicy":               (*RAM).getPolicy,
	"DeletePolicy":            (*RAM).deletePolicy,
	"ListPolicies":            (*RAM).listPolicies,
	"CreatePolicyVersion":     (*RAM).createPolicyVersion,
	"GetPolicyVersion":        (*RAM).getPolicyVersion,
	"ListPolicyVersions":      (*RAM).listPolicyVersions,
	"DeletePolicyVersion":     (*RAM).deletePolicyVersion,
	"SetDefaultPolicyVersion": (*RAM).setDefaultPolicyVersion,
	"AttachPolicyToRole":      (*RAM).attachPolicyToRole,
	"DetachPolicyFromRole":    (*RAM).detachPolicyFromRole,
	"ListPoliciesForRole":     (*RAM).listPoliciesForRole,
	"ListEntitiesForPolicy":   (*RAM).listEntitiesForPolicy,
}

// Wire shapes: the JSON RAM sends. Fields RAM leaves out are omitted when
// empty.

type wireRole struct {
	RoleID                   string `json:"RoleId"`
	RoleName                 string `json:"RoleName"`
	Arn                      string `json:"Arn"`
	Description              string `json:"Description,omitempty"`
	AssumeRolePolicyDocument string `json:"AssumeRolePolicyDocument,omitempty"`
	MaxSessionDuration       int64  `json:"MaxSessionDuration,omitempty"`
	CreateDate               string `json:"CreateDate,omitempty"`
	UpdateDate               string `json:"UpdateDate,omitempty"`
	AttachDate               string `json:"AttachDate,omitempty"`
}

type wirePolicy struct {
	PolicyName      string `json:"PolicyName"`
	PolicyType      string `json:"PolicyType"`
	Description     string `json:"Description,omitempty"`
	DefaultVersion  string `json:"DefaultVersion,omitempty"`
	CreateDate      string `json:"CreateDate,omitempty"`
	UpdateDate      string `json:"UpdateDate,omitempty"`
	AttachmentCount *int   `json:"AttachmentCount,omitempty"`
	AttachDate      string `json:"AttachDate,omitempty"`
}

type wireVersion struct {
	VersionID        string `json:"VersionId"`
	IsDefaultVersion bool   `json:"IsDefaultVersion"`
	PolicyDocument   string `json:"PolicyDocument,omitempty"`
	CreateDate       string `json:"CreateDate,omitempty"`
}

type bodyRequestID struct {
	RequestID string `json:"RequestId"`
}

type bodyRole struct {
	RequestID string   `json:"RequestId"`
	Role      wireRole `json:"Role"`
}

type bodyPolicy struct {
	RequestID string     `json:"RequestId"`
	Policy    wirePolicy `json:"Policy"`
}

type bodyGetPolicy struct {
	RequestID            string      `json:"RequestId"`
	Policy               wirePolicy  `json:"Policy"`
	DefaultPolicyVersion wireVersion `json:"DefaultPolicyVersion"`
}

type bodyVersion struct {
	RequestID     string      `json:"RequestId"`
	PolicyVersion wireVersion `json:"PolicyVersion"`
}

type bodyListRoles struct {
	RequestID   string `json:"RequestId"`
	IsTruncated bool   `json:"IsTruncated"`
	Marker      string `json:"Marker,omitempty"`
	Roles       struct {
		Role []wireRole `json:"Role"`
	} `json:"Roles"`
}

type bodyListPolicies struct {
	RequestID   string `json:"RequestId"`
	IsTruncated bool   `json:"IsTruncated"`
	Marker      string `json:"Marker,omitempty"`
	Policies    struct {
		Policy []wirePolicy `json:"Policy"`
	} `json:"Policies"`
}

type bodyListVersions struct {
	RequestID      string `json:"RequestId"`
	PolicyVersions struct {
		PolicyVersion []wireVersion `json:"PolicyVersion"`
	} `json:"PolicyVersions"`
}

type bodyPoliciesForRole struct {
	RequestID string `json:"RequestId"`
	Policies  struct {
		Policy []wirePolicy `json:"Policy"`
	} `json:"Policies"`
}

type bodyEntities struct {
	RequestID string `json:"RequestId"`
	Groups    struct {
		Group []struct{} `json:"Group"`
	} `json:"Groups"`
	Users struct {
		User []struct{} `json:"User"`
	} `json:"Users"`
	Roles struct {
		Role []wireRole `json:"Role"`
	} `json:"Roles"`
}

// Parameter checks. Each returns nil when the parameter is acceptable.

func required(p params, names ...string) *apiError {
	for _, n := range names {
		if p[n] == "" {
			return missing(n)
		}
	}
	return nil
}

func (r *RAM) checkRoleName(name string) *apiError {
	if utf8.RuneCountInString(name) > r.limits.RoleNameMaxLen {
		return newError("InvalidParameter.RoleName.Length")
	}
	if !roleNameChars.MatchString(name) {
		return newError("InvalidParameter.RoleName.InvalidChars")
	}
	return nil
}

func (r *RAM) checkPolicyName(name string) *apiError {
	if utf8.RuneCountInString(name) > r.limits.PolicyNameMaxLen {
		return newError("InvalidParameter.PolicyName.Length")
	}
	if !policyNameChars.MatchString(name) {
		return newError("InvalidParameter.PolicyName.InvalidChars")
	}
	return nil
}

func checkPolicyType(typ string) *apiError {
	if typ != policyTypeSystem && typ != policyTypeCustom {
		return newError("InvalidParameter.PolicyType")
	}
	return nil
}

func checkVersionID(id string) (int, *apiError) {
	if !versionIDFormat.MatchString(id) {
		return 0, newError("InvalidParameter.VersionId.Format")
	}
	n, _ := strconv.Atoi(id[1:])
	return n, nil
}

func (r *RAM) checkDescription(p params, name string) *apiError {
	if utf8.RuneCountInString(p[name]) > r.limits.DescriptionMaxLen {
		return newError("InvalidParameter." + name + ".Length")
	}
	return nil
}

// checkSession parses a session length parameter; absent means def.
func (r *RAM) checkSession(p params, name string, def int64) (int64, *apiError) {
	s, ok := p[name]
	if !ok || s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < int64(r.limits.MinSessionDuration) || n > int64(r.limits.MaxSessionDuration) {
		return 0, errorf("InvalidParameter."+name, "The parameter - %q must be an integer from %d to %d.",
			name, r.limits.MinSessionDuration, r.limits.MaxSessionDuration)
	}
	return n, nil
}

// checkDocumentParam checks a document parameter's length, counted in bytes as
// sent, and its grammar.
func (r *RAM) checkDocumentParam(p params, name string, kind docKind) *apiError {
	doc := p[name]
	limit := r.limits.PolicyDocumentMaxLen
	if kind == trustDoc {
		limit = r.limits.TrustPolicyMaxLen
	}
	if len(doc) > limit {
		return newError("InvalidParameter." + name + ".Length")
	}
	if msg := checkDocument(doc, kind); msg != "" {
		return errorf("MalformedPolicyDocument", "The policy format is invalid: %s.", msg)
	}
	return nil
}

// paging reads Marker and MaxItems within the bounds b.
func paging(b Paging, p params) (after string, limit int, e *apiError) {
	limit = min(defaultMaxItems, b.MaxItems)
	if s := p["MaxItems"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > b.MaxItems {
			return "", 0, errorf("InvalidParameter.MaxItems", "The parameter - \"MaxItems\" must be an integer from 1 to %d.", b.MaxItems)
		}
		limit = n
	}
	if m := p["Marker"]; m != "" {
		if len(m) > b.MaxTokenBytes {
			return "", 0, newError("InvalidParameter.Marker")
		}
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || len(b) == 0 {
			return "", 0, newError("InvalidParameter.Marker")
		}
		after = string(b)
	}
	return after, limit, nil
}

// page returns the items after the key after, at most limit of them, whether
// more remain, and the marker of the next page.
func page[T any](items []T, key func(T) string, after string, limit int) ([]T, bool, string) {
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(items, after, func(it T, k string) int { return strings.Compare(key(it), k) })
		if start < len(items) && key(items[start]) == after {
			start++
		}
	}
	rest := items[start:]
	if len(rest) <= limit {
		return rest, false, ""
	}
	out := rest[:limit]
	return out, true, base64.RawURLEncoding.EncodeToString([]byte(key(out[len(out)-1])))
}

// Lookups.

func (r *RAM) arn(name string) string { return "acs:ram::" + r.opts.AccountID + ":role/" + name }

func (r *RAM) role(name string) (*roleRec, *apiError) {
	rr, ok := r.st.roles[roleKey(name)]
	if !ok {
		return nil, newError("EntityNotExist.Role")
	}
	return rr, nil
}

func (r *RAM) policy(typ, name string) (*policyRec, *apiError) {
	pr, ok := r.st.policies[policyKey(typ, name)]
	if !ok {
		return nil, newError("EntityNotExist.Policy")
	}
	return pr, nil
}

// visibleAt returns when an entity created at now becomes visible to attach
// calls, given the propagation delay.
func (r *RAM) visibleAt(now time.Time) time.Time {
	if r.opts.PropagationDelay <= 0 {
		return time.Time{}
	}
	return now.Add(r.opts.PropagationDelay)
}

// Wire views.

func (r *RAM) wireRole(rr *roleRec, withDoc bool) wireRole {
	w := wireRole{
		RoleID:             rr.id,
		RoleName:           rr.name,
		Arn:                r.arn(rr.name),
		Description:        rr.desc,
		MaxSessionDuration: rr.maxSession,
		CreateDate:         formatDate(rr.created),
		UpdateDate:         formatDate(updateDate(rr.created, rr.updated)),
	}
	if withDoc {
		w.AssumeRolePolicyDocument = rr.trust
	}
	return w
}

// updateDate is the UpdateDate RAM answers: the last update, or the
// creation until there is one.
func updateDate(created, updated time.Time) time.Time {
	if updated.IsZero() {
		return created
	}
	return updated
}

func wirePolicyOf(pr *policyRec) wirePolicy {
	n := len(pr.attached)
	return wirePolicy{
		PolicyName:      pr.name,
		PolicyType:      pr.typ,
		Description:     pr.desc,
		DefaultVersion:  "v" + strconv.Itoa(pr.def),
		CreateDate:      formatDate(pr.created),
		UpdateDate:      formatDate(updateDate(pr.created, pr.updated)),
		AttachmentCount: &n,
	}
}

func wireVersionOf(pr *policyRec, v *versionRec) wireVersion {
	return wireVersion{
		VersionID:        v.id(),
		IsDefaultVersion: v.num == pr.def,
		PolicyDocument:   v.doc,
		CreateDate:       formatDate(v.created),
	}
}

// Roles.

func (r *RAM) createRole(p params, rid string, now time.Time) (any, *apiError) {
	if e := required(p, "RoleName", "AssumeRolePolicyDocument"); e != nil {
		return nil, e
	}
	name := p["RoleName"]
	if e := r.checkRoleName(name); e != nil {
		return nil, e
	}
	if e := r.checkDescription(p, "Description"); e != nil {
		return nil, e
	}
	session, e := r.checkSession(p, "MaxSessionDuration", defaultSessionDuration)
	if e != nil {
		return nil, e
	}
	if e := r.checkDocumentParam(p, "AssumeRolePolicyDocument", trustDoc); e != nil {
		return nil, e
	}
	if _, ok := r.st.roles[roleKey(name)]; ok {
		return nil, newError("EntityAlreadyExists.Role")
	}
	if len(r.st.roles) >= r.limits.RolesPerAccount {
		return nil, newError("LimitExceeded.Role")
	}
	rr := &roleRec{
		name:       name,
		id:         r.st.newRoleID(),
		desc:       p["Description"],
		maxSession: session,
		trust:      compactDocument(p["AssumeRolePolicyDocument"]),
		created:    now,
		visibleAt:  r.visibleAt(now),
		attached:   make(map[string]time.Time),
	}
	r.st.roles[roleKey(name)] = rr
	w := r.wireRole(rr, true)
	// CreateRole's answer, as RAM documents it, has no UpdateDate; GetRole,
	// ListRoles and UpdateRole have it from creation on.
	w.UpdateDate = ""
	return bodyRole{RequestID: rid, Role: w}, nil
}

func (r *RAM) getRole(p params, rid string, _ time.Time) (any, *apiError) {
	if e := required(p, "RoleName"); e != nil {
		return nil, e
	}
	if e := r.checkRoleName(p["RoleName"]); e != nil {
		return nil, e
	}
	rr, e := r.role(p["RoleName"])
	if e != nil {
		return nil, e
	}
	return bodyRole{RequestID: rid, Role: r.wireRole(rr, true)}, nil
}

func (r *RAM) updateRole(p params, rid string, now time.Time) (any, *apiError) {
	if e := required(p, "RoleName"); e != nil {
		return nil, e
	}
	if e := r.checkRoleName(p["RoleName"]); e != nil {
		return nil, e
	}
	if e := r.checkDescription(p, "NewDescription"); e != nil {
		return nil, e
	}
	session, e := r.checkSession(p, "NewMaxSessionDuration", 0)
	if e != nil {
		return nil, e
	}
	doc := p["NewAssumeRolePolicyDocument"]
	if doc != "" {
		if e := r.checkDocumentParam(p, "NewAssumeRolePolicyDocument", trustDoc); e != nil {
			return nil, e
		}
	}
	rr, e := r.role(p["RoleName"])
	if e != nil {
		return nil, e
	}
	if doc != "" {
		rr.trust = compactDocument(doc)
	}
	if d := p["NewDescription"]; d != "" {
		rr.desc = d
	}
	if session != 0 {
		rr.maxSession = session
	}
	rr.updated = now
	return bodyRole{RequestID: rid, Role: r.wireRole(rr, true)}, nil
}

func (r *RAM) deleteRole(p params, rid string, _ time.Time) (any, *apiError) {
	if e := required(p, "RoleName"); e != nil {
		return nil, e
	}
	if e := r.checkRoleName(p["RoleName"]); e != nil {
		return nil, e
	}
	rr, e := r.role(p["RoleName"])
	if e != nil {
		return nil, e
	}
	if len(rr.attached) > 0 {
		return nil, newError("DeleteConflict.Role.Policy")
	}
	delete(r.st.roles, roleKey(rr.name))
	return bodyRequestID{RequestID: rid}, nil
}

func (r *RAM) listRoles(p params, rid string, _ time.Time) (any, *apiError) {
	after, limit, e := paging(r.paging, p)
	if e != nil {
		return nil, e
	}
	items, more, marker := page(r.st.sortedRoles(), func(rr *roleRec) string { return roleKey(rr.name) }, after, limit)
	b := bodyListRoles{RequestID: rid, IsTruncated: more, Marker: marker}
	b.Roles.Role = make([]wireRole, 0, len(items))
	for _, rr := range items {
		b.Roles.Role = append(b.Roles.Role, r.wireRole(rr, false))
	}
	return b, nil
}

// Policies.

func (r *RAM) createPolicy(p params, rid string, now time.Time) (any, *apiError) {
	if e := required(p, "PolicyName", "PolicyDocument"); e != nil {
		return nil, e
	}
	name := p["PolicyName"]
	if e := r.checkPolicyName(name); e != nil {
		return nil, e
	}
	if e := r.checkDescription(p, "Description"); e != nil {
		return nil, e
	}
	if e := r.checkDocumentParam(p, "PolicyDocument", permissionDoc); e != nil {
		return nil, e
	}
	key := policyKey(policyTypeCustom, name)
	if _, ok := r.st.policies[key]; ok {
		return nil, newError("EntityAlreadyExists.Policy")
	}
	if r.st.custom >= r.limits.CustomPoliciesPerAccount {
		return nil, newError("LimitExceeded.Policy")
	}
	pr := &policyRec{
		name:      name,
		typ:       policyTypeCustom,
		desc:      p["Description"],
		created:   now,
		versions:  []*versionRec{{num: 1, doc: compactDocument(p["PolicyDocument"]), created: now}},
		def:       1,
		next:      2,
		visibleAt: r.visibleAt(now),
		attached:  make(map[string]time.Time),
	}
	r.st.policies[key] = pr
	r.st.custom++
	w := wirePolicy{
		PolicyName:     pr.name,
		PolicyType:     pr.typ,
		Description:    pr.desc,
		DefaultVersion: "v1",
		CreateDate:     formatDate(now),
	}
	return bodyPolicy{RequestID: rid, Policy: w}, nil
}

func (r *RAM) getPolicy(p params, rid string, _ time.Time) (any, *apiError) {
	pr, e := r.typedPolicy(p)
	if e != nil {
		return nil, e
	}
	return bodyGetPolicy{
		RequestID:            rid,
		Policy:               wirePolicyOf(pr),
		DefaultPolicyVersion: wireVersionOf(pr, pr.defaultVersion()),
	}, nil
}

// typedPolicy checks PolicyName and PolicyType and looks the policy up.
func (r *RAM) typedPolicy(p params) (*policyRec, *apiError) {
	if e := required(p, "PolicyName", "PolicyType"); e != nil {
		return nil, e
	}
	if e := checkPolicyType(p["PolicyType"]); e != nil {
		return nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, e
	}
	return r.policy(p["PolicyType"], p["PolicyName"])
}

// customPolicy checks PolicyName and looks the custom policy up.
func (r *RAM) customPolicy(p params, more ...string) (*policyRec, *apiError) {
	if e := required(p, append([]string{"PolicyName"}, more...)...); e != nil {
		return nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, e
	}
	return r.policy(policyTypeCustom, p["PolicyName"])
}

func (r *RAM) deletePolicy(p params, rid string, _ time.Time) (any, *apiError) {
	pr, e := r.customPolicy(p)
	if e != nil {
		return nil, e
	}
	if len(pr.attached) > 0 {
		return nil, newError("DeleteConflict.Policy.Role")
	}
	// CascadingDelete=true deletes every version with the policy (RAM's
	// reference since 2025-01-08); without it, non-default versions block.
	cascade := false
	switch p["CascadingDelete"] {
	case "", "false":
	case "true":
		cascade = true
	default:
		return nil, newError("InvalidParameter.CascadingDelete")
	}
	if len(pr.versions) > 1 && !cascade {
		return nil, newError("DeleteConflict.Policy.Version")
	}
	delete(r.st.policies, policyKey(pr.typ, pr.name))
	r.st.custom--
	return bodyRequestID{RequestID: rid}, nil
}

func (r *RAM) listPolicies(p params, rid string, _ time.Time) (any, *apiError) {
	typ := p["PolicyType"]
	if typ != "" {
		if e := checkPolicyType(typ); e != nil {
			return nil, e
		}
	}
	after, limit, e := paging(r.paging, p)
	if e != nil {
		return nil, e
	}
	items, more, marker := page(r.st.sortedPolicies(typ), (*policyRec).listKey, after, limit)
	b := bodyListPolicies{RequestID: rid, IsTruncated: more, Marker: marker}
	b.Policies.Policy = make([]wirePolicy, 0, len(items))
	for _, pr := range items {
		b.Policies.Policy = append(b.Policies.Policy, wirePolicyOf(pr))
	}
	return b, nil
}

// Versions.

func (r *RAM) createPolicyVersion(p params, rid string, now time.Time) (any, *apiError) {
	if e := required(p, "PolicyName", "PolicyDocument"); e != nil {
		return nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, e
	}
	var setDefault bool
	switch strings.ToLower(p["SetAsDefault"]) {
	case "", "false":
	case "true":
		setDefault = true
	default:
		return nil, newError("InvalidParameter.SetAsDefault")
	}
	rotate := false
	switch p["RotateStrategy"] {
	case "", rotateNone:
	case rotateOldest:
		rotate = true
	default:
		return nil, newError("InvalidParameter.RotateStrategy")
	}
	if e := r.checkDocumentParam(p, "PolicyDocument", permissionDoc); e != nil {
		return nil, e
	}
	pr, e := r.policy(policyTypeCustom, p["PolicyName"])
	if e != nil {
		return nil, e
	}
	if len(pr.versions) >= r.limits.VersionsPerPolicy {
		i := slices.IndexFunc(pr.versions, func(v *versionRec) bool { return v.num != pr.def })
		if !rotate || i < 0 {
			return nil, newError("LimitExceeded.Policy.Version")
		}
		pr.versions = slices.Delete(pr.versions, i, i+1)
	}
	v := &versionRec{num: pr.next, doc: compactDocument(p["PolicyDocument"]), created: now}
	pr.next++
	pr.versions = append(pr.versions, v)
	if setDefault {
		pr.def = v.num
	}
	pr.updated = now
	return bodyVersion{RequestID: rid, PolicyVersion: wireVersionOf(pr, v)}, nil
}

func (r *RAM) getPolicyVersion(p params, rid string, _ time.Time) (any, *apiError) {
	if e := required(p, "PolicyName", "PolicyType", "VersionId"); e != nil {
		return nil, e
	}
	if e := checkPolicyType(p["PolicyType"]); e != nil {
		return nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, e
	}
	num, e := checkVersionID(p["VersionId"])
	if e != nil {
		return nil, e
	}
	pr, e := r.policy(p["PolicyType"], p["PolicyName"])
	if e != nil {
		return nil, e
	}
	v := pr.version(num)
	if v == nil {
		return nil, newError("EntityNotExist.Policy.Version")
	}
	return bodyVersion{RequestID: rid, PolicyVersion: wireVersionOf(pr, v)}, nil
}

func (r *RAM) listPolicyVersions(p params, rid string, _ time.Time) (any, *apiError) {
	pr, e := r.typedPolicy(p)
	if e != nil {
		return nil, e
	}
	b := bodyListVersions{RequestID: rid}
	b.PolicyVersions.PolicyVersion = make([]wireVersion, 0, len(pr.versions))
	for _, v := range pr.versions {
		b.PolicyVersions.PolicyVersion = append(b.PolicyVersions.PolicyVersion, wireVersionOf(pr, v))
	}
	return b, nil
}

// customVersion checks PolicyName and VersionId and looks both up.
func (r *RAM) customVersion(p params) (*policyRec, *versionRec, *apiError) {
	if e := required(p, "PolicyName", "VersionId"); e != nil {
		return nil, nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, nil, e
	}
	num, e := checkVersionID(p["VersionId"])
	if e != nil {
		return nil, nil, e
	}
	pr, e := r.policy(policyTypeCustom, p["PolicyName"])
	if e != nil {
		return nil, nil, e
	}
	v := pr.version(num)
	if v == nil {
		return nil, nil, newError("EntityNotExist.Policy.Version")
	}
	return pr, v, nil
}

func (r *RAM) deletePolicyVersion(p params, rid string, now time.Time) (any, *apiError) {
	pr, v, e := r.customVersion(p)
	if e != nil {
		return nil, e
	}
	if v.num == pr.def {
		return nil, newError("DeleteConflict.Policy.Version.Default")
	}
	pr.versions = slices.DeleteFunc(pr.versions, func(x *versionRec) bool { return x == v })
	pr.updated = now
	return bodyRequestID{RequestID: rid}, nil
}

func (r *RAM) setDefaultPolicyVersion(p params, rid string, now time.Time) (any, *apiError) {
	pr, v, e := r.customVersion(p)
	if e != nil {
		return nil, e
	}
	pr.def = v.num
	pr.updated = now
	return bodyRequestID{RequestID: rid}, nil
}

// Attachments.

// attachment checks the parameters of an attach or detach call and looks up
// the role and the policy. attach applies the propagation delay.
func (r *RAM) attachment(p params, now time.Time, attach bool) (*roleRec, *policyRec, *apiError) {
	if e := required(p, "PolicyType", "PolicyName", "RoleName"); e != nil {
		return nil, nil, e
	}
	if e := checkPolicyType(p["PolicyType"]); e != nil {
		return nil, nil, e
	}
	if e := r.checkPolicyName(p["PolicyName"]); e != nil {
		return nil, nil, e
	}
	if e := r.checkRoleName(p["RoleName"]); e != nil {
		return nil, nil, e
	}
	rr, e := r.role(p["RoleName"])
	if e != nil {
		return nil, nil, e
	}
	if attach && now.Before(rr.visibleAt) {
		return nil, nil, newError("EntityNotExist.Role")
	}
	pr, e := r.policy(p["PolicyType"], p["PolicyName"])
	if e != nil {
		return nil, nil, e
	}
	if attach && now.Before(pr.visibleAt) {
		return nil, nil, newError("EntityNotExist.Policy")
	}
	return rr, pr, nil
}

func (r *RAM) attachPolicyToRole(p params, rid string, now time.Time) (any, *apiError) {
	rr, pr, e := r.attachment(p, now, true)
	if e != nil {
		return nil, e
	}
	pk := policyKey(pr.typ, pr.name)
	if _, ok := rr.attached[pk]; ok {
		return nil, newError("EntityAlreadyExists.Role.Policy")
	}
	custom, system := r.st.attachmentCounts(rr)
	if pr.typ == policyTypeCustom && custom >= r.limits.CustomPoliciesPerRole ||
		pr.typ == policyTypeSystem && system >= r.limits.SystemPoliciesPerRole {
		return nil, newError("LimitExceeded.Role.Policy")
	}
	rr.attached[pk] = now
	pr.attached[roleKey(rr.name)] = now
	return bodyRequestID{RequestID: rid}, nil
}

func (r *RAM) detachPolicyFromRole(p params, rid string, now time.Time) (any, *apiError) {
	rr, pr, e := r.attachment(p, now, false)
	if e != nil {
		return nil, e
	}
	pk := policyKey(pr.typ, pr.name)
	if _, ok := rr.attached[pk]; !ok {
		return nil, newError("EntityNotExist.Role.Policy")
	}
	delete(rr.attached, pk)
	delete(pr.attached, roleKey(rr.name))
	return bodyRequestID{RequestID: rid}, nil
}

func (r *RAM) listPoliciesForRole(p params, rid string, _ time.Time) (any, *apiError) {
	if e := required(p, "RoleName"); e != nil {
		return nil, e
	}
	if e := r.checkRoleName(p["RoleName"]); e != nil {
		return nil, e
	}
	rr, e := r.role(p["RoleName"])
	if e != nil {
		return nil, e
	}
	b := bodyPoliciesForRole{RequestID: rid}
	b.Policies.Policy = make([]wirePolicy, 0, len(rr.attached))
	for _, pr := range r.attachedPolicies(rr) {
		b.Policies.Policy = append(b.Policies.Policy, wirePolicy{
			PolicyName:     pr.name,
			PolicyType:     pr.typ,
			Description:    pr.desc,
			DefaultVersion: "v" + strconv.Itoa(pr.def),
			AttachDate:     formatDate(rr.attached[policyKey(pr.typ, pr.name)]),
		})
	}
	return b, nil
}

// attachedPolicies returns the policies attached to a role, sorted.
func (r *RAM) attachedPolicies(rr *roleRec) []*policyRec {
	out := make([]*policyRec, 0, len(rr.attached))
	for k := range rr.attached {
		out = append(out, r.st.policies[k])
	}
	slices.SortFunc(out, func(a, b *policyRec) int { return strings.Compare(a.listKey(), b.listKey()) })
	return out
}

func (r *RAM) listEntitiesForPolicy(p params, rid string, _ time.Time) (any, *apiError) {
	pr, e := r.typedPolicy(p)
	if e != nil {
		return nil, e
	}
	b := bodyEntities{RequestID: rid}
	b.Groups.Group = []struct{}{}
	b.Users.User = []struct{}{}
	b.Roles.Role = make([]wireRole, 0, len(pr.attached))
	for _, k := range slices.Sorted(maps.Keys(pr.attached)) {
		rr := r.st.roles[k]
		b.Roles.Role = append(b.Roles.Role, wireRole{
			RoleID:      rr.id,
			RoleName:    rr.name,
			Arn:         r.arn(rr.name),
			Description: rr.desc,
			AttachDate:  formatDate(pr.attached[k]),
		})
	}
	return b, nil
}
