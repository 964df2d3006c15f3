package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

const pfSvcSnapshot = "s-bp1servicekey"

// pfOnlyReads returns the calls the fake saw from the n-th on that are not
// reads.
func pfOnlyReads(f *fake.RAM, n int) []string {
	var out []string
	for _, c := range f.Calls()[n:] {
		if !slices.ContainsFunc([]string{"Describe", "List", "Get", "Check"}, func(p string) bool { return strings.HasPrefix(c.Action, p) }) {
			out = append(out, c.Action)
		}
	}
	return out
}

// pfProblems returns err's problems, failing the test when err is not an
// ErrInvalid *ValidationError.
func pfProblems(t *testing.T, err error) []policy.FieldError {
	t.Helper()
	var ve *encryptperm.ValidationError
	if !errors.Is(err, encryptperm.ErrInvalid) || !errors.As(err, &ve) {
		t.Fatalf("err = %v, want an ErrInvalid *ValidationError", err)
	}
	return ve.Problems
}

// A resource whose key is not Enabled, PendingDeletion as much as
// Disabled, is refused before any write: ECS would refuse to share it
// (InvalidParameter.KMSKeyId.CMKNotEnabled) once RAM had been written, and
// no recipient's ECS could use it. The key is the one the Applier finds; a
// new Applier judges it in its first Apply.
func TestSharePreflightRefusesAKeyNotEnabled(t *testing.T) {
	tests := []struct {
		name  string
		give  *encryptperm.ShareBuilder
		state string
		want  []policy.FieldError
	}{
		{"image, pending deletion", encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA), fake.KeyPendingDeletion,
			[]policy.FieldError{{Path: "grants[0].Resources[0]", Value: shImage,
				Reason: "the image's key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f is PendingDeletion, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first"}}},
		{"snapshot, pending deletion", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA), fake.KeyPendingDeletion,
			[]policy.FieldError{{Path: "grants[0].Resources[0]", Value: shSnapshot,
				Reason: "the snapshot's key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f is PendingDeletion, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first"}}},
		{"snapshot, disabled", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA), fake.KeyDisabled,
			[]policy.FieldError{{Path: "grants[0].Resources[0]", Value: shSnapshot,
				Reason: "the snapshot's key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f is Disabled, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			mustPutKey(t, f, tt.state)
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), mustBuild(t, tt.give))
			if diff := cmp.Diff(tt.want, pfProblems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if res.Writes != 0 || len(pfOnlyReads(f, 0)) != 0 {
				t.Errorf("%d writes, calls %v before the refusal", res.Writes, pfOnlyReads(f, 0))
			}
			if len(f.Roles()) != 0 {
				t.Errorf("roles %v after a refusal", f.Roles())
			}
		})
	}
}

// A key a grant names (WithKey) is judged too, however many resources the
// grant names and whether they are encrypted with it or not at all: a key
// KMS is deleting is refused at the key, as a disabled one is, and nothing
// is written. Were it let through, a grant for an unencrypted image would
// write RAM a key no one can use, and say done.
func TestShareRefusesANamedKeyNotEnabled(t *testing.T) {
	pending := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	tests := []struct {
		name   string
		images []fake.Image
		state  string
		want   []policy.FieldError
	}{
		{"two images encrypted with it", []fake.Image{{Region: shRegion, ID: "m-bp1pending01", KMSKeyID: pending.ID}, {Region: shRegion, ID: "m-bp1pending02", KMSKeyID: pending.ID}},
			fake.KeyPendingDeletion, []policy.FieldError{
				{Path: "grants[0].Resources[0]", Value: "m-bp1pending01", Reason: "the image's key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6c2f1b0c3d4e5f is PendingDeletion, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first"},
				{Path: "grants[0].Resources[1]", Value: "m-bp1pending02", Reason: "the image's key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6c2f1b0c3d4e5f is PendingDeletion, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first"},
				{Path: "grants[0].Keys[0]", Value: pending.ARN(), Reason: "the key is PendingDeletion, not Enabled"},
			}},
		{"an unencrypted image", []fake.Image{{Region: shRegion, ID: "m-bp1pending01"}},
			fake.KeyPendingDeletion, []policy.FieldError{
				{Path: "grants[0].Keys[0]", Value: pending.ARN(), Reason: "the key is PendingDeletion, not Enabled"},
			}},
		{"an unencrypted image, the key disabled", []fake.Image{{Region: shRegion, ID: "m-bp1pending01"}},
			fake.KeyDisabled, []policy.FieldError{
				{Path: "grants[0].Keys[0]", Value: pending.ARN(), Reason: "the key is Disabled, not Enabled"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			if err := f.PutKey(fake.Key{Region: shRegion, ID: pending.ID, State: tt.state}); err != nil {
				t.Fatal(err)
			}
			b := encryptperm.ShareImage().WithAccounts(apAcctA).WithKey(pending)
			for _, im := range tt.images {
				if err := f.PutImage(im); err != nil {
					t.Fatal(err)
				}
				b.WithImage(shRegion, im.ID)
			}
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), mustBuild(t, b))
			if diff := cmp.Diff(tt.want, pfProblems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if res.Writes != 0 || len(pfOnlyReads(f, 0)) != 0 {
				t.Errorf("%d writes, calls %v before the refusal", res.Writes, pfOnlyReads(f, 0))
			}
		})
	}
}

// ECS shares no snapshot encrypted with the service key (Resource Sharing
// answers InvalidOperation.ServiceKeyEncryptedSnapshotUnsupported), as it
// shares no such image: the pre-flight refuses it before any write,
// whether the grant names a key or not, and Check refuses to judge it.
// Let through, it would have RAM written for a share ECS then refuses.
func TestSharePreflightRefusesAServiceKeySnapshot(t *testing.T) {
	want := []policy.FieldError{{Path: "grants[0].Resources[0]", Value: pfSvcSnapshot,
		Reason: "ECS does not share a snapshot encrypted with the service key; copy the snapshot with a customer key (CopySnapshot with Encrypted=true and KMSKeyId), share the copy, and let the Applier find its key or name it with WithKey"}}
	tests := []struct {
		name string
		give *encryptperm.ShareBuilder
	}{
		{"no key named", encryptperm.ShareSnapshot().WithSnapshot(shRegion, pfSvcSnapshot).WithAccounts(apAcctA)},
		{"a key named", encryptperm.ShareSnapshot().WithSnapshot(shRegion, pfSvcSnapshot).WithAccounts(apAcctA).WithKey(apKey)},
		{"a directory", encryptperm.ShareSnapshot().WithSnapshot(shRegion, pfSvcSnapshot).WithResourceDirectory(shRD)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: pfSvcSnapshot, ServiceKey: true}); err != nil {
				t.Fatal(err)
			}
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), mustBuild(t, tt.give))
			if diff := cmp.Diff(want, pfProblems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if res.Writes != 0 || len(pfOnlyReads(f, 0)) != 0 {
				t.Errorf("%d writes, calls %v before the refusal", res.Writes, pfOnlyReads(f, 0))
			}
			if len(f.Roles()) != 0 || len(f.ResourceShares()) != 0 {
				t.Errorf("roles %v, shares %v after a refusal", f.Roles(), f.ResourceShares())
			}
		})
	}
	t.Run("Check", func(t *testing.T) {
		f := shareFake(t, nil)
		if err := f.PutSnapshot(fake.Snapshot{Region: shRegion, ID: pfSvcSnapshot, ServiceKey: true}); err != nil {
			t.Fatal(err)
		}
		_, err := encryptperm.NewApplier(f, nil).Check(context.Background(), encryptperm.Access{
			Recipient: shMember, RDID: shRD, Resource: encryptperm.ResourceSnapshot, ResourceID: pfSvcSnapshot, Region: shRegion})
		if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), `ResourceID "s-bp1servicekey": ECS does not share a snapshot encrypted with the service key`) {
			t.Errorf("Check = %v, want ErrInvalid: encrypted with the service key", err)
		}
	})
}

// An Applier reads in its first level the keys it found for a resource
// before. When that read fails, the key is read again once the resource
// names it, as any key found: taking the failed read as done would leave
// the key out of the grant, so that a key policy someone detached would
// never be attached again, and Apply would say there is nothing to do.
func TestShareReadsARememberedKeyAgainWhenItsReadFails(t *testing.T) {
	tests := []struct {
		name         string
		give         *encryptperm.ShareBuilder
		role, policy string
	}{
		{"image", encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA),
			encryptperm.ShareImageRoleName, encryptperm.ShareImagePolicyName},
		{"snapshot", encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD),
			encryptperm.ShareSnapshotRoleName, encryptperm.ShareSnapshotPolicyName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			g := mustBuild(t, tt.give)
			if _, err := a.Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			req := ram.CreateDetachPolicyFromRoleRequest()
			req.RoleName, req.PolicyType, req.PolicyName = tt.role, "Custom", tt.policy
			if _, err := f.DetachPolicyFromRole(req); err != nil {
				t.Fatal(err)
			}
			n := len(f.Calls())
			described := 0
			for _, c := range f.Calls() {
				if c.Action == "DescribeKey" {
					described++
				}
			}
			// The next DescribeKey, the remembered key's read in the first
			// level, is refused; a refusal is not retried.
			f.SetFaults(fake.Rule{Action: "DescribeKey", Nth: described + 1, Code: "Forbidden.RAM", Status: 403})
			res, err := a.Apply(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			var reads []string
			for _, c := range f.Calls()[n:] {
				if c.Action == "DescribeKey" {
					reads = append(reads, c.Params["KeyId"]+" "+c.Code)
				}
			}
			if diff := cmp.Diff([]string{"key-hzz6a2f1b0c3d4e5f Forbidden.RAM", "key-hzz6a2f1b0c3d4e5f "}, reads); diff != "" {
				t.Errorf("DescribeKey calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"AttachPolicyToRole"}, pfOnlyReads(f, n)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			got, _ := f.AttachmentsOf(tt.role)
			if !slices.ContainsFunc(got, func(at fake.RoleAttachment) bool { return at.PolicyName == tt.policy }) {
				t.Errorf("attached to %s: %+v, want %s again", tt.role, got, tt.policy)
			}
			if res.Writes != 1 {
				t.Errorf("%d writes, want 1: %v", res.Writes, res.Changes)
			}
		})
	}
}
