package encryptperm_test

import (
	"context"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// shareState is what a Decision says of the share, typed.
type shareState struct {
	Allowed, Shared, SharePending bool
	ResourceShareID               string
	Missing                       []string
}

func stateOf(d *encryptperm.Decision) shareState {
	return shareState{d.Allowed, d.Shared, d.SharePending, d.ResourceShareID, d.Missing}
}

// TestExternalRecipientPendingThenAccepted: a snapshot shared with an
// account outside the directory waits for the recipient's acceptance:
// Check says so, typed (SharePending, with the share to accept), until the
// recipient accepts, in process or with its own key through the endpoint;
// then Check says allowed.
func TestExternalRecipientPendingThenAccepted(t *testing.T) {
	const outsider = "9000000000000009"
	accepts := []struct {
		name   string
		accept func(t *testing.T, f *fake.RAM, shareID string)
	}{
		{"in process", func(t *testing.T, f *fake.RAM, shareID string) {
			if err := f.AcceptInvitation(shareID, outsider); err != nil {
				t.Fatal(err)
			}
		}},
		{"with the recipient's key through the endpoint", func(t *testing.T, f *fake.RAM, shareID string) {
			ep, err := fake.Start(f, &fake.ServerOptions{Credentials: []fake.Credential{
				{AccessKeyID: "OUTSIDERKEY", AccessKeySecret: "OUTSIDER-SECRET", Account: outsider},
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Close()
			c, err := ep.ResourceSharingClient("OUTSIDERKEY", "OUTSIDER-SECRET")
			if err != nil {
				t.Fatal(err)
			}
			list := resourcesharing.CreateListResourceShareInvitationsRequest()
			list.RegionId, list.ResourceShareIds = shRegion, &[]string{shareID}
			invs, err := c.ListResourceShareInvitations(list)
			if err != nil {
				t.Fatal(err)
			}
			if len(invs.ResourceShareInvitations) != 1 || invs.ResourceShareInvitations[0].Status != "Pending" {
				t.Fatalf("invitations %+v, want one pending", invs.ResourceShareInvitations)
			}
			acc := resourcesharing.CreateAcceptResourceShareInvitationRequest()
			acc.RegionId, acc.ResourceShareInvitationId = shRegion, invs.ResourceShareInvitations[0].ResourceShareInvitationId
			if _, err := c.AcceptResourceShareInvitation(acc); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range accepts {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			res, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(outsider)))
			if err != nil {
				t.Fatal(err)
			}
			shares := f.ResourceShares()
			if len(shares) != 1 {
				t.Fatalf("resource shares %+v, want one", shares)
			}
			shareID := shares[0].ID
			access := encryptperm.Access{Recipient: outsider, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion}
			d, err := a.Check(ctx, access)
			if err != nil {
				t.Fatal(err)
			}
			want := shareState{SharePending: true, ResourceShareID: shareID, Missing: []string{"share"}}
			if diff := cmp.Diff(want, stateOf(d)); diff != "" {
				t.Errorf("before acceptance (-want +got):\n%s\n%s", diff, d.Explanation())
			}
			var pending []string
			for _, c := range res.Changes {
				if c.Kind == encryptperm.Note {
					pending = append(pending, c.Summary)
				}
			}
			if len(pending) != 1 {
				t.Errorf("Apply's notes %q, want one pending invitation", pending)
			}

			tt.accept(t, f, shareID)

			d, err = a.Check(ctx, access)
			if err != nil {
				t.Fatal(err)
			}
			want = shareState{Allowed: true, Shared: true, ResourceShareID: shareID}
			if diff := cmp.Diff(want, stateOf(d)); diff != "" {
				t.Errorf("after acceptance (-want +got):\n%s\n%s", diff, d.Explanation())
			}
		})
	}
}

// TestDecisionSaysHowTheResourceIsShared: an image ECS shares with the
// recipient is Shared without a resource share; one shared with nobody is
// neither Shared nor SharePending; a directory member reached through a
// resource share names that share.
func TestDecisionSaysHowTheResourceIsShared(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	if _, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD))); err != nil {
		t.Fatal(err)
	}
	shareID := f.ResourceShares()[0].ID
	tests := []struct {
		name string
		give encryptperm.Access
		want shareState
	}{
		{"an image ECS shares", encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion},
			shareState{Allowed: true, Shared: true}},
		{"an image shared with nobody", encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shPlainImg, Region: shRegion},
			shareState{Missing: []string{"share"}}},
		{"a snapshot a resource share gives a member", encryptperm.Access{Recipient: shMember, RDID: shRD, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion},
			shareState{Allowed: true, Shared: true, ResourceShareID: shareID}},
		{"no resource named", encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, Key: apKey},
			shareState{Allowed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := a.Check(ctx, tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, stateOf(d)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, d.Explanation())
			}
		})
	}
}
