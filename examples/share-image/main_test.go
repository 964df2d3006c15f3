package main

import (
	"regexp"
	"strings"
	"testing"
)

const keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"

func TestShareImageWithAccounts(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, &out, &errOut); code != 0 {
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
	if errOut.String() != "using the in-memory fake (pass -real for Alibaba Cloud)\n" {
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
			if code := run(tt.args, &out, &errOut); code != 0 {
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
		{name: "no audience", args: []string{"-accounts", ""}, want: 1, say: "recipient"},
		{name: "wildcard directory", args: []string{"-rd", "rd-*"}, want: 1, say: "rd-*"},
		{name: "wildcard image", args: []string{"-image", "m-*"}, want: 1, say: "m-*"},
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 1, say: "not-an-arn"},
		{name: "no such image", args: []string{"-image", "m-bp1nothere"}, want: 1, say: "m-bp1nothere"},
		{name: "unknown flag", args: []string{"-nope"}, want: 2, say: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, &out, &errOut); code != tt.want {
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
