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
		{"unknown field", `{"image": []}`, `unknown field "image"`},
		{"wrong type", `{"keys": [{"region": "cn-hangzhou", "id": 7}]}`, "keys.id: wrong type"},
		{"key no key has", `{"snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`, "snapshots[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-access-key-id", "ID",
				"-access-key-secret", "S", "-seed", writeSeed(t, tt.give)}, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run() = %v, want an error containing %q", err, tt.want)
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
