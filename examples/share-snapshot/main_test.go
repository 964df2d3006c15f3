package main

import (
	"strings"
	"testing"
)

func TestShareSnapshotAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, &out, &errOut); code != 0 {
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
	if code := run([]string{"-dry-run", "-accounts", "2000000000000003"}, &out, &errOut); code != 0 {
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
		{name: "wildcard account", args: []string{"-accounts", "*"}, want: 1, say: "accounts"},
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 1, say: "not-an-arn"},
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
