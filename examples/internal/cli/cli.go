// Package cli holds what the example programs share: one exit-code scheme,
// errors reported as one block with the fix where one is known, the refusal
// of demo values against real RAM, confirmation before writing to it, and
// the parse, plan, confirm and apply steps of the sharing programs.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Exit codes, the same for every program.
const (
	OK      = 0 // done, allowed, or no changes
	No      = 1 // denied, changes pending, or not confirmed
	Usage   = 2 // usage or validation error; nothing was contacted
	Failure = 3 // RAM, network or credential error
)

// UsageError is a mistake in the command line.
type UsageError string

func (e UsageError) Error() string { return string(e) }

// Code returns the exit code for err: Usage for a UsageError or an error
// for which errors.Is(err, encryptperm.ErrInvalid) is true, Failure for any
// other, OK for nil.
func Code(err error) int {
	var ue UsageError
	switch {
	case err == nil:
		return OK
	case errors.As(err, &ue), errors.Is(err, encryptperm.ErrInvalid):
		return Usage
	}
	return Failure
}

// Report writes err to w as one block, "prog: message" then the cause and
// the fix where Fix knows them, with secrets redacted, and returns its exit
// code.
func Report(w io.Writer, prog string, err error) int {
	fmt.Fprintf(w, "%s: %s\n", prog, encryptperm.Redact(err.Error()))
	cause, fix := Fix(prog, err)
	if cause != "" {
		fmt.Fprintf(w, "  cause: %s\n", cause)
	}
	if fix != "" {
		fmt.Fprintf(w, "  fix: %s\n", fix)
	}
	return Code(err)
}

// Fix says what caused err and what fixes it, for a program called prog:
// the diagnosis of a cloud error code, or the fix for missing credentials,
// for a plan that RAM changed under, or for a usage error. Either is "" when
// it is not known.
func Fix(prog string, err error) (cause, fix string) {
	if d, ok := encryptperm.DiagnoseError(err); ok {
		return d.Cause, d.Fix
	}
	switch {
	case errors.Is(err, encryptperm.ErrNoCredentials):
		return "", "give credentials the Alibaba Cloud SDK finds: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile made with `aliyun configure`, or an instance role"
	case errors.Is(err, encryptperm.ErrStale):
		return "", "RAM changed since the plan was read; run the command again to plan afresh"
	case Code(err) == Usage:
		return "", fmt.Sprintf("run %s -help for the flags", prog)
	}
	return "", ""
}

// Flag is a flag's name and the value it was given.
type Flag struct{ Name, Value string }

// RequireForReal returns a UsageError that names every flag without a value
// when real is true: against real RAM no demo value is ever used. It returns
// nil when real is false.
func RequireForReal(real bool, flags ...Flag) error {
	if !real {
		return nil
	}
	var missing []string
	for _, f := range flags {
		if strings.TrimSpace(f.Value) == "" {
			missing = append(missing, "-"+f.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return UsageError(fmt.Sprintf("-real needs %s: against real RAM no demo value is used", strings.Join(missing, " and ")))
}

// Confirm shows what will be written and asks for "yes" on in. It returns
// true for "yes", false for any other answer, and a UsageError when in has
// no answer at all (give -yes to write without asking).
func Confirm(in io.Reader, out io.Writer, prog string, plan fmt.Stringer) (bool, error) {
	fmt.Fprintf(out, "%s will make these changes in RAM:\n%sType yes to make them: ", prog, plan)
	answer, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(out)
		return false, UsageError("no answer on standard input: type yes, or give -yes to write without asking")
	}
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintln(out, "not confirmed; nothing was written")
		return false, nil
	}
	return true, nil
}
