package encryptperm_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportPullsNoEtcd: a program that imports encryptperm alone builds no
// etcd package; only encryptperm/etcdlock brings etcd's client in.
func TestImportPullsNoEtcd(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/ecsperm/ecsperm/encryptperm").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), out)
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "go.etcd.io/") || strings.Contains(p, "/etcdlock") || strings.HasPrefix(p, "google.golang.org/grpc") {
			t.Errorf("encryptperm depends on %s", p)
		}
	}
}
