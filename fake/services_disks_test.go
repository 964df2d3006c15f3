package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// diskSeed holds an image with two data disks: one under another key, which
// DescribeImages does not say is encrypted, and one unencrypted.
const diskSeed = `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
          {"region": "cn-hangzhou", "id": "2d2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1twodisk01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b",
             "dataDisks": [{"snapshotId": "s-bp1datac01", "kmsKeyId": "2d2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "unflagged": true},
                           {"snapshotId": "s-bp1plaind01"}]}]}`

// TestImageDataDisks: an image's data disks are disk device mappings of
// their own in DescribeImages (an unflagged one without Encrypted), their
// snapshots carry their keys, and ECS shares the image only when the share
// role covers every disk's key. In process and over the endpoint alike.
func TestImageDataDisks(t *testing.T) {
	const dataKey = "2d2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	f := fake.New(nil)
	ec := seededECS(t, f, diskSeed)
	type side interface {
		DescribeImages(*ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error)
		DescribeSnapshots(*ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error)
	}
	for name, c := range map[string]side{"in process": f, "endpoint": ec} {
		t.Run(name, func(t *testing.T) {
			ir := ecs.CreateDescribeImagesRequest()
			ir.RegionId, ir.ImageId = svcRegion, "m-bp1twodisk01"
			resp, err := c.DescribeImages(ir)
			if err != nil || len(resp.Images.Image) != 1 {
				t.Fatalf("DescribeImages: %v, %+v", err, resp)
			}
			var disks []string
			for _, m := range resp.Images.Image[0].DiskDeviceMappings.DiskDeviceMapping {
				disks = append(disks, strings.Join([]string{m.Type, m.Device, m.SnapshotId, map[bool]string{true: "encrypted", false: "-"}[m.Encrypted]}, " "))
			}
			want := []string{
				"system /dev/xvda s-imgbp1twodisk01 encrypted",
				"data /dev/xvdb s-bp1datac01 -",
				"data /dev/xvdc s-bp1plaind01 -",
			}
			if diff := cmp.Diff(want, disks); diff != "" {
				t.Errorf("disk device mappings (-want +got):\n%s", diff)
			}
			sr := ecs.CreateDescribeSnapshotsRequest()
			sr.RegionId, sr.SnapshotIds, sr.Usage = svcRegion, `["s-bp1datac01","s-bp1plaind01"]`, "image"
			sresp, err := c.DescribeSnapshots(sr)
			if err != nil {
				t.Fatal(err)
			}
			var snaps []string
			for _, s := range sresp.Snapshots.Snapshot {
				snaps = append(snaps, s.SnapshotId+" "+s.KMSKeyId)
			}
			if diff := cmp.Diff([]string{"s-bp1datac01 " + dataKey, "s-bp1plaind01 "}, snaps); diff != "" {
				t.Errorf("the data disks' snapshots (-want +got):\n%s", diff)
			}
		})
	}
	// ECS shares the image only when the role covers both keys.
	role := encryptperm.ShareImageRoleName
	grantShareRole(t, f, role, svcKey, recipient)
	err := shareImage(f, "m-bp1twodisk01", recipient)
	if code := errCode(t, err); code != "InvalidParameter.KMSKeyId.CMKUnauthorized" {
		t.Fatalf("share with the system disk's key only: %s, want InvalidParameter.KMSKeyId.CMKUnauthorized", code)
	}
	mustCreatePolicy(t, f, role+"-data", keyUse(dataKey))
	mustAttach(t, f, "Custom", role+"-data", role)
	if err := shareImage(f, "m-bp1twodisk01", recipient); err != nil {
		t.Fatalf("share with both keys: %v", err)
	}
	got := f.Images()[0]
	if diff := cmp.Diff([]string{recipient}, got.SharedWith); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	if len(got.DataDisks) != 2 || !got.DataDisks[0].Unflagged {
		t.Errorf("Images() lost the data disks: %+v", got.DataDisks)
	}
}

// TestImageDataDisksRefusedSeeds: a data disk is checked as a snapshot is,
// and may not reuse another disk's snapshot.
func TestImageDataDisksRefusedSeeds(t *testing.T) {
	tests := []struct {
		name, disks, more, want string
	}{
		{"malformed snapshot", `[{"snapshotId": "snap-1"}]`, ``,
			`fake: load seed: images[0].dataDisks[0].snapshotId: "snap-1" is not a snapshot ID (s-…): invalid seed`},
		{"unknown key", `[{"snapshotId": "s-bp1data01", "kmsKeyId": "3e2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]`, ``,
			`fake: load seed: images[0].dataDisks[0].kmsKeyId: no key in keys has the ID "3e2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b": invalid seed`},
		{"key and service key", `[{"snapshotId": "s-bp1data01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "serviceKey": true}]`, ``,
			`fake: load seed: images[0].dataDisks[0].kmsKeyId: given with serviceKey: a resource has one key: invalid seed`},
		{"the system disk's snapshot", `[{"snapshotId": "s-imgbp1disk01"}]`, ``,
			`fake: load seed: images[0].dataDisks[0].snapshotId: the snapshot s-imgbp1disk01 makes another disk of the image (images[0].snapshotId): invalid seed`},
		{"twice", `[{"snapshotId": "s-bp1data01"}, {"snapshotId": "s-bp1data01"}]`, ``,
			`fake: load seed: images[0].dataDisks[1].snapshotId: the snapshot s-bp1data01 makes another disk of the image (images[0].dataDisks[0].snapshotId): invalid seed`},
		{"another key than its snapshot's", `[{"snapshotId": "s-bp1data01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]`,
			`, "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1data01", "serviceKey": true}]`,
			`fake: load seed: images[0].dataDisks[0].kmsKeyId: the disk is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", but its snapshot s-bp1data01 is encrypted with the service key (snapshots[0]): a disk has its snapshot's encryption: invalid seed`},
		{"a field of a disk in another case", `[{"SnapshotId": "s-bp1data01"}]`, ``,
			`fake: load seed: images[0].dataDisks[0].SnapshotId: the field is spelled snapshotId: names are matched exactly: invalid seed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			seed := `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
			 "images": [{"region": "cn-hangzhou", "id": "m-bp1disk01", "dataDisks": ` + tt.disks + `}]` + tt.more + `}`
			err := fake.LoadSeedBytes(f, []byte(seed))
			if !errors.Is(err, fake.ErrInvalidSeed) || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant ErrInvalidSeed: %s", err, tt.want)
			}
			if len(f.Images()) != 0 || len(f.Snapshots()) != 0 {
				t.Errorf("a refused seed left %v, %v", f.Images(), f.Snapshots())
			}
		})
	}
}
