package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// serviceCreatorKMS answers DescribeKey as KMS does for a key a cloud
// service made for itself: Creator names the service.
type serviceCreatorKMS struct{ *fake.RAM }

func (k serviceCreatorKMS) DescribeKey(r *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	resp, err := k.RAM.DescribeKey(r)
	if err == nil {
		resp.KeyMetadata.Creator = "Ecs"
	}
	return resp, err
}

// A Check that names a resource answers for its keys too: ECS in the
// recipient's account cannot use a shared image whose key is not Enabled,
// or that KMS does not find, whatever RAM allows; and a key a service
// manages is refused as Apply refuses it.
func TestCheckNamedImageReadsItsKeyState(t *testing.T) {
	access := encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion}
	tests := []struct {
		name        string
		change      func(t *testing.T, f *fake.RAM) // after the share
		kms         func(f *fake.RAM) encryptperm.KMS
		wantErr     error
		wantAllowed bool
		wantReason  string
	}{
		{name: "Enabled", wantAllowed: true},
		{name: "Disabled", change: func(t *testing.T, f *fake.RAM) {
			if err := f.PutKey(fake.Key{Region: shRegion, ID: "key-hzz6a2f1b0c3d4e5f", State: fake.KeyDisabled}); err != nil {
				t.Fatal(err)
			}
		}, wantReason: "key key-hzz6a2f1b0c3d4e5f is Disabled, not Enabled"},
		{name: "not found", change: func(t *testing.T, f *fake.RAM) {
			f.SetFaults(fake.Rule{Action: "DescribeKey", Code: "Forbidden.KeyNotFound"})
		}, wantReason: "KMS does not find key key-hzz6a2f1b0c3d4e5f in cn-hangzhou"},
		{name: "managed by a service", kms: func(f *fake.RAM) encryptperm.KMS { return serviceCreatorKMS{f} }, wantErr: encryptperm.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
			if _, err := encryptperm.NewApplier(f, nil).Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(t, f)
			}
			var o encryptperm.Options
			if tt.kms != nil {
				o.KMS = tt.kms(f)
			}
			d, err := encryptperm.NewApplier(f, &o).Check(ctx, access)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "Ecs manages") {
					t.Fatalf("Check = %v, want %v saying Ecs manages the key", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.wantAllowed {
				t.Fatalf("Allowed = %v, want %v:\n%s", d.Allowed, tt.wantAllowed, d)
			}
			if tt.wantAllowed {
				return
			}
			if !slices.Equal(d.Missing, []string{"key state"}) || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("Missing %q, Reason %q; want [key state] and a reason with %q", d.Missing, d.Reason, tt.wantReason)
			}
			i := slices.IndexFunc(d.Steps, func(s encryptperm.Step) bool { return s.Action == "key state" })
			if i < 0 || d.Steps[i].Allowed || !strings.Contains(d.Steps[i].Reason, tt.wantReason) {
				t.Errorf("steps %+v, want a key state step not allowed: %s", d.Steps, tt.wantReason)
			}
		})
	}
}

// A key KMS is deleting (PendingDeletion) is no more usable than a
// disabled one: Check answers not allowed for an image or snapshot
// encrypted with it, with the key's state as the step that is missing.
// Judging only Disabled keys unusable would answer allowed: it would fail
// open.
func TestCheckKeyPendingDeletionIsNotAllowed_FailOpen(t *testing.T) {
	tests := []struct {
		name   string
		give   *encryptperm.ShareBuilder
		access encryptperm.Access
	}{
		{"image", encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA),
			encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion}},
		{"snapshot", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD),
			encryptperm.Access{Recipient: shMember, RDID: shRD, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			if _, err := a.Apply(ctx, mustBuild(t, tt.give)); err != nil {
				t.Fatal(err)
			}
			d, err := a.Check(ctx, tt.access)
			if err != nil || !d.Allowed {
				t.Fatalf("before: Check = %v, %v; want allowed", d, err)
			}
			mustPutKey(t, f, fake.KeyPendingDeletion)
			d, err = a.Check(ctx, tt.access)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				t.Fatalf("Check answers allowed for a key pending deletion:\n%s", d)
			}
			if diff := cmp.Diff([]string{"key state"}, d.Missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			var got []encryptperm.Step
			for _, s := range d.Steps {
				if s.Action == "key state" {
					got = append(got, s)
				}
			}
			want := []encryptperm.Step{{Action: "key state", Resource: apKey.ARN(), Reason: "key key-hzz6a2f1b0c3d4e5f is PendingDeletion, not Enabled: ECS cannot use it"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("key state steps (-want +got):\n%s", diff)
			}
		})
	}
}
