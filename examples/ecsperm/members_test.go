package main

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	memProd   = "2000000000000001"
	memWeb    = "2000000000000002"
	memTest   = "2000000000000003"
	memInvite = "3000000000000001"
)

var disk = []string{"-kind", "disk-encryption"}

// membersDoc is the one JSON document of a run across a directory.
type membersDoc struct {
	Op   string `json:"op"`
	Rows []struct {
		Member struct {
			UID string `json:"uid"`
		} `json:"member"`
		Status string `json:"status"`
		Stage  string `json:"stage"`
		Code   string `json:"code"`
		Writes int    `json:"writes"`
		Audit  *struct {
			Account string `json:"account"`
			Keys    []struct {
				Key string `json:"key"`
			} `json:"keys"`
		} `json:"audit"`
	} `json:"rows"`
	Complete  bool           `json:"complete"`
	Directory string         `json:"directory"`
	ExitCode  int            `json:"exitCode"`
	Totals    map[string]int `json:"totals"`
	Confirmed *bool          `json:"confirmed"`
	Error     string         `json:"error"`
}

// oneMembersDoc reads stdout as exactly one JSON document.
func oneMembersDoc(t *testing.T, stdout string) membersDoc {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc membersDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON document: %v\n%s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON document:\n%s", stdout)
	}
	return doc
}

// statuses returns "uid status" for each row, sorted.
func (d membersDoc) statuses() []string {
	var out []string
	for _, r := range d.Rows {
		out = append(out, r.Member.UID+" "+r.Status)
	}
	slices.Sort(out)
	return out
}

func TestMembersOnTheInMemoryFake(t *testing.T) {
	r := ecsperm(t, "", nil, append([]string{"apply", "-members", "fd-Prod01"}, disk...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		memProd + " (prod-shared): changed, 2 writes\n",
		memWeb + " (prod-web): changed, 2 writes\n",
		"apply: 2 members: 0 unchanged, 0 pending, 2 changed, 0 allowed, 0 denied, 0 failed, 0 skipped; 4 writes\n",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	if strings.Contains(r.stdout, memTest) {
		t.Errorf("a member outside fd-Prod01 is reported:\n%s", r.stdout)
	}
	// Not a terminal: a plain log line per member on stderr.
	for _, uid := range []string{memProd, memWeb} {
		if !strings.Contains(r.stderr, "ecsperm apply: "+uid+" changed (") {
			t.Errorf("stderr lacks the log line of %s:\n%s", uid, r.stderr)
		}
	}
}

// With -json, stdout is one document with a row for every member of the
// scope -members names, and none for others.
func TestMembersJSONHasARowPerMemberOfTheScope(t *testing.T) {
	args := append([]string{"plan", "-members", "fd-Prod01,fd-Test01", "-exclude", memWeb, "-json", "-detailed-exitcode"}, disk...)
	r := ecsperm(t, "", nil, args...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (changes pending)\n%s", r.code, r.stderr)
	}
	doc := oneMembersDoc(t, r.stdout)
	if diff := cmp.Diff([]string{memProd + " pending", memTest + " pending"}, doc.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if doc.Op != "plan" || !doc.Complete || doc.Directory != "rd-3GabcD" || doc.ExitCode != 1 || doc.Totals["pending"] != 2 {
		t.Errorf("document: %+v", doc)
	}
}

func TestMembersExitCodes(t *testing.T) {
	key := "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{"all unchanged or pending, plain plan", []string{"plan", "-members", "fd-Prod01"}, 0, ""},
		{"pending with -detailed-exitcode", []string{"plan", "-members", "fd-Prod01", "-detailed-exitcode"}, 1, ""},
		{"a member failed", []string{"plan", "-members", "all"}, 3, "1 of 4 members failed"},
		{"denied", []string{"check", "-members", "fd-Test01", "-key", key}, 1, ""},
		{"a folder the directory lacks", []string{"apply", "-members", "fd-Gone01"}, 3, "EntityNotExists.Folder"},
		{"an account the directory lacks", []string{"apply", "-members", "2999999999999999"}, 3, "2999999999999999"},
		{"-exclude without -members", []string{"plan", "-exclude", memProd}, 2, "-exclude goes with -members"},
		{"-concurrency without -members", []string{"plan", "-concurrency", "3"}, 2, "-concurrency goes with -members"},
		{"a bad -members", []string{"plan", "-members", "prod"}, 2, `-members "prod"`},
		{"all and a folder", []string{"plan", "-members", "all,fd-Prod01"}, 2, "stands alone"},
		{"no concurrency", []string{"plan", "-members", "all", "-concurrency", "0"}, 2, "-concurrency 0"},
		{"-subfolders without folders", []string{"plan", "-members", "all", "-subfolders=false"}, 2, "-subfolders"},
		{"a wildcard folder", []string{"plan", "-members", "fd-*"}, 2, "not a folder ID"},
		{"a bad exclusion", []string{"plan", "-members", "all", "-exclude", "x"}, 2, "Scope.Exclude[0]"},
		{"export takes no -members", []string{"export", "-format", "ros", "-members", "all"}, 2, "-members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, "", nil, append(tt.args, disk...)...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.say) {
				t.Errorf("stderr lacks %q:\n%s", tt.say, r.stderr)
			}
			if tt.want == 2 && r.stdout != "" {
				t.Errorf("stdout on a usage error:\n%s", r.stdout)
			}
			// -json first, so that it is read before a flag the command
			// does not take.
			r = ecsperm(t, "", nil, append(append([]string{tt.args[0], "-json"}, tt.args[1:]...), disk...)...)
			if r.code != tt.want {
				t.Errorf("-json: exit %d, want %d", r.code, tt.want)
			}
			var v map[string]any
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			if err := dec.Decode(&v); err != nil || v["exitCode"] != float64(tt.want) || dec.Decode(&v) != io.EOF {
				t.Errorf("-json: want one document with exitCode %d:\n%s", tt.want, r.stdout)
			}
		})
	}
}

// directoryEndpoint serves a fake that manages the demo directory, with the
// management key of a RAM user, and returns the flags and environment that
// reach it.
func directoryEndpoint(t *testing.T) (*fake.RAM, []string, []string) {
	t.Helper()
	f := fake.New(nil)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	  "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01"}, {"id": "fd-Web001", "parent": "fd-Prod01"},
	                 {"id": "fd-Test01", "parent": "r-Root01"}],
	  "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01"}, {"uid": "2000000000000002", "folder": "fd-Web001"},
	               {"uid": "2000000000000003", "folder": "fd-Test01"}],
	  "members": ["3000000000000001"]}}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: "LTAIopsKey0001", AccessKeySecret: "opsSecret0001", User: "ops"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return f, []string{"-endpoint", ep.Addr()}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIopsKey0001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=opsSecret0001"}
}

func hasDiskRole(f *fake.RAM, uid string) bool {
	return slices.ContainsFunc(f.Account(uid).Roles(), func(r fake.Role) bool { return r.Name == "AliyunECSDiskEncryptDefaultRole" })
}

// Through an endpoint: a write asks after the plan across the directory,
// writes only when confirmed, and the one JSON document has a row per
// member of the scope; check, plan and revoke follow.
func TestMembersThroughTheEndpoint(t *testing.T) {
	f, at, env := directoryEndpoint(t)
	scope := []string{"-members", "all", "-exclude", memInvite}
	apply := append(append(append([]string{"apply"}, scope...), disk...), at...)

	r := ecsperm(t, "no\n", env, append(apply, "-json")...)
	if r.code != 1 || !strings.Contains(r.stderr, "Type yes") || hasDiskRole(f, memProd) {
		t.Fatalf("declined apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	doc := oneMembersDoc(t, r.stdout)
	if doc.Confirmed == nil || *doc.Confirmed {
		t.Errorf("declined: confirmed %v", doc.Confirmed)
	}
	want := []string{memProd + " pending", memWeb + " pending", memTest + " pending"}
	if diff := cmp.Diff(want, doc.statuses()); diff != "" {
		t.Errorf("declined rows (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stderr, "in 3 of 3 members of rd-3GabcD") {
		t.Errorf("the question does not name the members:\n%s", r.stderr)
	}

	r = ecsperm(t, "yes\n", env, append(apply, "-json")...)
	if r.code != 0 {
		t.Fatalf("confirmed apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	doc = oneMembersDoc(t, r.stdout)
	want = []string{memProd + " changed", memWeb + " changed", memTest + " changed"}
	if diff := cmp.Diff(want, doc.statuses()); diff != "" {
		t.Errorf("apply rows (-want +got):\n%s", diff)
	}
	for _, uid := range []string{memProd, memWeb, memTest} {
		if !hasDiskRole(f, uid) {
			t.Errorf("%s lacks the role", uid)
		}
	}

	r = ecsperm(t, "", env, append(append(append([]string{"plan", "-detailed-exitcode"}, scope...), disk...), at...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "plan: 3 members: 3 unchanged") {
		t.Errorf("plan after apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	key := "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	r = ecsperm(t, "", env, append(append(append([]string{"check", "-key", key}, scope...), disk...), at...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "3 allowed") {
		t.Errorf("check after apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ecsperm(t, "", env, append(append([]string{"revoke", "-yes", "-members", "fd-Test01"}, disk...), at...)...)
	if r.code != 0 || hasDiskRole(f, memTest) || !hasDiskRole(f, memProd) {
		t.Errorf("revoke in fd-Test01: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A member whose role cannot be assumed is one failed row and the run
// exits 3; once it is fixed, the same command writes only in it.
func TestMembersRerunConvergesWhatIsLeft(t *testing.T) {
	f, at, env := directoryEndpoint(t)
	f.AddFault(fake.Rule{Account: memWeb, Action: "AssumeRole", Code: "NoPermission"})
	apply := append(append([]string{"apply", "-yes", "-json", "-members", "fd-Prod01,fd-Test01"}, disk...), at...)
	r := ecsperm(t, "", env, apply...)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	doc := oneMembersDoc(t, r.stdout)
	want := []string{memProd + " changed", memWeb + " failed", memTest + " changed"}
	if diff := cmp.Diff(want, doc.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, row := range doc.Rows {
		if row.Status == "failed" && (row.Stage != "assume" || row.Code != "NoPermission") {
			t.Errorf("failed row: %+v", row)
		}
	}
	f.SetFaults()
	r = ecsperm(t, "", env, apply...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	doc = oneMembersDoc(t, r.stdout)
	want = []string{memProd + " unchanged", memWeb + " changed", memTest + " unchanged"}
	if diff := cmp.Diff(want, doc.statuses()); diff != "" {
		t.Errorf("rerun rows (-want +got):\n%s", diff)
	}
}

// On a terminal, stderr gets one progress line, rewritten in place, and no
// log line per member; rows still go to stdout.
func TestMembersProgressLineOnATerminal(t *testing.T) {
	var out, errb strings.Builder
	c := &invocation{cmd: command{name: "apply"}, stdout: &out, stderr: &errb}
	o := newMemberObserver(c)
	o.terminal = true
	o.start(fleet.OpApply, false)
	end1 := o.StartMember(context.Background(), fleet.Member{UID: memProd})
	end2 := o.StartMember(context.Background(), fleet.Member{UID: memWeb})
	end1(&fleet.Row{Member: fleet.Member{UID: memProd}, Status: fleet.StatusChanged, Writes: 2})
	end2(&fleet.Row{Member: fleet.Member{UID: memWeb}, Status: fleet.StatusFailed, Stage: fleet.StageAssume, Error: "refused"})
	o.finish(&fleet.Report{Op: fleet.OpApply, Complete: true, Totals: fleet.Totals{Members: 2, Changed: 1, Failed: 1, Writes: 2}}, nil)
	const clear = "\r\033[K"
	wantErr := clear + "ecsperm apply: 0 members done, 0 failed, 1 running" +
		clear + "ecsperm apply: 0 members done, 0 failed, 2 running" +
		clear + clear + "ecsperm apply: 1 members done, 0 failed, 1 running" +
		clear + clear + "ecsperm apply: 2 members done, 1 failed, 0 running" +
		clear + "ecsperm apply: 1 of 2 members failed; run the command again once their causes are fixed: it converges only what is left\n"
	if diff := cmp.Diff(wantErr, errb.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	wantOut := memProd + ": changed, 2 writes\n" + memWeb + ": failed at assume: refused\n" +
		"apply: 2 members: 0 unchanged, 0 pending, 1 changed, 0 allowed, 0 denied, 1 failed, 0 skipped; 2 writes\n"
	if diff := cmp.Diff(wantOut, out.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}
