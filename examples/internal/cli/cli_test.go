package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/clitest"
)

type text string

func (t text) String() string { return string(t) }

func TestConfirm(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"yes\n", true, false},
		{"yes", true, false},
		{"  yes  \n", true, false},
		{"y\n", false, false},
		{"no\n", false, false},
		{"", false, true},
	}
	for _, tt := range tests {
		var out strings.Builder
		got, err := Confirm(strings.NewReader(tt.in), &out, "prog", text("+ change\n"))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Confirm(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if !strings.Contains(out.String(), "+ change") {
			t.Errorf("Confirm(%q) did not show the plan: %q", tt.in, out.String())
		}
		if tt.wantErr && Code(err) != Usage {
			t.Errorf("no answer: exit %d, want %d", Code(err), Usage)
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
		{UsageError("bad flag"), Usage, "fix: run prog -help"},
		{fmt.Errorf("build: %w", encryptperm.ErrInvalid), Usage, "fix: run prog -help"},
		{fmt.Errorf("plan: %w", encryptperm.ErrNoCredentials), Failure, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{fmt.Errorf("apply: %w", encryptperm.ErrStale), Failure, "fix: RAM changed since the plan was read; run the command again to plan afresh"},
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
