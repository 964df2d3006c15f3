package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestShareSnapshotAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	got := regexp.MustCompile(`rs-[0-9A-F]+`).ReplaceAllString(out.String(), "rs-ID")
	want := `+ create role AliyunECSShareEncryptSnapshotDefaultRole
+ add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
+ add principal 2234567890123456@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
+ create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
+ attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
+ share snapshot s-bp1shared01 in cn-hangzhou with 2000000000000001, 2234567890123456 through a new resource share EncryptPerm-s-bp1shared01
applied with 4 writes
~ snapshot s-bp1shared01 in cn-hangzhou: the invitation of 2000000000000001 to resource share rs-ID is pending: the recipient must accept it before it can use the snapshot
account 2000000000000001: allowed=false: resource share rs-ID reaches 2000000000000001 through 2000000000000001, but the invitation is pending: the recipient must accept it
account 2234567890123456: allowed=true: 2234567890123456@ecs.aliyuncs.com may assume AliyunECSShareEncryptSnapshotDefaultRole and use key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b; resource share rs-ID shares the snapshot with 2234567890123456.
`
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(errOut.String(), "in-memory fake") {
		t.Errorf("stderr does not say the fake is used: %q", errOut.String())
	}
}

func TestShareSnapshotDryRunWritesNothing(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"-dry-run", "-accounts", "2000000000000003"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "2000000000000003@ecs.aliyuncs.com") || strings.Contains(out.String(), "applied") {
		t.Errorf("dry run output:\n%s", out.String())
	}
}

func TestShareSnapshotRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{name: "wildcard account", args: []string{"-accounts", "*"}, want: 2, say: "accounts"},
		{name: "wildcard snapshot", args: []string{"-snapshot", "s-*"}, want: 2, say: "s-*"},
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 2, say: "not-an-arn"},
		{name: "unknown flag", args: []string{"-nope"}, want: 2, say: "nope"},
		// Refused before any write, by what the fake's cloud holds.
		{name: "no such snapshot", args: []string{"-snapshot", "s-bp1nothere"}, want: 2, say: "s-bp1nothere"},
		{name: "the owner itself", args: []string{"-accounts", "1234567890123456"}, want: 2, say: "own owner"},
		{name: "another key", args: []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"}, want: 2, say: "not with the key the grant names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
				t.Errorf("exit %d, want %d", code, tt.want)
			}
			if !strings.Contains(strings.ToLower(errOut.String()), strings.ToLower(tt.say)) {
				t.Errorf("stderr does not name %q:\n%s", tt.say, errOut.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout on error:\n%s", out.String())
			}
		})
	}
}

// noCredentials makes the environment of a machine with no credentials and
// no instance metadata, so that a refusal that failed to happen would stop
// at ErrNoCredentials instead of reaching for the cloud.
func noCredentials(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
}

// TestShareSnapshotRealRefusesDemoValues: with -real, a missing -accounts,
// -snapshot or -region stops the command with exit 2, naming the flag,
// before anything is contacted; with all of them it goes on, and without
// credentials fails with 3.
func TestShareSnapshotRealRefusesDemoValues(t *testing.T) {
	noCredentials(t)
	tests := []struct {
		args []string
		want int
		say  string
	}{
		{[]string{"-real"}, 2, "-real needs -accounts and -snapshot and -region"},
		{[]string{"-real", "-snapshot", "s-bp1mine01", "-region", "cn-beijing"}, 2, "-real needs -accounts:"},
		{[]string{"-real", "-accounts", "2000000000000001", "-region", "cn-beijing"}, 2, "-real needs -snapshot:"},
		{[]string{"-real", "-yes", "-accounts", "2000000000000001", "-snapshot", "s-bp1mine01", "-region", "cn-beijing"}, 3, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.args, tt.say, errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), "2234567890123456") || strings.Contains(out.String()+errOut.String(), demoSnapshot) {
			t.Errorf("%q: a demo value appears:\n%s%s", tt.args, out.String(), errOut.String())
		}
	}
}
