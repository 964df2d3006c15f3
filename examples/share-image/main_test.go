package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

const keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"

func TestShareImageWithAccounts(t *testing.T) {
	out, errOut := clitest.Run(t, run)
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
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "in-memory fake") {
		t.Errorf("stderr = %q", errOut)
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
			out, _ := clitest.Run(t, run, tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "principal 2000000000000001") {
				t.Errorf("the default accounts were added to a directory share:\n%s", out)
			}
			if regexp.MustCompile(`allowed=false`).MatchString(out) {
				t.Errorf("a recipient is denied:\n%s", out)
			}
		})
	}
}

func TestShareImageRefusesBadInput(t *testing.T) {
	clitest.RefusesBadInput(t, run, []clitest.Case{
		{Name: "no audience", Args: []string{"-accounts", ""}, Want: 2, Say: "recipient"},
		{Name: "wildcard directory", Args: []string{"-rd", "rd-*"}, Want: 2, Say: "rd-*"},
		{Name: "wildcard image", Args: []string{"-image", "m-*"}, Want: 2, Say: "m-*"},
		{Name: "malformed key", Args: []string{"-key", "not-an-arn"}, Want: 2, Say: "not-an-arn"},
		{Name: "no such image", Args: []string{"-image", "m-bp1nothere"}, Want: 3, Say: "cause: the account does not hold a key, image or snapshot the command names"},
		{Name: "unknown flag", Args: []string{"-nope"}, Want: 2, Say: "nope"},
	})
}

// TestShareImageRealRefusesDemoValues: with -real, a missing -image,
// -region or audience stops the command with exit 2, naming the flag,
// before anything is contacted; with all of them it goes on, and without
// credentials fails with 3.
func TestShareImageRealRefusesDemoValues(t *testing.T) {
	clitest.NoCredentials(t)
	clitest.RealRefuses(t, run, []clitest.Case{
		{Args: []string{"-real"}, Want: 2, Say: "-real needs -image and -region"},
		{Args: []string{"-real", "-image", "m-bp1mine01", "-region", "cn-beijing"}, Want: 2, Say: "-real needs -accounts, -rd or -folder"},
		{Args: []string{"-real", "-rd", "rd-3GabcD", "-region", "cn-beijing"}, Want: 2, Say: "-real needs -image:"},
		{Args: []string{"-real", "-yes", "-rd", "rd-Mine01", "-image", "m-bp1mine01", "-region", "cn-beijing"}, Want: 3, Say: "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}, demoImage, "2000000000000002")
}
