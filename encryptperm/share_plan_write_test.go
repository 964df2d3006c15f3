package encryptperm_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// TestPlanSaysWhatEachShareWriteSends: each share change of a Plan carries
// its call's parameters (Change.Share), so that another tool can make it;
// RAM's changes and notes carry none.
func TestPlanSaysWhatEachShareWriteSends(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	accounts := []string{"2000000000000001", "2000000000000002", "2000000000000003", "2000000000000004", "2000000000000005", "2000000000000006"}
	p, err := a.Plan(ctx,
		mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA).WithFolder(shFolder)),
		mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(accounts...)),
	)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Action string
		Share  encryptperm.ShareWrite
	}
	var got []row
	for _, c := range p.Changes {
		if c.Share != nil {
			got = append(got, row{c.Action, *c.Share})
		} else if c.Kind != encryptperm.Note && c.Action != "" && (c.Action == "ModifyImageSharePermission" || c.Action == "CreateResourceShare" || c.Action == "AssociateResourceShare") {
			t.Errorf("share change %q has no Share", c)
		}
	}
	name := func(id string) string { return encryptperm.ManagedPolicyPrefix + id }
	want := []row{
		{"ModifyImageSharePermission", encryptperm.ShareWrite{Region: shRegion, ResourceType: encryptperm.ResourceImage, ResourceID: shImage, Targets: []string{apAcctA}}},
		{"CreateResourceShare", encryptperm.ShareWrite{Region: shRegion, ResourceType: encryptperm.ResourceImage, ResourceID: shImage, Targets: []string{"fd-Folder01"}, ShareName: name(shImage)}},
		{"CreateResourceShare", encryptperm.ShareWrite{Region: shRegion, ResourceType: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Targets: accounts[:5], ShareName: name(shSnapshot), AllowExternalTargets: true}},
		{"AssociateResourceShare", encryptperm.ShareWrite{Region: shRegion, ResourceType: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Targets: accounts[5:], ShareName: name(shSnapshot)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share writes (-want +got):\n%s\n%s", diff, p)
	}
}
