package main

import (
	"strings"
	"testing"
)

func TestShareSnapshotAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	want := `+ create role AliyunECSShareEncryptSnapshotDefaultRole
+ add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
+ add principal 2000000000000002@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
+ create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
+ attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
applied 5 changes with 3 writes
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "in-memory fake RAM") {
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
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 2, say: "not-an-arn"},
		{name: "unknown flag", args: []string{"-nope"}, want: 2, say: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
				t.Errorf("exit %d, want %d", code, tt.want)
			}
			if !strings.Contains(strings.ToLower(errOut.String()), tt.say) {
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
// at ErrNoCredentials instead of reaching for RAM.
func noCredentials(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
}

// TestShareSnapshotRealRefusesDemoValues: with -real, a missing -accounts or
// -key stops the command with exit 2, naming the flag, before RAM is
// contacted; with both it goes on, and without credentials fails with 3.
func TestShareSnapshotRealRefusesDemoValues(t *testing.T) {
	noCredentials(t)
	key := "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	tests := []struct {
		args []string
		want int
		say  string
	}{
		{[]string{"-real"}, 2, "-real needs -accounts and -key"},
		{[]string{"-real", "-key", key}, 2, "-real needs -accounts:"},
		{[]string{"-real", "-accounts", "2000000000000001"}, 2, "-real needs -key:"},
		{[]string{"-real", "-yes", "-accounts", "2000000000000001", "-key", key}, 3, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.args, tt.say, errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), "2000000000000002") {
			t.Errorf("%q: a demo account appears:\n%s%s", tt.args, out.String(), errOut.String())
		}
	}
}
