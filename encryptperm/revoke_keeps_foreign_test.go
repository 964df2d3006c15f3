package encryptperm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// A revoke that empties a role's trust policy deletes the role. The
// library's own policy goes with it only when nothing else is in it; one
// that holds a statement someone else added is detached and kept, with
// that statement, rather than refused as if it were another team's policy.
func TestRevokeDetachesAndKeepsItsPolicyWithForeignContent(t *testing.T) {
	ctx := context.Background()
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctA).WithKey(apKey))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	const foreign = `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzzother0001"}`
	doc := strings.TrimSuffix(targetKeyPolicy, `],"Version":"1"}`) + `,` + foreign + `],"Version":"1"}`
	req := ram.CreateCreatePolicyVersionRequest()
	req.PolicyName, req.PolicyDocument, req.SetAsDefault = "EncryptPerm-ShareSnapshotKeys", doc, "true"
	if _, err := f.CreatePolicyVersion(req); err != nil {
		t.Fatal(err)
	}

	res, err := a.Revoke(ctx, g)
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	var actions []string
	for _, c := range res.Changes {
		actions = append(actions, c.Action)
	}
	if diff := cmp.Diff([]string{"CreatePolicyVersion", "DetachPolicyFromRole", "UpdateRole", "DeleteRole"}, withoutEmpty(actions)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(f.Roles()) != 0 {
		t.Errorf("roles after the revoke: %+v", f.Roles())
	}
	p, ok := f.Policy("Custom", "EncryptPerm-ShareSnapshotKeys")
	if !ok {
		t.Fatal("the library's policy is gone, with the statement someone else added")
	}
	for _, v := range p.Versions {
		if v.ID != p.DefaultVersion {
			continue
		}
		if !strings.Contains(v.Document, "key-hzzother0001") || strings.Contains(v.Document, apKey.ID) {
			t.Errorf("the kept policy's default version is %s; want the foreign statement alone", v.Document)
		}
		return
	}
	t.Errorf("the kept policy has no default version: %+v", p)
}

func withoutEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
