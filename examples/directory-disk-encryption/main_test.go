package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

func runCtx(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(context.Background(), args, stdin, stdout, stderr)
}

// lines returns the lines of s that start with a member's UID, sorted.
func memberLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(l) > 16 && strings.Trim(l[:16], "0123456789") == "" {
			out = append(out, l)
		}
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBringsTheRoleToEveryMemberOfTheFolder(t *testing.T) {
	out, errOut := clitest.Run(t, runCtx)
	want := []string{
		"2000000000000001 (prod-shared): 3 changes pending",
		"2000000000000001 (prod-shared): changed, 2 writes",
		"2000000000000002 (prod-web): 3 changes pending",
		"2000000000000002 (prod-web): changed, 2 writes",
	}
	if got := memberLines(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("member lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"plan: 2 members, 2 to change, 0 failed\n", "apply: 2 members, 2 changed, 0 unchanged, 0 failed, 4 writes\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
	if errOut != "using the in-memory fake (a demo directory; pass -real for your own)\n" {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestWithoutSubfolders(t *testing.T) {
	out, _ := clitest.Run(t, runCtx, "-subfolders=false", "-concurrency", "1")
	if got := memberLines(out); len(got) != 2 || !strings.HasPrefix(got[0], "2000000000000001") || !strings.HasPrefix(got[1], "2000000000000001") {
		t.Errorf("member lines: %q, want 2000000000000001 alone", got)
	}
}

// A member whose access role cannot be assumed is reported with STS's
// reason; the others get the role; the command exits 3.
func TestAMemberWithoutTheAccessRoleIsReported(t *testing.T) {
	var out, errOut strings.Builder
	code := runCtx([]string{"-folder", "r-Root01", "-exclude", "2000000000000003"}, strings.NewReader(""), &out, &errOut)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, errOut.String())
	}
	for _, s := range []string{"1 of 3 members failed", "3000000000000001: fleet: AssumeRole acs:ram::3000000000000001:role/ResourceDirectoryAccountAccessRole: EntityNotExist.Role"} {
		if !strings.Contains(errOut.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "apply: 3 members, 2 changed, 0 unchanged, 1 failed, 4 writes\n") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

func TestRefusesBadInput(t *testing.T) {
	clitest.RefusesBadInput(t, runCtx, []clitest.Case{
		{Name: "wildcard folder", Args: []string{"-folder", "fd-*"}, Want: 2, Say: "fd-*"},
		{Name: "a path for a folder", Args: []string{"-folder", "rd-3GabcD/r-Root01/fd-Prod01"}, Want: 2, Say: "not a folder ID"},
		{Name: "bad exclusion", Args: []string{"-exclude", "20000"}, Want: 2, Say: "20000"},
		{Name: "no concurrency", Args: []string{"-concurrency", "0"}, Want: 2, Say: "-concurrency"},
		{Name: "unknown flag", Args: []string{"-nope"}, Want: 2, Say: "nope"},
		{Name: "a folder the directory lacks", Args: []string{"-folder", "fd-Gone01"}, Want: 3, Say: "EntityNotExists.Folder"},
	})
}

// With -real, no demo folder is used, and without credentials the command
// stops with exit 3 before anything is written.
func TestRealRefuses(t *testing.T) {
	clitest.NoCredentials(t)
	clitest.RealRefuses(t, runCtx, []clitest.Case{
		{Args: []string{"-real"}, Want: 2, Say: "-real needs -folder"},
		{Args: []string{"-real", "-folder", "fd-Other01", "-yes"}, Want: 3, Say: "ALIBABA_CLOUD_ACCESS_KEY_ID"},
	}, "fd-Prod01")
}
