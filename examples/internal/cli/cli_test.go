package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
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
