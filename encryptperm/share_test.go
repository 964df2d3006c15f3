package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	shRegion   = "cn-hangzhou"
	shImage    = "m-bp1shared01"
	shSnapshot = "s-bp1shared01"
	shPlainImg = "m-bp1plain01"
	shSvcImage = "m-bp1servicekey"
	shRD       = "rd-3GabcD"
	shFolder   = "rd-3GabcD/r-Root01/fd-Folder01"
	shMember   = "2234567890123456"
)

// shareFake is a fake with a key, encrypted and plain images and a
// snapshot, and a resource directory whose sharing is on.
func shareFake(t *testing.T, o *fake.Options) *fake.RAM {
	t.Helper()
	f := fake.New(o)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"], "folders": ["r-Root01", "fd-Folder01"]},
	 "keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f", "state": "Enabled"},
	          {"region": "cn-hangzhou", "id": "key-hzz6b2f1b0c3d4e5f", "state": "Disabled"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"},
	            {"region": "cn-hangzhou", "id": "m-bp1plain01"},
	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}],
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustBuild(t *testing.T, b interface {
	Build() (*encryptperm.Grant, error)
}) *encryptperm.Grant {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestShareImageWithAccounts(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX))
	res, err := a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		t.Log(c)
	}
	got, _ := f.ImageSharedWith(shRegion, shImage)
	if diff := cmp.Diff([]string{apAcctA, apAcctB, apAcctX}, got); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	res, err = a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 0 {
		t.Errorf("re-apply: %d writes, want 0: %v", res.Writes, res.Changes)
	}
	res, err = a.Revoke(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		t.Log(c)
	}
	got, _ = f.ImageSharedWith(shRegion, shImage)
	if len(got) != 0 {
		t.Errorf("after revoke shared with %v", got)
	}
}

func TestShareSnapshotThroughResourceSharing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		give        *encryptperm.ShareBuilder
		wantTargets []string
		wantPending int
	}{
		{"accounts", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA, shMember), []string{apAcctA, shMember}, 1},
		{"directory", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD), []string{shRD}, 0},
		{"folder", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithFolder(shFolder), []string{"fd-Folder01"}, 0},
		{"image with directory", encryptperm.ShareImage().WithImage(shRegion, shImage).WithResourceDirectory(shRD), []string{shRD}, 0},
		{"seven accounts", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(
			"2000000000000001", "2000000000000002", "2000000000000003", "2000000000000004",
			"2000000000000005", "2000000000000006", "2000000000000007"), []string{
			"2000000000000001", "2000000000000002", "2000000000000003", "2000000000000004",
			"2000000000000005", "2000000000000006", "2000000000000007"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			g := mustBuild(t, tt.give)
			pl, err := a.Plan(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(pl.String(), "through a new resource share") {
				t.Errorf("plan lacks the share:\n%s", pl)
			}
			res, err := a.Apply(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			shares := f.ResourceShares()
			if len(shares) != 1 {
				t.Fatalf("%d resource shares, want 1: %+v", len(shares), shares)
			}
			var targets []string
			for _, x := range shares[0].Targets {
				targets = append(targets, x.ID)
			}
			if diff := cmp.Diff(tt.wantTargets, targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
			pending := 0
			for _, c := range res.Changes {
				if c.Kind == encryptperm.Note && strings.Contains(c.Summary, "pending") {
					pending++
				}
			}
			if pending != tt.wantPending {
				t.Errorf("%d pending notes, want %d: %v", pending, tt.wantPending, res.Changes)
			}
			res, err = a.Apply(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if res.Writes != 0 {
				t.Errorf("re-apply: %d writes, want 0", res.Writes)
			}
			if _, err := a.Revoke(ctx, g); err != nil {
				t.Fatal(err)
			}
			if got := f.ResourceShares(); len(got) != 1 || len(got[0].Targets) != 0 {
				t.Errorf("after revoke: %+v, want the share without targets", got)
			}
			if len(f.Roles()) != 0 {
				t.Errorf("after revoke roles %v", f.Roles())
			}
		})
	}
}

func TestShareReusesForeignShare(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	// Someone shared the snapshot (unencrypted for them, as far as this
	// matters) with a directory member already, through a share of their
	// own that allows external targets.
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName = shRegion, "team-snapshots"
	req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: shSnapshot, ResourceType: "Snapshot"}}
	req.Targets, req.AllowExternalTargets = &[]string{shMember}, requests.NewBoolean(true)
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CreateResourceShare(req); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot, KMSKeyID: apKey.ID}); err != nil {
		t.Fatal(err)
	}
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(shMember, apAcctA))
	res, err := encryptperm.NewApplier(f, nil).Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range res.Calls {
		if c.Write {
			actions = append(actions, c.Action)
		}
	}
	sort.Strings(actions)
	want := []string{"AssociateResourceShare", "AttachPolicyToRole", "CreatePolicy", "CreateRole"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if got := f.ResourceShares(); len(got) != 1 || got[0].Name != "team-snapshots" || len(got[0].Targets) != 2 {
		t.Errorf("shares %+v, want team-snapshots reused with both targets", got)
	}
}

func TestShareUnencryptedNeedsNoRole(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shPlainImg).WithAccounts(apAcctA))
	a := encryptperm.NewApplier(f, nil)
	pl, err := a.Plan(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Changes) != 1 || pl.Changes[0].Action != "ModifyImageSharePermission" {
		t.Errorf("plan:\n%s\nwant only the share", pl)
	}
	if _, err := a.ApplyPlan(context.Background(), pl); err != nil {
		t.Fatal(err)
	}
	if len(f.Roles()) != 0 || slices.ContainsFunc(f.Policies(), func(p fake.Policy) bool { return p.Type == string(encryptperm.Custom) }) {
		t.Errorf("roles %v, policies %v; want none for an unencrypted image", f.Roles(), f.Policies())
	}
	if got, _ := f.ImageSharedWith(shRegion, shPlainImg); !cmp.Equal(got, []string{apAcctA}) {
		t.Errorf("shared with %v", got)
	}
}

func TestSharePreflightRefusesBeforeAnyWrite(t *testing.T) {
	ctx := context.Background()
	disabled := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6b2f1b0c3d4e5f"}
	tests := []struct {
		name      string
		give      []*encryptperm.ShareBuilder
		rd        *fake.ResourceDirectory
		wantPaths []string
		wantIs    []error
	}{
		{"service key image", []*encryptperm.ShareBuilder{encryptperm.ShareImage().WithImage(shRegion, shSvcImage).WithAccounts(apAcctA)},
			nil, []string{"grants[0].Resources[0]"}, []error{encryptperm.ErrInvalid}},
		{"other key named", []*encryptperm.ShareBuilder{encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA).WithKey(disabled)},
			nil, []string{"grants[0].Keys", "grants[0].Keys[0]"}, []error{encryptperm.ErrInvalid}},
		{"missing image and owner", []*encryptperm.ShareBuilder{
			encryptperm.ShareImage().WithImage(shRegion, "m-bp1nothere").WithAccounts(apAcctA),
			encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(fake.DefaultAccountID, apAcctB)},
			nil, []string{"grants[0].Resources[0]", "grants[1].Audience.Accounts[0]"}, []error{encryptperm.ErrInvalid, encryptperm.ErrNotFound}},
		{"directory sharing off", []*encryptperm.ShareBuilder{encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD)},
			&fake.ResourceDirectory{ID: shRD, Members: []string{shMember}}, []string{"grants[0].Resources[0]"}, []error{encryptperm.ErrInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			if tt.rd != nil {
				if err := f.PutResourceDirectory(*tt.rd); err != nil {
					t.Fatal(err)
				}
			}
			var gs []*encryptperm.Grant
			for _, b := range tt.give {
				gs = append(gs, mustBuild(t, b))
			}
			res, err := encryptperm.NewApplier(f, nil).Apply(ctx, gs...)
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			for _, p := range tt.wantPaths {
				if !ve.Has(p) {
					t.Errorf("no problem at %s in %v", p, err)
				}
			}
			for _, w := range tt.wantIs {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(err, %v) = false: %v", w, err)
				}
			}
			if res.Writes != 0 {
				t.Errorf("%d writes before the refusal", res.Writes)
			}
			for _, c := range f.Calls() {
				if !strings.HasPrefix(c.Action, "Describe") && !strings.HasPrefix(c.Action, "List") && !strings.HasPrefix(c.Action, "Check") && !strings.HasPrefix(c.Action, "Get") {
					t.Errorf("call %s made before the refusal", c.Action)
				}
			}
		})
	}
}

// TestShareGrantKeyProblemsListedOnce: a grant that names two images and
// a key that is disabled, or that KMS does not find, has that problem
// listed once, at the key, not once per image.
func TestShareGrantKeyProblemsListedOnce(t *testing.T) {
	disabled := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6b2f1b0c3d4e5f"}
	gone := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6d2f1b0c3d4e5f"}
	tests := []struct {
		name       string
		imageKey   string
		give       encryptperm.Key
		wantReason string
	}{
		{"disabled", disabled.ID, disabled, "the key is Disabled, not Enabled"},
		{"not found", apKey.ID, gone, "KMS does not find key key-hzz6d2f1b0c3d4e5f in cn-hangzhou"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			for _, id := range []string{"m-bp1disabled01", "m-bp1disabled02"} {
				if err := f.PutImage(fake.Image{Region: shRegion, ID: id, KMSKeyID: tt.imageKey}); err != nil {
					t.Fatal(err)
				}
			}
			g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, "m-bp1disabled01").WithImage(shRegion, "m-bp1disabled02").
				WithAccounts(apAcctA).WithKey(tt.give))
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				if p.Path == "grants[0].Keys[0]" {
					got = append(got, p.Reason)
				}
			}
			if diff := cmp.Diff([]string{tt.wantReason}, got); diff != "" {
				t.Errorf("problems at grants[0].Keys[0] (-want +got):\n%s\nall: %v", diff, err)
			}
			if res.Writes != 0 {
				t.Errorf("%d writes", res.Writes)
			}
		})
	}
}

func TestShareBuildRefusals(t *testing.T) {
	tests := []struct {
		name     string
		give     *encryptperm.ShareBuilder
		wantPath string
	}{
		{"service key with image", encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA).WithServiceKey(), "ServiceKey"},
		{"bad image ID", encryptperm.ShareImage().WithImage(shRegion, "i-bp1x").WithAccounts(apAcctA), "Resources[0].ID"},
		{"wildcard snapshot", encryptperm.ShareSnapshot().WithSnapshot(shRegion, "s-*").WithAccounts(apAcctA), "Resources[0].ID"},
		{"bad region", encryptperm.ShareSnapshot().WithSnapshot("Hangzhou", shSnapshot).WithAccounts(apAcctA), "Resources[0].Region"},
		{"image on snapshot grant", encryptperm.ShareSnapshot().WithImage(shRegion, shImage).WithAccounts(apAcctA), "Resources[0]"},
		{"over 50 accounts", encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(rtAccounts(51)...), "Accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.give.Build()
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !ve.Has(tt.wantPath) {
				t.Errorf("no problem at %s: %v", tt.wantPath, err)
			}
		})
	}
	// A named resource needs no key.
	if _, err := encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA).Build(); err != nil {
		t.Errorf("snapshot without a key: %v", err)
	}
}

// TestShareRetriesWhileECSLags: ECS's view of RAM lags the fresh grant;
// the share is retried within ShareWait, the fake's clock moved by the
// injected sleep.
func TestShareRetriesWhileECSLags(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := shareFake(t, &fake.Options{Clock: clock, Faults: []fake.Rule{{Action: "ModifyImageSharePermission", ECSViewLag: 5 * time.Second}}})
	var slept []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f, &encryptperm.Options{Sleep: sleep}).Apply(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, slept); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	refused := 0
	for _, c := range res.Calls {
		if c.Action == "ModifyImageSharePermission" && c.Code == "AssumeRoleError" {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("%d refused shares, want 3", refused)
	}

	// With a wait too short, the refusal is reported, and says why.
	f = shareFake(t, &fake.Options{Clock: clock, Faults: []fake.Rule{{Action: "ModifyImageSharePermission", ECSViewLag: time.Hour}}})
	_, err = encryptperm.NewApplier(f, &encryptperm.Options{Sleep: sleep, ShareWait: 10 * time.Second}).Apply(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
	if d, ok := encryptperm.DiagnoseError(err); !ok || d.Code != "AssumeRoleError" {
		t.Errorf("diagnosis %+v, %v", d, ok)
	}
}

// TestShareRetriesWhileECSLagsOnTheKey: the role exists and trusts the
// recipient already; only the policy's new key is fresh. ECS, not seeing
// it yet, refuses with InvalidParameter.KMSKeyId.CMKUnauthorized, and the
// share is retried within ShareWait as for AssumeRoleError.
func TestShareRetriesWhileECSLagsOnTheKey(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := shareFake(t, &fake.Options{Clock: func() time.Time { return now }})
	keyC := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	if err := f.PutKey(fake.Key{Region: shRegion, ID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(fake.Image{Region: shRegion, ID: "m-bp1keyc01", KMSKeyID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	a := encryptperm.NewApplier(f, &encryptperm.Options{Sleep: sleep})
	first := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	if _, err := a.Apply(ctx, first); err != nil {
		t.Fatal(err)
	}
	f.SetFaults(fake.Rule{Action: "ModifyImageSharePermission", ECSViewLag: 5 * time.Second})
	both := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithImage(shRegion, "m-bp1keyc01").WithAccounts(apAcctA))
	res, err := a.Apply(ctx, both)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, slept); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	var codes []string
	for _, c := range res.Calls {
		if c.Action == "ModifyImageSharePermission" && c.Code != "" {
			codes = append(codes, c.Code)
		}
	}
	refused := "InvalidParameter.KMSKeyId.CMKUnauthorized"
	if diff := cmp.Diff([]string{refused, refused, refused}, codes); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
	if got, _ := f.ImageSharedWith(shRegion, "m-bp1keyc01"); !cmp.Equal(got, []string{apAcctA}) {
		t.Errorf("shared with %v", got)
	}
}

func TestShareNeedsBackends(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA))
	// A RAM client that is only a RAM client.
	a := encryptperm.NewApplier(struct{ encryptperm.RAM }{f}, nil)
	_, err := a.Apply(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), "Options.ECS") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls made", n)
	}
	// Options names them.
	a = encryptperm.NewApplier(struct{ encryptperm.RAM }{f}, &encryptperm.Options{ECS: f, ResourceSharing: f, KMS: f})
	if _, err := a.Apply(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}

func TestCheckNamedResource(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	img := encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion}
	d, err := encryptperm.Check(ctx, f, img)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !slices.Contains(d.Missing, "share") {
		t.Errorf("before the grant: allowed %v, missing %v", d.Allowed, d.Missing)
	}
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	gs := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA, shMember))
	if _, err := a.Apply(ctx, g, gs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		give        encryptperm.Access
		wantAllowed bool
		wantMissing []string
	}{
		{"image recipient", img, true, nil},
		{"image stranger", encryptperm.Access{Recipient: apAcctB, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion}, false,
			[]string{"sts:AssumeRole", "share"}},
		{"snapshot member", encryptperm.Access{Recipient: shMember, RDID: shRD, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion}, true, nil},
		{"snapshot invitation pending", encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion}, false, []string{"share"}},
		{"unencrypted image not shared", encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shPlainImg, Region: shRegion}, false, []string{"share"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := a.Check(ctx, tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.wantAllowed {
				t.Errorf("allowed %v, want %v: %s", d.Allowed, tt.wantAllowed, d.Reason)
			}
			var missing []string
			for _, m := range d.Missing {
				if m == "share" || m == "sts:AssumeRole" {
					missing = append(missing, m)
				}
			}
			if diff := cmp.Diff(tt.wantMissing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: "m-bp1nothere", Region: shRegion}); !errors.Is(err, encryptperm.ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	if _, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: "m-*", Region: shRegion}); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("wildcard image: %v", err)
	}
}

// TestCheckSharedPendingAndAssociated: a snapshot shared with an account
// outside the directory (its invitation pending) and with the directory
// itself (associated) is shared with a recipient that asks as a member of
// that directory, every time: the pending invitation does not take the
// place of the association, whatever order the targets are met in (one
// share's targets, or two shares made in either order).
func TestCheckSharedPendingAndAssociated(t *testing.T) {
	ctx := context.Background()
	share := func(t *testing.T, f *fake.RAM, name string, target string) {
		t.Helper()
		req := resourcesharing.CreateCreateResourceShareRequest()
		req.RegionId, req.ResourceShareName = shRegion, name
		req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: shSnapshot, ResourceType: "Snapshot"}}
		req.Targets, req.AllowExternalTargets = &[]string{target}, requests.NewBoolean(true)
		if _, err := f.CreateResourceShare(req); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		giveShares []string // targets of shares made beforehand, in order
		wantShares int
	}{
		{"one share", nil, 1},
		{"directory share made first", []string{shRD, apAcctA}, 2},
		{"invitation share made first", []string{apAcctA, shRD}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			if len(tt.giveShares) > 0 {
				// Shared by someone else while it was unencrypted, as far
				// as this test cares: the fake's ECS wants no role then.
				if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot}); err != nil {
					t.Fatal(err)
				}
				for i, target := range tt.giveShares {
					share(t, f, fmt.Sprintf("team-%d", i), target)
				}
				if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot, KMSKeyID: apKey.ID}); err != nil {
					t.Fatal(err)
				}
			}
			a := encryptperm.NewApplier(f, nil)
			g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA).WithResourceDirectory(shRD))
			if _, err := a.Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			if got := len(f.ResourceShares()); got != tt.wantShares {
				t.Fatalf("%d resource shares, want %d", got, tt.wantShares)
			}
			q := encryptperm.Access{Recipient: apAcctA, RDID: shRD, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion}
			for i := range 50 {
				d, err := a.Check(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !d.Allowed || strings.Contains(d.Reason, "pending") {
					t.Fatalf("check %d: allowed %v, reason %q; want allowed through the directory", i, d.Allowed, d.Reason)
				}
				st := d.Steps[len(d.Steps)-1]
				if st.Action != "share" || !st.Allowed || !strings.HasSuffix(st.Reason, "shares the snapshot with "+shRD) {
					t.Fatalf("check %d: share step %+v, want it allowed through %s", i, st, shRD)
				}
			}
		})
	}
}

func TestSharePlanThenApplyPlan(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	pl, err := a.Plan(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range pl.Changes {
		actions = append(actions, c.Action)
	}
	want := []string{"CreateRole", "UpdateRole", "CreatePolicy", "AttachPolicyToRole", "ModifyImageSharePermission"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("plan actions (-want +got):\n%s", diff)
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.Action, "Create") || strings.HasPrefix(c.Action, "Modify") {
			t.Errorf("Plan wrote: %s", c.Action)
		}
	}
	if _, err := a.ApplyPlan(ctx, pl); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); !cmp.Equal(got, []string{apAcctA}) {
		t.Errorf("shared with %v", got)
	}
	rp, err := a.RevokePlan(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(rp.Changes) == 0 || rp.Changes[0].Action != "ModifyImageSharePermission" || rp.Changes[0].Kind != encryptperm.Narrowing {
		t.Errorf("revoke plan does not unshare first:\n%s", rp)
	}
}

func TestShareRevokeKeepsWhatStays(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	both := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB))
	onlyB := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctB))
	if _, err := a.Apply(ctx, both); err != nil {
		t.Fatal(err)
	}
	res, err := a.RevokeWith(ctx, &encryptperm.RevokeOptions{Keep: []*encryptperm.Grant{onlyB}}, both)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); !cmp.Equal(got, []string{apAcctB}) {
		t.Errorf("shared with %v, want %s kept", got, apAcctB)
	}
	kept := 0
	for _, c := range res.Changes {
		if c.Kept {
			kept++
		}
	}
	if kept == 0 {
		t.Errorf("no kept note: %v", res.Changes)
	}
	d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctB, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Errorf("the staying recipient lost access: %s", d.Reason)
	}
}

func TestShareReadFailureWritesNothing(t *testing.T) {
	image := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)
	// A snapshot shared with a directory reaches every Resource Sharing
	// read.
	snapshot := encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD)
	tests := []struct {
		action string
		give   *encryptperm.ShareBuilder
	}{
		{"DescribeImages", image},
		{"DescribeSnapshots", image},
		{"DescribeKey", image},
		{"DescribeImageSharePermission", image},
		{"ListResourceShares", snapshot},
		{"ListResourceShareAssociations", snapshot},
		{"CheckSharingWithResourceDirectoryStatus", snapshot},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: tt.action, Code: "Forbidden.RAM", Status: 403}}})
			g := mustBuild(t, tt.give)
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
			if !errors.Is(err, encryptperm.ErrAccessDenied) {
				t.Fatalf("err = %v, want ErrAccessDenied", err)
			}
			if res.Writes != 0 || len(f.Roles()) != 0 {
				t.Errorf("%d writes, roles %v", res.Writes, f.Roles())
			}
		})
	}
}

// TestShareNotAfterRAMFails: when RAM refuses the grant during an Apply
// that shares, nothing is shared: the share waits for the grant.
func TestShareNotAfterRAMFails(t *testing.T) {
	f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreatePolicy", Code: "Forbidden.RAM", Status: 403}}})
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	// No wait for ECS, should a share be tried.
	sleep := func(context.Context, time.Duration) error { return nil }
	_, err := encryptperm.NewApplier(f, &encryptperm.Options{Sleep: sleep}).Apply(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
	for _, c := range f.Calls() {
		if c.Action == "ModifyImageSharePermission" {
			t.Errorf("ModifyImageSharePermission called after RAM refused the grant")
		}
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); len(got) != 0 {
		t.Errorf("shared with %v", got)
	}
}

// TestShareCapRefusedBeforeAnyWrite: a share that would take a resource
// past the accounts ECS shares it with (Limits) is refused before any
// write, counting the accounts it is shared with already.
func TestShareCapRefusedBeforeAnyWrite(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		limits encryptperm.Limits
		first  *encryptperm.ShareBuilder
		then   *encryptperm.ShareBuilder
	}{
		{"image", encryptperm.Limits{ImageShareAccounts: 3},
			encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB),
			encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts("2000000000000008", "2000000000000009")},
		{"snapshot", encryptperm.Limits{SnapshotShareAccounts: 3},
			encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA, apAcctB),
			encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts("2000000000000008", "2000000000000009")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, &encryptperm.Options{Limits: tt.limits})
			if _, err := a.Apply(ctx, mustBuild(t, tt.first)); err != nil {
				t.Fatal(err)
			}
			n := len(f.Calls())
			res, err := a.Apply(ctx, mustBuild(t, tt.then))
			var ve *encryptperm.ValidationError
			if !errors.Is(err, encryptperm.ErrLimitExceeded) || !errors.As(err, &ve) || !ve.Has("grants[0].Resources[0]") {
				t.Fatalf("err = %v, want ErrLimitExceeded at grants[0].Resources[0]", err)
			}
			if !strings.Contains(err.Error(), "4 accounts (2 already)") {
				t.Errorf("the error does not count the accounts: %v", err)
			}
			if res.Writes != 0 {
				t.Errorf("%d writes", res.Writes)
			}
			for _, c := range f.Calls()[n:] {
				if !strings.HasPrefix(c.Action, "Describe") && !strings.HasPrefix(c.Action, "List") && !strings.HasPrefix(c.Action, "Get") {
					t.Errorf("call %s made before the refusal", c.Action)
				}
			}
		})
	}
}

// TestShareUnencryptedImageWithItsOwner: DescribeImages names the image's
// owner, so sharing even an unencrypted image with it is refused before
// any write.
func TestShareUnencryptedImageWithItsOwner(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shPlainImg).WithAccounts(fake.DefaultAccountID))
	res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || !ve.Has("grants[0].Audience.Accounts[0]") {
		t.Fatalf("err = %v", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
}

// TestShareLeavesMultiResourceSharesAlone: a share that holds other
// resources too is never added to (that would share them as well), and a
// Revoke that would have to remove a target from it changes nothing.
func TestShareLeavesMultiResourceSharesAlone(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	// team-all holds our snapshot and another, shared with a folder. It
	// was made while our snapshot was unencrypted, as far as this test
	// cares: the fake's ECS wants no role then.
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: "s-bp1other01"}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot}); err != nil {
		t.Fatal(err)
	}
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName = shRegion, "team-all"
	req.Resources = &[]resourcesharing.CreateResourceShareResources{
		{ResourceId: "s-bp1other01", ResourceType: "Snapshot"}, {ResourceId: shSnapshot, ResourceType: "Snapshot"}}
	req.Targets = &[]string{"fd-Folder01"}
	resp, err := f.CreateResourceShare(req)
	if err != nil {
		t.Fatal(err)
	}
	teamAll := resp.ResourceShare.ResourceShareId
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: shSnapshot, KMSKeyID: apKey.ID}); err != nil {
		t.Fatal(err)
	}
	// The Apply shares our snapshot with the directory through a share of
	// its own, not by adding the directory to team-all.
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	type share struct {
		Resources, Targets []string
	}
	got := map[string]share{}
	for _, sh := range f.ResourceShares() {
		var x share
		for _, e := range sh.Resources {
			x.Resources = append(x.Resources, e.ID)
		}
		for _, e := range sh.Targets {
			x.Targets = append(x.Targets, e.ID)
		}
		got[sh.Name] = x
	}
	want := map[string]share{
		"team-all":                  {Resources: []string{"s-bp1other01", shSnapshot}, Targets: []string{"fd-Folder01"}},
		"EncryptPerm-s-bp1shared01": {Resources: []string{shSnapshot}, Targets: []string{shRD}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("shares after Apply (-want +got):\n%s", diff)
	}
	// Someone now shares team-all with the directory as well.
	ar := resourcesharing.CreateAssociateResourceShareRequest()
	ar.RegionId, ar.ResourceShareId = shRegion, teamAll
	ar.Targets = &[]string{shRD}
	if _, err := f.AssociateResourceShare(ar); err != nil {
		t.Fatal(err)
	}
	n := len(f.Calls())
	res, err := a.Revoke(ctx, g)
	if !errors.Is(err, encryptperm.ErrConflict) || !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if !strings.Contains(err.Error(), "team-all") {
		t.Errorf("the error does not name the share: %v", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
	for _, c := range f.Calls()[n:] {
		if strings.HasPrefix(c.Action, "Disassociate") || strings.HasPrefix(c.Action, "Delete") || strings.HasPrefix(c.Action, "Update") {
			t.Errorf("Revoke wrote %s", c.Action)
		}
	}
}

// TestShareLostAnswerIsUnknown: a share write whose answer is lost is not
// sent again: the Apply reads whom the image is shared with, finds the
// write done, and reports it as a change. When that read fails too, the
// write's outcome stays unknown: the Apply fails and lists it in Unknown,
// and the next Apply finds it done.
func TestShareLostAnswerIsUnknown(t *testing.T) {
	ctx := context.Background()
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	wantShare := "share image m-bp1shared01 in cn-hangzhou with account(s) 2000000000000001 (ECS)"
	sent := func(f *fake.RAM) int {
		n := 0
		for _, c := range f.Calls() {
			if c.Action == "ModifyImageSharePermission" {
				n++
			}
		}
		return n
	}

	f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: "ModifyImageSharePermission", Nth: 1, LoseAnswer: true}}})
	res, err := encryptperm.NewApplier(f, nil).Apply(ctx, g)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(res.Unknown) != 0 || !slices.ContainsFunc(res.Changes, func(c encryptperm.Change) bool { return c.Summary == wantShare }) {
		t.Errorf("Changes %v, Unknown %v; want the share among the changes", res.Changes, res.Unknown)
	}
	if n := sent(f); n != 1 {
		t.Errorf("ModifyImageSharePermission sent %d times, want once", n)
	}

	// The read that would tell is refused: the outcome stays unknown.
	f = shareFake(t, &fake.Options{Faults: []fake.Rule{
		{Action: "ModifyImageSharePermission", Nth: 1, LoseAnswer: true},
		{Action: "DescribeImageSharePermission", Nth: 2, Code: "NoPermission"},
	}})
	a := encryptperm.NewApplier(f, nil)
	res, err = a.Apply(ctx, g)
	if err == nil {
		t.Fatal("Apply succeeded, though nothing could tell whether the share was made")
	}
	if !errors.Is(err, encryptperm.ErrAccessDenied) {
		t.Errorf("err = %v, want the read's ErrAccessDenied too", err)
	}
	if len(res.Unknown) != 1 || res.Unknown[0].Summary != wantShare {
		t.Errorf("Unknown = %v, want the share", res.Unknown)
	}
	if slices.ContainsFunc(res.Changes, func(c encryptperm.Change) bool { return c.Action == "ModifyImageSharePermission" }) {
		t.Errorf("Changes %v list the share whose outcome is unknown", res.Changes)
	}
	res, err = a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 0 || sent(f) != 1 {
		t.Errorf("second Apply wrote %d times (%d shares sent in all); the share had taken effect", res.Writes, sent(f))
	}
}

// TestShareWriteAnswered503EveryTime: ECS answers every share 503 without
// acting. Each answer leaves the outcome unknown, so each is followed by a
// read of whom the image is shared with, which shows it was not, and the
// share is sent again, up to Options.MaxRounds times. The Apply then fails
// with the 503, and lists nothing as unknown: the last read told.
func TestShareWriteAnswered503EveryTime(t *testing.T) {
	f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: "ModifyImageSharePermission", Code: "ServiceUnavailable"}}})
	o := apFast()
	o.MaxRounds = 3
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f, o).Apply(context.Background(), g)
	var ae *encryptperm.APIError
	if !errors.As(err, &ae) || ae.Code != "ServiceUnavailable" {
		t.Fatalf("Apply: %v, want the 503", err)
	}
	if len(res.Unknown) != 0 {
		t.Errorf("Unknown = %v; a read showed the share was not made", res.Unknown)
	}
	count := map[string]int{}
	for _, c := range f.Calls() {
		count[c.Action]++
	}
	if got := [2]int{count["ModifyImageSharePermission"], count["DescribeImageSharePermission"]}; got != [2]int{3, 4} {
		t.Errorf("ModifyImageSharePermission sent %d times, DescribeImageSharePermission %d; want 3, and 4 (one before, one after each)", got[0], got[1])
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); len(got) != 0 {
		t.Errorf("shared with %v", got)
	}
}

// TestShareWaitEndsWithContext: the context ending during the wait for
// ECS ends the Apply with the context's error.
func TestShareWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: "ModifyImageSharePermission", Code: "AssumeRoleError"}}})
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	_, err := encryptperm.NewApplier(f, &encryptperm.Options{Sleep: sleep}).Apply(ctx, g)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestShareRevokeAfterKeyDeleted: a key gone from KMS does not stop a
// Revoke: the shares go, and so does the grant for the key.
func TestShareRevokeAfterKeyDeleted(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	// KMS no longer knows the key (DescribeKey: Forbidden.KeyNotFound).
	f.SetFaults(fake.Rule{Action: "DescribeKey", Code: "Forbidden.KeyNotFound", Status: 404})
	if _, err := a.Revoke(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); len(got) != 0 {
		t.Errorf("still shared with %v", got)
	}
	if len(f.Roles()) != 0 {
		t.Errorf("roles %v after Revoke", f.Roles())
	}
}

// serviceKMS answers DescribeKey as KMS does for a key a service created.
type serviceKMS struct{ encryptperm.KMS }

func (s serviceKMS) DescribeKey(req *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	resp, err := s.KMS.DescribeKey(req)
	if err == nil {
		resp.KeyMetadata.Creator = "Ecs"
	}
	return resp, err
}

// TestShareRefusesServiceManagedKey: a resource encrypted with a key that
// a service manages is the service-key case, refused before any write.
func TestShareRefusesServiceManagedKey(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f, &encryptperm.Options{KMS: serviceKMS{f}}).Apply(context.Background(), g)
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || !ve.Has("grants[0].Resources[0]") || !strings.Contains(err.Error(), "CopySnapshot") {
		t.Fatalf("err = %v", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
}

// dataDiskECS answers DescribeImages as ECS does for an image with a data
// disk: a second disk device mapping, made of another snapshot.
type dataDiskECS struct {
	encryptperm.ECS
	snapshot string
}

func (d dataDiskECS) DescribeImages(req *ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error) {
	resp, err := d.ECS.DescribeImages(req)
	if err == nil {
		for i := range resp.Images.Image {
			m := &resp.Images.Image[i].DiskDeviceMappings.DiskDeviceMapping
			*m = append(*m, ecs.DiskDeviceMapping{Type: "data", Device: "/dev/xvdb", SnapshotId: d.snapshot, Encrypted: true})
		}
	}
	return resp, err
}

// TestShareImageWithDataDiskKeys: an image whose data disk has a key of
// its own needs both keys in the grant; a data disk encrypted with the
// service key makes the image unshareable.
func TestShareImageWithDataDiskKeys(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	keyC := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	if err := f.PutKey(fake.Key{Region: shRegion, ID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(fake.Image{Region: shRegion, ID: "m-bp1twodisk01", KMSKeyID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: "s-bp1svcdata01", ServiceKey: true}); err != nil {
		t.Fatal(err)
	}
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, "m-bp1twodisk01").WithAccounts(apAcctA))
	a := encryptperm.NewApplier(f, &encryptperm.Options{ECS: dataDiskECS{f, shSnapshot}})
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, p := range f.Policies() {
		if p.Name == encryptperm.ShareImagePolicyName {
			for _, v := range p.Versions {
				if v.IsDefault {
					doc = v.Document
				}
			}
		}
	}
	for _, k := range []encryptperm.Key{apKey, keyC} {
		if !strings.Contains(doc, k.ARN()) {
			t.Errorf("the policy lacks %s: %s", k.ARN(), doc)
		}
	}
	d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: "m-bp1twodisk01", Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Errorf("recipient denied: %s", d.Reason)
	}

	f2 := shareFake(t, nil)
	if err := f2.PutSnapshot(fake.Snapshot{Region: shRegion, ID: "s-bp1svcdata01", ServiceKey: true}); err != nil {
		t.Fatal(err)
	}
	g2 := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f2, &encryptperm.Options{ECS: dataDiskECS{f2, "s-bp1svcdata01"}}).Apply(ctx, g2)
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), "CopyImage") {
		t.Fatalf("err = %v, want the service-key refusal", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
}

// TestCheckImageWithTwoKeysReadsTheRoleOnce: a Check of an image whose
// disks have two keys reads the role, its attachments and its policy once,
// and asks about both keys.
func TestCheckImageWithTwoKeysReadsTheRoleOnce(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	keyC := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	if err := f.PutKey(fake.Key{Region: shRegion, ID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(fake.Image{Region: shRegion, ID: "m-bp1twodisk01", KMSKeyID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	a := encryptperm.NewApplier(f, &encryptperm.Options{ECS: dataDiskECS{f, shSnapshot}})
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, "m-bp1twodisk01").WithAccounts(apAcctA))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	n := len(f.Calls())
	d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: "m-bp1twodisk01", Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Errorf("recipient denied: %s", d.Reason)
	}
	reads := map[string]int{}
	for _, c := range f.Calls()[n:] {
		switch c.Action {
		case "GetRole", "ListPoliciesForRole", "GetPolicy", "GetPolicyVersion":
			reads[c.Action]++
		}
	}
	if diff := cmp.Diff(map[string]int{"GetRole": 1, "ListPoliciesForRole": 1, "GetPolicy": 1}, reads); diff != "" {
		t.Errorf("RAM reads (-want +got):\n%s", diff)
	}
	var keys []string
	for _, st := range d.Steps {
		if st.Action == "kms:Decrypt" {
			keys = append(keys, st.Resource)
		}
	}
	if diff := cmp.Diff([]string{apKey.ARN(), keyC.ARN()}, keys); diff != "" {
		t.Errorf("keys asked about (-want +got):\n%s", diff)
	}
}

// TestCheckImageWithOneKeyUncovered: a Check of an image whose data disk
// has a key the role's policy does not cover is not allowed, though the
// first key is covered and the image is shared: every key must be.
func TestCheckImageWithOneKeyUncovered(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	keyC := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	if err := f.PutKey(fake.Key{Region: shRegion, ID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: "s-bp1datac01", KMSKeyID: keyC.ID}); err != nil {
		t.Fatal(err)
	}
	// Shared as the fake's ECS sees the image: with its system disk's key
	// only.
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	if _, err := encryptperm.NewApplier(f, nil).Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	// Asked through an ECS that also names a data disk encrypted with keyC.
	a := encryptperm.NewApplier(f, &encryptperm.Options{ECS: dataDiskECS{f, "s-bp1datac01"}})
	d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatalf("allowed with %s uncovered: %s", keyC.ARN(), d.Reason)
	}
	allowed := map[string]bool{}
	for _, st := range d.Steps {
		if st.Action == "kms:Decrypt" || st.Action == "share" {
			allowed[st.Action+" "+st.Resource] = st.Allowed
		}
	}
	want := map[string]bool{
		"kms:Decrypt " + apKey.ARN():               true,
		"kms:Decrypt " + keyC.ARN():                false,
		"share image m-bp1shared01 in cn-hangzhou": true,
	}
	if diff := cmp.Diff(want, allowed); diff != "" {
		t.Errorf("steps allowed (-want +got):\n%s", diff)
	}
	if !slices.Contains(d.Missing, "kms:Decrypt") || slices.Contains(d.Missing, "share") {
		t.Errorf("missing %v, want the key actions and not the share", d.Missing)
	}
}

// TestShareRefusesAnImageWithAnUnknownKey: an encrypted data disk whose
// snapshot DescribeSnapshots does not return has a key nobody can name:
// refused before any write, failing closed.
func TestShareRefusesAnImageWithAnUnknownKey(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f, &encryptperm.Options{ECS: dataDiskECS{f, "s-bp1gone01"}}).Apply(context.Background(), g)
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || !ve.Has("grants[0].Resources[0]") || !strings.Contains(err.Error(), "s-bp1gone01") {
		t.Fatalf("err = %v", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
}
