package main

import (
	"strings"
	"testing"
)

func TestDiskEncryptionAppliesToTheFake(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	want := `+ create role AliyunECSDiskEncryptDefaultRole
+ add principal ecs.aliyuncs.com to the trust of role AliyunECSDiskEncryptDefaultRole
+ create custom policy EncryptPerm-DiskEncryptKeys: policy EncryptPerm-DiskEncryptKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc
+ attach custom policy EncryptPerm-DiskEncryptKeys to role AliyunECSDiskEncryptDefaultRole
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
	if code := run(args, &out, &errOut); code != 0 {
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
		{name: "wildcard key", args: []string{"-key", "acs:kms:cn-hangzhou:1234567890123456:key/*"}, want: 1, say: "key"},
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
