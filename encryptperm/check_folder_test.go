package encryptperm_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// A snapshot shared through Resource Sharing with the folder fd-Folder01
// reaches the accounts in that folder and in folders below it, and no
// other: a sibling folder whose ID only begins with the same characters
// (fd-Folder012) is another folder. Its accounts pass RAM's trust policy
// (the folder condition ends in *, so it matches by prefix), which makes
// the share the step that must say no. (The fake names its first share
// rs-EC89025CC1, whatever the run.) A Check that matched the target
// anywhere inside the recipient's path would answer "allowed" for an
// account ECS refuses: it would fail open.
func TestCheckDeniesSiblingFolder_FailOpen(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithFolder(shFolder))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	type share struct {
		Allowed bool
		Reason  string
	}
	tests := []struct {
		name        string
		givePath    string
		wantAllowed bool
		wantMissing []string
		wantShare   share
	}{
		{
			name: "the folder itself", givePath: "rd-3GabcD/r-Root01/fd-Folder01", wantAllowed: true,
			wantShare: share{true, "resource share rs-EC89025CC1 shares the snapshot with fd-Folder01"},
		},
		{
			name: "a folder below it", givePath: "rd-3GabcD/r-Root01/fd-Folder01/fd-Child01", wantAllowed: true,
			wantShare: share{true, "resource share rs-EC89025CC1 shares the snapshot with fd-Folder01"},
		},
		{
			name: "a sibling whose ID begins with the folder's", givePath: "rd-3GabcD/r-Root01/fd-Folder012",
			wantMissing: []string{"share"},
			wantShare:   share{false, "the snapshot s-bp1shared01 in cn-hangzhou is not shared with account 2234567890123456"},
		},
		{
			name: "a folder whose ID ends with the folder's", givePath: "rd-3GabcD/r-Root01/fd-Xfd-Folder01",
			wantMissing: []string{"sts:AssumeRole", "share"},
			wantShare:   share{false, "the snapshot s-bp1shared01 in cn-hangzhou is not shared with account 2234567890123456"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := a.Check(ctx, encryptperm.Access{
				Recipient: shMember, RDID: shRD, RDPath: tt.givePath,
				Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion,
			})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.wantAllowed {
				t.Errorf("Allowed = %v, want %v:\n%s", d.Allowed, tt.wantAllowed, d)
			}
			if diff := cmp.Diff(tt.wantMissing, d.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			var got []share
			for _, st := range d.Steps {
				if st.Action == "share" {
					got = append(got, share{st.Allowed, st.Reason})
				}
			}
			if diff := cmp.Diff([]share{tt.wantShare}, got); diff != "" {
				t.Errorf("share step (-want +got):\n%s", diff)
			}
		})
	}
}
