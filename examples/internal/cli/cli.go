// Package cli holds what the example programs share: one exit-code scheme,
// errors reported as one block with the cause and the fix where they are
// known, the refusal of demo values against real RAM, confirmation before
// writing to it, and the parse, plan, confirm and apply steps of the sharing
// programs.
//
// The library calls a refusal invalid (encryptperm.ErrInvalid) whether it
// found the problem in the input or in what the account holds (a disabled
// key, a missing image). The programs tell the two apart by whether a call
// was made before it: a Contact, given as Options.Observer, counts the
// calls, and Contact.Mark makes an error that came after one a *ReadError,
// which exits Failure (3) rather than Usage (2).
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Exit codes, the same for every program.
const (
	OK      = 0 // done, allowed, or no changes
	No      = 1 // denied, changes pending, or not confirmed
	Usage   = 2 // usage or validation error; nothing was contacted
	Failure = 3 // RAM, network or credential error, or a refusal that depends on what the account holds
)

// UsageError is a mistake in the command line.
type UsageError string

func (e UsageError) Error() string { return string(e) }

// ReadError is an error that came after the program read the target (RAM,
// ECS, Resource Sharing, KMS, or the in-memory fake): its cause is what the
// account holds, not the command line, even when the library calls the
// input invalid (a disabled or missing key, a missing image, an image
// encrypted with the service key).
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the error read.
func (e *ReadError) Unwrap() error { return e.Err }

// Contact is an encryptperm.Observer that records whether the Applier made
// any call, so that a program can tell a refusal found before anything was
// contacted (the library validates before any I/O) from one that depends on
// what it read. Give it as Options.Observer. It is safe for concurrent use;
// a nil *Contact has contacted nothing.
type Contact struct{ calls atomic.Int64 }

// StartCall counts a call.
func (c *Contact) StartCall(context.Context, encryptperm.Call) func(string, string, error) {
	c.calls.Add(1)
	return func(string, string, error) {}
}

// Contacted reports whether a call was made.
func (c *Contact) Contacted() bool { return c != nil && c.calls.Load() > 0 }

// Mark returns err as a *ReadError when a call was made before it, so that
// its exit code is Failure; it returns err unchanged when it is nil or a
// UsageError, or when nothing was contacted.
func (c *Contact) Mark(err error) error {
	var ue UsageError
	if err == nil || errors.As(err, &ue) || !c.Contacted() {
		return err
	}
	return &ReadError{Err: err}
}

// Code returns the exit code for err: Usage for a UsageError, or for an
// error for which errors.Is(err, encryptperm.ErrInvalid) is true that came
// before anything was contacted; Failure for a *ReadError and any other
// error; OK for nil.
func Code(err error) int {
	var ue UsageError
	var re *ReadError
	switch {
	case err == nil:
		return OK
	case errors.As(err, &ue):
		return Usage
	case errors.As(err, &re):
		return Failure
	case errors.Is(err, encryptperm.ErrInvalid):
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

// CredentialsFix is the fix for missing credentials: the words every error
// of the library that wraps ErrNoCredentials ends with, for the shell.
const CredentialsFix = "give credentials the Alibaba Cloud SDK finds: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile made with `aliyun configure`, or an instance role"

// Fix says what caused err and what fixes it, for a program called prog:
// the diagnosis of a cloud error code, the fix for missing credentials, for
// a plan that RAM changed under, for a refusal that depends on what the
// account holds (a *ReadError), or for a usage error. Either is "" when it
// is not known.
func Fix(prog string, err error) (cause, fix string) {
	if d, ok := encryptperm.DiagnoseError(err); ok {
		return d.Cause, d.Fix
	}
	var re *ReadError
	switch {
	case errors.Is(err, encryptperm.ErrNoCredentials):
		return "", CredentialsFix
	case errors.Is(err, encryptperm.ErrStale):
		return "", "RAM changed since the plan was read; run the command again to plan afresh"
	case errors.As(err, &re) && (errors.Is(err, encryptperm.ErrInvalid) || errors.Is(err, encryptperm.ErrNotFound)):
		return readFix(err)
	case Code(err) == Usage:
		return "", fmt.Sprintf("run %s -help for the flags", prog)
	}
	return "", ""
}

// readFixes are the causes and fixes, for the command line, of the refusals
// whose problems name the error code ECS would give.
var readFixes = map[string][2]string{
	"InvalidParameter.KMSKeyId.CMKNotEnabled": {
		"the key is disabled or pending deletion in KMS; ECS refuses to use it, and no RAM permission helps",
		"enable the key in KMS (EnableKey, after CancelKeyDeletion if it is pending deletion), then run the command again",
	},
	"InvalidOperation.ServiceKeyEncryptedImageUnsupported": {
		"the image is encrypted with the ECS service key, and ECS does not share such images; no RAM permission helps",
		"copy the image with a customer key (CopyImage with Encrypted=true and KMSKeyId), then run the command with -image naming the copy",
	},
}

// readFix says what caused a refusal that depends on what the account
// holds, and what fixes it: by the ECS error code its message names, if
// one; for something the account does not hold; or in general.
func readFix(err error) (cause, fix string) {
	msg := err.Error()
	first := -1
	for code, cf := range readFixes {
		if i := strings.Index(msg, "("+code+")"); i >= 0 && (first < 0 || i < first) {
			first, cause, fix = i, cf[0], cf[1]
		}
	}
	switch {
	case first >= 0:
		return cause, fix
	case errors.Is(err, encryptperm.ErrNotFound):
		return "the account does not hold a key, image or snapshot the command names",
			"check -key, -image or -snapshot and -region against what the account holds, or create what is missing, then run the command again"
	}
	return "what the account holds, read just now, stops this (each problem above says what)",
		"change what each problem names in the account (for example enable a disabled key), or name what the account holds instead, then run the command again"
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
