package main

import (
	"regexp"
	"strings"
	"testing"
)

const keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"

func TestShareImageWithAccounts(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	want := `+ create role AliyunECSShareEncryptImageDefaultRole
+ add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptImageDefaultRole
+ add principal 2000000000000002@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptImageDefaultRole
+ add principal 2000000000000003@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptImageDefaultRole
+ create custom policy EncryptPerm-ShareImageKeys: policy EncryptPerm-ShareImageKeys gains key(s) ` + keyARN + `
+ attach custom policy EncryptPerm-ShareImageKeys to role AliyunECSShareEncryptImageDefaultRole
+ share image m-bp1shared01 in cn-hangzhou with account(s) 2000000000000001, 2000000000000002, 2000000000000003 (ECS)
applied with 4 writes
account 2000000000000001: allowed=true: 2000000000000001@ecs.aliyuncs.com may assume AliyunECSShareEncryptImageDefaultRole and use key ` + keyARN + `; ECS shares the image with account 2000000000000001.
account 2000000000000002: allowed=true: 2000000000000002@ecs.aliyuncs.com may assume AliyunECSShareEncryptImageDefaultRole and use key ` + keyARN + `; ECS shares the image with account 2000000000000002.
account 2000000000000003: allowed=true: 2000000000000003@ecs.aliyuncs.com may assume AliyunECSShareEncryptImageDefaultRole and use key ` + keyARN + `; ECS shares the image with account 2000000000000003.
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "in-memory fake") {
		t.Errorf("stderr = %q", errOut.String())
	}
}

// The former share-image-rd: a resource directory, or one of its folders.
func TestShareImageResourceDirectoryAndFolder(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"rd", []string{"-rd", "rd-3GabcD"}, []string{
			"+ add resource directory rd-3GabcD to the trust of role AliyunECSShareEncryptImageDefaultRole\n",
			"+ share image m-bp1shared01 in cn-hangzhou with rd-3GabcD through a new resource share EncryptPerm-m-bp1shared01\n",
			"account 2234567890123456: allowed=true: ",
		}},
		{"folder", []string{"-folder", "rd-3GabcD/r-Wm12cd/fd-bOnB34ef"}, []string{
			"+ add folder path rd-3GabcD/r-Wm12cd/fd-bOnB34ef* to the trust of role AliyunECSShareEncryptImageDefaultRole\n",
			"+ share image m-bp1shared01 in cn-hangzhou with fd-bOnB34ef through a new resource share EncryptPerm-m-bp1shared01\n",
			"account 2234567890123456: allowed=true: ",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "principal 2000000000000001") {
				t.Errorf("the default accounts were added to a directory share:\n%s", out.String())
			}
			if regexp.MustCompile(`allowed=false`).MatchString(out.String()) {
				t.Errorf("a recipient is denied:\n%s", out.String())
			}
		})
	}
}

func TestShareImageRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{name: "no audience", args: []string{"-accounts", ""}, want: 2, say: "recipient"},
		{name: "wildcard directory", args: []string{"-rd", "rd-*"}, want: 2, say: "rd-*"},
		{name: "wildcard image", args: []string{"-image", "m-*"}, want: 2, say: "m-*"},
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 2, say: "not-an-arn"},
		{name: "no such image", args: []string{"-image", "m-bp1nothere"}, want: 2, say: "m-bp1nothere"},
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

// TestShareImageRealRefusesDemoValues: with -real, a missing -image,
// -region or audience stops the command with exit 2, naming the flag,
// before anything is contacted; with all of them it goes on, and without
// credentials fails with 3.
func TestShareImageRealRefusesDemoValues(t *testing.T) {
	noCredentials(t)
	tests := []struct {
		args []string
		want int
		say  string
	}{
		{[]string{"-real"}, 2, "-real needs -image and -region"},
		{[]string{"-real", "-image", "m-bp1mine01", "-region", "cn-beijing"}, 2, "-real needs -accounts, -rd or -folder"},
		{[]string{"-real", "-rd", "rd-3GabcD", "-region", "cn-beijing"}, 2, "-real needs -image:"},
		{[]string{"-real", "-yes", "-rd", "rd-Mine01", "-image", "m-bp1mine01", "-region", "cn-beijing"}, 3, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		if code := run(tt.args, strings.NewReader(""), &out, &errOut); code != tt.want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, code, tt.want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.args, tt.say, errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), demoImage) || strings.Contains(out.String()+errOut.String(), "2000000000000002") {
			t.Errorf("%q: a demo value appears:\n%s%s", tt.args, out.String(), errOut.String())
		}
	}
}
