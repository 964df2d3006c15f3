package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	dkImage = "m-bp1twodisk02"
	dkData  = "s-bp1datac02"
)

// dkKeyC is the key of the image's data disk, not the system disk's.
var dkKeyC = encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}

// dkImageOf is the image of the disk tests: its system disk under apKey,
// its data disk under dkKeyC, which DescribeImages does not say is
// encrypted (only the data disk's snapshot tells).
func dkImageOf() fake.Image {
	return fake.Image{Region: shRegion, ID: dkImage, KMSKeyID: apKey.ID,
		DataDisks: []fake.ImageDisk{{SnapshotID: dkData, KMSKeyID: dkKeyC.ID, Unflagged: true}}}
}

// dkFake is shareFake with dkKeyC in the state given and the image.
func dkFake(t *testing.T, state string) *fake.RAM {
	t.Helper()
	f := shareFake(t, nil)
	if err := f.PutKey(fake.Key{Region: shRegion, ID: dkKeyC.ID, State: state}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(dkImageOf()); err != nil {
		t.Fatal(err)
	}
	return f
}

// dkNoWait are options that do not wait for ECS to see RAM's grant.
func dkNoWait() *encryptperm.Options {
	o := apFast()
	o.ShareWait = time.Second
	o.Sleep = func(context.Context, time.Duration) error { return nil }
	return o
}

// TestCheckCountsEveryDiskOfAnImage: the role covers the key of the image's
// system disk, and the image is shared with the recipient, but its data
// disk has a key of its own, which DescribeImages does not say: Check reads
// the data disk's snapshot, finds the key, and is not allowed, naming it.
func TestCheckCountsEveryDiskOfAnImage(t *testing.T) {
	ctx := context.Background()
	f := dkFake(t, fake.KeyEnabled)
	// The grant of the system disk's key only, for the directory member.
	a := encryptperm.NewApplier(f, nil)
	if _, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithAccounts(shMember).WithKey(apKey))); err != nil {
		t.Fatal(err)
	}
	// The image reaches the member through a resource share made while it
	// was unencrypted.
	plain := fake.Image{Region: shRegion, ID: dkImage}
	if err := f.PutImage(plain); err != nil {
		t.Fatal(err)
	}
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName, req.Targets = shRegion, "team-images", &[]string{shMember}
	req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: dkImage, ResourceType: "Image"}}
	if _, err := f.CreateResourceShare(req); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(dkImageOf()); err != nil {
		t.Fatal(err)
	}
	d, err := a.Check(ctx, encryptperm.Access{Recipient: shMember, Resource: encryptperm.ResourceImage, ResourceID: dkImage, Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatalf("allowed with the data disk's key %s uncovered: %s", dkKeyC.ARN(), d.Reason)
	}
	allowed := map[string]bool{}
	for _, st := range d.Steps {
		if st.Action == "kms:Decrypt" || st.Action == "share" {
			allowed[st.Action+" "+st.Resource] = st.Allowed
		}
	}
	want := map[string]bool{
		"kms:Decrypt " + apKey.ARN():                true,
		"kms:Decrypt " + dkKeyC.ARN():               false,
		"share image m-bp1twodisk02 in cn-hangzhou": true,
	}
	if diff := cmp.Diff(want, allowed); diff != "" {
		t.Errorf("steps allowed (-want +got):\n%s", diff)
	}
	if !strings.Contains(d.Reason, dkKeyC.ARN()) {
		t.Errorf("the reason does not name the data disk's key: %s", d.Reason)
	}
}

// TestApplyCountsEveryDiskOfAnImage: Apply finds the data disk's key
// through its snapshot too, grants both keys and shares; it refuses before
// any write a grant that names the system disk's key only, and a data
// disk's key that is not Enabled.
func TestApplyCountsEveryDiskOfAnImage(t *testing.T) {
	tests := []struct {
		name      string
		state     string // of dkKeyC
		key       bool   // WithKey(apKey)
		wantErr   string // "" for success
		wantShare []string
	}{
		{name: "the keys found", state: fake.KeyEnabled, wantShare: []string{apAcctA}},
		{name: "the system disk's key named", state: fake.KeyEnabled, key: true,
			wantErr: "the image m-bp1twodisk02 in cn-hangzhou is encrypted with key " + dkKeyC.ARN() + ", not with the key the grant names (" + apKey.ARN() + ")"},
		{name: "the data disk's key disabled", state: fake.KeyDisabled,
			wantErr: "the image's key " + dkKeyC.ARN() + " is Disabled, not Enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := dkFake(t, tt.state)
			b := encryptperm.ShareImage().WithImage(shRegion, dkImage).WithAccounts(apAcctA)
			if tt.key {
				b = b.WithKey(apKey)
			}
			a := encryptperm.NewApplier(f, dkNoWait())
			res, err := a.Apply(ctx, mustBuild(t, b))
			if tt.wantErr != "" {
				if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Apply: err = %v, want ErrInvalid saying %q", err, tt.wantErr)
				}
				if res.Writes != 0 || len(f.Roles()) != 0 {
					t.Errorf("%d writes, roles %v after a refusal", res.Writes, f.Roles())
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			got, _ := f.ImageSharedWith(shRegion, dkImage)
			if diff := cmp.Diff(tt.wantShare, got); diff != "" {
				t.Errorf("ECS shares the image with (-want +got):\n%s", diff)
			}
			doc := sharedKeyPolicy(t, f)
			for _, k := range []encryptperm.Key{apKey, dkKeyC} {
				if !strings.Contains(doc, k.ARN()) {
					t.Errorf("the policy lacks %s: %s", k.ARN(), doc)
				}
			}
			d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: dkImage, Region: shRegion})
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allowed {
				t.Errorf("Check after the Apply: not allowed: %s", d.Reason)
			}
		})
	}
}

// TestShareRefusesAnImageDiskWithoutASnapshot: a disk device mapping that
// names no snapshot, whether or not it says it is encrypted, leaves the
// image's keys unknown: Apply refuses before any write, and Check with
// ErrInvalid.
func TestShareRefusesAnImageDiskWithoutASnapshot(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	o := &encryptperm.Options{ECS: noSnapshotDiskECS{f}}
	a := encryptperm.NewApplier(f, o)
	res, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)))
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), "a disk names no snapshot") {
		t.Fatalf("Apply: err = %v", err)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes", res.Writes)
	}
	_, err = a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion})
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), "a disk names no snapshot") {
		t.Fatalf("Check: err = %v", err)
	}
}

// noSnapshotDiskECS answers DescribeImages with a data disk that names no
// snapshot and does not say whether it is encrypted.
type noSnapshotDiskECS struct{ encryptperm.ECS }

func (d noSnapshotDiskECS) DescribeImages(req *ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error) {
	resp, err := d.ECS.DescribeImages(req)
	if err == nil {
		for i := range resp.Images.Image {
			m := &resp.Images.Image[i].DiskDeviceMappings.DiskDeviceMapping
			*m = append(*m, ecs.DiskDeviceMapping{Type: "data", Device: "/dev/xvdb"})
		}
	}
	return resp, err
}
