package fake_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// This file checks, field by field, which fields of the SDK's response
// structs each of the 17 RAM operations fills: every field RAM's API
// reference lists for the operation, with the value it must have, and no
// other. The expected fields follow RAM's reference (2015-05-01) and the
// response models Alibaba generates from it for its current SDKs; the table
// in the package documentation (Response fields) says where they differ from
// the Go SDK's shared structs.

// filled marks a field that must be filled with a value the test cannot
// know in advance (a RequestId, an opaque Marker).
type filled struct{}

// fieldCall is one call of the table, made at a fixed time, with the fields
// its response must fill.
type fieldCall struct {
	name string
	at   time.Duration // after t0
	call func(c encryptperm.RAM, format string) (any, error)
	// want maps the path of every field that must be filled (Role.Arn,
	// Roles.Role[0].RoleId, the length of a list as Roles.Role.len) to its
	// value. A field of the response not named here must be empty.
	want map[string]any
}

// Values of the populated account the table builds.
const (
	shareRoleID  = "300000000000000001"
	shareRoleARN = "acs:ram::" + fake.DefaultAccountID + ":role/ShareRole"
	trailRoleID  = "300000000000000002"
	trailRoleARN = "acs:ram::" + fake.DefaultAccountID + ":role/TrailRole"
	keyPolicy3   = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key/k2"]}]}`
	// kmsFullAccessDoc is the document RAM publishes for AliyunKMSFullAccess (v3).
	kmsFullAccessDoc = `{"Version":"1","Statement":[{"Action":"kms:*","Resource":"*","Effect":"Allow"},` +
		`{"Action":"ram:CreateServiceLinkedRole","Condition":{"StringEquals":{"ram:ServiceName":` +
		`["secretsmanager-rds.kms.aliyuncs.com","keystore.kms.aliyuncs.com"]}},"Resource":"*","Effect":"Allow"}]}`
	kmsFullAccessDesc = "Provides full access to Key Management Service (KMS)."
)

// fieldCalls builds a fully populated account (two roles, one with a
// description and a longer session; a custom policy with a description and
// three versions; a custom and a system policy attached) and reads it back
// with every operation, then takes it apart. The clock moves an hour between
// calls, so that every date tells which event set it.
func fieldCalls() []fieldCall {
	date := func(h int) string { return t0.Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04:05Z") }
	only := map[string]any{"RequestId": filled{}}
	return []fieldCall{
		{
			name: "CreateRole", at: 0,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateCreateRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "ShareRole"
				req.AssumeRolePolicyDocument = ecsTrustPretty
				req.Description = "Shares encrypted snapshots"
				req.MaxSessionDuration = requests.NewInteger(7200)
				return c.CreateRole(req)
			},
			// No UpdateDate: RAM's CreateRole answer has none.
			want: map[string]any{
				"RequestId":                     filled{},
				"Role.RoleId":                   shareRoleID,
				"Role.RoleName":                 "ShareRole",
				"Role.Arn":                      shareRoleARN,
				"Role.Description":              "Shares encrypted snapshots",
				"Role.AssumeRolePolicyDocument": ecsTrust,
				"Role.MaxSessionDuration":       int64(7200),
				"Role.CreateDate":               t0Date,
			},
		},
		{
			name: "CreateRole without description or session", at: time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateCreateRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "TrailRole"
				req.AssumeRolePolicyDocument = ecsTrust
				return c.CreateRole(req)
			},
			want: map[string]any{
				"RequestId":                     filled{},
				"Role.RoleId":                   trailRoleID,
				"Role.RoleName":                 "TrailRole",
				"Role.Arn":                      trailRoleARN,
				"Role.AssumeRolePolicyDocument": ecsTrust,
				"Role.MaxSessionDuration":       int64(3600),
				"Role.CreateDate":               date(1),
			},
		},
		{
			name: "GetRole before any update", at: 2 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "ShareRole"
				return c.GetRole(req)
			},
			// UpdateDate from creation on.
			want: map[string]any{
				"RequestId":                     filled{},
				"Role.RoleId":                   shareRoleID,
				"Role.RoleName":                 "ShareRole",
				"Role.Arn":                      shareRoleARN,
				"Role.Description":              "Shares encrypted snapshots",
				"Role.AssumeRolePolicyDocument": ecsTrust,
				"Role.MaxSessionDuration":       int64(7200),
				"Role.CreateDate":               t0Date,
				"Role.UpdateDate":               t0Date,
			},
		},
		{
			name: "UpdateRole", at: 3 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateUpdateRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "ShareRole"
				req.NewDescription = "Shares encrypted snapshots and images"
				req.NewMaxSessionDuration = requests.NewInteger(10800)
				return c.UpdateRole(req)
			},
			want: map[string]any{
				"RequestId":                     filled{},
				"Role.RoleId":                   shareRoleID,
				"Role.RoleName":                 "ShareRole",
				"Role.Arn":                      shareRoleARN,
				"Role.Description":              "Shares encrypted snapshots and images",
				"Role.AssumeRolePolicyDocument": ecsTrust,
				"Role.MaxSessionDuration":       int64(10800),
				"Role.CreateDate":               t0Date,
				"Role.UpdateDate":               date(3),
			},
		},
		{
			name: "GetRole after an update", at: 4 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "sharerole" // names are looked up without regard to case
				return c.GetRole(req)
			},
			want: map[string]any{
				"RequestId":                     filled{},
				"Role.RoleId":                   shareRoleID,
				"Role.RoleName":                 "ShareRole",
				"Role.Arn":                      shareRoleARN,
				"Role.Description":              "Shares encrypted snapshots and images",
				"Role.AssumeRolePolicyDocument": ecsTrust,
				"Role.MaxSessionDuration":       int64(10800),
				"Role.CreateDate":               t0Date,
				"Role.UpdateDate":               date(3),
			},
		},
		{
			name: "ListRoles, one page of two", at: 5 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListRolesRequest()
				req.AcceptFormat = format
				req.MaxItems = requests.NewInteger(1)
				return c.ListRoles(req)
			},
			// No trust policy in a list; a Marker only when truncated.
			want: map[string]any{
				"RequestId":                        filled{},
				"IsTruncated":                      true,
				"Marker":                           filled{},
				"Roles.Role.len":                   1,
				"Roles.Role[0].RoleId":             shareRoleID,
				"Roles.Role[0].RoleName":           "ShareRole",
				"Roles.Role[0].Arn":                shareRoleARN,
				"Roles.Role[0].Description":        "Shares encrypted snapshots and images",
				"Roles.Role[0].MaxSessionDuration": int64(10800),
				"Roles.Role[0].CreateDate":         t0Date,
				"Roles.Role[0].UpdateDate":         date(3),
			},
		},
		{
			name: "ListRoles, all", at: 5 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListRolesRequest()
				req.AcceptFormat = format
				return c.ListRoles(req)
			},
			want: map[string]any{
				"RequestId":                        filled{},
				"IsTruncated":                      false,
				"Roles.Role.len":                   2,
				"Roles.Role[0].RoleId":             shareRoleID,
				"Roles.Role[0].RoleName":           "ShareRole",
				"Roles.Role[0].Arn":                shareRoleARN,
				"Roles.Role[0].Description":        "Shares encrypted snapshots and images",
				"Roles.Role[0].MaxSessionDuration": int64(10800),
				"Roles.Role[0].CreateDate":         t0Date,
				"Roles.Role[0].UpdateDate":         date(3),
				"Roles.Role[1].RoleId":             trailRoleID,
				"Roles.Role[1].RoleName":           "TrailRole",
				"Roles.Role[1].Arn":                trailRoleARN,
				"Roles.Role[1].MaxSessionDuration": int64(3600),
				"Roles.Role[1].CreateDate":         date(1),
				"Roles.Role[1].UpdateDate":         date(1),
			},
		},
		{
			name: "CreatePolicy", at: 6 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateCreatePolicyRequest()
				req.AcceptFormat = format
				req.PolicyName = "KeyPolicy"
				req.PolicyDocument = keyPolicy
				req.Description = "Use of key k1"
				return c.CreatePolicy(req)
			},
			// No document, UpdateDate or AttachmentCount.
			want: map[string]any{
				"RequestId":             filled{},
				"Policy.PolicyName":     "KeyPolicy",
				"Policy.PolicyType":     "Custom",
				"Policy.Description":    "Use of key k1",
				"Policy.DefaultVersion": "v1",
				"Policy.CreateDate":     date(6),
			},
		},
		{
			name: "GetPolicy before any version", at: 7 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetPolicyRequest()
				req.AcceptFormat = format
				req.PolicyType = "Custom"
				req.PolicyName = "KeyPolicy"
				return c.GetPolicy(req)
			},
			// Policy.PolicyDocument is deprecated in RAM's reference: the
			// document is in DefaultPolicyVersion.
			want: map[string]any{
				"RequestId":                             filled{},
				"Policy.PolicyName":                     "KeyPolicy",
				"Policy.PolicyType":                     "Custom",
				"Policy.Description":                    "Use of key k1",
				"Policy.DefaultVersion":                 "v1",
				"Policy.CreateDate":                     date(6),
				"Policy.UpdateDate":                     date(6),
				"Policy.AttachmentCount":                0,
				"DefaultPolicyVersion.VersionId":        "v1",
				"DefaultPolicyVersion.IsDefaultVersion": true,
				"DefaultPolicyVersion.PolicyDocument":   keyPolicy,
				"DefaultPolicyVersion.CreateDate":       date(6),
			},
		},
		{
			name: "CreatePolicyVersion as default", at: 8 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				return createVersion(c, format, "KeyPolicy", keyPolicy2, true, "")
			},
			want: map[string]any{
				"RequestId":                      filled{},
				"PolicyVersion.VersionId":        "v2",
				"PolicyVersion.IsDefaultVersion": true,
				"PolicyVersion.PolicyDocument":   keyPolicy2,
				"PolicyVersion.CreateDate":       date(8),
			},
		},
		{
			name: "CreatePolicyVersion not default", at: 9 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				return createVersion(c, format, "KeyPolicy", keyPolicy3, false, "None")
			},
			want: map[string]any{
				"RequestId":                      filled{},
				"PolicyVersion.VersionId":        "v3",
				"PolicyVersion.IsDefaultVersion": false,
				"PolicyVersion.PolicyDocument":   keyPolicy3,
				"PolicyVersion.CreateDate":       date(9),
			},
		},
		{
			name: "AttachPolicyToRole custom", at: 10 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateAttachPolicyToRoleRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.RoleName = "Custom", "KeyPolicy", "ShareRole"
				return c.AttachPolicyToRole(req)
			},
			want: only,
		},
		{
			name: "AttachPolicyToRole system", at: 11 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateAttachPolicyToRoleRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.RoleName = "System", encryptperm.KMSFullAccessPolicy, "ShareRole"
				return c.AttachPolicyToRole(req)
			},
			want: only,
		},
		{
			name: "GetPolicy custom", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetPolicyRequest()
				req.AcceptFormat = format
				req.PolicyType = "Custom"
				req.PolicyName = "KeyPolicy"
				return c.GetPolicy(req)
			},
			want: map[string]any{
				"RequestId":                             filled{},
				"Policy.PolicyName":                     "KeyPolicy",
				"Policy.PolicyType":                     "Custom",
				"Policy.Description":                    "Use of key k1",
				"Policy.DefaultVersion":                 "v2",
				"Policy.CreateDate":                     date(6),
				"Policy.UpdateDate":                     date(9),
				"Policy.AttachmentCount":                1,
				"DefaultPolicyVersion.VersionId":        "v2",
				"DefaultPolicyVersion.IsDefaultVersion": true,
				"DefaultPolicyVersion.PolicyDocument":   keyPolicy2,
				"DefaultPolicyVersion.CreateDate":       date(8),
			},
		},
		{
			name: "GetPolicy system", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetPolicyRequest()
				req.AcceptFormat = format
				req.PolicyType = "System"
				req.PolicyName = encryptperm.KMSFullAccessPolicy
				return c.GetPolicy(req)
			},
			want: map[string]any{
				"RequestId":                             filled{},
				"Policy.PolicyName":                     "AliyunKMSFullAccess",
				"Policy.PolicyType":                     "System",
				"Policy.Description":                    kmsFullAccessDesc,
				"Policy.DefaultVersion":                 "v3",
				"Policy.CreateDate":                     "2016-03-01T00:00:00Z",
				"Policy.UpdateDate":                     "2021-03-02T00:00:00Z",
				"Policy.AttachmentCount":                1,
				"DefaultPolicyVersion.VersionId":        "v3",
				"DefaultPolicyVersion.IsDefaultVersion": true,
				"DefaultPolicyVersion.PolicyDocument":   kmsFullAccessDoc,
				"DefaultPolicyVersion.CreateDate":       "2021-03-02T00:00:00Z",
			},
		},
		{
			name: "GetPolicyVersion", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetPolicyVersionRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.VersionId = "Custom", "KeyPolicy", "v3"
				return c.GetPolicyVersion(req)
			},
			want: map[string]any{
				"RequestId":                      filled{},
				"PolicyVersion.VersionId":        "v3",
				"PolicyVersion.IsDefaultVersion": false,
				"PolicyVersion.PolicyDocument":   keyPolicy3,
				"PolicyVersion.CreateDate":       date(9),
			},
		},
		{
			name: "GetPolicyVersion system", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateGetPolicyVersionRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.VersionId = "System", encryptperm.KMSFullAccessPolicy, "v3"
				return c.GetPolicyVersion(req)
			},
			want: map[string]any{
				"RequestId":                      filled{},
				"PolicyVersion.VersionId":        "v3",
				"PolicyVersion.IsDefaultVersion": true,
				"PolicyVersion.PolicyDocument":   kmsFullAccessDoc,
				"PolicyVersion.CreateDate":       "2021-03-02T00:00:00Z",
			},
		},
		{
			name: "ListPolicyVersions", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListPolicyVersionsRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName = "Custom", "KeyPolicy"
				return c.ListPolicyVersions(req)
			},
			// Each version with its document, as RAM's current reference
			// lists it.
			want: map[string]any{
				"RequestId":                        filled{},
				"PolicyVersions.PolicyVersion.len": 3,
				"PolicyVersions.PolicyVersion[0].IsDefaultVersion": false,
				"PolicyVersions.PolicyVersion[0].VersionId":        "v1",
				"PolicyVersions.PolicyVersion[0].PolicyDocument":   keyPolicy,
				"PolicyVersions.PolicyVersion[0].CreateDate":       date(6),
				"PolicyVersions.PolicyVersion[1].VersionId":        "v2",
				"PolicyVersions.PolicyVersion[1].IsDefaultVersion": true,
				"PolicyVersions.PolicyVersion[1].PolicyDocument":   keyPolicy2,
				"PolicyVersions.PolicyVersion[1].CreateDate":       date(8),
				"PolicyVersions.PolicyVersion[2].IsDefaultVersion": false,
				"PolicyVersions.PolicyVersion[2].VersionId":        "v3",
				"PolicyVersions.PolicyVersion[2].PolicyDocument":   keyPolicy3,
				"PolicyVersions.PolicyVersion[2].CreateDate":       date(9),
			},
		},
		{
			// ListPolicies is not one of the 17, but the fake serves it.
			name: "ListPolicies", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListPoliciesRequest()
				req.AcceptFormat = format
				req.PolicyType = "Custom"
				return c.(policyLister).ListPolicies(req)
			},
			want: map[string]any{
				"RequestId":                          filled{},
				"IsTruncated":                        false,
				"Policies.Policy.len":                1,
				"Policies.Policy[0].PolicyName":      "KeyPolicy",
				"Policies.Policy[0].PolicyType":      "Custom",
				"Policies.Policy[0].Description":     "Use of key k1",
				"Policies.Policy[0].DefaultVersion":  "v2",
				"Policies.Policy[0].CreateDate":      date(6),
				"Policies.Policy[0].UpdateDate":      date(9),
				"Policies.Policy[0].AttachmentCount": 1,
			},
		},
		{
			name: "ListPoliciesForRole", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListPoliciesForRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "ShareRole"
				return c.ListPoliciesForRole(req)
			},
			// Sorted by name; no dates but the attachment's, no count.
			want: map[string]any{
				"RequestId":                         filled{},
				"Policies.Policy.len":               2,
				"Policies.Policy[0].PolicyName":     "AliyunKMSFullAccess",
				"Policies.Policy[0].PolicyType":     "System",
				"Policies.Policy[0].Description":    kmsFullAccessDesc,
				"Policies.Policy[0].DefaultVersion": "v3",
				"Policies.Policy[0].AttachDate":     date(11),
				"Policies.Policy[1].PolicyName":     "KeyPolicy",
				"Policies.Policy[1].PolicyType":     "Custom",
				"Policies.Policy[1].Description":    "Use of key k1",
				"Policies.Policy[1].DefaultVersion": "v2",
				"Policies.Policy[1].AttachDate":     date(10),
			},
		},
		{
			name: "ListEntitiesForPolicy", at: 12 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListEntitiesForPolicyRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName = "Custom", "KeyPolicy"
				return c.ListEntitiesForPolicy(req)
			},
			// No trust policy, session or role dates: only the attachment's.
			want: map[string]any{
				"RequestId":                 filled{},
				"Roles.Role.len":            1,
				"Roles.Role[0].RoleId":      shareRoleID,
				"Roles.Role[0].RoleName":    "ShareRole",
				"Roles.Role[0].Arn":         shareRoleARN,
				"Roles.Role[0].Description": "Shares encrypted snapshots and images",
				"Roles.Role[0].AttachDate":  date(10),
			},
		},
		{
			name: "SetDefaultPolicyVersion", at: 13 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateSetDefaultPolicyVersionRequest()
				req.AcceptFormat = format
				req.PolicyName, req.VersionId = "KeyPolicy", "v3"
				return c.SetDefaultPolicyVersion(req)
			},
			want: only,
		},
		{
			name: "DeletePolicyVersion", at: 14 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDeletePolicyVersionRequest()
				req.AcceptFormat = format
				req.PolicyName, req.VersionId = "KeyPolicy", "v1"
				return c.DeletePolicyVersion(req)
			},
			want: only,
		},
		{
			name: "DeletePolicyVersion again", at: 14 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDeletePolicyVersionRequest()
				req.AcceptFormat = format
				req.PolicyName, req.VersionId = "KeyPolicy", "v2"
				return c.DeletePolicyVersion(req)
			},
			want: only,
		},
		{
			name: "DetachPolicyFromRole custom", at: 15 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDetachPolicyFromRoleRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.RoleName = "Custom", "KeyPolicy", "ShareRole"
				return c.DetachPolicyFromRole(req)
			},
			want: only,
		},
		{
			name: "DetachPolicyFromRole system", at: 15 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDetachPolicyFromRoleRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName, req.RoleName = "System", encryptperm.KMSFullAccessPolicy, "ShareRole"
				return c.DetachPolicyFromRole(req)
			},
			want: only,
		},
		{
			name: "ListEntitiesForPolicy of a detached policy", at: 15 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateListEntitiesForPolicyRequest()
				req.AcceptFormat = format
				req.PolicyType, req.PolicyName = "Custom", "KeyPolicy"
				return c.ListEntitiesForPolicy(req)
			},
			want: only,
		},
		{
			name: "DeleteRole", at: 16 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDeleteRoleRequest()
				req.AcceptFormat = format
				req.RoleName = "ShareRole"
				return c.DeleteRole(req)
			},
			want: only,
		},
		{
			name: "DeletePolicy", at: 16 * time.Hour,
			call: func(c encryptperm.RAM, format string) (any, error) {
				req := ram.CreateDeletePolicyRequest()
				req.AcceptFormat = format
				req.PolicyName = "KeyPolicy"
				return c.DeletePolicy(req)
			},
			want: only,
		},
	}
}

// TestResponseFields runs the table in process and through the official
// SDK over the endpoint, in JSON and in XML, each on a fake of its own, and
// checks every field of every response.
func TestResponseFields(t *testing.T) {
	paths := []struct {
		name   string
		format string
		client func(t *testing.T, f *fake.RAM) encryptperm.RAM
	}{
		{"in process", "JSON", func(_ *testing.T, f *fake.RAM) encryptperm.RAM { return f }},
		{"over HTTP", "JSON", overHTTP},
		{"over HTTP in XML", "XML", overHTTP},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			f, clock := newFake(t, nil)
			c := p.client(t, f)
			for _, fc := range fieldCalls() {
				clock.Set(t0.Add(fc.at))
				resp, err := fc.call(c, p.format)
				if err != nil {
					t.Fatalf("%s: %v", fc.name, err)
				}
				for _, problem := range checkFields(resp, p.format, fc.want) {
					t.Errorf("%s: %s", fc.name, problem)
				}
			}
		})
	}
}

func createVersion(c encryptperm.RAM, format, name, doc string, setDefault bool, rotate string) (*ram.CreatePolicyVersionResponse, error) {
	req := ram.CreateCreatePolicyVersionRequest()
	req.AcceptFormat = format
	req.PolicyName = name
	req.PolicyDocument = doc
	req.SetAsDefault = requests.NewBoolean(setDefault)
	req.RotateStrategy = rotate
	return c.CreatePolicyVersion(req)
}

// overHTTP returns the SDK's client of an endpoint serving f.
func overHTTP(t *testing.T, f *fake.RAM) encryptperm.RAM {
	return client(t, start(t, f, nil), fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
}

// policyLister is ListPolicies, which both the fake and the SDK's client
// have, though encryptperm.RAM does not need it.
type policyLister interface {
	ListPolicies(request *ram.ListPoliciesRequest) (*ram.ListPoliciesResponse, error)
}

// Set moves the clock to now.
func (c *testClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// checkFields compares the fields of an SDK response with want (see
// fieldCall) and describes every difference.
func checkFields(resp any, format string, want map[string]any) []string {
	got := map[string]any{}
	flattenFields(reflect.ValueOf(resp), "", got)
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(got)) {
		g := got[k]
		w, ok := want[k]
		switch {
		case !ok:
			if !reflect.ValueOf(g).IsZero() {
				problems = append(problems, fmt.Sprintf("%s = %#v, want it empty: RAM does not return it", k, g))
			}
		case w == (filled{}):
			if reflect.ValueOf(g).IsZero() {
				problems = append(problems, fmt.Sprintf("%s is empty, want it filled", k))
			}
		case !reflect.DeepEqual(g, w):
			problems = append(problems, fmt.Sprintf("%s = %#v, want %#v", k, g, w))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s: no such field in %T", k, resp))
		}
	}
	// The body itself: a field the struct shows empty may still have been
	// sent (a zero count, an empty string), which RAM does not do for a
	// field it does not return.
	raw := resp.(responses.AcsResponse).GetHttpContentString()
	sent := map[string]bool{}
	if format == "XML" {
		if err := flattenXML(raw, got, sent); err != nil {
			return append(problems, fmt.Sprintf("body %q: %v", raw, err))
		}
	} else {
		var body any
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			return append(problems, fmt.Sprintf("body %q: %v", raw, err))
		}
		flattenJSON(body, "", sent)
	}
	for _, k := range slices.Sorted(maps.Keys(sent)) {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("the body has %s, which RAM does not return: %s", k, raw))
		}
	}
	return problems
}

// flattenXML records the path of every element of an XML answer that has no
// element inside, in the form flattenFields uses; the root element is left out of the
// path. The fields of the response struct, as flattenFields records them,
// tell which elements repeat, to be numbered, and which empty elements are
// empty lists rather than fields.
func flattenXML(raw string, fields map[string]any, out map[string]bool) error {
	isList := func(path string) bool { _, ok := fields[path+".len"]; return ok }
	isContainer := func(path string) bool {
		for k := range fields {
			if strings.HasPrefix(k, path+".") {
				return true
			}
		}
		return false
	}
	dec := xml.NewDecoder(strings.NewReader(raw))
	type level struct {
		path     string
		children map[string]int // times each child element was seen
		hasChild bool
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path := ""
			if n := len(stack); n > 0 {
				parent := stack[n-1]
				parent.hasChild = true
				path = strings.TrimPrefix(parent.path+"."+tok.Name.Local, ".")
				if isList(path) {
					i := parent.children[tok.Name.Local]
					parent.children[tok.Name.Local]++
					path = fmt.Sprintf("%s[%d]", path, i)
				}
			}
			stack = append(stack, &level{path: path, children: map[string]int{}})
		case xml.EndElement:
			l := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && !l.hasChild && !isContainer(l.path) {
				out[l.path] = true
			}
		}
	}
}

// flattenJSON records the path of every scalar in a JSON value, in the
// form flattenFields uses.
func flattenJSON(v any, path string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flattenJSON(e, strings.TrimPrefix(path+"."+k, "."), out)
		}
	case []any:
		for i, e := range v {
			flattenJSON(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		out[path] = true
	}
}

// baseResponseType is the SDK's HTTP bookkeeping, embedded in every
// response; it is no part of RAM's answer body.
var baseResponseType = reflect.TypeFor[*responses.BaseResponse]()

// flattenFields records every leaf field of v under its path, and the length
// of every list under path.len.
func flattenFields(v reflect.Value, path string, out map[string]any) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			flattenFields(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Type == baseResponseType {
				continue
			}
			flattenFields(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), out)
		}
	case reflect.Slice:
		out[path+".len"] = v.Len()
		for i := range v.Len() {
			flattenFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		out[path] = v.Interface()
	}
}

// TestCheckFieldsReports makes sure the field check can fail: a field filled
// that RAM does not return, a documented field left empty, a wrong value, a
// path the struct does not have, and a field sent in the body alone.
func TestCheckFieldsReports(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "R", ecsTrust)
	resp, err := coreGetRole(f, "R")
	if err != nil {
		t.Fatal(err)
	}
	resp.Role.AttachDate = "2026-01-02T03:04:05Z" // not in a GetRole answer
	resp.Role.Description = ""                    // documented, emptied below
	want := map[string]any{
		"RequestId":                     filled{},
		"Role.RoleId":                   "300000000000000001",
		"Role.RoleName":                 "R",
		"Role.Arn":                      "acs:ram::1234567890123456:role/R",
		"Role.Description":              filled{},
		"Role.AssumeRolePolicyDocument": ecsTrust,
		"Role.MaxSessionDuration":       int64(3600),
		"Role.CreateDate":               "2000-01-01T00:00:00Z",
		"Role.Path":                     "/",
		// Role.UpdateDate is sent but left out here.
	}
	var got []string
	for _, p := range checkFields(resp, "JSON", want) {
		p, _, _ = strings.Cut(p, ", which RAM does not return: {") // leave the body out
		got = append(got, p)
	}
	wantProblems := []string{
		`Role.AttachDate = "2026-01-02T03:04:05Z", want it empty: RAM does not return it`,
		`Role.CreateDate = "2026-01-02T03:04:05Z", want "2000-01-01T00:00:00Z"`,
		`Role.Description is empty, want it filled`,
		`Role.UpdateDate = "2026-01-02T03:04:05Z", want it empty: RAM does not return it`,
		`Role.Path: no such field in *ram.GetRoleResponse`,
		`the body has Role.UpdateDate`,
	}
	if !slices.Equal(got, wantProblems) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantProblems, "\n"))
	}
}

// TestCheckFieldsReportsXML: in XML too, a field sent in the body that the
// expectations leave out is reported, so the XML runs of TestResponseFields
// check the body and not only the struct.
func TestCheckFieldsReportsXML(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "R", ecsTrust) // no description: none is sent
	req := ram.CreateGetRoleRequest()
	req.AcceptFormat = "XML"
	req.RoleName = "R"
	resp, err := overHTTP(t, f).GetRole(req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"RequestId": filled{}, "Role.RoleName": "R"}
	var got []string
	for _, p := range checkFields(resp, "XML", want) {
		if strings.HasPrefix(p, "the body has ") {
			p, _, _ = strings.Cut(p, ", which RAM does not return: ")
			got = append(got, p)
		}
	}
	wantProblems := []string{
		"the body has Role.Arn",
		"the body has Role.AssumeRolePolicyDocument",
		"the body has Role.CreateDate",
		"the body has Role.MaxSessionDuration",
		"the body has Role.RoleId",
		"the body has Role.UpdateDate",
	}
	if !slices.Equal(got, wantProblems) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantProblems, "\n"))
	}
}
