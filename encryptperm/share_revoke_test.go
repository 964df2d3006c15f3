package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// beforeCall is an Observer that runs fn once, before the first attempt of
// the first call of action: what another writer does meanwhile.
type beforeCall struct {
	action string
	fn     func()
	once   sync.Once
}

func (b *beforeCall) StartCall(_ context.Context, c encryptperm.Call) func(code, requestID string, err error) {
	if c.Action == b.action && c.Attempt == 1 {
		b.once.Do(b.fn)
	}
	return func(string, string, error) {}
}

// rvShares returns, by share name, the resources and targets of f's
// resource shares.
func rvShares(f *fake.RAM) map[string][]string {
	out := map[string][]string{}
	for _, sh := range f.ResourceShares() {
		x := []string{}
		for _, e := range sh.Resources {
			x = append(x, e.Type+"/"+e.ID)
		}
		for _, e := range sh.Targets {
			x = append(x, e.ID)
		}
		out[sh.Name] = x
	}
	return out
}

// rvDisassociate takes targets out of a share, as another writer would.
func rvDisassociate(t *testing.T, f *fake.RAM, shareID string, targets ...string) {
	t.Helper()
	req := resourcesharing.CreateDisassociateResourceShareRequest()
	req.RegionId, req.ResourceShareId, req.Targets = shRegion, shareID, &targets
	if _, err := f.DisassociateResourceShare(req); err != nil {
		t.Fatal(err)
	}
}

// TestShareRevokeWhenATargetLeavesMeanwhile: Resource Sharing refuses a
// whole DisassociateResourceShare when one of its targets has left since
// the read. Revoke then reads the share again and takes out the targets
// still there; it never reports success while a target still holds the
// snapshot, and it leaves alone a share that now holds another resource.
func TestShareRevokeWhenATargetLeavesMeanwhile(t *testing.T) {
	const share = "EncryptPerm-s-bp1shared01"
	tests := []struct {
		name      string
		meanwhile func(t *testing.T, f *fake.RAM, shareID string)
		wantErr   error
		// The answers to the Revoke's DisassociateResourceShare calls.
		wantCodes  []string
		wantShares map[string][]string
		wantRoles  int
	}{
		{
			name:       "one target left",
			meanwhile:  func(t *testing.T, f *fake.RAM, id string) { rvDisassociate(t, f, id, apAcctA) },
			wantCodes:  []string{"EntityNotExists.Resource", ""},
			wantShares: map[string][]string{share: {"Snapshot/" + shSnapshot}},
		},
		{
			name:       "both targets left",
			meanwhile:  func(t *testing.T, f *fake.RAM, id string) { rvDisassociate(t, f, id, apAcctA, apAcctB) },
			wantCodes:  []string{"EntityNotExists.Resource"},
			wantShares: map[string][]string{share: {"Snapshot/" + shSnapshot}},
		},
		{
			name: "one target left and another resource came",
			meanwhile: func(t *testing.T, f *fake.RAM, id string) {
				rvDisassociate(t, f, id, apAcctA)
				if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: "s-bp1other01"}); err != nil {
					t.Fatal(err)
				}
				req := resourcesharing.CreateAssociateResourceShareRequest()
				req.RegionId, req.ResourceShareId = shRegion, id
				req.Resources = &[]resourcesharing.AssociateResourceShareResources{{ResourceId: "s-bp1other01", ResourceType: "Snapshot"}}
				if _, err := f.AssociateResourceShare(req); err != nil {
					t.Fatal(err)
				}
			},
			wantErr:    encryptperm.ErrConflict,
			wantCodes:  []string{"EntityNotExists.Resource"},
			wantShares: map[string][]string{share: {"Snapshot/" + shSnapshot, "Snapshot/s-bp1other01", apAcctB}},
			wantRoles:  1, // the grant stays while apAcctB holds the snapshot
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA, apAcctB))
			if _, err := encryptperm.NewApplier(f, nil).Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			shares := f.ResourceShares()
			if len(shares) != 1 || shares[0].Name != share || len(shares[0].Targets) != 2 {
				t.Fatalf("shares after Apply: %+v", shares)
			}
			o := apFast()
			o.Observer = &beforeCall{action: "DisassociateResourceShare", fn: func() { tt.meanwhile(t, f, shares[0].ID) }}
			res, err := encryptperm.NewApplier(f, o).Revoke(ctx, g)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Revoke: err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && !strings.Contains(err.Error(), shares[0].ID) {
				t.Errorf("the error does not name the share: %v", err)
			}
			codes := []string{}
			for _, c := range res.Calls {
				if c.Action == "DisassociateResourceShare" {
					codes = append(codes, c.Code)
				}
			}
			if diff := cmp.Diff(tt.wantCodes, codes); diff != "" {
				t.Errorf("DisassociateResourceShare answers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantShares, rvShares(f)); diff != "" {
				t.Errorf("shares after Revoke (-want +got):\n%s", diff)
			}
			if got := len(f.Roles()); got != tt.wantRoles {
				t.Errorf("%d roles after Revoke, want %d", got, tt.wantRoles)
			}
		})
	}
}

// TestShareRevokeRefusedBatchBounded: a share that refuses every
// DisassociateResourceShare though its targets stay is tried
// Options.MaxRounds times, and the Revoke fails: the grant stays.
func TestShareRevokeRefusedBatchBounded(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA, apAcctB))
	if _, err := encryptperm.NewApplier(f, nil).Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	f.SetFaults(fake.Rule{Action: "DisassociateResourceShare", Code: "EntityNotExists.Resource"})
	o := apFast()
	o.MaxRounds = 3
	o.Sleep = func(context.Context, time.Duration) error { return nil }
	res, err := encryptperm.NewApplier(f, o).Revoke(ctx, g)
	if err == nil || !strings.Contains(err.Error(), "refused to take "+apAcctA+", "+apAcctB+" out of the share 3 times") {
		t.Fatalf("Revoke: err = %v", err)
	}
	n := 0
	for _, c := range res.Calls {
		if c.Action == "DisassociateResourceShare" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d DisassociateResourceShare calls, want 3", n)
	}
	if len(f.Roles()) != 1 {
		t.Errorf("roles after a failed Revoke: %v", f.Roles())
	}
}

// rvForeignShare makes, by hand, a resource share named name of the
// resources with the targets, as another team would. The fake's ECS
// judges a share of an encrypted image against the share role, so the
// image is made unencrypted for the moment of the share.
func rvForeignShare(t *testing.T, f *fake.RAM, name string, images []string, targets ...string) string {
	t.Helper()
	var res []resourcesharing.CreateResourceShareResources
	for _, id := range images {
		if err := f.PutImage(fake.Image{Region: shRegion, ID: id}); err != nil {
			t.Fatal(err)
		}
		res = append(res, resourcesharing.CreateResourceShareResources{ResourceId: id, ResourceType: "Image"})
	}
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName, req.Resources, req.Targets = shRegion, name, &res, &targets
	req.AllowExternalTargets = "true"
	resp, err := f.CreateResourceShare(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range images {
		if err := f.PutImage(fake.Image{Region: shRegion, ID: id, KMSKeyID: apKey.ID}); err != nil {
			t.Fatal(err)
		}
	}
	return resp.ResourceShare.ResourceShareId
}

// TestShareRevokeUndoesEveryPathOfAnImage: revoking an image share takes
// the image from the grant's recipients on every path before the key
// goes: ECS's share permission, and any resource share whose only resource
// is the image, whoever made it. A resource share that holds other
// resources too is refused with ErrConflict naming it, and nothing is
// written.
func TestShareRevokeUndoesEveryPathOfAnImage(t *testing.T) {
	const other = "m-bp1other01"
	tests := []struct {
		name     string
		images   []string // of the foreign share "team-images"
		targets  []string // of the foreign share
		give     *encryptperm.ShareBuilder
		wantErr  error
		wantECS  []string // accounts ECS shares the image with after the Revoke
		wantTeam []string // resources and targets of team-images after it
		// The share step's writes, in order.
		wantShareWrites []string
		wantRoles       int
	}{
		{
			name: "a foreign share names the account", images: []string{shImage}, targets: []string{apAcctA, shMember},
			give:            encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA),
			wantECS:         []string{},
			wantTeam:        []string{"Image/" + shImage, shMember},
			wantShareWrites: []string{"ModifyImageSharePermission", "DisassociateResourceShare"},
		},
		{
			name: "a foreign share names the member account and the directory", images: []string{shImage}, targets: []string{shMember, shRD},
			give:            encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(shMember).WithResourceDirectory(shRD),
			wantECS:         []string{},
			wantTeam:        []string{"Image/" + shImage},
			wantShareWrites: []string{"ModifyImageSharePermission", "DisassociateResourceShare"},
		},
		{
			name: "a foreign share of two images names the account", images: []string{shImage, other}, targets: []string{apAcctA},
			give:      encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA),
			wantErr:   encryptperm.ErrConflict,
			wantECS:   []string{apAcctA},
			wantTeam:  []string{"Image/" + shImage, "Image/" + other, apAcctA},
			wantRoles: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			team := rvForeignShare(t, f, "team-images", tt.images, tt.targets...)
			g := mustBuild(t, tt.give)
			a := encryptperm.NewApplier(f, nil)
			if _, err := a.Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			roles, policies, shares := f.Roles(), f.Policies(), f.ResourceShares()
			n := len(f.Calls())
			res, err := a.Revoke(ctx, g)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), team) || !strings.Contains(err.Error(), "team-images") {
					t.Fatalf("Revoke: err = %v, want %v naming %s (team-images)", err, tt.wantErr, team)
				}
				// Nothing written: RAM and the shares are as they were.
				for _, c := range f.Calls()[n:] {
					if rtIsWrite(c.Action) {
						t.Errorf("the refused Revoke wrote %s", c.Action)
					}
				}
				if diff := cmp.Diff(roles, f.Roles()); diff != "" {
					t.Errorf("roles changed (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(policies, f.Policies()); diff != "" {
					t.Errorf("policies changed (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(shares, f.ResourceShares()); diff != "" {
					t.Errorf("resource shares changed (-before +after):\n%s", diff)
				}
			}
			ecsAccts, _ := f.ImageSharedWith(shRegion, shImage)
			if diff := cmp.Diff(tt.wantECS, append([]string{}, ecsAccts...)); diff != "" {
				t.Errorf("ECS shares the image with (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTeam, rvShares(f)["team-images"]); diff != "" {
				t.Errorf("team-images after Revoke (-want +got):\n%s", diff)
			}
			var writes []string
			for _, c := range res.Changes {
				if c.Action == "ModifyImageSharePermission" || c.Action == "DisassociateResourceShare" {
					writes = append(writes, c.Action)
				}
			}
			if diff := cmp.Diff(tt.wantShareWrites, writes); diff != "" {
				t.Errorf("share writes (-want +got):\n%s", diff)
			}
			if got := len(f.Roles()); got != tt.wantRoles {
				t.Errorf("%d roles after Revoke, want %d", got, tt.wantRoles)
			}
		})
	}
}

// TestShareRevokeOfAnImageNeedsResourceSharing: without a Resource
// Sharing client, an image's resource shares cannot be read, so a Revoke
// refuses before any I/O.
func TestShareRevokeOfAnImageNeedsResourceSharing(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	a := encryptperm.NewApplier(struct{ encryptperm.RAM }{f}, &encryptperm.Options{ECS: f, KMS: f})
	res, err := a.Revoke(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), "Options.ResourceSharing") {
		t.Fatalf("Revoke: err = %v", err)
	}
	if len(res.Calls) != 0 || len(f.Calls()) != 0 {
		t.Errorf("calls made: %v", f.Calls())
	}
}
