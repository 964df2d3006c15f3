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
	"io/fs"
	"slices"
	"strings"
	"sync"
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
type Contact struct {
	calls atomic.Int64

	mu        sync.Mutex
	byService map[string]int
	// progress, when set, is told of each call as it starts (see
	// Progress).
	progress *Progress
}

// StartCall counts a call, by service.
func (c *Contact) StartCall(_ context.Context, call encryptperm.Call) func(string, string, error) {
	c.calls.Add(1)
	c.mu.Lock()
	if c.byService == nil {
		c.byService = map[string]int{}
	}
	c.byService[call.Service]++
	line := c.countsLocked()
	p := c.progress
	c.mu.Unlock()
	p.show(line)
	return func(string, string, error) {}
}

// Counts says how many calls went to each service, in a fixed order: "8
// calls (RAM 5, ECS 2, KMS 1)".
func (c *Contact) Counts() string {
	if c == nil {
		return "0 calls"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.countsLocked()
}

func (c *Contact) countsLocked() string {
	total := 0
	var parts []string
	for _, s := range []string{"RAM", "ECS", "Resource Sharing", "KMS", "STS", ""} {
		if n := c.byService[s]; n > 0 {
			total += n
			if s == "" {
				s = "other"
			}
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	if total == 1 {
		return "1 call (" + strings.Join(parts, ", ") + ")"
	}
	if total == 0 {
		return "0 calls"
	}
	return fmt.Sprintf("%d calls (%s)", total, strings.Join(parts, ", "))
}

// CallCounts says how many of calls went to each service: "8 calls (RAM
// 5, ECS 2, KMS 1)".
func CallCounts(calls []encryptperm.Call) string {
	var ct Contact
	for _, call := range calls {
		ct.StartCall(context.Background(), call)
	}
	return ct.Counts()
}

// ShowProgress makes the Contact draw a progress line on p for each call.
func (c *Contact) ShowProgress(p *Progress) {
	c.mu.Lock()
	c.progress = p
	c.mu.Unlock()
}

// Progress is a line on a terminal that says how far the work is: the
// calls made so far, by service, redrawn in place; Done wipes it. A nil
// *Progress draws nothing.
type Progress struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	drawn  bool
}

// NewProgress returns the progress line of prog on w, which should be a
// terminal (see IsTerminal).
func NewProgress(w io.Writer, prog string) *Progress {
	return &Progress{w: w, prefix: prog + ": "}
}

func (p *Progress) show(line string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\x1b[K%s%s so far", p.prefix, line)
	p.drawn = true
}

// Done wipes the line, so that what follows starts on a clean line.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// Terminal is implemented by a writer that says whether it is a terminal;
// tests use it to stand for one.
type Terminal interface{ IsTerminal() bool }

// IsTerminal reports whether w is a terminal: a character device, or a
// writer that says it is one.
func IsTerminal(w io.Writer) bool {
	if t, ok := w.(Terminal); ok {
		return t.IsTerminal()
	}
	f, ok := w.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

// Contacted reports whether a call was made.
func (c *Contact) Contacted() bool { return c != nil && c.calls.Load() > 0 }

// Mark returns err as a *ReadError when a call was made before it, so that
// its exit code is Failure; it returns err unchanged when it is nil or a
// UsageError, or when nothing was contacted.
func (c *Contact) Mark(err error) error {
	var ue UsageError
	if err == nil || errors.As(err, &ue) || !c.Contacted() || len(unaccepted(err)) > 0 {
		// A critical finding not accepted is the caller's choice, not
		// what the account holds, whenever it is found.
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
	var ue UsageError
	switch {
	case errors.Is(err, encryptperm.ErrNoCredentials):
		return "", CredentialsFix
	case errors.Is(err, encryptperm.ErrStale):
		return "", "RAM changed since the plan was read; run the command again to plan afresh"
	case errors.Is(err, encryptperm.ErrLockLost):
		return "the lock on the role was lost while writing (etcd out of reach, or its lease revoked or expired), so nothing more was written",
			"run the command again: it reads RAM afresh and makes only what is missing; the writes listed as unknown may or may not have been made"
	case errors.Is(err, context.DeadlineExceeded):
		return "the work took longer than the time it was given", "run the command again with a longer -timeout; what was written is listed above, and the next plan reads what was not"
	case errors.Is(err, context.Canceled):
		return "", ""
	case len(unaccepted(err)) > 0:
		return "the grant has a critical finding, which is applied only when accepted",
			"read the finding above; to apply the grant as it is, run the command again with -accept " + strings.Join(unaccepted(err), " -accept ")
	case errors.As(err, &re) && (errors.Is(err, encryptperm.ErrInvalid) || errors.Is(err, encryptperm.ErrNotFound)):
		return readFix(err)
	case errors.As(err, &ue):
		return "", fmt.Sprintf("run %s -help for the flags", prog)
	case Code(err) == Usage:
		return "", fmt.Sprintf("correct the values each problem above names (run %s -help for the flags)", prog)
	}
	return "", ""
}

// unaccepted returns the codes of the critical findings err refuses as not
// accepted (Options.AcceptFindings), when it refuses nothing else.
func unaccepted(err error) []string {
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		return nil
	}
	var codes []string
	for _, p := range ve.Problems {
		if !strings.HasPrefix(p.Reason, "critical finding not accepted") {
			return nil
		}
		if !slices.Contains(codes, p.Value) {
			codes = append(codes, p.Value)
		}
	}
	return codes
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
// true for "yes" and false for any other answer, a closed or empty input
// included: a write nobody confirmed is not made, and the program exits No
// (1), as for "no". The error is always nil; it stays in the signature for
// the callers that return it.
func Confirm(in io.Reader, out io.Writer, prog string, plan fmt.Stringer) (bool, error) {
	fmt.Fprintf(out, "%s will make these changes in RAM:\n%sType yes to make them: ", prog, plan)
	answer, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && answer == "" {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "no answer on standard input: not confirmed; nothing was written (give -yes to write without asking)")
		return false, nil
	}
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintln(out, "not confirmed; nothing was written")
		return false, nil
	}
	return true, nil
}
