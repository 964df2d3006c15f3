package encryptperm_test

import (
	"context"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// A key-use step that is not allowed says why in words a person can act
// on: the role is missing, it holds no policy, or none of its policies
// allows the action.
func TestCheckSaysWhyAKeyStepIsNotAllowed(t *testing.T) {
	const trust = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com"]}}]}`
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fake.RAM)
		want  string
	}{
		{"no role", func(*testing.T, *fake.RAM) {}, "role AliyunECSShareEncryptSnapshotDefaultRole does not exist"},
		{"a role with no policy", func(t *testing.T, f *fake.RAM) {
			if err := f.PutRole(fake.Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: trust}); err != nil {
				t.Fatal(err)
			}
		}, "role AliyunECSShareEncryptSnapshotDefaultRole has no policy attached"},
		{"a role whose policy grants another action", func(t *testing.T, f *fake.RAM) {
			if err := f.PutRole(fake.Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: trust}); err != nil {
				t.Fatal(err)
			}
			doc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*"}]}`
			if err := f.PutPolicy(fake.Policy{Name: "Describe", Versions: []fake.PolicyVersion{{ID: "v1", Document: doc}}}); err != nil {
				t.Fatal(err)
			}
			if err := f.PutAttachment(encryptperm.ShareSnapshotRoleName, "Custom", "Describe"); err != nil {
				t.Fatal(err)
			}
		}, "no attached policy allows it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			tt.setup(t, f)
			d, err := encryptperm.NewApplier(f, nil).Check(context.Background(),
				encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, Key: apKey})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range d.Steps {
				if st.Action == "kms:Decrypt" {
					if st.Allowed || st.Reason != tt.want {
						t.Errorf("kms:Decrypt: allowed %v, reason %q; want not allowed, %q", st.Allowed, st.Reason, tt.want)
					}
					return
				}
			}
			t.Fatalf("no kms:Decrypt step in %+v", d.Steps)
		})
	}
}
