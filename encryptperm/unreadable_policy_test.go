package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// A policy of the library's that RAM holds but the library cannot read (too
// deep, or not JSON) may hold what other teams put there. Apply and Revoke
// must refuse it and write nothing, rather than take it as empty and write
// a version holding only their own keys.
func TestUnreadableLibraryPolicyIsNeverRewritten(t *testing.T) {
	deep := `{"Statement":[{"Action":"kms:Decrypt","Deep":` + strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100) +
		`,"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-foreign0001"}],"Version":"1"}`
	tests := []struct {
		name    string
		doc     string
		wantErr error
	}{
		{"nested 100 deep", deep, encryptperm.ErrLimitExceeded},
	}
	ops := []struct {
		name string
		run  func(a encryptperm.Applier, g *encryptperm.Grant) (*encryptperm.Result, error)
	}{
		{"Apply", func(a encryptperm.Applier, g *encryptperm.Grant) (*encryptperm.Result, error) {
			return a.Apply(context.Background(), g)
		}},
		{"Revoke", func(a encryptperm.Applier, g *encryptperm.Grant) (*encryptperm.Result, error) {
			return a.Revoke(context.Background(), g)
		}},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				f := fake.New(nil)
				rtSeedShare(t, f)
				if err := f.PutPolicy(fake.Policy{Name: encryptperm.ShareSnapshotPolicyName, Versions: []fake.PolicyVersion{{ID: "v1", Document: tt.doc}}}); err != nil {
					t.Fatal(err)
				}
				g := rtGrant(t, apAcctA, apAcctB)
				if op.name == "Revoke" {
					g = rtGrant(t, apAcctA)
				}
				res, err := op.run(encryptperm.NewApplier(f, nil), g)
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), encryptperm.ShareSnapshotPolicyName) {
					t.Fatalf("err = %v, want %v naming the policy", err, tt.wantErr)
				}
				if res != nil && res.Writes != 0 {
					t.Errorf("%d writes after the refusal", res.Writes)
				}
				p, _ := f.Policy(string(encryptperm.Custom), encryptperm.ShareSnapshotPolicyName)
				if len(p.Versions) != 1 || p.Versions[0].Document != tt.doc {
					t.Errorf("the policy changed: %+v", p.Versions)
				}
				if roles := f.Roles(); len(roles) != 1 || !strings.Contains(roles[0].TrustPolicy, apAcctA) || strings.Contains(roles[0].TrustPolicy, apAcctB) {
					t.Errorf("the role changed: %+v", roles)
				}
			})
		}
	}
}
