package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// keyRole gives member uid the key key-hzzmember0001 and a role that
// trusts principal and may use the key.
func keyRole(t *testing.T, f *fake.RAM, uid, role, principal string) {
	t.Helper()
	a := f.Account(uid)
	if err := a.PutKey(fake.Key{Region: "cn-hangzhou", ID: "key-hzzmember0001"}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":` + principal + `}]}`
	if err := a.PutRole(fake.Role{Name: role, TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	use := `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:DescribeKey","kms:Decrypt","kms:GenerateDataKey"],` +
		`"Resource":"acs:kms:cn-hangzhou:` + uid + `:key/key-hzzmember0001"}]}`
	if err := a.PutPolicy(fake.Policy{Name: role + "Keys", Versions: []fake.PolicyVersion{{ID: "v1", Document: use}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutAttachment(role, "Custom", role+"Keys"); err != nil {
		t.Fatal(err)
	}
}

// Through an endpoint, audit -members reads every member with the
// member's own session and judges each against the trust zone: the
// member alone, or the whole directory. A role of one member that another
// member can assume reaches outside the member, not outside the directory;
// one a foreign account can assume reaches outside both.
func TestMembersAuditThroughTheEndpoint(t *testing.T) {
	f, at, env := directoryEndpoint(t)
	keyRole(t, f, memProd, "PartnerBackup", `{"RAM":["acs:ram::9000000000000009:root"]}`)
	keyRole(t, f, memWeb, "ProdReader", `{"RAM":["acs:ram::`+memProd+`:root"]}`)
	scope := []string{"audit", "-members", "all", "-exclude", memInvite, "-region", "cn-hangzhou", "-json"}

	tests := []struct {
		zone      string
		wantCode  int
		wantRows  []string
		wantTotal map[string]int
	}{
		{"account", 1, []string{memProd + " exposed", memWeb + " exposed", memTest + " contained"},
			map[string]int{"members": 3, "contained": 1, "exposed": 2}},
		{"rd-3GabcD", 1, []string{memProd + " exposed", memWeb + " contained", memTest + " contained"},
			map[string]int{"members": 3, "contained": 2, "exposed": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			before := len(f.Calls())
			r := ecsperm(t, "", env, append(append(scope, "-trust-zone", tt.zone), at...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			doc := oneMembersDoc(t, r.stdout)
			if diff := cmp.Diff(tt.wantRows, doc.statuses()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for k, v := range tt.wantTotal {
				if doc.Totals[k] != v {
					t.Errorf("totals[%s] = %d, want %d (%v)", k, doc.Totals[k], v, doc.Totals)
				}
			}
			if doc.Op != "audit" || doc.ExitCode != tt.wantCode {
				t.Errorf("document: op %q, exitCode %d", doc.Op, doc.ExitCode)
			}
			for _, row := range doc.Rows {
				if row.Audit == nil || row.Audit.Account != row.Member.UID {
					t.Errorf("%s: its row's report is %+v, want the member's own", row.Member.UID, row.Audit)
					continue
				}
				wantKeys := 1
				if row.Member.UID == memTest {
					wantKeys = 0
				}
				if len(row.Audit.Keys) != wantKeys {
					t.Errorf("%s: %d keys audited, want %d", row.Member.UID, len(row.Audit.Keys), wantKeys)
				}
			}
			for _, c := range f.Calls()[before:] {
				if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") &&
					!strings.HasPrefix(c.Action, "Describe") && c.Action != "AssumeRole" {
					t.Errorf("the audit called %s, which is no read", c.Action)
				}
				if c.Account == memInvite {
					t.Errorf("the excluded member was called: %s", c.Action)
				}
			}
		})
	}
}

// On the in-memory fake's demo directory, each member gets a line, an
// exposed one with the finding that says why, and the run a total; the
// exit code is 1 when a member is exposed, 0 when none is, and 3 when a
// member's access role is missing.
func TestMembersAuditOnTheInMemoryFake(t *testing.T) {
	r := ecsperm(t, "", nil, "audit", "-members", "fd-Web001,fd-Test01", "-region", "cn-hangzhou")
	if r.code != 0 || !strings.Contains(r.stdout, "audit: 2 members: 2 contained, 0 exposed, 0 failed, 0 skipped\n") {
		t.Errorf("members with no key: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ecsperm(t, "", nil, "audit", "-members", "fd-Prod01", "-region", "cn-hangzhou")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		memProd + " (prod-shared): exposed (1 key, 1 path)\n",
		"  error [EP201-OutsideTrustZone] acs:kms:cn-hangzhou:2000000000000001:key/key-hzzdemo000001 <- role PartnerBackup <- acs:ram::9000000000000009:root",
		"9000000000000009",
		memWeb + " (prod-web): contained (0 keys, 0 paths)\n",
		"audit: 2 members: 1 contained, 1 exposed, 0 failed, 0 skipped\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	r = ecsperm(t, "", nil, "audit", "-members", "all", "-region", "cn-hangzhou")
	if r.code != 3 || !strings.Contains(r.stdout, memInvite+": failed at assume") || !strings.Contains(r.stderr, "1 of 4 members failed") {
		t.Errorf("a member without the access role: exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// What audit -members cannot do is refused before anything is contacted.
func TestMembersAuditUsage(t *testing.T) {
	key := "acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"
	tests := []struct {
		name string
		args []string
		say  string
	}{
		{"a key", []string{"-key", key}, "-members audits every key of -region"},
		{"no region", nil, "audit -members needs -region"},
		{"a seed", []string{"-region", "cn-hangzhou", "-seed", "x.json"}, "it takes no -seed"},
		{"a bad trust zone", []string{"-region", "cn-hangzhou", "-trust-zone", "fd-Prod01"}, `-trust-zone "fd-Prod01"`},
		{"-exclude without -members", []string{"-region", "cn-hangzhou", "-exclude", memProd}, "-exclude goes with -members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"audit"}, tt.args...)
			if tt.name != "-exclude without -members" {
				args = append(args, "-members", "all")
			}
			r := ecsperm(t, "", nil, args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.say) {
				t.Errorf("exit %d, want 2 and %q on stderr alone\n%s%s", r.code, tt.say, r.stdout, r.stderr)
			}
		})
	}
}

// A trust zone that names another directory than the one the management
// account's Resource Manager lists is refused after that read, before any
// member is audited: exit 3, and no member row.
func TestMembersAuditRefusesAnotherDirectoryAsTrustZone(t *testing.T) {
	r := ecsperm(t, "", nil, "audit", "-members", "all", "-region", "cn-hangzhou", "-trust-zone", "rd-Other99")
	if r.code != 3 || !strings.Contains(r.stderr, "-trust-zone rd-Other99: the account's resource directory is rd-3GabcD") {
		t.Errorf("exit %d, want 3 naming both directories\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "contained") || strings.Contains(r.stdout, "exposed") {
		t.Errorf("a member was audited against a zone that is not the directory's:\n%s", r.stdout)
	}
}
