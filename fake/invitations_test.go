package fake_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The account outside the directory that the tests invite, and its key.
const (
	invited       = "9000000000000009"
	invitedKey    = "LTAI-invited"
	invitedSecret = "invited-secret"
)

// shareWithInvited shares the plain snapshot of f with invited, which waits
// for its invitation, and returns the share's ID.
func shareWithInvited(t *testing.T, f *fake.RAM) string {
	t.Helper()
	if err := f.PutSnapshot(fake.Snapshot{Region: svcRegion, ID: "s-bp1plain01"}); err != nil {
		t.Fatal(err)
	}
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName, req.AllowExternalTargets = svcRegion, "to-invited", requests.NewBoolean(true)
	req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: "s-bp1plain01", ResourceType: "Snapshot"}}
	req.Targets = &[]string{invited}
	resp, err := f.CreateResourceShare(req)
	if err != nil {
		t.Fatalf("CreateResourceShare: %v", err)
	}
	return resp.ResourceShare.ResourceShareId
}

// targetStatus returns the status of the share's target invited, as the
// sharer lists it.
func targetStatus(t *testing.T, f *fake.RAM, shareID string) string {
	t.Helper()
	for _, s := range f.ResourceShares() {
		for _, tg := range s.Targets {
			if s.ID == shareID && tg.ID == invited {
				return tg.Status
			}
		}
	}
	return "none"
}

// invitationRow is an invitation on one line, its ID left out.
func invitationRow(i resourcesharing.ResourceShareInvitation) string {
	return strings.Join([]string{i.ResourceShareId, i.ResourceShareName, i.SenderAccountId, i.ReceiverAccountId, i.CreateTime, i.Status}, " ")
}

func TestRecipientAcceptsThroughTheEndpoint(t *testing.T) {
	f, _ := newFake(t, nil)
	shareID := shareWithInvited(t, f)
	ep := start(t, f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		{AccessKeyID: invitedKey, AccessKeySecret: invitedSecret, Account: invited},
	}})
	c, err := ep.ResourceSharingClient(invitedKey, invitedSecret)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListResourceShareInvitations(resourcesharing.CreateListResourceShareInvitationsRequest())
	if err != nil {
		t.Fatalf("ListResourceShareInvitations: %v", err)
	}
	if len(list.ResourceShareInvitations) != 1 {
		t.Fatalf("invitations = %+v, want one", list.ResourceShareInvitations)
	}
	inv := list.ResourceShareInvitations[0]
	if got, want := invitationRow(inv), shareID+" to-invited 1234567890123456 9000000000000009 "+t0Date+" Pending"; got != want {
		t.Errorf("invitation = %s, want %s", got, want)
	}
	if got := targetStatus(t, f, shareID); got != fake.AssociationAssociating {
		t.Fatalf("target before acceptance = %s, want Associating", got)
	}

	accept := func(id string) (*resourcesharing.AcceptResourceShareInvitationResponse, error) {
		req := resourcesharing.CreateAcceptResourceShareInvitationRequest()
		req.ResourceShareInvitationId = id
		return c.AcceptResourceShareInvitation(req)
	}
	resp, err := accept(inv.ResourceShareInvitationId)
	if err != nil {
		t.Fatalf("AcceptResourceShareInvitation: %v", err)
	}
	if got, want := invitationRow(resp.ResourceShareInvitation), shareID+" to-invited 1234567890123456 9000000000000009 "+t0Date+" Accepted"; got != want {
		t.Errorf("accepted invitation = %s, want %s", got, want)
	}
	if got := targetStatus(t, f, shareID); got != fake.AssociationAssociated {
		t.Errorf("target after acceptance = %s, want Associated", got)
	}
	if got := f.Invitations(); len(got) != 0 {
		t.Errorf("pending invitations after acceptance = %v, want none", got)
	}

	// Refusals: again, the management account accepting another's, a
	// malformed ID, none.
	mgmt, err := ep.ResourceSharingClient(testKeyID, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	refusals := map[string]string{}
	code := func(name string, err error) {
		se := serverError(t, err)
		refusals[name] = se.ErrorCode() + " " + strconv.Itoa(se.HttpStatus())
	}
	_, err = accept(inv.ResourceShareInvitationId)
	code("again", err)
	req := resourcesharing.CreateAcceptResourceShareInvitationRequest()
	req.ResourceShareInvitationId = inv.ResourceShareInvitationId
	_, err = mgmt.AcceptResourceShareInvitation(req)
	code("by another account", err)
	_, err = accept("inv-1")
	code("malformed", err)
	_, err = accept("")
	code("none", err)
	want := map[string]string{
		"again":              "InvitationStatus.AlreadyAccepted 409",
		"by another account": "EntityNotExists.ResourceShareInvitation 409",
		"malformed":          "InvalidParameter.ResourceShareInvitationId 400",
		"none":               "MissingParameter.ResourceShareInvitationId 400",
	}
	if diff := cmp.Diff(want, refusals); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
}

func TestInvitationsExpireAndAreCancelled(t *testing.T) {
	f, clock := newFake(t, nil)
	recipient := addAccount(t, f, invited)
	shareID := shareWithInvited(t, f)
	list := func() []string {
		req := resourcesharing.CreateListResourceShareInvitationsRequest()
		req.RegionId = svcRegion
		resp, err := recipient.ListResourceShareInvitations(req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range resp.ResourceShareInvitations {
			out = append(out, i.Status)
		}
		return out
	}
	acceptFirst := func() string {
		req := resourcesharing.CreateListResourceShareInvitationsRequest()
		req.RegionId = svcRegion
		resp, err := recipient.ListResourceShareInvitations(req)
		if err != nil {
			t.Fatal(err)
		}
		areq := resourcesharing.CreateAcceptResourceShareInvitationRequest()
		areq.RegionId, areq.ResourceShareInvitationId = svcRegion, resp.ResourceShareInvitations[0].ResourceShareInvitationId
		_, err = recipient.AcceptResourceShareInvitation(areq)
		return errCode(t, err)
	}
	clock.Advance(fake.InvitationValidity - time.Second)
	if diff := cmp.Diff([]string{"Pending"}, list()); diff != "" {
		t.Errorf("a second before it expires (-want +got):\n%s", diff)
	}
	clock.Advance(time.Second)
	if diff := cmp.Diff([]string{"Expired"}, list()); diff != "" {
		t.Errorf("seven days after (-want +got):\n%s", diff)
	}
	if code := acceptFirst(); code != "InvitationStatus.Expired" {
		t.Errorf("accepting an expired invitation: %q, want InvitationStatus.Expired", code)
	}
	if err := f.AcceptInvitation(shareID, invited); err == nil {
		t.Error("AcceptInvitation took an expired invitation")
	}

	// A second share, whose target is removed before the answer.
	f2, _ := newFake(t, nil)
	recipient = addAccount(t, f2, invited)
	shareID = shareWithInvited(t, f2)
	dis := resourcesharing.CreateDisassociateResourceShareRequest()
	dis.RegionId, dis.ResourceShareId, dis.Targets = svcRegion, shareID, &[]string{invited}
	if _, err := f2.DisassociateResourceShare(dis); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Cancelled"}, list()); diff != "" {
		t.Errorf("after the target is removed (-want +got):\n%s", diff)
	}
	if code := acceptFirst(); code != "InvitationStatus.Cancelled" {
		t.Errorf("accepting a cancelled invitation: %q, want InvitationStatus.Cancelled", code)
	}
}

func TestAcceptInvitationInProcess(t *testing.T) {
	f, _ := newFake(t, nil)
	shareID := shareWithInvited(t, f)
	if err := f.AcceptInvitation(shareID, "9000000000000001"); err == nil {
		t.Error("AcceptInvitation for an account never invited succeeded")
	}
	if err := f.AcceptInvitation(shareID, invited); err != nil {
		t.Fatalf("AcceptInvitation: %v", err)
	}
	if got := targetStatus(t, f, shareID); got != fake.AssociationAssociated {
		t.Errorf("target = %s, want Associated", got)
	}
	if err := f.AcceptInvitation(shareID, invited); err == nil {
		t.Error("AcceptInvitation accepted twice")
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("%d calls logged, want only CreateResourceShare: AcceptInvitation is not a call", n)
	}
}

// TestCheckAllowsOnceTheInvitationIsAccepted shares an encrypted snapshot
// with an account outside the directory: Check says no while the
// invitation waits, and yes once the recipient accepts it.
func TestCheckAllowsOnceTheInvitationIsAccepted(t *testing.T) {
	ctx := context.Background()
	f, _ := newFake(t, nil)
	if err := fake.LoadSeedBytes(f, []byte(svcSeed)); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareSnapshot().WithSnapshot(svcRegion, sharedSnap).WithAccounts(invited).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := encryptperm.NewApplier(f, nil).Apply(ctx, g); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	access := encryptperm.Access{Recipient: invited, Resource: encryptperm.ResourceSnapshot, ResourceID: sharedSnap, Region: svcRegion}
	d, err := encryptperm.Check(ctx, f, access)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !strings.Contains(d.Reason, "the invitation is pending") {
		t.Fatalf("before acceptance: allowed %v, %s; want not allowed, the invitation pending", d.Allowed, d.Reason)
	}
	shares := f.ResourceShares()
	if len(shares) != 1 {
		t.Fatalf("shares = %+v, want one", shares)
	}
	if err := f.AcceptInvitation(shares[0].ID, invited); err != nil {
		t.Fatal(err)
	}
	d, err = encryptperm.Check(ctx, f, access)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Errorf("after acceptance: not allowed: %s", d.Reason)
	}
	if sim := f.SimulateECS(encryptperm.Access{Recipient: invited, Resource: encryptperm.ResourceSnapshot, Key: encryptperm.Key{Region: svcRegion, Owner: fake.DefaultAccountID, ID: svcKey}}); !sim.Allowed {
		t.Errorf("SimulateECS after acceptance: %s", sim.Reason)
	}
}
