package fake_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func TestDeletePolicyCascadingDelete(t *testing.T) {
	tests := []struct {
		name     string
		cascade  string
		wantCode string
		wantGone bool
	}{
		{name: "absent", cascade: "", wantCode: "DeleteConflict.Policy.Version"},
		{name: "false", cascade: "false", wantCode: "DeleteConflict.Policy.Version"},
		{name: "true deletes every version", cascade: "true", wantGone: true},
		{name: "not a boolean", cascade: "yes", wantCode: "InvalidParameter.CascadingDelete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
			if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, false, ""); err != nil {
				t.Fatal(err)
			}
			req := ram.CreateDeletePolicyRequest()
			req.PolicyName = "KeyPolicy"
			if tt.cascade != "" {
				req.GetQueryParams()["CascadingDelete"] = tt.cascade
			}
			_, err := f.DeletePolicy(req)
			if tt.wantCode != "" {
				if got := errCode(t, err); got != tt.wantCode {
					t.Fatalf("DeletePolicy() code = %q, want %q", got, tt.wantCode)
				}
			} else if err != nil {
				t.Fatalf("DeletePolicy() = %v, want success", err)
			}
			if ids, _ := versionIDsOrNone(f, "KeyPolicy"); (ids == "") != tt.wantGone {
				t.Errorf("versions after DeletePolicy = %q, want gone=%v", ids, tt.wantGone)
			}
		})
	}
}

func TestUndocumentedOrUnmodelledParametersRefused(t *testing.T) {
	f, _ := newFake(t, nil)
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "Tagged"
	req.AssumeRolePolicyDocument = ecsTrust
	// RAM documents Tag.N on CreateRole; the fake does not model tags.
	req.GetQueryParams()["Tag.1.Key"] = "team"
	req.GetQueryParams()["Tag.1.Value"] = "storage"
	_, err := f.CreateRole(req)
	if got := errCode(t, err); got != "InvalidParameter.NotSupported" {
		t.Fatalf("CreateRole with a tag: code %q, want InvalidParameter.NotSupported", got)
	}
	if _, ok := f.Role("Tagged"); ok {
		t.Error("the role was created although its tag was refused")
	}
}

// versionIDsOrNone lists a policy's version IDs, "" when it is gone.
func versionIDsOrNone(f *fake.RAM, name string) (string, bool) {
	vs, ok := f.PolicyVersions(string(encryptperm.Custom), name)
	ids := ""
	for _, v := range vs {
		ids += v.ID + " "
	}
	return ids, ok
}

func TestRequestIDsUniqueAcrossFreshFakes(t *testing.T) {
	ids := map[string]bool{}
	for range 3 {
		f := fake.New(nil)
		for range 2 {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "missing"
			_, _ = f.GetRole(req)
		}
		for _, c := range f.Calls() {
			if ids[c.RequestID] {
				t.Fatalf("RequestId %s handed out twice", c.RequestID)
			}
			ids[c.RequestID] = true
		}
	}
	// With a seed, IDs repeat from run to run.
	a, b := fake.New(&fake.Options{Seed: 3}), fake.New(&fake.Options{Seed: 3})
	for _, f := range []*fake.RAM{a, b} {
		req := ram.CreateGetRoleRequest()
		req.RoleName = "missing"
		_, _ = f.GetRole(req)
	}
	if x, y := a.Calls()[0].RequestID, b.Calls()[0].RequestID; x != y {
		t.Errorf("seeded RequestIds %s and %s differ, want equal", x, y)
	}
}
