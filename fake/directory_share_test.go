package fake_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// treeShareFake is newDirectoryFake with the encrypted snapshot of svcSeed
// and a snapshot share role whose trust policy is trust and whose policy
// lets ECS use the snapshot's key.
func treeShareFake(t *testing.T, opts *fake.Options, trust string) *fake.RAM {
	t.Helper()
	f, _ := newDirectoryFake(t, opts)
	if err := f.PutKey(fake.Key{Region: svcRegion, ID: svcKey}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: svcRegion, ID: sharedSnap, KMSKeyID: svcKey}); err != nil {
		t.Fatal(err)
	}
	role := encryptperm.ShareSnapshotRoleName
	mustCreateRole(t, f, role, trust)
	mustCreatePolicy(t, f, role+"-key", keyUse(svcKey))
	mustAttach(t, f, "Custom", role+"-key", role)
	return f
}

// shareCodes shares the snapshot of f with each target, a share each, and
// returns the code of each answer ("" when the share was made).
func shareCodes(t *testing.T, f *fake.RAM, targets []string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for i, target := range targets {
		req := shareReq("s"+string(rune('a'+i)), false, []string{target}, [2]string{"Snapshot", sharedSnap})
		_, err := f.CreateResourceShare(req)
		got[target] = errCode(t, err)
	}
	return got
}

// TestFolderShareReachesOnlyItsSubtree shares with folders of the tree a
// snapshot whose role trusts ECS in the two accounts under fd-Prod01 only:
// a share with fd-Prod01 or fd-Web001 reaches no one else, so ECS lets
// it through; one with fd-Test01 or the root reaches an account it does
// not trust.
func TestFolderShareReachesOnlyItsSubtree(t *testing.T) {
	f := treeShareFake(t, nil, shareTrust(memProd, memWeb))
	got := shareCodes(t, f, []string{fdProd, fdWeb, fdTest, dirRoot, dirID})
	want := map[string]string{
		fdProd:  "",
		fdWeb:   "",
		fdTest:  "AssumeRoleError",
		dirRoot: "AssumeRoleError",
		dirID:   "AssumeRoleError",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share codes per target (-want +got):\n%s", diff)
	}
}

// pathTrust lets ECS in any account assume the role when the account's
// directory path is under fd-Prod01.
const pathTrust = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["*@ecs.aliyuncs.com"]},` +
	`"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-Root01/fd-Prod01/*"}}}]}`

// TestECSJudgesTheMembersPath shares with accounts and folders a snapshot
// whose role trusts only a directory path: ECS judges each recipient with
// its own path, rd-3GabcD/r-Root01/fd-Prod01/fd-Web001/2000000000000002
// for the account in fd-Web001.
func TestECSJudgesTheMembersPath(t *testing.T) {
	f := treeShareFake(t, nil, pathTrust)
	got := shareCodes(t, f, []string{memProd, memWeb, memTest, memInvite, fdProd, fdTest})
	want := map[string]string{
		memProd:   "",
		memWeb:    "",
		memTest:   "AssumeRoleError",
		memInvite: "AssumeRoleError",
		fdProd:    "",
		fdTest:    "AssumeRoleError",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share codes per target (-want +got):\n%s", diff)
	}
}

// TestECSPathWithoutTheAccount judges with the folder's path alone, as
// Options.RDPathOmitsAccount asks: rd-3GabcD/r-Root01/fd-Prod01 for the
// account in fd-Prod01, which "…/fd-Prod01/*" does not match and
// "…/fd-Prod01*" does.
func TestECSPathWithoutTheAccount(t *testing.T) {
	opts := &fake.Options{RDPathOmitsAccount: true}
	got := shareCodes(t, treeShareFake(t, opts, pathTrust), []string{memProd, memWeb})
	want := map[string]string{memProd: "AssumeRoleError", memWeb: ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with the trust on fd-Prod01/* (-want +got):\n%s", diff)
	}
	prefix := `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["*@ecs.aliyuncs.com"]},` +
		`"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-Root01/fd-Prod01*"}}}]}`
	got = shareCodes(t, treeShareFake(t, opts, prefix), []string{memProd, memWeb})
	want = map[string]string{memProd: "", memWeb: ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with the trust on fd-Prod01* (-want +got):\n%s", diff)
	}
}

// TestMemberSharesWithItsDirectory shares from a member account: the
// management account is a recipient like any other member, at its path
// in the root.
func TestMemberSharesWithItsDirectory(t *testing.T) {
	f, _ := newDirectoryFake(t, nil)
	m := f.Account(memTest)
	if err := m.PutKey(fake.Key{Region: svcRegion, ID: svcKey}); err != nil {
		t.Fatal(err)
	}
	if err := m.PutSnapshot(fake.Snapshot{Region: svcRegion, ID: sharedSnap, KMSKeyID: svcKey}); err != nil {
		t.Fatal(err)
	}
	role := encryptperm.ShareSnapshotRoleName
	mustCreateRole(t, m, role, shareTrust(fake.DefaultAccountID))
	mustCreatePolicy(t, m, role+"-key", `{"Version":"1","Statement":[`+
		`{"Effect":"Allow","Action":["kms:List*","kms:DescribeKey","kms:TagResource","kms:UntagResource"],"Resource":["acs:kms:cn-hangzhou:2000000000000003:key"]},`+
		`{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":["acs:kms:cn-hangzhou:2000000000000003:key/`+svcKey+`"]}]}`)
	mustAttach(t, m, "Custom", role+"-key", role)
	got := shareCodes(t, m, []string{fake.DefaultAccountID, fdTest, dirRoot})
	want := map[string]string{
		fake.DefaultAccountID: "",
		fdTest:                "", // holds only the sharer itself
		dirRoot:               "AssumeRoleError",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share codes per target (-want +got):\n%s", diff)
	}
	shares := m.ResourceShares()
	if len(shares) != 2 || len(f.ResourceShares()) != 0 {
		t.Errorf("the member holds %d shares and the management account %d, want 2 and 0", len(shares), len(f.ResourceShares()))
	}
}
