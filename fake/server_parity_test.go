package fake_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// policyDoc is a custom policy document RAM accepts; n makes each one differ.
func policyDoc(n string) string {
	return `{"Statement":[{"Action":["kms:DescribeKey"],"Effect":"Allow","Resource":["acs:kms:*:*:key/` + n + `"]}],"Version":"1"}`
}

// memo carries values from one step to a later one, on one side of a twin.
type memo map[string]string

// step is one RAM call, made the same way on both sides of a twin.
type step struct {
	name     string
	wantCode string // "" for success
	call     func(c encryptperm.RAM, m memo) (any, error)
}

// twin is two fakes with the same options and history: one called in
// process, one through the official SDK over HTTP to its endpoint.
type twin struct {
	inProc, overHTTP *fake.RAM
	client           *ram.Client
	inMemo, httpMemo memo
}

func newTwin(t *testing.T, opts *fake.Options) *twin {
	t.Helper()
	var o fake.Options
	if opts != nil {
		o = *opts
	}
	if o.Seed == 0 {
		o.Seed = 7 // repeatable RequestIds, so both twins match
	}
	tw := &twin{inProc: fake.New(&o), overHTTP: fake.New(&o), inMemo: memo{}, httpMemo: memo{}}
	ep := start(t, tw.overHTTP, nil)
	tw.client = client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	return tw
}

// ignoreBase leaves the SDK's transport bookkeeping out of comparisons; the
// bodies are compared on their own.
var ignoreBase = cmpopts.IgnoreTypes((*responses.BaseResponse)(nil))

// run makes the step on both sides and reports every difference.
func (tw *twin) run(t *testing.T, st step) {
	t.Helper()
	want, wantErr := st.call(tw.inProc, tw.inMemo)
	got, gotErr := st.call(tw.client, tw.httpMemo)

	if code := errorCode(wantErr); code != st.wantCode {
		t.Errorf("%s: in process: code %q (%v), want %q", st.name, code, wantErr, st.wantCode)
	}
	if wantErr != nil || gotErr != nil {
		if diff := cmp.Diff(describe(wantErr), describe(gotErr)); diff != "" {
			t.Errorf("%s: errors differ (-in process +over HTTP):\n%s", st.name, diff)
		}
		return
	}
	if diff := cmp.Diff(want, got, ignoreBase); diff != "" {
		t.Errorf("%s: responses differ (-in process +over HTTP):\n%s", st.name, diff)
	}
	wr, gr := want.(responses.AcsResponse), got.(responses.AcsResponse)
	if wr.GetHttpStatus() != gr.GetHttpStatus() || wr.GetHttpContentString() != gr.GetHttpContentString() {
		t.Errorf("%s: answers differ:\nin process: %d %s\nover HTTP:  %d %s", st.name,
			wr.GetHttpStatus(), wr.GetHttpContentString(), gr.GetHttpStatus(), gr.GetHttpContentString())
	}
}

func errorCode(err error) string {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	if err != nil {
		return "(not a server error)"
	}
	return ""
}

// errorView is what callers can see of an error.
type errorView struct {
	Server     bool
	Status     int
	Code       string
	Message    string
	RequestID  string
	HostID     string
	RetryAfter string
	HeaderRID  string
	Transport  bool
}

func describe(err error) errorView {
	var v errorView
	var se *sdkerrors.ServerError
	var ue *url.Error
	switch {
	case err == nil:
	case errors.As(err, &se):
		h := httpHeader(se.RespHeaders)
		v = errorView{
			Server: true, Status: se.HttpStatus(), Code: se.ErrorCode(), Message: se.Message(),
			RequestID: se.RequestId(), HostID: se.HostId(),
			RetryAfter: h.get("x-acs-retry-after"), HeaderRID: h.get("x-acs-request-id"),
		}
	case errors.As(err, &ue):
		v.Transport = true
	default:
		v.Message = "unexpected error: " + err.Error()
	}
	return v
}

// httpHeader reads a header map whatever the case of its keys.
type httpHeader map[string][]string

func (h httpHeader) get(name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Request builders, so that each side gets a fresh request (the SDK fills
// requests in as it sends them).

func createRole(name, doc string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateCreateRoleRequest()
		r.RoleName = name
		r.AssumeRolePolicyDocument = doc
		r.Description = "role " + name
		r.MaxSessionDuration = requests.NewInteger(3600)
		return c.CreateRole(r)
	}
}

func getRole(name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateGetRoleRequest()
		r.RoleName = name
		return c.GetRole(r)
	}
}

func updateRole(name, desc, maxSession string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateUpdateRoleRequest()
		r.RoleName = name
		r.NewDescription = desc
		r.NewMaxSessionDuration = requests.Integer(maxSession)
		r.NewAssumeRolePolicyDocument = trustDoc
		return c.UpdateRole(r)
	}
}

func deleteRole(name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateDeleteRoleRequest()
		r.RoleName = name
		return c.DeleteRole(r)
	}
}

// listRoles lists a page; with useMarker it continues from the marker the
// previous listRoles step saved.
func listRoles(maxItems string, useMarker bool) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, m memo) (any, error) {
		r := ram.CreateListRolesRequest()
		r.MaxItems = requests.Integer(maxItems)
		if useMarker {
			r.Marker = m["marker"]
		}
		resp, err := c.ListRoles(r)
		if err == nil {
			m["marker"] = resp.Marker
		}
		return resp, err
	}
}

func createPolicy(name, doc string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateCreatePolicyRequest()
		r.PolicyName = name
		r.PolicyDocument = doc
		r.Description = "policy " + name
		return c.CreatePolicy(r)
	}
}

func getPolicy(typ, name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateGetPolicyRequest()
		r.PolicyType = typ
		r.PolicyName = name
		return c.GetPolicy(r)
	}
}

func deletePolicy(name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateDeletePolicyRequest()
		r.PolicyName = name
		return c.DeletePolicy(r)
	}
}

func createPolicyVersion(name, doc string, setDefault bool, rotate string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateCreatePolicyVersionRequest()
		r.PolicyName = name
		r.PolicyDocument = doc
		r.SetAsDefault = requests.NewBoolean(setDefault)
		r.RotateStrategy = rotate
		return c.CreatePolicyVersion(r)
	}
}

func getPolicyVersion(typ, name, version string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateGetPolicyVersionRequest()
		r.PolicyType = typ
		r.PolicyName = name
		r.VersionId = version
		return c.GetPolicyVersion(r)
	}
}

func listPolicyVersions(typ, name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateListPolicyVersionsRequest()
		r.PolicyType = typ
		r.PolicyName = name
		return c.ListPolicyVersions(r)
	}
}

func deletePolicyVersion(name, version string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateDeletePolicyVersionRequest()
		r.PolicyName = name
		r.VersionId = version
		return c.DeletePolicyVersion(r)
	}
}

func setDefaultPolicyVersion(name, version string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateSetDefaultPolicyVersionRequest()
		r.PolicyName = name
		r.VersionId = version
		return c.SetDefaultPolicyVersion(r)
	}
}

func attach(typ, policy, role string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateAttachPolicyToRoleRequest()
		r.PolicyType = typ
		r.PolicyName = policy
		r.RoleName = role
		return c.AttachPolicyToRole(r)
	}
}

func detach(typ, policy, role string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateDetachPolicyFromRoleRequest()
		r.PolicyType = typ
		r.PolicyName = policy
		r.RoleName = role
		return c.DetachPolicyFromRole(r)
	}
}

func listPoliciesForRole(role string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateListPoliciesForRoleRequest()
		r.RoleName = role
		return c.ListPoliciesForRole(r)
	}
}

func listEntitiesForPolicy(typ, name string) func(encryptperm.RAM, memo) (any, error) {
	return func(c encryptperm.RAM, _ memo) (any, error) {
		r := ram.CreateListEntitiesForPolicyRequest()
		r.PolicyType = typ
		r.PolicyName = name
		return c.ListEntitiesForPolicy(r)
	}
}

// parityOptions are the options of both sides of a twin: a fixed clock, so
// dates agree, and small limits, so every LimitExceeded code is in reach.
func parityOptions() *fake.Options {
	return &fake.Options{
		AccountID: "1234567890123456",
		Clock:     func() time.Time { return serverTime },
		Limits: encryptperm.Limits{
			RolesPerAccount:          3,
			CustomPoliciesPerAccount: 3,
			CustomPoliciesPerRole:    2,
			SystemPoliciesPerRole:    1,
		},
	}
}

// TestEndpointParity runs every operation, and the error codes the fake
// produces, in process and through the official SDK over HTTP, on twin
// fakes, and requires the same SDK structs and the same errors.
func TestEndpointParity(t *testing.T) {
	tw := newTwin(t, parityOptions())
	const sys, cus = "System", "Custom"
	steps := []step{
		{"CreateRole r1", "", createRole("r1", trustDoc)},
		{"CreateRole r1 again", "EntityAlreadyExists.Role", createRole("r1", trustDoc)},
		{"CreateRole bad chars", "InvalidParameter.RoleName.InvalidChars", createRole("bad name!", trustDoc)},
		{"CreateRole too long", "InvalidParameter.RoleName.Length", createRole(strings.Repeat("r", 65), trustDoc)},
		{"CreateRole malformed", "MalformedPolicyDocument", createRole("r9", `{"Statement":`)},
		{"CreateRole r2", "", createRole("r2", trustDoc)},
		{"CreateRole r3", "", createRole("R3.with-dots", trustDoc)},
		{"CreateRole over the limit", "LimitExceeded.Role", createRole("r4", trustDoc)},
		{"GetRole", "", getRole("r1")},
		{"GetRole missing", "EntityNotExist.Role", getRole("nope")},
		{"UpdateRole", "", updateRole("r1", "updated", "7200")},
		{"UpdateRole missing", "EntityNotExist.Role", updateRole("nope", "x", "")},
		{"UpdateRole session too long", "InvalidParameter.NewMaxSessionDuration", updateRole("r1", "", "99999")},
		{"ListRoles page 1", "", listRoles("2", false)},
		{"ListRoles page 2", "", listRoles("2", true)},
		{"ListRoles bad MaxItems", "InvalidParameter.MaxItems", listRoles("0", false)},

		{"CreatePolicy p1", "", createPolicy("p1", policyDoc("1"))},
		{"CreatePolicy p1 again", "EntityAlreadyExists.Policy", createPolicy("p1", policyDoc("1"))},
		{"CreatePolicy bad chars", "InvalidParameter.PolicyName.InvalidChars", createPolicy("p_1", policyDoc("1"))},
		{"CreatePolicy malformed", "MalformedPolicyDocument", createPolicy("p9", `{"Version":"1","Statement":[{"Effect":"Maybe"}]}`)},
		{"CreatePolicy document too long", "InvalidParameter.PolicyDocument.Length", createPolicy("p9", policyDoc(strings.Repeat("k", 6200)))},
		{"CreatePolicy p2", "", createPolicy("p2", policyDoc("2"))},
		{"CreatePolicy p3", "", createPolicy("p3", policyDoc("3"))},
		{"CreatePolicy over the limit", "LimitExceeded.Policy", createPolicy("p4", policyDoc("4"))},
		{"GetPolicy custom", "", getPolicy(cus, "p1")},
		{"GetPolicy system", "", getPolicy(sys, "AliyunKMSFullAccess")},
		{"GetPolicy bad type", "InvalidParameter.PolicyType", getPolicy("Other", "p1")},
		{"GetPolicy missing", "EntityNotExist.Policy", getPolicy(cus, "nope")},

		{"CreatePolicyVersion v2 default", "", createPolicyVersion("p1", policyDoc("v2"), true, "")},
		{"CreatePolicyVersion v3", "", createPolicyVersion("p1", policyDoc("v3"), false, "")},
		{"CreatePolicyVersion v4", "", createPolicyVersion("p1", policyDoc("v4"), false, "None")},
		{"CreatePolicyVersion v5", "", createPolicyVersion("p1", policyDoc("v5"), false, "")},
		{"CreatePolicyVersion sixth", "LimitExceeded.Policy.Version", createPolicyVersion("p1", policyDoc("v6"), false, "")},
		{"CreatePolicyVersion rotating", "", createPolicyVersion("p1", policyDoc("v6"), false, "DeleteOldestNonDefaultVersionWhenLimitExceeded")},
		{"CreatePolicyVersion missing policy", "EntityNotExist.Policy", createPolicyVersion("nope", policyDoc("x"), false, "")},
		{"GetPolicyVersion", "", getPolicyVersion(cus, "p1", "v2")},
		{"GetPolicyVersion system", "", getPolicyVersion(sys, "AliyunECSDiskEncryptRolePolicy", "v1")},
		{"GetPolicyVersion bad id", "InvalidParameter.VersionId.Format", getPolicyVersion(cus, "p1", "x1")},
		{"GetPolicyVersion rotated away", "EntityNotExist.Policy.Version", getPolicyVersion(cus, "p1", "v1")},
		{"ListPolicyVersions", "", listPolicyVersions(cus, "p1")},
		{"ListPolicyVersions system", "", listPolicyVersions(sys, "AliyunKMSFullAccess")},
		{"ListPolicyVersions missing", "EntityNotExist.Policy", listPolicyVersions(cus, "nope")},
		{"DeletePolicyVersion default", "DeleteConflict.Policy.Version.Default", deletePolicyVersion("p1", "v2")},
		{"DeletePolicyVersion v3", "", deletePolicyVersion("p1", "v3")},
		{"DeletePolicyVersion v3 again", "EntityNotExist.Policy.Version", deletePolicyVersion("p1", "v3")},
		{"SetDefaultPolicyVersion v4", "", setDefaultPolicyVersion("p1", "v4")},
		{"SetDefaultPolicyVersion missing", "EntityNotExist.Policy.Version", setDefaultPolicyVersion("p1", "v9")},

		{"AttachPolicyToRole custom", "", attach(cus, "p1", "r1")},
		{"AttachPolicyToRole again", "EntityAlreadyExists.Role.Policy", attach(cus, "p1", "r1")},
		{"AttachPolicyToRole second custom", "", attach(cus, "p2", "r1")},
		{"AttachPolicyToRole custom over the limit", "LimitExceeded.Role.Policy", attach(cus, "p3", "r1")},
		{"AttachPolicyToRole system", "", attach(sys, "AliyunKMSFullAccess", "r1")},
		{"AttachPolicyToRole system over the limit", "LimitExceeded.Role.Policy", attach(sys, "AliyunECSDiskEncryptRolePolicy", "r1")},
		{"AttachPolicyToRole missing role", "EntityNotExist.Role", attach(cus, "p3", "nope")},
		{"AttachPolicyToRole missing policy", "EntityNotExist.Policy", attach(cus, "nope", "r2")},
		{"AttachPolicyToRole bad type", "InvalidParameter.PolicyType", attach("Other", "p3", "r2")},
		{"ListPoliciesForRole", "", listPoliciesForRole("r1")},
		{"ListPoliciesForRole missing", "EntityNotExist.Role", listPoliciesForRole("nope")},
		{"ListEntitiesForPolicy custom", "", listEntitiesForPolicy(cus, "p1")},
		{"ListEntitiesForPolicy system", "", listEntitiesForPolicy(sys, "AliyunKMSFullAccess")},
		{"ListEntitiesForPolicy missing", "EntityNotExist.Policy", listEntitiesForPolicy(cus, "nope")},

		{"DeleteRole with attachments", "DeleteConflict.Role.Policy", deleteRole("r1")},
		{"DeletePolicy attached", "DeleteConflict.Policy.Role", deletePolicy("p1")},
		{"DetachPolicyFromRole", "", detach(cus, "p1", "r1")},
		{"DetachPolicyFromRole again", "EntityNotExist.Role.Policy", detach(cus, "p1", "r1")},
		{"DeletePolicy with versions", "DeleteConflict.Policy.Version", deletePolicy("p1")},
		{"DeletePolicyVersion v2", "", deletePolicyVersion("p1", "v2")},
		{"DeletePolicyVersion v5", "", deletePolicyVersion("p1", "v5")},
		{"DeletePolicyVersion v6", "", deletePolicyVersion("p1", "v6")},
		{"DeletePolicy", "", deletePolicy("p1")},
		{"DeletePolicy again", "EntityNotExist.Policy", deletePolicy("p1")},
		{"DetachPolicyFromRole p2", "", detach(cus, "p2", "r1")},
		{"DetachPolicyFromRole system", "", detach(sys, "AliyunKMSFullAccess", "r1")},
		{"DeleteRole", "", deleteRole("r1")},
		{"DeleteRole again", "EntityNotExist.Role", deleteRole("r1")},
		{"ListRoles after", "", listRoles("100", false)},
	}
	for _, st := range steps {
		tw.run(t, st)
	}
	tw.compareState(t)

	// Every operation went over the wire.
	var actions []string
	for _, c := range tw.overHTTP.Calls() {
		if !slices.Contains(actions, c.Action) {
			actions = append(actions, c.Action)
		}
	}
	slices.Sort(actions)
	want := []string{
		"AttachPolicyToRole", "CreatePolicy", "CreatePolicyVersion", "CreateRole",
		"DeletePolicy", "DeletePolicyVersion", "DeleteRole", "DetachPolicyFromRole",
		"GetPolicy", "GetPolicyVersion", "GetRole", "ListEntitiesForPolicy",
		"ListPoliciesForRole", "ListPolicyVersions", "ListRoles",
		"SetDefaultPolicyVersion", "UpdateRole",
	}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("actions served over HTTP (-want +got):\n%s", diff)
	}
}

// compareState checks that both sides hold the same state and logged the
// same calls (the HTTP side's key redacted, the in-process side's empty).
func (tw *twin) compareState(t *testing.T) {
	t.Helper()
	if diff := cmp.Diff(tw.inProc.Roles(), tw.overHTTP.Roles()); diff != "" {
		t.Errorf("roles differ (-in process +over HTTP):\n%s", diff)
	}
	if diff := cmp.Diff(tw.inProc.Policies(), tw.overHTTP.Policies()); diff != "" {
		t.Errorf("policies differ (-in process +over HTTP):\n%s", diff)
	}
	if diff := cmp.Diff(tw.inProc.Attachments(), tw.overHTTP.Attachments()); diff != "" {
		t.Errorf("attachments differ (-in process +over HTTP):\n%s", diff)
	}
	in, over := tw.inProc.Calls(), tw.overHTTP.Calls()
	for i := range over {
		if over[i].AccessKeyID != fake.Redacted {
			t.Errorf("call %d over HTTP: AccessKeyID = %q, want %q", i, over[i].AccessKeyID, fake.Redacted)
		}
		over[i].AccessKeyID = ""
	}
	if diff := cmp.Diff(in, over); diff != "" {
		t.Errorf("call logs differ (-in process +over HTTP):\n%s", diff)
	}
}

// TestEndpointFaultParity checks that fault rules act the same on both
// paths: codes, statuses and headers, lost answers that commit, and the
// record of fired rules.
func TestEndpointFaultParity(t *testing.T) {
	opts := parityOptions()
	opts.Faults = []fake.Rule{
		{Action: "GetRole", Nth: 2, Code: "Throttling.User", RetryAfter: 1500 * time.Millisecond},
		{Action: "GetRole", Nth: 3, Code: "ServiceUnavailable"},
		{Action: "GetRole", Nth: 4, Code: "InternalError"},
		{Action: "GetRole", Nth: 5, Code: "Throttling", Status: 429, Message: "slow down"},
		{Action: "CreateRole", Nth: 2, LoseAnswer: true},
		{Action: "DeleteRole", Code: "NoPermission", LoseAnswer: true},
	}
	tw := newTwin(t, opts)
	steps := []step{
		{"CreateRole r1", "", createRole("r1", trustDoc)},
		{"GetRole 1", "", getRole("r1")},
		{"GetRole 2 throttled", "Throttling.User", getRole("r1")},
		{"GetRole 3 unavailable", "ServiceUnavailable", getRole("r1")},
		{"GetRole 4 internal", "InternalError", getRole("r1")},
		{"GetRole 5 own status", "Throttling", getRole("r1")},
		{"GetRole 6", "", getRole("r1")},
		{"CreateRole r2 answer lost", "(not a server error)", createRole("r2", trustDoc)},
		{"GetRole r2 committed", "", getRole("r2")},
		{"DeleteRole refused and lost", "(not a server error)", deleteRole("r2")},
		{"GetRole r2 still there", "", getRole("r2")},
	}
	for _, st := range steps {
		tw.run(t, st)
	}
	tw.compareState(t)
	if diff := cmp.Diff(tw.inProc.Fired(), tw.overHTTP.Fired()); diff != "" {
		t.Errorf("fired rules differ (-in process +over HTTP):\n%s", diff)
	}
	if n := len(tw.overHTTP.Fired()); n != 6 {
		t.Errorf("fired rules over HTTP = %d, want 6", n)
	}
}
