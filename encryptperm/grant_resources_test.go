package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// A grant's resources come out in one order, by region, type and ID,
// each once, whatever order they were named in.
func TestGrantResourcesAreSortedAndUnique(t *testing.T) {
	g := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctA).
		WithSnapshot("cn-shanghai", "s-uf6aaaa0001").
		WithSnapshot("cn-hangzhou", "s-bp1zzzz0001").
		WithSnapshot("cn-hangzhou", "s-bp1aaaa0001").
		WithSnapshot("cn-shanghai", "s-uf6aaaa0001"))
	want := []encryptperm.Resource{
		{Type: encryptperm.ResourceSnapshot, Region: "cn-hangzhou", ID: "s-bp1aaaa0001"},
		{Type: encryptperm.ResourceSnapshot, Region: "cn-hangzhou", ID: "s-bp1zzzz0001"},
		{Type: encryptperm.ResourceSnapshot, Region: "cn-shanghai", ID: "s-uf6aaaa0001"},
	}
	if diff := cmp.Diff(want, g.Resources); diff != "" {
		t.Errorf("Resources (-want +got):\n%s", diff)
	}
}

// A resource of a type that is neither an image nor a snapshot, in a grant
// made by hand, is refused before any call, naming its field.
func TestGrantRefusesAResourceOfAnotherType(t *testing.T) {
	g := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctA).WithSnapshot("cn-hangzhou", "s-bp1aaaa0001"))
	g.Resources = append(g.Resources, encryptperm.Resource{Type: "disk", Region: "cn-hangzhou", ID: "d-bp1aaaa0001"})
	f := fake.New(nil)
	_, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Apply = %v, want a ValidationError", err)
	}
	found := false
	for _, p := range ve.Problems {
		if p.Path == "grants[0].Resources[1].Type" && p.Value == "disk" && strings.Contains(p.Reason, "want image or snapshot") {
			found = true
		}
	}
	if !found {
		t.Errorf("problems %+v, want grants[0].Resources[1].Type \"disk\": want image or snapshot", ve.Problems)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls before the refusal", n)
	}
}

// A revoke keeps, with a note, the resource directory and the folder (its
// path pattern, which takes the folders below it) that a grant that stays
// still names in the role's trust policy, and the key it names.
func TestRevokeKeepsWhatAGrantThatStaysNames(t *testing.T) {
	ctx := context.Background()
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, nil)
	const rd, folder = "rd-3GabcD", "rd-3GabcD/r-Root01/fd-Prod01"
	gone := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctA).WithResourceDirectory(rd).WithFolder(folder).WithKey(apKey))
	stays := mustBuild(t, encryptperm.ShareSnapshot().WithResourceDirectory(rd).WithFolder(folder).WithKey(apKey))
	if _, err := a.Apply(ctx, gone, stays); err != nil {
		t.Fatal(err)
	}
	p, err := a.RevokePlanWith(ctx, &encryptperm.RevokeOptions{Keep: []*encryptperm.Grant{stays}}, gone)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, c := range p.Changes {
		if c.Kept {
			kept = append(kept, c.Summary)
		}
	}
	want := []string{
		"keep resource directory rd-3GabcD in the trust of role AliyunECSShareEncryptSnapshotDefaultRole: a grant that stays names it",
		"keep folder path rd-3GabcD/r-Root01/fd-Prod01* in the trust of role AliyunECSShareEncryptSnapshotDefaultRole: a grant that stays names it",
		"keep key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f in policy EncryptPerm-ShareSnapshotKeys: a grant that stays names it",
	}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}
