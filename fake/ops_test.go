package fake_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func TestSatisfiesRAM(t *testing.T) {
	var r encryptperm.RAM = fake.New(nil)
	if _, err := r.GetRole(ram.CreateGetRoleRequest()); errCode(t, err) != "MissingRoleName" {
		t.Errorf("GetRole without a name: error = %v, want MissingRoleName", err)
	}
}

func TestNewDefaults(t *testing.T) {
	f := fake.New(nil)
	if got := f.AccountID(); got != fake.DefaultAccountID {
		t.Errorf("AccountID() = %q, want %q", got, fake.DefaultAccountID)
	}
	if diff := cmp.Diff(encryptperm.DefaultLimits(), f.Limits()); diff != "" {
		t.Errorf("Limits() (-want +got):\n%s", diff)
	}
	var names []string
	for _, p := range f.Policies() {
		names = append(names, p.Type+"/"+p.Name)
	}
	want := []string{"System/AliyunECSDiskEncryptRolePolicy", "System/AliyunKMSFullAccess"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("policies of a new fake (-want +got):\n%s", diff)
	}
	if got := f.Roles(); len(got) != 0 {
		t.Errorf("roles of a new fake = %v, want none", got)
	}
}

func TestLimitsOverride(t *testing.T) {
	f := fake.New(&fake.Options{Limits: encryptperm.Limits{VersionsPerPolicy: 2}})
	want := encryptperm.DefaultLimits()
	want.VersionsPerPolicy = 2
	if diff := cmp.Diff(want, f.Limits()); diff != "" {
		t.Errorf("Limits() (-want +got):\n%s", diff)
	}
}

// ignoreMeta ignores the HTTP metadata and request IDs of SDK responses.
var ignoreMeta = cmp.Options{
	cmpopts.IgnoreFields(ram.CreateRoleResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.GetRoleResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.UpdateRoleResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.ListRolesResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.CreatePolicyResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.GetPolicyResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.ListPoliciesResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.CreatePolicyVersionResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.GetPolicyVersionResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.ListPolicyVersionsResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.ListPoliciesForRoleResponse{}, "BaseResponse", "RequestId"),
	cmpopts.IgnoreFields(ram.ListEntitiesForPolicyResponse{}, "BaseResponse", "RequestId"),
}

const roleARN = "acs:ram::1234567890123456:role/ShareRole"

func TestRoleLifecycle(t *testing.T) {
	f, clock := newFake(t, nil)

	create := ram.CreateCreateRoleRequest()
	create.RoleName = "ShareRole"
	create.AssumeRolePolicyDocument = ecsTrustPretty
	create.Description = "shares snapshots"
	create.MaxSessionDuration = requests.NewInteger(7200)
	created, err := f.CreateRole(create)
	if err != nil {
		t.Fatal(err)
	}
	wantRole := ram.Role{
		RoleId:                   "300000000000000001",
		RoleName:                 "ShareRole",
		Arn:                      roleARN,
		Description:              "shares snapshots",
		AssumeRolePolicyDocument: ecsTrust, // compacted, as RAM reformats
		MaxSessionDuration:       7200,
		CreateDate:               t0Date,
	}
	if diff := cmp.Diff(&ram.CreateRoleResponse{Role: wantRole}, created, ignoreMeta); diff != "" {
		t.Errorf("CreateRole (-want +got):\n%s", diff)
	}
	if created.RequestId == "" || !created.IsSuccess() || created.GetHttpStatus() != http.StatusOK {
		t.Errorf("CreateRole: RequestId %q, status %d; want an ID and 200", created.RequestId, created.GetHttpStatus())
	}

	got, err := coreGetRole(f, "sharerole") // names match without regard to case
	if err != nil {
		t.Fatal(err)
	}
	// GetRole has UpdateDate from creation on; CreateRole's answer has none.
	wantRole.UpdateDate = t0Date
	if diff := cmp.Diff(&ram.GetRoleResponse{Role: wantRole}, got, ignoreMeta); diff != "" {
		t.Errorf("GetRole (-want +got):\n%s", diff)
	}

	clock.Advance(time.Hour)
	update := ram.CreateUpdateRoleRequest()
	update.RoleName = "ShareRole"
	update.NewDescription = "shares images"
	update.NewMaxSessionDuration = requests.NewInteger(3600)
	updated, err := f.UpdateRole(update)
	if err != nil {
		t.Fatal(err)
	}
	wantRole.Description = "shares images"
	wantRole.MaxSessionDuration = 3600
	wantRole.UpdateDate = "2026-01-02T04:04:05Z"
	if diff := cmp.Diff(&ram.UpdateRoleResponse{Role: wantRole}, updated, ignoreMeta); diff != "" {
		t.Errorf("UpdateRole (-want +got):\n%s", diff)
	}

	update = ram.CreateUpdateRoleRequest()
	update.RoleName = "ShareRole"
	newTrust := strings.Replace(ecsTrust, "ecs.aliyuncs.com", "1111222233334444@ecs.aliyuncs.com", 1)
	update.NewAssumeRolePolicyDocument = newTrust
	if _, err := f.UpdateRole(update); err != nil {
		t.Fatal(err)
	}
	if doc, _ := f.TrustPolicy("ShareRole"); doc != newTrust {
		t.Errorf("trust policy after UpdateRole = %s, want %s", doc, newTrust)
	}

	list, err := f.ListRoles(ram.CreateListRolesRequest())
	if err != nil {
		t.Fatal(err)
	}
	listed := wantRole
	listed.AssumeRolePolicyDocument = "" // ListRoles leaves trust policies out
	if diff := cmp.Diff(&ram.ListRolesResponse{Roles: ram.RolesInListRoles{Role: []ram.Role{listed}}}, list, ignoreMeta); diff != "" {
		t.Errorf("ListRoles (-want +got):\n%s", diff)
	}

	del := ram.CreateDeleteRoleRequest()
	del.RoleName = "SHAREROLE"
	if resp, err := f.DeleteRole(del); err != nil || resp.RequestId == "" {
		t.Fatalf("DeleteRole: %v, RequestId %q", err, resp.RequestId)
	}
	if _, err := coreGetRole(f, "ShareRole"); errCode(t, err) != "EntityNotExist.Role" {
		t.Errorf("GetRole after DeleteRole: error = %v, want EntityNotExist.Role", err)
	}
}

func TestPolicyLifecycle(t *testing.T) {
	f, clock := newFake(t, nil)

	create := ram.CreateCreatePolicyRequest()
	create.PolicyName = "KeyPolicy"
	create.PolicyDocument = keyPolicy
	create.Description = "use key k1"
	created, err := f.CreatePolicy(create)
	if err != nil {
		t.Fatal(err)
	}
	want := ram.Policy{PolicyName: "KeyPolicy", PolicyType: "Custom", Description: "use key k1", DefaultVersion: "v1", CreateDate: t0Date}
	if diff := cmp.Diff(&ram.CreatePolicyResponse{Policy: want}, created, ignoreMeta); diff != "" {
		t.Errorf("CreatePolicy (-want +got):\n%s", diff)
	}

	get := ram.CreateGetPolicyRequest()
	get.PolicyName = "keypolicy"
	get.PolicyType = "Custom"
	got, err := f.GetPolicy(get)
	want.UpdateDate = t0Date // from creation on
	if err != nil {
		t.Fatal(err)
	}
	wantGet := &ram.GetPolicyResponse{
		Policy:               want,
		DefaultPolicyVersion: ram.DefaultPolicyVersion{VersionId: "v1", IsDefaultVersion: true, PolicyDocument: keyPolicy, CreateDate: t0Date},
	}
	if diff := cmp.Diff(wantGet, got, ignoreMeta); diff != "" {
		t.Errorf("GetPolicy (-want +got):\n%s", diff)
	}

	clock.Advance(time.Minute)
	v2, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, "")
	if err != nil {
		t.Fatal(err)
	}
	wantV2 := ram.PolicyVersion{VersionId: "v2", IsDefaultVersion: true, PolicyDocument: keyPolicy2, CreateDate: "2026-01-02T03:05:05Z"}
	if diff := cmp.Diff(&ram.CreatePolicyVersionResponse{PolicyVersion: wantV2}, v2, ignoreMeta); diff != "" {
		t.Errorf("CreatePolicyVersion (-want +got):\n%s", diff)
	}

	lv := ram.CreateListPolicyVersionsRequest()
	lv.PolicyName = "KeyPolicy"
	lv.PolicyType = "Custom"
	versions, err := f.ListPolicyVersions(lv)
	if err != nil {
		t.Fatal(err)
	}
	wantV1 := ram.PolicyVersion{VersionId: "v1", IsDefaultVersion: false, PolicyDocument: keyPolicy, CreateDate: t0Date}
	wantList := &ram.ListPolicyVersionsResponse{PolicyVersions: ram.PolicyVersions{PolicyVersion: []ram.PolicyVersion{wantV1, wantV2}}}
	if diff := cmp.Diff(wantList, versions, ignoreMeta); diff != "" {
		t.Errorf("ListPolicyVersions (-want +got):\n%s", diff)
	}

	gv := ram.CreateGetPolicyVersionRequest()
	gv.PolicyName = "KeyPolicy"
	gv.PolicyType = "Custom"
	gv.VersionId = "v1"
	gotV1, err := f.GetPolicyVersion(gv)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ram.GetPolicyVersionResponse{PolicyVersion: wantV1}, gotV1, ignoreMeta); diff != "" {
		t.Errorf("GetPolicyVersion (-want +got):\n%s", diff)
	}

	sd := ram.CreateSetDefaultPolicyVersionRequest()
	sd.PolicyName = "KeyPolicy"
	sd.VersionId = "v1"
	if _, err := f.SetDefaultPolicyVersion(sd); err != nil {
		t.Fatal(err)
	}
	if ids, def := versionIDs(t, f, "KeyPolicy"); ids != "v1,v2" || def != "v1" {
		t.Errorf("after SetDefaultPolicyVersion: versions %s default %s, want v1,v2 default v1", ids, def)
	}
	got, err = f.GetPolicy(get)
	if err != nil {
		t.Fatal(err)
	}
	if got.Policy.DefaultVersion != "v1" || got.Policy.UpdateDate != "2026-01-02T03:05:05Z" {
		t.Errorf("GetPolicy after SetDefaultPolicyVersion: DefaultVersion %q UpdateDate %q", got.Policy.DefaultVersion, got.Policy.UpdateDate)
	}

	dv := ram.CreateDeletePolicyVersionRequest()
	dv.PolicyName = "KeyPolicy"
	dv.VersionId = "v2"
	if _, err := f.DeletePolicyVersion(dv); err != nil {
		t.Fatal(err)
	}
	dp := ram.CreateDeletePolicyRequest()
	dp.PolicyName = "KeyPolicy"
	if _, err := f.DeletePolicy(dp); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Policy(string(encryptperm.Custom), "KeyPolicy"); ok {
		t.Error("policy still exists after DeletePolicy")
	}
}

func TestSystemPolicies(t *testing.T) {
	f, _ := newFake(t, nil)
	get := ram.CreateGetPolicyRequest()
	get.PolicyName = encryptperm.KMSFullAccessPolicy
	get.PolicyType = "System"
	got, err := f.GetPolicy(get)
	if err != nil {
		t.Fatal(err)
	}
	if got.Policy.PolicyType != "System" || got.DefaultPolicyVersion.VersionId != got.Policy.DefaultVersion ||
		!strings.Contains(got.DefaultPolicyVersion.PolicyDocument, `"kms:*"`) {
		t.Errorf("GetPolicy(%s) = %+v / %+v", encryptperm.KMSFullAccessPolicy, got.Policy, got.DefaultPolicyVersion)
	}
	get.PolicyName = encryptperm.DiskEncryptSystemPolicy
	got, err = f.GetPolicy(get)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.DefaultPolicyVersion.PolicyDocument, `"kms:GenerateDataKey"`) {
		t.Errorf("GetPolicy(%s) document = %s", encryptperm.DiskEncryptSystemPolicy, got.DefaultPolicyVersion.PolicyDocument)
	}

	// A system policy can be neither versioned nor deleted: to the custom
	// policy calls it does not exist.
	if _, err := coreCreateVersion(f, encryptperm.KMSFullAccessPolicy, keyPolicy, true, ""); errCode(t, err) != "EntityNotExist.Policy" {
		t.Errorf("CreatePolicyVersion on a system policy: error = %v, want EntityNotExist.Policy", err)
	}
	dp := ram.CreateDeletePolicyRequest()
	dp.PolicyName = encryptperm.KMSFullAccessPolicy
	if _, err := f.DeletePolicy(dp); errCode(t, err) != "EntityNotExist.Policy" {
		t.Errorf("DeletePolicy on a system policy: error = %v, want EntityNotExist.Policy", err)
	}
}

func TestAttachments(t *testing.T) {
	f, clock := newFake(t, nil)
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	clock.Advance(time.Second)
	mustAttach(t, f, "Custom", "keypolicy", "sharerole")
	mustAttach(t, f, "System", encryptperm.KMSFullAccessPolicy, "ShareRole")

	lr := ram.CreateListPoliciesForRoleRequest()
	lr.RoleName = "ShareRole"
	got, err := f.ListPoliciesForRole(lr)
	if err != nil {
		t.Fatal(err)
	}
	attached := t0.Add(time.Second).Format("2006-01-02T15:04:05Z")
	want := &ram.ListPoliciesForRoleResponse{Policies: ram.PoliciesInListPoliciesForRole{Policy: []ram.Policy{
		{PolicyName: encryptperm.KMSFullAccessPolicy, PolicyType: "System", Description: got.Policies.Policy[0].Description, DefaultVersion: "v3", AttachDate: attached},
		{PolicyName: "KeyPolicy", PolicyType: "Custom", DefaultVersion: "v1", AttachDate: attached},
	}}}
	if diff := cmp.Diff(want, got, ignoreMeta); diff != "" {
		t.Errorf("ListPoliciesForRole (-want +got):\n%s", diff)
	}

	le := ram.CreateListEntitiesForPolicyRequest()
	le.PolicyName = "KeyPolicy"
	le.PolicyType = "Custom"
	ents, err := f.ListEntitiesForPolicy(le)
	if err != nil {
		t.Fatal(err)
	}
	wantEnts := &ram.ListEntitiesForPolicyResponse{
		Groups: ram.GroupsInListEntitiesForPolicy{Group: []ram.Group{}},
		Users:  ram.UsersInListEntitiesForPolicy{User: []ram.User{}},
		Roles: ram.RolesInListEntitiesForPolicy{Role: []ram.Role{
			{RoleId: "300000000000000001", RoleName: "ShareRole", Arn: roleARN, AttachDate: attached},
		}},
	}
	if diff := cmp.Diff(wantEnts, ents, ignoreMeta); diff != "" {
		t.Errorf("ListEntitiesForPolicy (-want +got):\n%s", diff)
	}

	gp := ram.CreateGetPolicyRequest()
	gp.PolicyName = "KeyPolicy"
	gp.PolicyType = "Custom"
	if p, err := f.GetPolicy(gp); err != nil || p.Policy.AttachmentCount != 1 {
		t.Errorf("GetPolicy: AttachmentCount = %d, err %v; want 1", p.Policy.AttachmentCount, err)
	}
	wantInspect := []fake.RoleAttachment{
		{RoleName: "ShareRole", PolicyType: "System", PolicyName: encryptperm.KMSFullAccessPolicy, AttachDate: t0.Add(time.Second)},
		{RoleName: "ShareRole", PolicyType: "Custom", PolicyName: "KeyPolicy", AttachDate: t0.Add(time.Second)},
	}
	if diff := cmp.Diff(wantInspect, f.Attachments()); diff != "" {
		t.Errorf("Attachments() (-want +got):\n%s", diff)
	}

	for _, typ := range []string{"Custom", "System"} {
		name := "KeyPolicy"
		if typ == "System" {
			name = encryptperm.KMSFullAccessPolicy
		}
		det := ram.CreateDetachPolicyFromRoleRequest()
		det.PolicyType, det.PolicyName, det.RoleName = typ, name, "ShareRole"
		if _, err := f.DetachPolicyFromRole(det); err != nil {
			t.Fatalf("detach %s: %v", name, err)
		}
	}
	if got, ok := f.AttachmentsOf("ShareRole"); !ok || len(got) != 0 {
		t.Errorf("AttachmentsOf after detaching = %v, %v; want none", got, ok)
	}
	ents, err = f.ListEntitiesForPolicy(le)
	if err != nil || len(ents.Roles.Role) != 0 {
		t.Errorf("ListEntitiesForPolicy after detaching = %v, %v; want no roles", ents.Roles.Role, err)
	}
}

func TestErrors(t *testing.T) {
	longName := strings.Repeat("a", 65)
	longDoc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + strings.Repeat("x", 6200) + `"}]}`
	longTrust := strings.Replace(ecsTrust, "ecs.aliyuncs.com", strings.Repeat("a", 4100), 1)
	noPrincipal := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}],"Version":"1"}`
	noResource := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt"}]}`
	longDesc := strings.Repeat("d", 1025)

	// withRole seeds a role ShareRole; withPolicy a custom policy KeyPolicy.
	withRole := func(t *testing.T, f *fake.RAM) { mustCreateRole(t, f, "ShareRole", ecsTrust) }
	withPolicy := func(t *testing.T, f *fake.RAM) { mustCreatePolicy(t, f, "KeyPolicy", keyPolicy) }
	withBoth := func(t *testing.T, f *fake.RAM) { withRole(t, f); withPolicy(t, f) }
	withAttached := func(t *testing.T, f *fake.RAM) {
		withBoth(t, f)
		mustAttach(t, f, "Custom", "KeyPolicy", "ShareRole")
	}

	createRole := func(name, doc string, mod func(*ram.CreateRoleRequest)) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateCreateRoleRequest()
			req.RoleName, req.AssumeRolePolicyDocument = name, doc
			if mod != nil {
				mod(req)
			}
			_, err := f.CreateRole(req)
			return err
		}
	}
	updateRole := func(mod func(*ram.UpdateRoleRequest)) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateUpdateRoleRequest()
			req.RoleName = "ShareRole"
			mod(req)
			_, err := f.UpdateRole(req)
			return err
		}
	}
	createPolicy := func(name, doc, desc string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateCreatePolicyRequest()
			req.PolicyName, req.PolicyDocument, req.Description = name, doc, desc
			_, err := f.CreatePolicy(req)
			return err
		}
	}
	getPolicy := func(typ, name string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateGetPolicyRequest()
			req.PolicyType, req.PolicyName = typ, name
			_, err := f.GetPolicy(req)
			return err
		}
	}
	getVersion := func(id string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateGetPolicyVersionRequest()
			req.PolicyType, req.PolicyName, req.VersionId = "Custom", "KeyPolicy", id
			_, err := f.GetPolicyVersion(req)
			return err
		}
	}
	deleteVersion := func(id string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateDeletePolicyVersionRequest()
			req.PolicyName, req.VersionId = "KeyPolicy", id
			_, err := f.DeletePolicyVersion(req)
			return err
		}
	}
	attachCall := func(typ, policy, role string) func(*fake.RAM) error {
		return func(f *fake.RAM) error { return coreAttach(f, typ, policy, role) }
	}
	detachCall := func(typ, policy, role string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateDetachPolicyFromRoleRequest()
			req.PolicyType, req.PolicyName, req.RoleName = typ, policy, role
			_, err := f.DetachPolicyFromRole(req)
			return err
		}
	}
	deletePolicy := func(f *fake.RAM) error {
		req := ram.CreateDeletePolicyRequest()
		req.PolicyName = "KeyPolicy"
		_, err := f.DeletePolicy(req)
		return err
	}
	deleteRole := func(f *fake.RAM) error {
		req := ram.CreateDeleteRoleRequest()
		req.RoleName = "ShareRole"
		_, err := f.DeleteRole(req)
		return err
	}
	listRoles := func(marker, maxItems string) func(*fake.RAM) error {
		return func(f *fake.RAM) error {
			req := ram.CreateListRolesRequest()
			req.Marker, req.MaxItems = marker, requests.Integer(maxItems)
			_, err := f.ListRoles(req)
			return err
		}
	}

	tests := []struct {
		name       string
		opts       *fake.Options
		setup      func(*testing.T, *fake.RAM)
		give       func(*fake.RAM) error
		wantCode   string
		wantStatus int
	}{
		{name: "CreateRole without a name", give: createRole("", ecsTrust, nil), wantCode: "MissingRoleName", wantStatus: 400},
		{name: "CreateRole without a trust policy", give: createRole("R", "", nil), wantCode: "MissingAssumeRolePolicyDocument", wantStatus: 400},
		{name: "CreateRole bad name", give: createRole("a_b", ecsTrust, nil), wantCode: "InvalidParameter.RoleName.InvalidChars", wantStatus: 400},
		{name: "CreateRole long name", give: createRole(longName, ecsTrust, nil), wantCode: "InvalidParameter.RoleName.Length", wantStatus: 400},
		{name: "CreateRole long trust policy", give: createRole("R", longTrust, nil), wantCode: "InvalidParameter.AssumeRolePolicyDocument.Length", wantStatus: 400},
		{name: "CreateRole trust policy not JSON", give: createRole("R", "{", nil), wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "CreateRole trust policy without principal", give: createRole("R", noPrincipal, nil), wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "MalformedPolicyDocument status configurable", opts: &fake.Options{Statuses: map[string]int{"MalformedPolicyDocument": 409}},
			give: createRole("R", noPrincipal, nil), wantCode: "MalformedPolicyDocument", wantStatus: 409},
		{name: "CreateRole long description", give: createRole("R", ecsTrust, func(r *ram.CreateRoleRequest) { r.Description = longDesc }),
			wantCode: "InvalidParameter.Description.Length", wantStatus: 400},
		{name: "CreateRole short session", give: createRole("R", ecsTrust, func(r *ram.CreateRoleRequest) { r.MaxSessionDuration = "3599" }),
			wantCode: "InvalidParameter.MaxSessionDuration", wantStatus: 400},
		{name: "CreateRole session not a number", give: createRole("R", ecsTrust, func(r *ram.CreateRoleRequest) { r.MaxSessionDuration = "1h" }),
			wantCode: "InvalidParameter.MaxSessionDuration", wantStatus: 400},
		{name: "CreateRole existing name in other case", setup: withRole, give: createRole("SHAREROLE", ecsTrust, nil),
			wantCode: "EntityAlreadyExists.Role", wantStatus: 409},
		{name: "CreateRole over the role limit", opts: &fake.Options{Limits: encryptperm.Limits{RolesPerAccount: 1}}, setup: withRole,
			give: createRole("Other", ecsTrust, nil), wantCode: "LimitExceeded.Role", wantStatus: 409},
		{name: "GetRole missing", give: func(f *fake.RAM) error { _, err := coreGetRole(f, "Nope"); return err }, wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "GetRole bad name", give: func(f *fake.RAM) error { _, err := coreGetRole(f, "a b"); return err }, wantCode: "InvalidParameter.RoleName.InvalidChars", wantStatus: 400},
		{name: "UpdateRole missing", give: updateRole(func(r *ram.UpdateRoleRequest) { r.NewDescription = "x" }), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "UpdateRole long trust policy", setup: withRole, give: updateRole(func(r *ram.UpdateRoleRequest) { r.NewAssumeRolePolicyDocument = longTrust }),
			wantCode: "InvalidParameter.NewAssumeRolePolicyDocument.Length", wantStatus: 400},
		{name: "UpdateRole malformed trust policy", setup: withRole, give: updateRole(func(r *ram.UpdateRoleRequest) { r.NewAssumeRolePolicyDocument = noPrincipal }),
			wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "UpdateRole long session", setup: withRole, give: updateRole(func(r *ram.UpdateRoleRequest) { r.NewMaxSessionDuration = "43201" }),
			wantCode: "InvalidParameter.NewMaxSessionDuration", wantStatus: 400},
		{name: "UpdateRole long description", setup: withRole, give: updateRole(func(r *ram.UpdateRoleRequest) { r.NewDescription = longDesc }),
			wantCode: "InvalidParameter.NewDescription.Length", wantStatus: 400},
		{name: "DeleteRole missing", give: deleteRole, wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "DeleteRole with a policy attached", setup: withAttached, give: deleteRole, wantCode: "DeleteConflict.Role.Policy", wantStatus: 409},
		{name: "ListRoles MaxItems zero", give: listRoles("", "0"), wantCode: "InvalidParameter.MaxItems", wantStatus: 400},
		{name: "ListRoles MaxItems too large", give: listRoles("", "1001"), wantCode: "InvalidParameter.MaxItems", wantStatus: 400},
		{name: "ListRoles bad marker", give: listRoles("!!", ""), wantCode: "InvalidParameter.Marker", wantStatus: 400},
		{name: "CreatePolicy without a document", give: createPolicy("P", "", ""), wantCode: "MissingPolicyDocument", wantStatus: 400},
		{name: "CreatePolicy bad name", give: createPolicy("a.b", keyPolicy, ""), wantCode: "InvalidParameter.PolicyName.InvalidChars", wantStatus: 400},
		{name: "CreatePolicy long name", give: createPolicy(strings.Repeat("p", 129), keyPolicy, ""), wantCode: "InvalidParameter.PolicyName.Length", wantStatus: 400},
		{name: "CreatePolicy long document", give: createPolicy("P", longDoc, ""), wantCode: "InvalidParameter.PolicyDocument.Length", wantStatus: 400},
		{name: "CreatePolicy without resource", give: createPolicy("P", noResource, ""), wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "CreatePolicy long description", give: createPolicy("P", keyPolicy, longDesc), wantCode: "InvalidParameter.Description.Length", wantStatus: 400},
		{name: "CreatePolicy existing name", setup: withPolicy, give: createPolicy("keypolicy", keyPolicy, ""), wantCode: "EntityAlreadyExists.Policy", wantStatus: 409},
		{name: "CreatePolicy over the policy limit", opts: &fake.Options{Limits: encryptperm.Limits{CustomPoliciesPerAccount: 1}}, setup: withPolicy,
			give: createPolicy("Other", keyPolicy, ""), wantCode: "LimitExceeded.Policy", wantStatus: 409},
		{name: "GetPolicy without type", give: getPolicy("", "KeyPolicy"), wantCode: "MissingPolicyType", wantStatus: 400},
		{name: "GetPolicy bad type", give: getPolicy("custom", "KeyPolicy"), wantCode: "InvalidParameter.PolicyType", wantStatus: 400},
		{name: "GetPolicy missing", give: getPolicy("Custom", "KeyPolicy"), wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "GetPolicy custom under System", setup: withPolicy, give: getPolicy("System", "KeyPolicy"), wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "DeletePolicy missing", give: deletePolicy, wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "DeletePolicy attached", setup: withAttached, give: deletePolicy, wantCode: "DeleteConflict.Policy.Role", wantStatus: 409},
		{name: "DeletePolicy with other versions", setup: func(t *testing.T, f *fake.RAM) {
			withPolicy(t, f)
			if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, false, ""); err != nil {
				t.Fatal(err)
			}
		}, give: deletePolicy, wantCode: "DeleteConflict.Policy.Version", wantStatus: 409},
		{name: "CreatePolicyVersion missing policy", give: func(f *fake.RAM) error { _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, ""); return err },
			wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "CreatePolicyVersion malformed", setup: withPolicy, give: func(f *fake.RAM) error {
			_, err := coreCreateVersion(f, "KeyPolicy", noResource, false, "")
			return err
		},
			wantCode: "MalformedPolicyDocument", wantStatus: 400},
		{name: "CreatePolicyVersion bad SetAsDefault", setup: withPolicy, give: func(f *fake.RAM) error {
			req := ram.CreateCreatePolicyVersionRequest()
			req.PolicyName, req.PolicyDocument, req.SetAsDefault = "KeyPolicy", keyPolicy, "yes"
			_, err := f.CreatePolicyVersion(req)
			return err
		}, wantCode: "InvalidParameter.SetAsDefault", wantStatus: 400},
		{name: "CreatePolicyVersion bad RotateStrategy", setup: withPolicy, give: func(f *fake.RAM) error {
			_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, "Oldest")
			return err
		},
			wantCode: "InvalidParameter.RotateStrategy", wantStatus: 400},
		{name: "CreatePolicyVersion at the version limit", opts: &fake.Options{Limits: encryptperm.Limits{VersionsPerPolicy: 1}}, setup: withPolicy,
			give: func(f *fake.RAM) error { _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, ""); return err }, wantCode: "LimitExceeded.Policy.Version", wantStatus: 409},
		{name: "GetPolicyVersion without v", setup: withPolicy, give: getVersion("1"), wantCode: "InvalidParameter.VersionId.Format", wantStatus: 400},
		{name: "GetPolicyVersion v0", setup: withPolicy, give: getVersion("v0"), wantCode: "InvalidParameter.VersionId.Format", wantStatus: 400},
		{name: "GetPolicyVersion missing version", setup: withPolicy, give: getVersion("v9"), wantCode: "EntityNotExist.Policy.Version", wantStatus: 404},
		{name: "GetPolicyVersion missing policy", give: getVersion("v1"), wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "DeletePolicyVersion default", setup: withPolicy, give: deleteVersion("v1"), wantCode: "DeleteConflict.Policy.Version.Default", wantStatus: 409},
		{name: "DeletePolicyVersion missing version", setup: withPolicy, give: deleteVersion("v2"), wantCode: "EntityNotExist.Policy.Version", wantStatus: 404},
		{name: "DeletePolicyVersion bad ID", setup: withPolicy, give: deleteVersion("V1"), wantCode: "InvalidParameter.VersionId.Format", wantStatus: 400},
		{name: "SetDefaultPolicyVersion missing version", setup: withPolicy, give: func(f *fake.RAM) error {
			req := ram.CreateSetDefaultPolicyVersionRequest()
			req.PolicyName, req.VersionId = "KeyPolicy", "v2"
			_, err := f.SetDefaultPolicyVersion(req)
			return err
		}, wantCode: "EntityNotExist.Policy.Version", wantStatus: 404},
		{name: "AttachPolicyToRole twice", setup: withAttached, give: attachCall("Custom", "KeyPolicy", "sharerole"), wantCode: "EntityAlreadyExists.Role.Policy", wantStatus: 409},
		{name: "AttachPolicyToRole missing role", setup: withPolicy, give: attachCall("Custom", "KeyPolicy", "ShareRole"), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "AttachPolicyToRole missing policy", setup: withRole, give: attachCall("Custom", "KeyPolicy", "ShareRole"), wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "AttachPolicyToRole bad type", setup: withBoth, give: attachCall("Managed", "KeyPolicy", "ShareRole"), wantCode: "InvalidParameter.PolicyType", wantStatus: 400},
		{name: "AttachPolicyToRole without type", setup: withBoth, give: attachCall("", "KeyPolicy", "ShareRole"), wantCode: "MissingPolicyType", wantStatus: 400},
		{name: "AttachPolicyToRole over the custom limit", opts: &fake.Options{Limits: encryptperm.Limits{CustomPoliciesPerRole: 1}},
			setup: func(t *testing.T, f *fake.RAM) { withAttached(t, f); mustCreatePolicy(t, f, "Other", keyPolicy) },
			give:  attachCall("Custom", "Other", "ShareRole"), wantCode: "LimitExceeded.Role.Policy", wantStatus: 409},
		{name: "AttachPolicyToRole over the system limit", opts: &fake.Options{Limits: encryptperm.Limits{SystemPoliciesPerRole: 1}},
			setup: func(t *testing.T, f *fake.RAM) {
				withRole(t, f)
				mustAttach(t, f, "System", encryptperm.KMSFullAccessPolicy, "ShareRole")
			},
			give: attachCall("System", encryptperm.DiskEncryptSystemPolicy, "ShareRole"), wantCode: "LimitExceeded.Role.Policy", wantStatus: 409},
		{name: "DetachPolicyFromRole not attached", setup: withBoth, give: detachCall("Custom", "KeyPolicy", "ShareRole"), wantCode: "EntityNotExist.Role.Policy", wantStatus: 404},
		{name: "DetachPolicyFromRole missing role", setup: withPolicy, give: detachCall("Custom", "KeyPolicy", "ShareRole"), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "ListPoliciesForRole missing role", give: func(f *fake.RAM) error {
			req := ram.CreateListPoliciesForRoleRequest()
			req.RoleName = "ShareRole"
			_, err := f.ListPoliciesForRole(req)
			return err
		}, wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "ListEntitiesForPolicy missing policy", give: func(f *fake.RAM) error {
			req := ram.CreateListEntitiesForPolicyRequest()
			req.PolicyType, req.PolicyName = "Custom", "KeyPolicy"
			_, err := f.ListEntitiesForPolicy(req)
			return err
		}, wantCode: "EntityNotExist.Policy", wantStatus: 404},
		{name: "ListPolicyVersions bad type", give: func(f *fake.RAM) error {
			req := ram.CreateListPolicyVersionsRequest()
			req.PolicyType, req.PolicyName = "Other", "KeyPolicy"
			_, err := f.ListPolicyVersions(req)
			return err
		}, wantCode: "InvalidParameter.PolicyType", wantStatus: 400},
		{name: "ListPolicies bad type", give: func(f *fake.RAM) error {
			req := ram.CreateListPoliciesRequest()
			req.PolicyType = "Other"
			_, err := f.ListPolicies(req)
			return err
		}, wantCode: "InvalidParameter.PolicyType", wantStatus: 400},
		{name: "status override", opts: &fake.Options{Statuses: map[string]int{"EntityNotExist.Role": 400}},
			give: func(f *fake.RAM) error { _, err := coreGetRole(f, "Nope"); return err }, wantCode: "EntityNotExist.Role", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, tt.opts)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			before := len(f.Calls())
			err := tt.give(f)
			if err == nil {
				t.Fatalf("error = nil, want %s", tt.wantCode)
			}
			se := serverError(t, err)
			got := fmt.Sprintf("%s %d", se.ErrorCode(), se.HttpStatus())
			want := fmt.Sprintf("%s %d", tt.wantCode, tt.wantStatus)
			if got != want {
				t.Errorf("error = %s, want %s\n%v", got, want, err)
			}
			if se.RequestId() == "" || se.HostId() != "ram.aliyuncs.com" || se.Message() == "" {
				t.Errorf("error RequestId %q HostId %q Message %q; want all set", se.RequestId(), se.HostId(), se.Message())
			}
			if ct := se.RespHeaders["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "application/json") {
				t.Errorf("error Content-Type = %v, want JSON", ct)
			}
			calls := f.Calls()
			if len(calls) != before+1 || calls[len(calls)-1].Code != tt.wantCode || calls[len(calls)-1].Status != tt.wantStatus {
				t.Errorf("last call logged = %+v, want code %s status %d", calls[len(calls)-1], tt.wantCode, tt.wantStatus)
			}
		})
	}
}

func TestMalformedPolicyMessageSaysWhat(t *testing.T) {
	f, _ := newFake(t, nil)
	req := ram.CreateCreatePolicyRequest()
	req.PolicyName = "P"
	req.PolicyDocument = `{"Version":"1","Statement":[{"Effect":"Permit","Action":"kms:*","Resource":"*"}]}`
	_, err := f.CreatePolicy(req)
	if msg := serverError(t, err).Message(); !strings.Contains(msg, `Statement[0]: "Effect" must be "Allow" or "Deny"`) {
		t.Errorf("message = %q, want it to name the statement and the problem", msg)
	}
}

func TestVersionNumbering(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	for range 4 {
		if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, false, ""); err != nil {
			t.Fatal(err)
		}
	}
	if ids, def := versionIDs(t, f, "KeyPolicy"); ids != "v1,v2,v3,v4,v5" || def != "v1" {
		t.Fatalf("versions %s default %s, want v1..v5 default v1", ids, def)
	}

	// At the cap without a rotate strategy, nothing changes.
	for _, rotate := range []string{"", "None"} {
		if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, rotate); errCode(t, err) != "LimitExceeded.Policy.Version" {
			t.Fatalf("sixth version with RotateStrategy %q: error = %v, want LimitExceeded.Policy.Version", rotate, err)
		}
	}

	tests := []struct {
		name       string
		give       func() error
		wantIDs    string
		wantDefail string
	}{
		{
			name: "rotation drops the oldest version that is not the default",
			give: func() error {
				_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, "DeleteOldestNonDefaultVersionWhenLimitExceeded")
				return err
			},
			wantIDs:    "v1,v3,v4,v5,v6",
			wantDefail: "v6",
		},
		{
			name: "deleted numbers are never reused",
			give: func() error {
				req := ram.CreateDeletePolicyVersionRequest()
				req.PolicyName, req.VersionId = "KeyPolicy", "v5"
				if _, err := f.DeletePolicyVersion(req); err != nil {
					return err
				}
				_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, "")
				return err
			},
			wantIDs:    "v1,v3,v4,v6,v7",
			wantDefail: "v6",
		},
		{
			name: "rotation when the oldest version is not the default",
			give: func() error {
				_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, "DeleteOldestNonDefaultVersionWhenLimitExceeded")
				return err
			},
			wantIDs:    "v3,v4,v6,v7,v8",
			wantDefail: "v6",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give(); err != nil {
				t.Fatal(err)
			}
			ids, def := versionIDs(t, f, "KeyPolicy")
			if ids != tt.wantIDs || def != tt.wantDefail {
				t.Errorf("versions %s default %s, want %s default %s", ids, def, tt.wantIDs, tt.wantDefail)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	f, _ := newFake(t, nil)
	for _, n := range []string{"r4", "R2", "r1", "r5", "r3"} {
		mustCreateRole(t, f, n, ecsTrust)
	}
	var pages []string
	marker := ""
	for {
		req := ram.CreateListRolesRequest()
		req.MaxItems = requests.NewInteger(2)
		req.Marker = marker
		resp, err := f.ListRoles(req)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range resp.Roles.Role {
			names = append(names, r.RoleName)
		}
		pages = append(pages, fmt.Sprintf("%v %v", names, resp.IsTruncated))
		if resp.IsTruncated == (resp.Marker == "") {
			t.Fatalf("IsTruncated %v with Marker %q", resp.IsTruncated, resp.Marker)
		}
		if !resp.IsTruncated {
			break
		}
		marker = resp.Marker
	}
	want := []string{"[r1 R2] true", "[r3 r4] true", "[r5] false"}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("ListRoles pages (-want +got):\n%s", diff)
	}

	// The default page is 100 items.
	for i := range 100 {
		if err := f.PutRole(fake.Role{Name: fmt.Sprintf("bulk-%03d", i), TrustPolicy: ecsTrust}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := f.ListRoles(ram.CreateListRolesRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Roles.Role) != 100 || !resp.IsTruncated {
		t.Errorf("default page: %d roles, truncated %v; want 100, true", len(resp.Roles.Role), resp.IsTruncated)
	}

	// ListPolicies pages the same way and filters by type.
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	lp := ram.CreateListPoliciesRequest()
	lp.MaxItems = requests.NewInteger(2)
	first, err := f.ListPolicies(lp)
	if err != nil {
		t.Fatal(err)
	}
	lp.Marker = first.Marker
	second, err := f.ListPolicies(lp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range append(first.Policies.Policy, second.Policies.Policy...) {
		got = append(got, p.PolicyType+"/"+p.PolicyName)
	}
	wantPolicies := []string{"System/AliyunECSDiskEncryptRolePolicy", "System/AliyunKMSFullAccess", "Custom/KeyPolicy"}
	if diff := cmp.Diff(wantPolicies, got); diff != "" || !first.IsTruncated || second.IsTruncated {
		t.Errorf("ListPolicies pages (-want +got):\n%s\ntruncated %v, %v", diff, first.IsTruncated, second.IsTruncated)
	}
	lp = ram.CreateListPoliciesRequest()
	lp.PolicyType = "Custom"
	custom, err := f.ListPolicies(lp)
	if err != nil || len(custom.Policies.Policy) != 1 || custom.Policies.Policy[0].AttachmentCount != 0 {
		t.Errorf("ListPolicies(Custom) = %+v, %v; want KeyPolicy alone", custom.Policies.Policy, err)
	}
}

func TestInspectionReturnsCopies(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)

	role, _ := f.Role("ShareRole")
	role.TrustPolicy = "changed"
	roles := f.Roles()
	roles[0].Name = "changed"
	pol, _ := f.Policy(string(encryptperm.Custom), "KeyPolicy")
	pol.Versions[0].Document = "changed"
	vs, _ := f.PolicyVersions(string(encryptperm.Custom), "KeyPolicy")
	vs[0].IsDefault = false
	calls := f.Calls()
	calls[0].Params["RoleName"] = "changed"
	f.SetFaults(fake.Rule{Action: "GetRole", Code: "Throttling.User"})
	rules := f.Faults()
	rules[0].Code = "InternalError"
	rules = append(rules, fake.Rule{Code: "ServiceUnavailable"})

	if doc, _ := f.TrustPolicy("ShareRole"); doc != ecsTrust {
		t.Errorf("trust policy = %s after changing a copy", doc)
	}
	if _, ok := f.Role("ShareRole"); !ok {
		t.Error("role renamed by changing a copy")
	}
	if got, _ := f.Policy(string(encryptperm.Custom), "KeyPolicy"); got.Versions[0].Document != keyPolicy || !got.Versions[0].IsDefault {
		t.Errorf("version = %+v after changing a copy", got.Versions[0])
	}
	if got := f.Calls()[0].Params["RoleName"]; got != "ShareRole" {
		t.Errorf("logged RoleName = %q after changing a copy", got)
	}
	if diff := cmp.Diff([]fake.Rule{{Action: "GetRole", Code: "Throttling.User"}}, f.Faults(), cmpopts.IgnoreUnexported(fake.Hold{})); diff != "" {
		t.Errorf("faults after changing and appending to a copy (%d rules in the copy) (-want +got):\n%s", len(rules), diff)
	}
}

func TestRequestIsCopied(t *testing.T) {
	f, _ := newFake(t, nil)
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "ShareRole"
	req.AssumeRolePolicyDocument = ecsTrust
	if _, err := f.CreateRole(req); err != nil {
		t.Fatal(err)
	}
	req.GetQueryParams()["RoleName"] = "Changed"
	if got := f.Calls()[0].Params["RoleName"]; got != "ShareRole" {
		t.Errorf("logged RoleName = %q after the request changed", got)
	}
}

func TestSDKResponseMetadata(t *testing.T) {
	f, _ := newFake(t, nil)
	resp := mustCreateRole(t, f, "ShareRole", ecsTrust)
	h := resp.GetHttpHeaders()
	if got := http.Header(h).Get("x-acs-request-id"); got != resp.RequestId {
		t.Errorf("x-acs-request-id = %q, want the RequestId %q", got, resp.RequestId)
	}
	if !strings.Contains(resp.GetHttpContentString(), `"Role":{"RoleId":"300000000000000001"`) {
		t.Errorf("body = %s, want RAM's compact JSON", resp.GetHttpContentString())
	}
	if resp.GetOriginHttpResponse() == nil || resp.GetOriginHttpResponse().StatusCode != http.StatusOK {
		t.Error("no origin HTTP response with status 200")
	}

	// RequestIds are unique and shaped like RAM's.
	seen := map[string]bool{}
	for range 200 {
		r, err := coreGetRole(f, "ShareRole")
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.RequestId] || len(r.RequestId) != 36 || strings.ToUpper(r.RequestId) != r.RequestId {
			t.Fatalf("RequestId %q repeated or not RAM-shaped", r.RequestId)
		}
		seen[r.RequestId] = true
	}
}

func TestUnusableRequest(t *testing.T) {
	f := fake.New(nil)
	if _, err := f.GetRole(nil); err == nil {
		t.Error("GetRole(nil) error = nil, want an error")
	}
	if _, err := f.GetRole(&ram.GetRoleRequest{RoleName: "x"}); err == nil {
		t.Error("GetRole with a bare request: error = nil, want an error")
	}
}

func TestNameCase(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	mustAttach(t, f, "Custom", "KEYPOLICY", "sHaReRoLe")
	got, err := coreGetRole(f, "SHAREROLE")
	if err != nil || got.Role.RoleName != "ShareRole" || got.Role.Arn != roleARN {
		t.Errorf("GetRole(SHAREROLE) = %q %q, %v; want the stored spelling", got.Role.RoleName, got.Role.Arn, err)
	}
	atts, _ := f.AttachmentsOf("sharerole")
	if len(atts) != 1 || atts[0].RoleName != "ShareRole" || atts[0].PolicyName != "KeyPolicy" {
		t.Errorf("attachments = %+v, want stored spellings", atts)
	}
}
