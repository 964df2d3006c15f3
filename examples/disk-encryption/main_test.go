package main

import (
	"strings"
	"testing"
)

func TestDiskEncryptionAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	want := `+ create role AliyunECSDiskEncryptDefaultRole
+ add principal ecs.aliyuncs.com to the trust of role AliyunECSDiskEncryptDefaultRole
+ attach system policy AliyunECSDiskEncryptRolePolicy to role AliyunECSDiskEncryptDefaultRole
`
	if got := strings.TrimRight(out.String(), "\n") + "\n"; got != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if errOut.String() != "using the in-memory fake RAM (pass -real for real RAM)\n" {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestDiskEncryptionTwoKeys(t *testing.T) {
	var out, errOut strings.Builder
	args := []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc", "-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz02abc", "-detach-broader"}
	if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	for _, want := range []string{"key/key-hz01abc", "key/key-hz02abc"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
}

func TestDiskEncryptionRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{name: "wildcard key", args: []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/*"}, want: 2, say: "key"},
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

// TestDiskEncryptionRealRefusesAnImplicitChoice: with -real, no -key and no
// -all-keys stops the command with exit 2 before RAM is contacted; no demo
// key is ever used.
func TestDiskEncryptionRealRefusesAnImplicitChoice(t *testing.T) {
	noCredentials(t)
	tests := []struct {
		args []string
		want int
		say  string
	}{
		{[]string{"-real"}, 2, "-real needs -key, or -all-keys"},
		{[]string{"-real", "-all-keys", "-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc"}, 2, "not both"},
		{[]string{"-real", "-all-keys", "-yes"}, 3, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.args, tt.say, errOut.String())
		}
	}
}
