package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

type text string

func (t text) String() string { return string(t) }

// TestConfirm: only "yes" confirms; any other answer, and a closed input
// with no answer at all, is not confirmed, with no error: the program then
// exits No (1), as the exit codes say of "not confirmed".
func TestConfirm(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		say  string
	}{
		{"yes\n", true, ""},
		{"yes", true, ""},
		{"  yes  \n", true, ""},
		{"y\n", false, "not confirmed; nothing was written"},
		{"no\n", false, "not confirmed; nothing was written"},
		{"", false, "no answer on standard input: not confirmed; nothing was written (give -yes to write without asking)"},
	}
	for _, tt := range tests {
		var out strings.Builder
		got, err := Confirm(strings.NewReader(tt.in), &out, "prog", text("+ change\n"))
		if got != tt.want || err != nil {
			t.Errorf("Confirm(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
		if !strings.Contains(out.String(), "+ change") || !strings.Contains(out.String(), tt.say) {
			t.Errorf("Confirm(%q) said %q; want the plan and %q", tt.in, out.String(), tt.say)
		}
	}
}

func TestRequireForReal(t *testing.T) {
	if err := RequireForReal(false, Flag{"accounts", ""}); err != nil {
		t.Errorf("without -real: %v", err)
	}
	err := RequireForReal(true, Flag{"accounts", ""}, Flag{"key", "x"}, Flag{"rd", " "})
	if err == nil || err.Error() != "-real needs -accounts and -rd: against real RAM no demo value is used" || Code(err) != Usage {
		t.Errorf("got %v (exit %d)", err, Code(err))
	}
	if err := RequireForReal(true, Flag{"key", "x"}); err != nil {
		t.Errorf("all given: %v", err)
	}
}

func TestCodeAndReport(t *testing.T) {
	tests := []struct {
		err  error
		want int
		say  string
	}{
		{nil, OK, ""},
		{UsageError("bad flag"), Usage, "  fix: run prog -help for the flags\n"},
		{fmt.Errorf("build: %w", encryptperm.ErrInvalid), Usage, "  fix: correct the values each problem above names (run prog -help for the flags)\n"},
		{&encryptperm.ValidationError{What: "grants", Problems: []policy.FieldError{
			{Path: "grants[0].Findings", Value: "EP001-ServiceKeyFullAccess", Reason: "critical finding not accepted: broad; to apply anyway, list \"EP001-ServiceKeyFullAccess\" in Options.AcceptFindings"}}},
			Usage, "  cause: the grant has a critical finding, which is applied only when accepted\n" +
				"  fix: read the finding above; to apply the grant as it is, run the command again with -accept EP001-ServiceKeyFullAccess\n"},
		{fmt.Errorf("apply: %w", context.DeadlineExceeded), Failure, "  fix: run the command again with a longer -timeout"},
		{fmt.Errorf("apply: %w", context.Canceled), Failure, "prog: apply: context canceled\n"},
		{fmt.Errorf("plan: %w", encryptperm.ErrNoCredentials), Failure, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{fmt.Errorf("apply: %w", encryptperm.ErrStale), Failure, "fix: RAM changed since the plan was read; run the command again to plan afresh"},
		{fmt.Errorf("apply: %w", encryptperm.ErrLockLost), Failure, "  fix: run the command again: it reads RAM afresh and makes only what is missing"},
		{errors.New("connection refused"), Failure, "prog: connection refused"},
		{&ReadError{fmt.Errorf("share: the key is Disabled (InvalidParameter.KMSKeyId.CMKNotEnabled): %w", encryptperm.ErrInvalid)}, Failure,
			"  cause: the key is disabled or pending deletion in KMS; ECS refuses to use it, and no RAM permission helps\n" +
				"  fix: enable the key in KMS (EnableKey, after CancelKeyDeletion if it is pending deletion), then run the command again\n"},
		{&ReadError{fmt.Errorf("check: no image m-1: %w", errors.Join(encryptperm.ErrNotFound, encryptperm.ErrInvalid))}, Failure,
			"  cause: the account does not hold a key, image or snapshot the command names\n"},
		{&ReadError{fmt.Errorf("share: the owner itself: %w", encryptperm.ErrInvalid)}, Failure,
			"  cause: what the account holds, read just now, stops this (each problem above says what)\n"},
	}
	for _, tt := range tests {
		if tt.err == nil {
			if Code(nil) != OK {
				t.Error("Code(nil) is not OK")
			}
			continue
		}
		var out strings.Builder
		if got := Report(&out, "prog", tt.err); got != tt.want {
			t.Errorf("Report(%v) = %d, want %d", tt.err, got, tt.want)
		}
		if !strings.Contains(out.String(), tt.say) {
			t.Errorf("Report(%v) does not say %q: %q", tt.err, tt.say, out.String())
		}
	}
}

// TestContactMark: an error after a call is a *ReadError (exit Failure),
// one before any call, or a usage error, stays as it is.
func TestContactMark(t *testing.T) {
	invalid := fmt.Errorf("share: %w", encryptperm.ErrInvalid)
	called := &Contact{}
	called.StartCall(context.Background(), encryptperm.Call{Action: "GetRole"})("", "", nil)
	tests := []struct {
		name    string
		contact *Contact
		give    error
		want    int
		wrapped bool
	}{
		{"nil contact", nil, invalid, Usage, false},
		{"no call made", &Contact{}, invalid, Usage, false},
		{"after a call", called, invalid, Failure, true},
		{"a usage error after a call", called, UsageError("no answer"), Usage, false},
		{"no error", called, nil, OK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.contact.Mark(tt.give)
			var re *ReadError
			if Code(got) != tt.want || errors.As(got, &re) != tt.wrapped {
				t.Errorf("Mark(%v) = %v: exit %d, wrapped %v; want exit %d, wrapped %v", tt.give, got, Code(got), errors.As(got, &re), tt.want, tt.wrapped)
			}
			if tt.give != nil && !errors.Is(got, tt.give) {
				t.Errorf("Mark(%v) = %v: the error is lost", tt.give, got)
			}
		})
	}
}

// TestCredentialsFixIsTheLibrarys: the command line's fix for missing
// credentials is the hint the library's error ends with, so that Go and
// the shell say the same.
func TestCredentialsFixIsTheLibrarys(t *testing.T) {
	clitest.NoCredentials(t)
	_, err := encryptperm.NewRAMApplier(&encryptperm.Options{CheckCredentials: true})
	if !errors.Is(err, encryptperm.ErrNoCredentials) {
		t.Fatalf("NewRAMApplier: %v, want ErrNoCredentials", err)
	}
	if !strings.Contains(err.Error(), "; "+CredentialsFix) {
		t.Errorf("the library's error %q does not end with the command line's fix %q", err, CredentialsFix)
	}
	if _, fix := Fix("prog", err); fix != CredentialsFix {
		t.Errorf("Fix = %q, want %q", fix, CredentialsFix)
	}
}

// TestContactCountsByService: the calls are counted by service, in a fixed
// order, and a progress line is drawn in place for each and wiped at the
// end.
func TestContactCountsByService(t *testing.T) {
	var c Contact
	var term strings.Builder
	p := NewProgress(&term, "prog")
	c.ShowProgress(p)
	for _, call := range []encryptperm.Call{
		{Action: "GetRole", Service: "RAM"}, {Action: "DescribeKey", Service: "KMS"},
		{Action: "DescribeSnapshots", Service: "ECS"}, {Action: "GetPolicy", Service: "RAM"},
		{Action: "CreateResourceShare", Service: "Resource Sharing"},
	} {
		c.StartCall(context.Background(), call)("", "", nil)
	}
	p.Done()
	if got, want := c.Counts(), "5 calls (RAM 2, ECS 1, Resource Sharing 1, KMS 1)"; got != want {
		t.Errorf("Counts = %q, want %q", got, want)
	}
	want := "\r\x1b[Kprog: 1 call (RAM 1) so far" +
		"\r\x1b[Kprog: 2 calls (RAM 1, KMS 1) so far" +
		"\r\x1b[Kprog: 3 calls (RAM 1, ECS 1, KMS 1) so far" +
		"\r\x1b[Kprog: 4 calls (RAM 2, ECS 1, KMS 1) so far" +
		"\r\x1b[Kprog: 5 calls (RAM 2, ECS 1, Resource Sharing 1, KMS 1) so far" +
		"\r\x1b[K"
	if got := term.String(); got != want {
		t.Errorf("progress %q, want %q", got, want)
	}
	if got := (*Contact)(nil).Counts(); got != "0 calls" {
		t.Errorf("nil Contact: %q", got)
	}
	var none *Progress
	none.show("x")
	none.Done()
}

type fakeTerminal struct{ strings.Builder }

func (*fakeTerminal) IsTerminal() bool { return true }

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&strings.Builder{}) {
		t.Error("a strings.Builder is not a terminal")
	}
	if !IsTerminal(&fakeTerminal{}) {
		t.Error("a writer that says it is a terminal is one")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
