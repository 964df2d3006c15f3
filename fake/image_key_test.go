package fake_test

import (
	"encoding/json"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// TestImageKeyThroughItsSnapshot: as in ECS, DescribeImages says whether an
// image is encrypted and names the snapshot it is made of; DescribeSnapshots
// of that snapshot gives the key. In process and over the endpoint alike.
func TestImageKeyThroughItsSnapshot(t *testing.T) {
	f := fake.New(nil)
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
	            {"region": "cn-hangzhou", "id": "m-bp1named01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "snapshotId": "s-bp1sys01"},
	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true},
	            {"region": "cn-hangzhou", "id": "m-bp1plain01"}]}`
	ec := seededECS(t, f, seed)
	type side interface {
		DescribeImages(*ecs.DescribeImagesRequest) (*ecs.DescribeImagesResponse, error)
		DescribeSnapshots(*ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error)
	}
	want := map[string]string{
		"m-bp1plain01":    "unencrypted",
		"m-bp1servicekey": "s-imgbp1servicekey encrypted key=",
		"m-bp1named01":    "s-bp1sys01 encrypted key=0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b",
		"m-bp1shared01":   "s-imgbp1shared01 encrypted key=0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b",
	}
	for name, s := range map[string]side{"in-process": f, "endpoint": ec} {
		t.Run(name, func(t *testing.T) {
			req := ecs.CreateDescribeImagesRequest()
			req.RegionId = "cn-hangzhou"
			resp, err := s.DescribeImages(req)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, im := range resp.Images.Image {
				m := im.DiskDeviceMappings.DiskDeviceMapping
				if len(m) != 1 {
					t.Fatalf("%s: %d disk mappings, want 1", im.ImageId, len(m))
				}
				if !m[0].Encrypted {
					got[im.ImageId] = "unencrypted"
					continue
				}
				ids, _ := json.Marshal([]string{m[0].SnapshotId})
				sreq := ecs.CreateDescribeSnapshotsRequest()
				sreq.RegionId, sreq.SnapshotIds = "cn-hangzhou", string(ids)
				sresp, err := s.DescribeSnapshots(sreq)
				if err != nil {
					t.Fatal(err)
				}
				if len(sresp.Snapshots.Snapshot) != 1 {
					t.Fatalf("%s: snapshot %s: %d answers", im.ImageId, m[0].SnapshotId, len(sresp.Snapshots.Snapshot))
				}
				sn := sresp.Snapshots.Snapshot[0]
				if sn.Usage != "image" {
					t.Errorf("%s: usage %q, want image", sn.SnapshotId, sn.Usage)
				}
				got[im.ImageId] = m[0].SnapshotId + " encrypted key=" + sn.KMSKeyId
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if err := f.PutImage(fake.Image{Region: "cn-hangzhou", ID: "m-bp1bad01", SnapshotID: "x-bad"}); err == nil {
		t.Error("PutImage took a malformed snapshotId")
	}
}

// TestDescribeSnapshotsFilters: listed without SnapshotIds, DescribeSnapshots
// gives the region's snapshots in order of their IDs, filtered by
// Encrypted, KMSKeyId and Usage ("image" for a snapshot an image is made
// of; the fake has no disks, so every other snapshot is "none"). In process
// and over the endpoint alike.
func TestDescribeSnapshotsFilters(t *testing.T) {
	f := fake.New(nil)
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f"},
	                   {"region": "cn-hangzhou", "id": "key-hzz6b2f1b0c3d4e5f"},
	                   {"region": "cn-shanghai", "id": "key-shz6a2f1b0c3d4e5f"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"},
	            {"region": "cn-hangzhou", "id": "m-bp1plain01"},
	            {"region": "cn-shanghai", "id": "m-uf6other01", "kmsKeyId": "key-shz6a2f1b0c3d4e5f"}],
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1backup01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"},
	               {"region": "cn-hangzhou", "id": "s-bp1backup02", "kmsKeyId": "key-hzz6b2f1b0c3d4e5f"},
	               {"region": "cn-hangzhou", "id": "s-bp1service01", "serviceKey": true},
	               {"region": "cn-hangzhou", "id": "s-bp1plain01"}]}`
	ec := seededECS(t, f, seed)
	tests := []struct {
		name                     string
		encrypted, kmsKey, usage string
		want                     []string
	}{
		{name: "all", want: []string{"s-bp1backup01", "s-bp1backup02", "s-bp1plain01", "s-bp1service01", "s-imgbp1plain01", "s-imgbp1shared01"}},
		{name: "encrypted", encrypted: "true", want: []string{"s-bp1backup01", "s-bp1backup02", "s-bp1service01", "s-imgbp1shared01"}},
		{name: "unencrypted", encrypted: "false", want: []string{"s-bp1plain01", "s-imgbp1plain01"}},
		{name: "one key", kmsKey: "key-hzz6a2f1b0c3d4e5f", want: []string{"s-bp1backup01", "s-imgbp1shared01"}},
		{name: "images'", usage: "image", want: []string{"s-imgbp1plain01", "s-imgbp1shared01"}},
		{name: "encrypted images'", encrypted: "true", usage: "image", want: []string{"s-imgbp1shared01"}},
		{name: "unused", usage: "none", want: []string{"s-bp1backup01", "s-bp1backup02", "s-bp1plain01", "s-bp1service01"}},
		{name: "used for disks: none in the fake", usage: "disk", want: []string{}},
	}
	type side interface {
		DescribeSnapshots(*ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error)
	}
	for name, s := range map[string]side{"in-process": f, "endpoint": ec} {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				req := ecs.CreateDescribeSnapshotsRequest()
				req.RegionId, req.KMSKeyId, req.Usage = "cn-hangzhou", tt.kmsKey, tt.usage
				if tt.encrypted != "" {
					req.Encrypted = requests.Boolean(tt.encrypted)
				}
				req.PageSize = requests.NewInteger(100)
				resp, err := s.DescribeSnapshots(req)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, sn := range resp.Snapshots.Snapshot {
					got = append(got, sn.SnapshotId)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("snapshots (-want +got):\n%s", diff)
				}
				if resp.TotalCount != len(tt.want) {
					t.Errorf("TotalCount = %d, want %d", resp.TotalCount, len(tt.want))
				}
			})
		}
	}
}

// seededECS loads seed into f, serves f on a loopback endpoint for the
// test's life, and returns an ECS client of that endpoint.
func seededECS(t *testing.T, f *fake.RAM, seed string) *ecs.Client {
	t.Helper()
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	ec, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return ec
}
