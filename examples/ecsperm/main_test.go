package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

var bin string

// TestMain builds the command once; the tests run the binary.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecsperm-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ecsperm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"

type result struct {
	code           int
	stdout, stderr string
}

// ecsperm runs the binary with args, stdin and the environment of a machine
// with no credentials (plus env), and no way to reach instance metadata.
func ecsperm(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
	}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

var share = []string{"-kind", "share-snapshot", "-accounts", "2000000000000001,2000000000000002", "-key", keyARN}

func with(cmd string, extra ...string) []string {
	return append(append([]string{cmd}, share...), extra...)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string // in stderr
	}{
		{"plan", with("plan"), 0, ""},
		{"plan with changes, detailed", with("plan", "-detailed-exitcode"), 1, ""},
		{"apply to the in-memory fake", with("apply"), 0, ""},
		{"export terraform", with("export", "-format", "terraform"), 0, ""},
		{"check on an empty fake", []string{"check", "-kind", "share-image", "-recipient", "2000000000000001", "-key", keyARN}, 1, ""},
		{"disk encryption with the system policy", []string{"plan", "-kind", "disk-encryption"}, 0, ""},
		{"diagnose", []string{"diagnose", "InvalidParameter.KMSKeyId.KMSUnauthorized"}, 0, ""},
		{"no command", nil, 2, "usage: ecsperm <command>"},
		{"unknown command", []string{"grant"}, 2, `unknown command "grant"`},
		{"no kind", []string{"plan", "-accounts", "2000000000000001", "-key", keyARN}, 2, "-kind is required"},
		{"bad kind", []string{"plan", "-kind", "share-disk", "-key", keyARN}, 2, `-kind "share-disk"`},
		{"no recipient", []string{"plan", "-kind", "share-image", "-key", keyARN}, 2, "needs a recipient"},
		{"no key", []string{"plan", "-kind", "share-image", "-accounts", "2000000000000001"}, 2, "needs -key"},
		{"wildcard account", []string{"plan", "-kind", "share-image", "-accounts", "*", "-key", keyARN}, 2, "wildcard"},
		{"bad key", []string{"apply", "-kind", "disk-encryption", "-key", "alias/acs/ecs"}, 2, "not a KMS key ARN"},
		{"snapshot without region", with("apply", "-snapshot", "s-bp1x0001"), 2, "-region"},
		{"image on a snapshot grant", with("apply", "-image", "m-bp1x0001", "-region", "cn-hangzhou"), 2, "-kind share-image"},
		{"snapshot the in-memory fake lacks", with("apply", "-snapshot", "s-bp1x0001", "-region", "cn-hangzhou"), 3, "cause: the account does not hold a key, image or snapshot the command names"},
		{"key of another region than the snapshot", with("apply", "-snapshot", "s-bp1x0001", "-region", "cn-beijing"), 2, "-region is cn-beijing: ECS uses a key of the resource's own region"},
		{"real and endpoint", with("plan", "-real", "-endpoint", "127.0.0.1:1"), 2, "not both"},
		{"unknown flag", with("plan", "-force"), 2, "-force"},
		{"stray argument", with("plan", "extra"), 2, "unexpected arguments"},
		{"audience for disk", []string{"plan", "-kind", "disk-encryption", "-accounts", "2000000000000001"}, 2, "takes no -accounts"},
		{"check without recipient", []string{"check", "-kind", "share-image", "-key", keyARN}, 2, "check needs -accounts (it answers for each) or -recipient"},
		{"check of a directory alone", []string{"check", "-kind", "share-image", "-rd", "rd-a1b2c3", "-key", keyARN}, 2, "-rd and -folder name no account"},
		{"check of a malformed recipient", []string{"check", "-kind", "share-image", "-recipient", "2000", "-key", keyARN}, 2, "Recipient"},
		{"check of a malformed account", []string{"check", "-kind", "share-image", "-accounts", "2000", "-key", keyARN}, 2, "Accounts[0]"},
		{"diagnose unknown code", []string{"diagnose", "NoSuchCode"}, 2, "unknown code"},
		{"export without format", with("export"), 2, "-format"},
		{"no credentials for real RAM", with("plan", "-real"), 3, "fix: give credentials"},
		{"an endpoint that does not answer", append(with("plan", "-endpoint", "127.0.0.1:1"), "-json"), 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			if strings.Contains(tt.name, "endpoint") {
				env = []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=x", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=y"}
			}
			r := ecsperm(t, "", env, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.say) {
				t.Errorf("stderr does not say %q:\n%s", tt.say, r.stderr)
			}
			if logStamp.MatchString(r.stderr) {
				t.Errorf("stderr has a log timestamp:\n%s", r.stderr)
			}
		})
	}
}

// logStamp matches the date the log package puts before a line.
var logStamp = regexp.MustCompile(`(?m)^\d{4}/\d{2}/\d{2} `)

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"plan", "apply", "revoke", "check", "diagnose", "export"} {
		r := ecsperm(t, "", nil, cmd, "-help")
		if r.code != 0 {
			t.Errorf("%s -help: exit %d", cmd, r.code)
		}
		for _, want := range []string{"usage: ecsperm " + cmd, "example:\n  ecsperm " + cmd, "-json"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s -help does not say %q:\n%s", cmd, want, r.stdout)
			}
		}
	}
	r := ecsperm(t, "", nil, "-help")
	if r.code != 0 || !strings.Contains(r.stdout, "export") || !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("-help: exit %d\n%s", r.code, r.stdout)
	}
	r = ecsperm(t, "", nil, "plan", "-help")
	for _, flag := range []string{"-kind", "-accounts", "-rd", "-folder", "-key", "-real", "-endpoint", "-detailed-exitcode"} {
		if !strings.Contains(r.stdout, "  "+flag+" ") && !strings.Contains(r.stdout, "  "+flag+"\n") {
			t.Errorf("plan -help lacks %s", flag)
		}
	}
}

// oneJSON fails unless s is exactly one JSON document, and returns it.
func oneJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("more than one JSON document:\n%s", s)
	}
	return v
}

func TestJSON(t *testing.T) {
	tests := []struct {
		args []string
		key  string // a key the document has
	}{
		{with("plan", "-json"), "changes"},
		{with("apply", "-json"), "changes"},
		{with("revoke", "-json"), "changes"},
		{[]string{"check", "-json", "-kind", "share-snapshot", "-recipient", "2000000000000001", "-key", keyARN}, "decisions"},
		{[]string{"diagnose", "-json", "AssumeRoleError"}, "diagnosis"},
		{with("export", "-json", "-format", "ros"), "content"},
		{with("plan", "-json", "-image", "m-1"), "error"},
	}
	for _, tt := range tests {
		r := ecsperm(t, "", nil, tt.args...)
		v := oneJSON(t, r.stdout)
		if _, ok := v[tt.key]; !ok {
			t.Errorf("%s: no %q in %s", tt.args[0], tt.key, r.stdout)
		}
	}
	v := oneJSON(t, ecsperm(t, "", nil, "check", "-json", "-kind", "share-snapshot", "-recipient", "2000000000000001", "-key", keyARN).stdout)
	if v["allowed"] != false {
		t.Errorf("check on an empty fake: allowed = %v", v["allowed"])
	}
	v = oneJSON(t, ecsperm(t, "", nil, "plan", "-json", "-kind", "nope").stdout)
	if v["exitCode"] != float64(2) {
		t.Errorf("error document: exitCode = %v, want 2", v["exitCode"])
	}
}

// TestEndpointEndToEnd shares a snapshot through a RAM endpoint: writes ask
// for confirmation, check says allowed afterwards, and revoke takes it back.
func TestEndpointEndToEnd(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}
	at := []string{"-endpoint", ep.Addr()}

	r := ecsperm(t, "no\n", env, with("apply", at...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "Type yes") || len(f.Roles()) != 0 {
		t.Fatalf("declined apply: exit %d, %d roles\n%s", r.code, len(f.Roles()), r.stderr)
	}
	// Closed standard input at the prompt is no answer: not confirmed,
	// exit 1, and no fix pointing at the flags.
	r = ecsperm(t, "", env, with("apply", at...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "no answer on standard input: not confirmed; nothing was written (give -yes to write without asking)") ||
		strings.Contains(r.stderr, "-help") || len(f.Roles()) != 0 {
		t.Fatalf("apply with no answer: exit %d, %d roles\n%s", r.code, len(f.Roles()), r.stderr)
	}
	r = ecsperm(t, "yes\n", env, with("apply", at...)...)
	if r.code != 0 || len(f.Roles()) != 1 {
		t.Fatalf("confirmed apply: exit %d, %d roles\n%s%s", r.code, len(f.Roles()), r.stdout, r.stderr)
	}
	r = ecsperm(t, "", env, with("plan", append(at, "-detailed-exitcode")...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "no changes") {
		t.Errorf("plan after apply: exit %d\n%s", r.code, r.stdout)
	}
	r = ecsperm(t, "", env, with("plan", append(at, "-json")...)...)
	if ch, ok := oneJSON(t, r.stdout)["changes"].([]any); !ok || len(ch) != 0 {
		t.Errorf("plan -json after apply: changes should be [], got %s", r.stdout)
	}
	for _, uid := range []string{"2000000000000001", "2000000000000002"} {
		r = ecsperm(t, "", env, append([]string{"check", "-kind", "share-snapshot", "-recipient", uid, "-key", keyARN}, at...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "Answer: allowed") {
			t.Errorf("check %s: exit %d\n%s%s", uid, r.code, r.stdout, r.stderr)
		}
	}
	r = ecsperm(t, "", env, append([]string{"check", "-kind", "share-snapshot", "-recipient", "2000000000000003", "-key", keyARN}, at...)...)
	if r.code != 1 {
		t.Errorf("check of an account not shared with: exit %d", r.code)
	}
	r = ecsperm(t, "", env, with("export", append(at, "-format", "terraform")...)...)
	if r.code != 0 || strings.Count(r.stdout, "import {") != 3 {
		t.Errorf("export after apply should import role, policy and attachment: exit %d\n%s", r.code, r.stdout)
	}
	r = ecsperm(t, "", env, with("revoke", append(at, "-yes", "-json")...)...)
	if r.code != 0 || len(f.Roles()) != 0 {
		t.Fatalf("revoke -yes: exit %d, %d roles\n%s%s", r.code, len(f.Roles()), r.stdout, r.stderr)
	}
	oneJSON(t, r.stdout)
	bad := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong"}
	r = ecsperm(t, "", bad, with("plan", at...)...)
	if r.code != 3 || strings.Contains(r.stderr, "wrong") {
		t.Errorf("wrong secret: exit %d, want 3, and no secret in:\n%s", r.code, r.stderr)
	}
}

// TestEndpointSharesAnImage shares an image, whose key the command finds,
// with three accounts through an endpoint of a fake that holds it: one
// apply grants and shares, check allows each recipient, and revoke
// unshares and takes the grant back.
func TestEndpointSharesAnImage(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}
	grant := []string{"-kind", "share-image", "-image", "m-bp1shared01", "-region", "cn-hangzhou",
		"-accounts", "2000000000000001,2000000000000002,2000000000000003", "-endpoint", ep.Addr()}
	r := ecsperm(t, "", env, append([]string{"apply", "-yes"}, grant...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "+ share image m-bp1shared01 in cn-hangzhou with account(s) 2000000000000001, 2000000000000002, 2000000000000003 (ECS)") {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := f.ImageSharedWith("cn-hangzhou", "m-bp1shared01"); len(got) != 3 {
		t.Errorf("shared with %v", got)
	}
	r = ecsperm(t, "", env, append([]string{"plan", "-detailed-exitcode"}, grant...)...)
	if r.code != 0 {
		t.Errorf("plan after apply: exit %d\n%s", r.code, r.stdout)
	}
	check := []string{"check", "-kind", "share-image", "-image", "m-bp1shared01", "-region", "cn-hangzhou", "-endpoint", ep.Addr(), "-recipient"}
	if r = ecsperm(t, "", env, append(check, "2000000000000002")...); r.code != 0 || !strings.Contains(r.stdout, "[ok  ] share on image m-bp1shared01") {
		t.Errorf("check of a recipient: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = ecsperm(t, "", env, append(check, "2000000000000009")...); r.code != 1 {
		t.Errorf("check of a stranger: exit %d\n%s", r.code, r.stdout)
	}
	r = ecsperm(t, "", env, append([]string{"revoke", "-yes"}, grant...)...)
	if r.code != 0 || len(f.Roles()) != 0 {
		t.Fatalf("revoke: exit %d, roles %v\n%s%s", r.code, f.Roles(), r.stdout, r.stderr)
	}
	if got, _ := f.ImageSharedWith("cn-hangzhou", "m-bp1shared01"); len(got) != 0 {
		t.Errorf("still shared with %v", got)
	}
}

// The world of the tests that read a fake account through its endpoint: an
// enabled key and a disabled one, and images encrypted with each and with
// the service key.
const (
	disabledKeyARN = "acs:kms:cn-hangzhou:1234567890123456:key/1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	missingKeyARN  = "acs:kms:cn-hangzhou:1234567890123456:key/9b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	worldSeed      = `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
	          {"region": "cn-hangzhou", "id": "1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Disabled"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
	            {"region": "cn-hangzhou", "id": "m-bp1disabled", "kmsKeyId": "1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}]}`
)

// worldEndpoint serves a fake account holding worldSeed, and returns the
// flags and environment that reach it.
func worldEndpoint(t *testing.T) (*fake.RAM, []string, []string) {
	t.Helper()
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	if err := fake.LoadSeedBytes(f, []byte(worldSeed)); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}
	return f, []string{"-endpoint", ep.Addr()}, env
}

// TestRefusalsFromTheAccountExit3: a refusal that depends on what the
// account holds (a disabled or missing key, a missing image, an image
// encrypted with the service key) exits 3, with its cause and a fix that
// fits, while the library still calls it invalid; what is wrong before
// anything is contacted stays exit 2.
func TestRefusalsFromTheAccountExit3(t *testing.T) {
	f, at, env := worldEndpoint(t)
	image := func(cmd, id string, extra ...string) []string {
		return append(append([]string{cmd, "-kind", "share-image", "-accounts", "2000000000000001", "-image", id, "-region", "cn-hangzhou"}, at...), extra...)
	}
	checkImage := func(id string) []string {
		return append([]string{"check", "-kind", "share-image", "-recipient", "2000000000000001", "-image", id, "-region", "cn-hangzhou"}, at...)
	}
	const (
		disabledCause = "  cause: the key is disabled or pending deletion in KMS; ECS refuses to use it, and no RAM permission helps\n" +
			"  fix: enable the key in KMS (EnableKey, after CancelKeyDeletion if it is pending deletion), then run the command again\n"
		serviceCause = "  cause: the image is encrypted with the ECS service key, and ECS does not share such images; no RAM permission helps\n" +
			"  fix: copy the image with a customer key (CopyImage with Encrypted=true and KMSKeyId), then run the command with -image naming the copy\n"
		missingCause = "  cause: the account does not hold a key, image or snapshot the command names\n" +
			"  fix: check -key, -image or -snapshot and -region against what the account holds, or create what is missing, then run the command again\n"
		heldCause = "  cause: what the account holds, read just now, stops this (each problem above says what)\n" +
			"  fix: change what each problem names in the account (for example enable a disabled key), or name what the account holds instead, then run the command again\n"
	)
	tests := []struct {
		name string
		args []string
		want int
		say  string // the end of stderr
	}{
		{"plan, the image's key disabled", image("plan", "m-bp1disabled"), 3, disabledCause},
		{"apply, the image's key disabled", image("apply", "m-bp1disabled", "-yes"), 3, disabledCause},
		{"export, the image's key disabled", image("export", "m-bp1disabled", "-format", "ros"), 3, disabledCause},
		{"plan, a service-key image", image("plan", "m-bp1servicekey"), 3, serviceCause},
		{"plan, a missing image", image("plan", "m-bp1nothere"), 3, missingCause},
		{"plan, the named key disabled", image("plan", "m-bp1disabled", "-key", disabledKeyARN), 3, disabledCause},
		{"plan, the named key missing", image("plan", "m-bp1shared01", "-key", missingKeyARN), 3, missingCause},
		{"check, a service-key image", checkImage("m-bp1servicekey"), 3, serviceCause},
		{"check, a missing image", checkImage("m-bp1nothere"), 3, missingCause},
		{"before contact: a malformed image ID", image("plan", "image-1"), 2, "  fix: correct the values each problem above names (run ecsperm plan -help for the flags)\n"},
		{"before contact: a key of another region", image("plan", "m-bp1shared01", "-key", "acs:kms:cn-beijing:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"), 2, "  fix: run ecsperm plan -help for the flags\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, "", env, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, tt.want, r.stderr)
			}
			if !strings.HasSuffix(r.stderr, tt.say) {
				t.Errorf("stderr does not end with\n%s\ngot:\n%s", tt.say, r.stderr)
			}
			if strings.Contains(r.stderr, "-help") != (tt.want == 2) {
				t.Errorf("the fix should point at -help only for a usage error:\n%s", r.stderr)
			}
		})
	}
	r := ecsperm(t, "", env, image("plan", "m-bp1disabled", "-json")...)
	v := oneJSON(t, r.stdout)
	if v["exitCode"] != float64(3) || v["cause"] != "the key is disabled or pending deletion in KMS; ECS refuses to use it, and no RAM permission helps" {
		t.Errorf("-json: exit %d, document %v", r.code, v)
	}
	if len(f.Roles()) != 0 {
		t.Errorf("a refused apply left roles %v", f.Roles())
	}
}

// TestCheckTakesTheGrantFlags: without -recipient, check answers for each
// account -accounts names, a line each, and exits 0 only when each is
// allowed; -recipient asks about that account, named by the grant or not,
// and needs no audience.
func TestCheckTakesTheGrantFlags(t *testing.T) {
	_, at, env := worldEndpoint(t)
	grant := append([]string{"-kind", "share-image", "-accounts", "2000000000000001,2000000000000002",
		"-image", "m-bp1shared01", "-region", "cn-hangzhou"}, at...)
	if r := ecsperm(t, "", env, append([]string{"apply", "-yes"}, grant...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	lines := func(out string) string {
		var b strings.Builder
		for _, l := range strings.SplitAfter(out, "\n") {
			if strings.HasPrefix(l, "recipient ") {
				b.WriteString(l)
			}
		}
		return b.String()
	}
	tests := []struct {
		name  string
		args  []string
		want  int
		lines string
	}{
		{"each account of the grant", append([]string{"check"}, grant...), 0,
			"recipient 2000000000000001: allowed\nrecipient 2000000000000002: allowed\n"},
		{"one account of the grant not allowed", append([]string{"check", "-kind", "share-image", "-accounts", "2000000000000001,2000000000000003",
			"-image", "m-bp1shared01", "-region", "cn-hangzhou"}, at...), 1,
			"recipient 2000000000000001: allowed\nrecipient 2000000000000003: denied (missing: sts:AssumeRole, share)\n"},
		{"a recipient the grant names", append([]string{"check", "-recipient", "2000000000000002"}, grant...), 0,
			"recipient 2000000000000002: allowed\n"},
		{"a recipient the grant does not name", append([]string{"check", "-recipient", "2000000000000003"}, grant...), 1,
			"recipient 2000000000000003: denied (missing: sts:AssumeRole, share)\n"},
		{"a recipient without an audience", append([]string{"check", "-kind", "share-image", "-recipient", "2000000000000001",
			"-image", "m-bp1shared01", "-region", "cn-hangzhou"}, at...), 0,
			"recipient 2000000000000001: allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, "", env, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.stdout, r.stderr)
			}
			if diff := cmp.Diff(tt.lines, lines(r.stdout)); diff != "" {
				t.Errorf("recipient lines (-want +got):\n%s", diff)
			}
		})
	}
	r := ecsperm(t, "", env, append([]string{"check", "-json"}, grant...)...)
	v := oneJSON(t, r.stdout)
	want := []any{
		map[string]any{"recipient": "2000000000000001", "allowed": true},
		map[string]any{"recipient": "2000000000000002", "allowed": true},
	}
	if diff := cmp.Diff(want, v["recipients"]); diff != "" || v["allowed"] != true {
		t.Errorf("check -json: allowed %v, recipients (-want +got):\n%s", v["allowed"], diff)
	}
}

// TestAcceptFinding: a grant with a critical finding (an image encrypted
// with the service key) is refused before anything is written, exit 2,
// with a fix that names -accept and its code, not -help; -accept with the
// code applies it, as Options.AcceptFindings does.
func TestAcceptFinding(t *testing.T) {
	grant := []string{"apply", "-kind", "share-image", "-accounts", "2000000000000001", "-service-key"}
	r := ecsperm(t, "", nil, grant...)
	want := "  cause: the grant has a critical finding, which is applied only when accepted\n" +
		"  fix: read the finding above; to apply the grant as it is, run the command again with -accept EP001-ServiceKeyFullAccess\n"
	if r.code != 2 || !strings.HasSuffix(r.stderr, want) || strings.Contains(r.stderr, "-help") {
		t.Errorf("without -accept: exit %d, want 2, stderr ending with the fix:\n%s", r.code, r.stderr)
	}
	r = ecsperm(t, "", nil, append(grant, "-accept", "EP001-ServiceKeyFullAccess")...)
	if r.code != 0 || !strings.Contains(r.stdout, "+ attach system policy AliyunKMSFullAccess to role AliyunECSShareEncryptImageDefaultRole") {
		t.Errorf("with -accept: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ecsperm(t, "", nil, append(grant, "-accept", "EP002-UnconditionedWildcardPrincipal")...)
	if r.code != 2 || !strings.Contains(r.stderr, "-accept EP001-ServiceKeyFullAccess") {
		t.Errorf("another code accepted: exit %d\n%s", r.code, r.stderr)
	}
	if r := ecsperm(t, "", nil, "plan", "-kind", "disk-encryption", "-service-key"); r.code != 2 || !strings.Contains(r.stderr, "-service-key goes with -kind share-image") {
		t.Errorf("-service-key on disk encryption: exit %d\n%s", r.code, r.stderr)
	}
}

// TestTimeoutAndVerbose: -timeout bounds the whole command: a call that
// does not answer in time ends it with exit 3, naming the call, and a fix
// that names -timeout; -v logs each call on standard error, naming its
// service, and never a secret.
func TestTimeoutAndVerbose(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	hold := f.HoldCall("GetRole", 1)
	defer hold.Release()
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}
	r := ecsperm(t, "", env, with("plan", "-endpoint", ep.Addr(), "-timeout", "300ms")...)
	if r.code != 3 || !strings.Contains(r.stderr, `encryptperm: RAM GetRole "AliyunECSShareEncryptSnapshotDefaultRole": context deadline exceeded`) ||
		!strings.Contains(r.stderr, "  fix: run the command again with a longer -timeout") {
		t.Errorf("-timeout: exit %d, want 3, naming the call and -timeout:\n%s", r.code, r.stderr)
	}
	hold.Release()
	if r := ecsperm(t, "", nil, with("plan", "-timeout", "-1s")...); r.code != 2 || !strings.Contains(r.stderr, "-timeout -1s: want a positive duration") {
		t.Errorf("a negative -timeout: exit %d\n%s", r.code, r.stderr)
	}

	r = ecsperm(t, "", env, with("plan", "-endpoint", ep.Addr(), "-v")...)
	if r.code != 0 {
		t.Fatalf("plan -v: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{`level=DEBUG msg=call service=RAM action=GetRole target=AliyunECSShareEncryptSnapshotDefaultRole`,
		`service=KMS action=DescribeKey target=acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v does not log %q:\n%s", want, r.stderr)
		}
	}
	for _, secret := range []string{fake.DefaultAccessKeySecret, fake.DefaultAccessKeyID, "Signature="} {
		if strings.Contains(r.stderr+r.stdout, secret) {
			t.Errorf("-v shows %q:\n%s", secret, r.stderr)
		}
	}
	if r := ecsperm(t, "", env, with("plan", "-endpoint", ep.Addr())...); strings.Contains(r.stderr, "msg=call") {
		t.Errorf("without -v the calls are logged:\n%s", r.stderr)
	}
}

// terminal is a stderr that says it is a terminal.
type terminal struct{ strings.Builder }

func (*terminal) IsTerminal() bool { return true }

// TestProgressAndCallCounts: on a terminal, standard error carries a
// progress line of the calls made so far, by service, wiped before the
// result; apply ends with the calls by service; neither shows without a
// terminal or with -json.
func TestProgressAndCallCounts(t *testing.T) {
	_, at, env := worldEndpoint(t)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	args := append([]string{"apply", "-yes", "-kind", "share-image", "-accounts", "2000000000000001", "-image", "m-bp1shared01", "-region", "cn-hangzhou"}, at...)
	var out strings.Builder
	term := &terminal{}
	if code := run(context.Background(), args, strings.NewReader(""), &out, term); code != 0 {
		t.Fatalf("exit %d\n%s", code, term.String())
	}
	progress := term.String()
	for _, want := range []string{"\r\x1b[Kecsperm apply: 1 call (", " so far", "ECS ", "KMS 1"} {
		if !strings.Contains(progress, want) {
			t.Errorf("the progress line lacks %q: %q", want, progress)
		}
	}
	if !strings.HasSuffix(progress, "\r\x1b[K") {
		t.Errorf("the progress line is not wiped at the end: %q", progress)
	}
	want := "done: 5 changes, 13 calls (RAM 8, ECS 4, KMS 1), 4 writes\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("stdout does not end with %q:\n%s", want, out.String())
	}
	r := ecsperm(t, "", env, append([]string{"plan"}, args[2:]...)...)
	if strings.Contains(r.stderr, "so far") {
		t.Errorf("a progress line without a terminal:\n%q", r.stderr)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// steady returns a JSON document without what differs between runs:
// request IDs and durations blanked, and the calls, which go out in
// parallel, sorted.
func steady(t *testing.T, v any) string {
	t.Helper()
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "requestId", "durationNs":
					x[k] = "-"
				default:
					x[k] = walk(e)
				}
			}
			if calls, ok := x["calls"].([]any); ok {
				sort.Slice(calls, func(i, j int) bool { return fmt.Sprint(calls[i]) < fmt.Sprint(calls[j]) })
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	b, err := json.MarshalIndent(walk(v), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// lowerCamel is how every key of the command's JSON is spelt.
var lowerCamel = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// keysOf returns every key of a JSON value that is not lowerCamelCase.
func keysOf(v any, path string) []string {
	var bad []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if !lowerCamel.MatchString(k) {
				bad = append(bad, path+"."+k)
			}
			bad = append(bad, keysOf(e, path+"."+k)...)
		}
	case []any:
		for i, e := range x {
			bad = append(bad, keysOf(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return bad
}

// TestJSONGolden: each command's -json document, its volatile values
// blanked, is the one in testdata, and every key in it, in every command,
// is lowerCamelCase.
func TestJSONGolden(t *testing.T) {
	_, at, env := worldEndpoint(t)
	image := append([]string{"-kind", "share-image", "-accounts", "2000000000000001", "-image", "m-bp1shared01", "-region", "cn-hangzhou"}, at...)
	tests := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"plan", "", append([]string{"plan", "-json"}, image...)},
		{"apply-not-confirmed", "no\n", append([]string{"apply", "-json"}, image...)},
		{"apply", "", append([]string{"apply", "-json", "-yes"}, image...)},
		{"check", "", append([]string{"check", "-json"}, image...)},
		{"export", "", append([]string{"export", "-json", "-format", "aliyun-cli"}, image...)},
		{"revoke", "", append([]string{"revoke", "-json", "-yes"}, image...)},
		{"diagnose", "", []string{"diagnose", "-json", "AssumeRoleError"}},
		{"error", "", []string{"plan", "-json", "-kind", "share-image", "-accounts", "2000000000000001", "-image", "m-bp1nothere", "-region", "cn-hangzhou", at[0], at[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, tt.stdin, env, tt.args...)
			doc := oneJSON(t, r.stdout)
			if bad := keysOf(doc, ""); len(bad) > 0 {
				t.Errorf("keys not in lowerCamelCase: %v", bad)
			}
			got := steady(t, doc)
			path := filepath.Join("testdata", tt.name+".json.golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s -json differs from %s (-want +got):\n%s", tt.args[0], path, diff)
			}
		})
	}
}

// TestReadmeShellSection runs the README's walkthrough of the shell, the
// first shell block of its section "From the shell", against the fake's
// endpoint loaded with the seed it names, and holds each command to the
// exit code its comment gives.
func TestReadmeShellSection(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	section = section[strings.Index(section, "\n## From the shell\n"):]
	start := strings.Index(section, "\n```sh\n") + len("\n```sh\n")
	block := section[start : start+strings.Index(section[start:], "\n```\n")]

	f := fake.New(nil)
	seed, err := os.Open("../ramserver/testdata/share.json")
	if err != nil {
		t.Fatal(err)
	}
	defer seed.Close()
	if err := fake.LoadSeed(f, seed); err != nil {
		t.Fatal(err)
	}
	ep, err := fake.Start(f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: "ID", AccessKeySecret: "SECRET"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	env := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET"}

	vars := map[string]string{}
	exitComment := regexp.MustCompile(`^(.*?)\s+# exit (\d+)`)
	ran := 0
	for _, line := range strings.Split(block, "\n") {
		if name, value, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(name, " $") && strings.HasPrefix(value, `"`) {
			vars[name] = strings.Trim(value, `"`)
			continue
		}
		if !strings.HasPrefix(line, "ecsperm ") {
			continue
		}
		m := exitComment.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%q gives no exit code", line)
		}
		var args []string
		for _, w := range strings.Fields(m[1])[1:] {
			if strings.HasPrefix(w, "$") {
				args = append(args, strings.Fields(vars[w[1:]])...)
			} else {
				args = append(args, w)
			}
		}
		for i, a := range args {
			if a == "127.0.0.1:8080" {
				args[i] = ep.Addr()
			}
		}
		want, _ := strconv.Atoi(m[2])
		r := ecsperm(t, "", env, args...)
		if r.code != want {
			t.Errorf("%s: exit %d, want %d\n%s%s", m[1], r.code, want, r.stdout, r.stderr)
		}
		ran++
	}
	if ran < 6 {
		t.Errorf("ran %d commands of the README's walkthrough:\n%s", ran, block)
	}
}
