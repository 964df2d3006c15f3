package main

import (
	"strings"
	"testing"
)

func TestShareImageFolderAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	for _, want := range []string{
		"finding: info [EP003-RDPathPrefixMatch] Folders[0]",
		"finding: info [EP009-RecipientMustRekey]",
		`"sts:ServiceOwnerRDPath": "rd-3GabcD/r-Wm12cd/fd-bOnB34ef*"`,
		`"Service": "*@ecs.aliyuncs.com"`,
		"+ create role AliyunECSShareEncryptImageDefaultRole\n",
		"+ add folder path rd-3GabcD/r-Wm12cd/fd-bOnB34ef* to the trust of role AliyunECSShareEncryptImageDefaultRole\n",
		"+ create custom policy EncryptPerm-ShareImageKeys: policy EncryptPerm-ShareImageKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b\n",
		"+ attach custom policy EncryptPerm-ShareImageKeys to role AliyunECSShareEncryptImageDefaultRole\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if errOut.String() != "using the in-memory fake RAM and demo values (pass -real for real RAM)\n" {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestShareImageResourceDirectory(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"-rd", "rd-3GabcD", "-folder", ""}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"sts:ServiceOwnerRDId": "rd-3GabcD"`) || strings.Contains(out.String(), "ServiceOwnerRDPath") {
		t.Errorf("trust policy is not the directory's:\n%s", out.String())
	}
}

func TestShareImageRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{name: "no audience", args: []string{"-folder", ""}, want: 2, say: "folder"},
		{name: "wildcard directory", args: []string{"-rd", "rd-*"}, want: 2, say: "rd-*"},
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

// TestShareImageRealRefusesDemoValues: with -real, a missing -key, or no
// -rd and no -folder, stops the command with exit 2 before RAM is contacted.
func TestShareImageRealRefusesDemoValues(t *testing.T) {
	noCredentials(t)
	key := "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	tests := []struct {
		args []string
		want int
		say  string
	}{
		{[]string{"-real"}, 2, "-real needs -key"},
		{[]string{"-real", "-key", key}, 2, "-real needs -rd or -folder"},
		{[]string{"-real", "-rd", "rd-3GabcD"}, 2, "-real needs -key"},
		{[]string{"-real", "-yes", "-rd", "rd-3GabcD", "-key", key}, 3, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.args, tt.say, errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), "fd-bOnB34ef") {
			t.Errorf("%q: the demo folder appears:\n%s%s", tt.args, out.String(), errOut.String())
		}
	}
}
