package cli

import (
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		ok     bool
		answer int
	}{
		{[]string{"-n", "3"}, OK, true, 3},
		{[]string{"-help"}, OK, false, 0},
		{[]string{"-nope"}, Usage, false, 0},
		{[]string{"-n", "three"}, Usage, false, 0},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("prog", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		n := fs.Int("n", 0, "a number")
		code, ok := Parse(fs, tt.args)
		if code != tt.code || ok != tt.ok {
			t.Errorf("%q: Parse = %d, %v, want %d, %v", tt.args, code, ok, tt.code, tt.ok)
		}
		if ok && *n != tt.answer {
			t.Errorf("%q: -n = %d, want %d", tt.args, *n, tt.answer)
		}
	}
}

// TestPlanAndApply: a dry run prints the plan and applies nothing; an
// unconfirmed plan exits No and applies nothing; otherwise the plan is
// applied and its writes counted.
func TestPlanAndApply(t *testing.T) {
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		t.Fatal(err)
	}
	const plan = `+ create role AliyunECSDiskEncryptDefaultRole
+ add principal ecs.aliyuncs.com to the trust of role AliyunECSDiskEncryptDefaultRole
+ attach system policy AliyunECSDiskEncryptRolePolicy to role AliyunECSDiskEncryptDefaultRole
`
	tests := []struct {
		name    string
		steps   Steps
		stdin   string
		applied bool
		code    int
		out     string
	}{
		{"dry run", Steps{DryRun: true}, "", false, OK, plan},
		{"not confirmed", Steps{Ask: true}, "no\n", false, No, plan},
		{"no answer", Steps{Ask: true}, "", false, No, plan},
		{"confirmed", Steps{Ask: true}, "yes\n", true, OK, plan + "applied with 2 writes\n"},
		{"not asked", Steps{}, "", true, OK, plan + "applied with 2 writes\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			s := tt.steps
			s.Prog, s.Stdin, s.Stdout, s.Stderr = "prog", strings.NewReader(tt.stdin), &out, &errOut
			res, code := PlanAndApply(context.Background(), encryptperm.NewApplier(fake.New(nil), nil), g, s)
			if (res != nil) != tt.applied || code != tt.code {
				t.Errorf("PlanAndApply = %v, %d, want applied %v, %d\nstderr:\n%s", res, code, tt.applied, tt.code, errOut.String())
			}
			if got := strings.TrimRight(out.String(), "\n") + "\n"; got != tt.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tt.out)
			}
		})
	}
}
