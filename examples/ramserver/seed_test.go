package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// issueSeed is the seed form the documentation shows.
const issueSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`

func writeSeed(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunLoadsSeed(t *testing.T) {
	addr := startRun(t, "-seed", writeSeed(t, issueSeed))
	c, err := ecs.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false),
		credentials.NewAccessKeyCredential("ID", "SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = addr
	c.SetNoProxy(addr)
	req := ecs.CreateDescribeImagesRequest()
	res, err := c.DescribeImages(req)
	if err != nil {
		t.Fatalf("DescribeImages through ramserver: %v", err)
	}
	var ids []string
	for _, im := range res.Images.Image {
		ids = append(ids, im.ImageId)
	}
	if got, want := strings.Join(ids, ","), "m-bp1servicekey,m-bp1shared01"; got != want {
		t.Errorf("images = %s, want %s", got, want)
	}
}

func TestRunRefusesBadSeed(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown field", `{"image": []}`, `: fake: load seed: the seed: unknown field "image"; want one of images, keys, policies, resourceDirectory, roles, snapshots: invalid seed`},
		{"wrong type", `{"keys": [{"region": "cn-hangzhou", "id": 7}]}`, ": fake: load seed: keys[0].id: wrong type: a number, where the seed takes a string: invalid seed"},
		{"key no key has", `{"snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`,
			`: fake: load seed: snapshots[0].kmsKeyId: no key in keys has the ID "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b": invalid seed`},
		{"null", `null`, ": fake: load seed: the seed: null: want an object: invalid seed"},
		{"a field twice", `{"keys": [], "images": [], "keys": []}`, ": fake: load seed: keys: given twice in one object: invalid seed"},
		{"a field in another case", `{"keys": [{"Region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`,
			": fake: load seed: keys[0].Region: the field is spelled region: names are matched exactly: invalid seed"},
		{"an image against its snapshot", `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
		  "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "snapshotId": "s-bp1shared01"}],
		  "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "serviceKey": true}]}`,
			`: fake: load seed: images[0].kmsKeyId: the image is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", but its snapshot s-bp1shared01 is encrypted with the service key (snapshots[0]): an image has its snapshot's encryption: invalid seed`},
		{"an 8 MiB ID", `{"images": [{"region": "cn-hangzhou", "id": "m-` + strings.Repeat("a", 8<<20) + `"}]}`,
			`: fake: load seed: images[0].id: "m-` + strings.Repeat("a", 98) + `"… (8388610 bytes) is not an image ID (m-…): invalid seed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			path := writeSeed(t, tt.give)
			err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-access-key-id", "ID",
				"-access-key-secret", "S", "-seed", path}, &out)
			if want := "-seed " + path + tt.want; err == nil || err.Error() != want {
				t.Errorf("run() = %.500v\nwant %.500s", err, want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"-access-key-id", "ID", "-access-key-secret", "S",
		"-seed", filepath.Join(t.TempDir(), "none.json")}, &out); err == nil || !strings.Contains(err.Error(), "-seed") {
		t.Errorf("missing seed file: run() = %v, want a -seed error", err)
	}
}
