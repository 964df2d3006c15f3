package main

import (
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

func TestDiskEncryptionAppliesToTheFake(t *testing.T) {
	out, errOut := clitest.Run(t, run)
	want := `+ create role AliyunECSDiskEncryptDefaultRole
+ add principal ecs.aliyuncs.com to the trust of role AliyunECSDiskEncryptDefaultRole
+ attach system policy AliyunECSDiskEncryptRolePolicy to role AliyunECSDiskEncryptDefaultRole
`
	if got := strings.TrimRight(out, "\n") + "\n"; got != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "using the in-memory fake RAM (pass -real for real RAM)\n" {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestDiskEncryptionTwoKeys(t *testing.T) {
	args := []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc", "-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz02abc", "-detach-broader"}
	out, _ := clitest.Run(t, run, args...)
	for _, want := range []string{"key/key-hz01abc", "key/key-hz02abc"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestDiskEncryptionRefusesBadInput(t *testing.T) {
	clitest.RefusesBadInput(t, run, []clitest.Case{
		{Name: "wildcard key", Args: []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/*"}, Want: 2, Say: "key"},
		{Name: "malformed key", Args: []string{"-key", "not-an-arn"}, Want: 2, Say: "not-an-arn"},
		{Name: "unknown flag", Args: []string{"-nope"}, Want: 2, Say: "nope"},
	})
}

// TestDiskEncryptionRealRefusesAnImplicitChoice: with -real, no -key and no
// -all-keys stops the command with exit 2 before RAM is contacted; no demo
// key is ever used.
func TestDiskEncryptionRealRefusesAnImplicitChoice(t *testing.T) {
	clitest.NoCredentials(t)
	clitest.RealRefuses(t, run, []clitest.Case{
		{Args: []string{"-real"}, Want: 2, Say: "-real needs -key, or -all-keys"},
		{Args: []string{"-real", "-all-keys", "-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc"}, Want: 2, Say: "not both"},
		{Args: []string{"-real", "-all-keys", "-yes"}, Want: 3, Say: "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	})
}
