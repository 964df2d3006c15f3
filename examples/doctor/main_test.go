package main

import (
	"io"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

// TestDoctorOnTheFake runs the doctor against its seeded fake, for each kind
// of share: the first question and the second must get different answers,
// and each answer must name its reason.
func TestDoctorOnTheFake(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // lines, in order
		code int      // the exit status: the answer to the first question
	}{
		{
			name: "image shared with one account",
			want: []string{
				"Against the in-memory fake: account 1234567890123456 owns key acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01 and shares images with account 2000000000000001.",
				"Answer: allowed. 2000000000000001@ecs.aliyuncs.com may assume AliyunECSShareEncryptImageDefaultRole and use key acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01.",
				"  6. [ok  ] kms:Decrypt on acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01: allowed by policy EncryptPerm-ShareImageKeys (Custom) Statement[1]",
				"Answer: denied. No statement of the trust policy lets 2000000000000099@ecs.aliyuncs.com assume AliyunECSShareEncryptImageDefaultRole.",
				"Missing: sts:AssumeRole",
				"ECS would answer this share with AssumeRoleError.",
				"AssumeRoleError (HTTP 403, from [ModifyImageSharePermission])",
			},
		},
		{
			name: "disk: another account's ECS is not the owner's",
			args: []string{"-type", "disk"},
			want: []string{
				"Against the in-memory fake: account 1234567890123456 owns key acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01 and lets its own ECS use it.",
				"Answer: allowed. 1234567890123456@ecs.aliyuncs.com may assume AliyunECSDiskEncryptDefaultRole and use key acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01.",
				"Answer: denied. No statement of the trust policy lets 2000000000000001@ecs.aliyuncs.com assume AliyunECSDiskEncryptDefaultRole.",
			},
		},
		{
			name: "snapshot asked for a stranger first",
			args: []string{"-type", "snapshot", "-account", "2000000000000099"},
			code: 1,
			want: []string{
				"Answer: denied. No statement of the trust policy lets 2000000000000099@ecs.aliyuncs.com assume AliyunECSShareEncryptSnapshotDefaultRole.",
				"Answer: allowed. 2000000000000001@ecs.aliyuncs.com may assume AliyunECSShareEncryptSnapshotDefaultRole",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, &out, &errOut); code != tt.code {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
			}
			rest := out.String()
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks, in order, %q:\n%s", w, out.String())
				}
				rest = rest[i+len(w):]
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}
}

// TestDoctorExplainsARefusedShare: the demo shares the image, then the
// snapshot, with an account the role does not trust; ECS refuses, and the
// doctor explains why, down to the missing step of the named resource.
func TestDoctorExplainsARefusedShare(t *testing.T) {
	for _, typ := range []string{"image", "snapshot"} {
		t.Run(typ, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run([]string{"-type", typ}, &out, &errOut); code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
			}
			rest := out.String()
			for _, w := range []string{
				"Sharing " + typ + " " + map[string]string{"image": "m-bpdemo01", "snapshot": "s-bpdemo01"}[typ] + " with account 2000000000000099 directly, without the grant:",
				"ECS refused it with AssumeRoleError.",
				"  Cause: ECS of the recipient account cannot assume",
				"Answer: denied.",
				"[FAIL] share on " + typ,
				"Missing: sts:AssumeRole, share",
			} {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks, in order, %q:\n%s", w, out.String())
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestDoctorExplainsACode(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"-code", "AssumeRoleError"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "AssumeRoleError (HTTP 403, from [ModifyImageSharePermission])\n  Cause: ") ||
		!strings.Contains(out.String(), "\n  Grant: ShareImage\n  Fix:   ") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestDoctorRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
		say  string
	}{
		{name: "unknown code", args: []string{"-code", "NoSuch.Code"}, want: 2, say: "nosuch.code is not a code"},
		{name: "malformed key", args: []string{"-key", "not-an-arn"}, want: 2, say: "not-an-arn"},
		{name: "unknown type", args: []string{"-type", "volume"}, want: 2, say: "volume"},
		{name: "wildcard account", args: []string{"-account", "*"}, want: 2, say: "*"},
		{name: "unknown flag", args: []string{"-nope"}, want: 2, say: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.args, &out, &errOut); code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s", code, tt.want, out.String())
			}
			if !strings.Contains(strings.ToLower(errOut.String()), tt.say) {
				t.Errorf("stderr does not name %q:\n%s", tt.say, errOut.String())
			}
		})
	}
}

// TestDoctorRealRefusesDemoValues: with -real, a missing -key or -account
// stops the doctor with exit 2 before RAM is contacted; given both, it
// reads RAM, and without credentials fails with 3.
func TestDoctorRealRefusesDemoValues(t *testing.T) {
	clitest.NoCredentials(t)
	key := "acs:kms:cn-hangzhou:1234567890123456:key/key-hzabc"
	clitest.RealRefuses(t, runNoStdin, []clitest.Case{
		{Args: []string{"-real"}, Want: 2, Say: "-real needs -key and -account"},
		{Args: []string{"-real", "-key", key}, Want: 2, Say: "-real needs -account:"},
		{Args: []string{"-real", "-type", "disk"}, Want: 2, Say: "-real needs -key:"},
		{Args: []string{"-real", "-account", "2000000000000001", "-key", key}, Want: 3, Say: "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}, "key-hzdemo01")
}

// runNoStdin is run as the shared test helpers call it: the doctor reads no
// standard input.
func runNoStdin(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdout, stderr)
}
