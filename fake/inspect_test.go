package fake_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// foreignTrust holds a statement this module never writes, with NotAction
// and a key RAM does not define.
const foreignTrust = `{"Version":"1","Statement":[
	{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["1111222233334444@ecs.aliyuncs.com"]}},
	{"Sid":"ops","NotAction":"sts:TagSession","Effect":"Allow","Principal":{"RAM":"acs:ram::5555666677778888:root"},"Condition":{"Bool":{"acs:MFAPresent":true}}}]}`

func TestPutRole(t *testing.T) {
	f, _ := newFake(t, nil)
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: foreignTrust, Description: "seeded"}); err != nil {
		t.Fatal(err)
	}
	got, err := coreGetRole(f, "ShareRole")
	if err != nil {
		t.Fatal(err)
	}
	want := ram.Role{
		RoleId:                   "300000000000000001",
		RoleName:                 "ShareRole",
		Arn:                      roleARN,
		Description:              "seeded",
		AssumeRolePolicyDocument: strings.NewReplacer("\n", "", "\t", "").Replace(foreignTrust),
		MaxSessionDuration:       3600,
		CreateDate:               t0Date,
		UpdateDate:               t0Date,
	}
	if diff := cmp.Diff(want, got.Role); diff != "" {
		t.Errorf("GetRole of a seeded role (-want +got):\n%s", diff)
	}
	principals, ok := f.TrustedPrincipals("sharerole")
	wantP := []fake.TrustedPrincipal{
		{Type: "RAM", Value: "acs:ram::5555666677778888:root"},
		{Type: "Service", Value: "1111222233334444@ecs.aliyuncs.com"},
	}
	if diff := cmp.Diff(wantP, principals); diff != "" || !ok {
		t.Errorf("TrustedPrincipals (-want +got):\n%s", diff)
	}
	if _, ok := f.TrustedPrincipals("Nope"); ok {
		t.Error("TrustedPrincipals of a missing role reports it exists")
	}
	if len(f.Calls()) != 1 {
		t.Errorf("call log = %v, want only the GetRole: seeding is not a call", f.Calls())
	}

	// Replacing keeps the ID and the attachments.
	mustAttach(t, f, "System", encryptperm.KMSFullAccessPolicy, "ShareRole")
	created := t0.Add(-time.Hour)
	if err := f.PutRole(fake.Role{Name: "SHAREROLE", TrustPolicy: ecsTrust, MaxSessionDuration: 7200, CreateDate: created}); err != nil {
		t.Fatal(err)
	}
	role, _ := f.Role("ShareRole")
	wantRole := fake.Role{Name: "SHAREROLE", ID: "300000000000000001", ARN: "acs:ram::1234567890123456:role/SHAREROLE",
		MaxSessionDuration: 7200, TrustPolicy: ecsTrust, CreateDate: created}
	if diff := cmp.Diff(wantRole, role); diff != "" {
		t.Errorf("replaced role (-want +got):\n%s", diff)
	}
	if atts, _ := f.AttachmentsOf("ShareRole"); len(atts) != 1 {
		t.Errorf("attachments after replacing = %v, want the one kept", atts)
	}
}

func TestPutRoleRefuses(t *testing.T) {
	tests := []struct {
		name string
		give fake.Role
		want string
	}{
		{name: "no name", give: fake.Role{TrustPolicy: ecsTrust}, want: "the name is empty"},
		{name: "bad name", give: fake.Role{Name: "a/b", TrustPolicy: ecsTrust}, want: "InvalidParameter.RoleName.InvalidChars"},
		{name: "no trust policy", give: fake.Role{Name: "R"}, want: "MalformedPolicyDocument"},
		{name: "malformed trust policy", give: fake.Role{Name: "R", TrustPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`}, want: "Principal"},
		{name: "session out of range", give: fake.Role{Name: "R", TrustPolicy: ecsTrust, MaxSessionDuration: 60}, want: "MaxSessionDuration"},
		{name: "long trust policy", give: fake.Role{Name: "R", TrustPolicy: strings.Repeat(" ", 5000) + ecsTrust}, want: "AssumeRolePolicyDocument.Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			err := f.PutRole(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fake: put role") {
				t.Errorf("PutRole error = %v, want one mentioning %q", err, tt.want)
			}
			if len(f.Roles()) != 0 {
				t.Error("a refused role was stored")
			}
		})
	}
}

func TestPutPolicy(t *testing.T) {
	f, _ := newFake(t, nil)
	versions := []fake.PolicyVersion{
		{ID: "v3", Document: keyPolicy},
		{ID: "v4", Document: keyPolicy2, IsDefault: true},
		{ID: "v5", Document: keyPolicy},
		{ID: "v7", Document: keyPolicy},
		{ID: "v8", Document: keyPolicy},
	}
	if err := f.PutPolicy(fake.Policy{Name: "KeyPolicy", Versions: versions}); err != nil {
		t.Fatal(err)
	}
	if ids, def := versionIDs(t, f, "KeyPolicy"); ids != "v3,v4,v5,v7,v8" || def != "v4" {
		t.Errorf("seeded versions %s default %s", ids, def)
	}
	// The policy is full: a new version needs rotation, and numbering goes on.
	if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, ""); errCode(t, err) != "LimitExceeded.Policy.Version" {
		t.Errorf("sixth version: error = %v, want LimitExceeded.Policy.Version", err)
	}
	resp, err := coreCreateVersion(f, "KeyPolicy", keyPolicy, false, "DeleteOldestNonDefaultVersionWhenLimitExceeded")
	if err != nil || resp.PolicyVersion.VersionId != "v9" {
		t.Fatalf("rotated version = %+v, %v; want v9", resp.PolicyVersion, err)
	}
	if ids, _ := versionIDs(t, f, "KeyPolicy"); ids != "v4,v5,v7,v8,v9" {
		t.Errorf("versions after rotation = %s", ids)
	}

	// Without a default marked, DefaultVersion names it, else the newest is.
	if err := f.PutPolicy(fake.Policy{Name: "Named", DefaultVersion: "v1", Versions: []fake.PolicyVersion{{ID: "v1", Document: keyPolicy}, {ID: "v2", Document: keyPolicy}}}); err != nil {
		t.Fatal(err)
	}
	if _, def := versionIDs(t, f, "Named"); def != "v1" {
		t.Errorf("default = %s, want the named v1", def)
	}
	if err := f.PutPolicy(fake.Policy{Name: "Newest", Versions: []fake.PolicyVersion{{ID: "v2", Document: keyPolicy}, {ID: "v1", Document: keyPolicy}}}); err != nil {
		t.Fatal(err)
	}
	if ids, def := versionIDs(t, f, "Newest"); ids != "v1,v2" || def != "v2" {
		t.Errorf("versions %s default %s, want v1,v2 default v2", ids, def)
	}

	// Another system policy can be seeded and attached.
	if err := f.PutPolicy(fake.Policy{Name: "AliyunECSFullAccess", Type: string(encryptperm.System),
		Versions: []fake.PolicyVersion{{ID: "v1", Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`}}}); err != nil {
		t.Fatal(err)
	}
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	mustAttach(t, f, "System", "AliyunECSFullAccess", "ShareRole")

	// Seeded custom policies count toward the account limit.
	g := fake.New(&fake.Options{Limits: encryptperm.Limits{CustomPoliciesPerAccount: 1}})
	if err := g.PutPolicy(fake.Policy{Name: "One", Versions: []fake.PolicyVersion{{ID: "v1", Document: keyPolicy}}}); err != nil {
		t.Fatal(err)
	}
	req := ram.CreateCreatePolicyRequest()
	req.PolicyName, req.PolicyDocument = "Two", keyPolicy
	if _, err := g.CreatePolicy(req); errCode(t, err) != "LimitExceeded.Policy" {
		t.Errorf("CreatePolicy after seeding to the limit: error = %v, want LimitExceeded.Policy", err)
	}
}

func TestPutPolicyRefuses(t *testing.T) {
	v := func(id, doc string, def bool) fake.PolicyVersion {
		return fake.PolicyVersion{ID: id, Document: doc, IsDefault: def}
	}
	tests := []struct {
		name string
		give fake.Policy
		want string
	}{
		{name: "no versions", give: fake.Policy{Name: "P"}, want: "at least one version"},
		{name: "too many versions", give: fake.Policy{Name: "P", Versions: []fake.PolicyVersion{
			v("v1", keyPolicy, false), v("v2", keyPolicy, false), v("v3", keyPolicy, false), v("v4", keyPolicy, false), v("v5", keyPolicy, false), v("v6", keyPolicy, false)}},
			want: "LimitExceeded.Policy.Version"},
		{name: "bad type", give: fake.Policy{Name: "P", Type: "Managed", Versions: []fake.PolicyVersion{v("v1", keyPolicy, false)}}, want: "InvalidParameter.PolicyType"},
		{name: "bad name", give: fake.Policy{Name: "P.Q", Versions: []fake.PolicyVersion{v("v1", keyPolicy, false)}}, want: "InvalidParameter.PolicyName.InvalidChars"},
		{name: "bad version ID", give: fake.Policy{Name: "P", Versions: []fake.PolicyVersion{v("1", keyPolicy, false)}}, want: "version ID"},
		{name: "repeated version", give: fake.Policy{Name: "P", Versions: []fake.PolicyVersion{v("v1", keyPolicy, false), v("v1", keyPolicy, false)}}, want: "appears twice"},
		{name: "two defaults", give: fake.Policy{Name: "P", Versions: []fake.PolicyVersion{v("v1", keyPolicy, true), v("v2", keyPolicy, true)}}, want: "more than one"},
		{name: "missing named default", give: fake.Policy{Name: "P", DefaultVersion: "v9", Versions: []fake.PolicyVersion{v("v1", keyPolicy, false)}}, want: "not among"},
		{name: "malformed document", give: fake.Policy{Name: "P", Versions: []fake.PolicyVersion{v("v1", `{"Version":"1"}`, false)}}, want: "MalformedPolicyDocument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			err := f.PutPolicy(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "fake: put policy") {
				t.Errorf("PutPolicy error = %v, want one mentioning %q", err, tt.want)
			}
			if _, ok := f.Policy(string(encryptperm.Custom), "P"); ok {
				t.Error("a refused policy was stored")
			}
		})
	}
}

func TestPutAttachment(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Limits: encryptperm.Limits{SystemPoliciesPerRole: 1}, PropagationDelay: time.Hour})
	if err := f.PutAttachment("ShareRole", "System", encryptperm.KMSFullAccessPolicy); err == nil || !strings.Contains(err.Error(), "no such role") {
		t.Errorf("PutAttachment to a missing role: error = %v", err)
	}
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: ecsTrust}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment("ShareRole", "Custom", "Nope"); err == nil || !strings.Contains(err.Error(), "no such policy") {
		t.Errorf("PutAttachment of a missing policy: error = %v", err)
	}
	// Seeding goes past the per-role limit, and twice is fine.
	for _, name := range []string{encryptperm.KMSFullAccessPolicy, encryptperm.DiskEncryptSystemPolicy, encryptperm.DiskEncryptSystemPolicy} {
		if err := f.PutAttachment("sharerole", "System", name); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, a := range f.Attachments() {
		got = append(got, a.RoleName+"/"+a.PolicyName)
	}
	want := []string{"ShareRole/AliyunECSDiskEncryptRolePolicy", "ShareRole/AliyunKMSFullAccess"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
}
