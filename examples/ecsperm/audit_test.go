package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

const (
	auditSeed = "../ramserver/testdata/audit.json"
	auditKey  = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"
)

func TestAuditExitCodes(t *testing.T) {
	// The seed without its snapshot role, which trusts an account outside
	// the directory, and without the key policy's foreign role: every path
	// stays inside the directory.
	inside := filepath.Join(t.TempDir(), "inside.json")
	b, err := os.ReadFile(auditSeed)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `\"9000000000000009@ecs.aliyuncs.com\"`, `\"2000000000000001@ecs.aliyuncs.com\"`, 1)
	s = strings.Replace(s, `acs:ram::9000000000000009:role/Backup`, `acs:ram::1234567890123456:role/Backup`, 1)
	if err := os.WriteFile(inside, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		say  string // in stdout, or stderr when the exit is 2 or 3
	}{
		{"a path leaves the directory", []string{"-seed", auditSeed, "-key", auditKey, "-trust-zone", "rd-3GabcD"}, 1,
			"EP201-OutsideTrustZone] acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001 <- role AliyunECSShareEncryptSnapshotDefaultRole <- 9000000000000009@ecs.aliyuncs.com"},
		{"every path stays in the directory", []string{"-seed", inside, "-key", auditKey, "-trust-zone", "rd-3GabcD"}, 0, "AliyunECSShareEncryptImageDefaultRole"},
		{"the directory is outside a zone of the account", []string{"-seed", inside, "-key", auditKey}, 1, "resource directory rd-3GabcD is not the trust zone's"},
		{"every key of the region", []string{"-seed", inside, "-region", "cn-hangzhou", "-trust-zone", "rd-3GabcD"}, 0, "key acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"},
		{"a key KMS does not find", []string{"-seed", auditSeed, "-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hzznothere00001"}, 3, "KMS does not find it"},
		{"another directory than the account's", []string{"-seed", auditSeed, "-key", auditKey, "-trust-zone", "rd-Other1"}, 3, "the account's resource directory is rd-3GabcD"},
		{"no key", []string{"-seed", auditSeed}, 2, "audit needs -key"},
		{"a key and a region", []string{"-key", auditKey, "-region", "cn-hangzhou"}, 2, "not both"},
		{"a trust zone of another form", []string{"-key", auditKey, "-trust-zone", "org"}, 2, `-trust-zone "org"`},
		{"a seed with an endpoint", []string{"-key", auditKey, "-seed", auditSeed, "-endpoint", "127.0.0.1:1"}, 2, "-seed loads the in-memory fake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, "", nil, append([]string{"audit"}, tt.args...)...)
			out := r.stdout
			if tt.want >= 2 {
				out = r.stderr
			}
			if r.code != tt.want || !strings.Contains(out, tt.say) {
				t.Errorf("exit %d, want %d, with %q in:\n%s%s", r.code, tt.want, tt.say, r.stdout, r.stderr)
			}
		})
	}
}

// TestAuditThroughAnEndpoint audits the seed's account through a RAM
// endpoint, as the README shows, and reads the report's JSON.
func TestAuditThroughAnEndpoint(t *testing.T) {
	f := fake.New(nil)
	b, err := os.ReadFile(auditSeed)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.LoadSeedBytes(f, b); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}
	r := ecsperm(t, "", env, "audit", "-endpoint", ep.Addr(), "-key", auditKey, "-trust-zone", "rd-3GabcD", "-json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	v := oneJSON(t, r.stdout)
	keys, _ := v["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys %v, want one", v["keys"])
	}
	var got []string
	for _, p := range keys[0].(map[string]any)["paths"].([]any) {
		p := p.(map[string]any)
		pr := p["principal"].(map[string]any)
		role, _ := p["role"].(string)
		got = append(got, strings.TrimSpace(pr["kind"].(string)+" "+pr["value"].(string)+" "+role))
	}
	want := []string{
		"service ecs.aliyuncs.com AliyunECSDiskEncryptDefaultRole",
		"directory *@ecs.aliyuncs.com AliyunECSShareEncryptImageDefaultRole",
		"account 2000000000000002@ecs.aliyuncs.com AliyunECSShareEncryptSnapshotDefaultRole",
		"account 9000000000000009@ecs.aliyuncs.com AliyunECSShareEncryptSnapshotDefaultRole",
		"ram acs:ram::9000000000000009:role/Backup",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	bad := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong"}
	r = ecsperm(t, "", bad, "audit", "-endpoint", ep.Addr(), "-key", auditKey)
	if r.code != 3 || strings.Contains(r.stderr, "wrong") {
		t.Errorf("wrong secret: exit %d, want 3, and no secret in:\n%s", r.code, r.stderr)
	}
}
