// Package clitest holds the test helpers the example programs share: an
// environment without credentials, and table runners for the refusals
// every program must make before it contacts anything.
package clitest

import (
	"io"
	"strings"
	"testing"
)

// RunFunc is an example program's entry point: it reads stdin, writes
// stdout and stderr, and returns the exit status.
type RunFunc func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Case is one run of a program: its arguments, the exit status it must
// return and a phrase its stderr must contain. Name names a subtest.
type Case struct {
	Name string
	Args []string
	Want int
	Say  string
}

// NoCredentials makes the environment of a machine with no credentials
// and no instance metadata, so that a refusal that failed to happen would
// stop at ErrNoCredentials instead of reaching for the cloud.
func NoCredentials(t testing.TB) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
}

// RefusesBadInput runs each case as a subtest with an empty stdin and
// checks its exit status, that its stderr names Say (ignoring case) and
// that it wrote nothing to stdout.
func RefusesBadInput(t *testing.T, run RunFunc, cases []Case) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(tt.Args, strings.NewReader(""), &out, &errOut); code != tt.Want {
				t.Errorf("exit %d, want %d", code, tt.Want)
			}
			if !strings.Contains(strings.ToLower(errOut.String()), strings.ToLower(tt.Say)) {
				t.Errorf("stderr does not name %q:\n%s", tt.Say, errOut.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout on error:\n%s", out.String())
			}
		})
	}
}

// RealRefuses runs each case with an empty stdin and checks its exit
// status, that its stderr says Say (exactly) and that none of demo appears
// in its output: against real RAM no demo value is ever used. Call
// NoCredentials first.
func RealRefuses(t *testing.T, run RunFunc, cases []Case, demo ...string) {
	t.Helper()
	for _, tt := range cases {
		var out, errOut strings.Builder
		if code := run(tt.Args, strings.NewReader(""), &out, &errOut); code != tt.Want {
			t.Errorf("%q: exit %d, want %d\n%s", tt.Args, code, tt.Want, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.Say) {
			t.Errorf("%q: stderr does not say %q:\n%s", tt.Args, tt.Say, errOut.String())
		}
		for _, d := range demo {
			if strings.Contains(out.String()+errOut.String(), d) {
				t.Errorf("%q: the demo value %q appears:\n%s%s", tt.Args, d, out.String(), errOut.String())
			}
		}
	}
}

// Run runs the program with args and an empty stdin, stops the test unless
// it exits 0, and returns what it wrote to stdout and stderr.
func Run(t *testing.T, run RunFunc, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	return out.String(), errOut.String()
}
