package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

func TestShareSnapshotAppliesToTheFake(t *testing.T) {
	out, errOut := clitest.Run(t, run)
	got := regexp.MustCompile(`rs-[0-9A-F]+`).ReplaceAllString(out, "rs-ID")
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
	if !strings.Contains(errOut, "in-memory fake") {
		t.Errorf("stderr does not say the fake is used: %q", errOut)
	}
}

func TestShareSnapshotDryRunWritesNothing(t *testing.T) {
	out, _ := clitest.Run(t, run, []string{"-dry-run", "-accounts", "2000000000000003"}...)
	if !strings.Contains(out, "2000000000000003@ecs.aliyuncs.com") || strings.Contains(out, "applied") {
		t.Errorf("dry run output:\n%s", out)
	}
}

func TestShareSnapshotRefusesBadInput(t *testing.T) {
	clitest.RefusesBadInput(t, run, []clitest.Case{
		{Name: "wildcard account", Args: []string{"-accounts", "*"}, Want: 2, Say: "accounts"},
		{Name: "wildcard snapshot", Args: []string{"-snapshot", "s-*"}, Want: 2, Say: "s-*"},
		{Name: "malformed key", Args: []string{"-key", "not-an-arn"}, Want: 2, Say: "not-an-arn"},
		{Name: "unknown flag", Args: []string{"-nope"}, Want: 2, Say: "nope"},
		// Refused before any write, by what the fake's cloud holds: the
		// refusal came from reading it, so the exit is 3, with its cause.
		{Name: "no such snapshot", Args: []string{"-snapshot", "s-bp1nothere"}, Want: 3, Say: "cause: the account does not hold a key, image or snapshot the command names"},
		{Name: "the owner itself", Args: []string{"-accounts", "1234567890123456"}, Want: 3, Say: "own owner"},
		{Name: "another key", Args: []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"}, Want: 3, Say: "not with the key the grant names"},
	})
}

// TestShareSnapshotRealRefusesDemoValues: with -real, a missing -accounts,
// -snapshot or -region stops the command with exit 2, naming the flag,
// before anything is contacted; with all of them it goes on, and without
// credentials fails with 3.
func TestShareSnapshotRealRefusesDemoValues(t *testing.T) {
	clitest.NoCredentials(t)
	clitest.RealRefuses(t, run, []clitest.Case{
		{Args: []string{"-real"}, Want: 2, Say: "-real needs -accounts and -snapshot and -region"},
		{Args: []string{"-real", "-snapshot", "s-bp1mine01", "-region", "cn-beijing"}, Want: 2, Say: "-real needs -accounts:"},
		{Args: []string{"-real", "-accounts", "2000000000000001", "-region", "cn-beijing"}, Want: 2, Say: "-real needs -snapshot:"},
		{Args: []string{"-real", "-yes", "-accounts", "2000000000000001", "-snapshot", "s-bp1mine01", "-region", "cn-beijing"}, Want: 3, Say: "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}, "2234567890123456", demoSnapshot)
}
