package encryptperm

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of them where it
// applies, so callers test with errors.Is.
var (
	// ErrNotFound: a role, policy or version does not exist.
	ErrNotFound = errors.New("encryptperm: not found")
	// ErrConflict: RAM refused a change that conflicts with its state (an
	// entity exists with other content, a policy is still attached, ...).
	ErrConflict = errors.New("encryptperm: conflict")
	// ErrLimitExceeded: a RAM limit would be or was exceeded.
	ErrLimitExceeded = errors.New("encryptperm: limit exceeded")
	// ErrThrottled: RAM throttled the caller and retries ran out, or RAM
	// asked for a wait before a retry that the retry budget does not allow
	// (see RetryOptions).
	ErrThrottled = errors.New("encryptperm: throttled")
	// ErrAccessDenied: the caller's credentials may not make the call.
	ErrAccessDenied = errors.New("encryptperm: access denied")
	// ErrInvalid: the input is invalid. *ValidationError wraps it.
	ErrInvalid = errors.New("encryptperm: invalid")
	// ErrStale: RAM changed after a Plan was made, so the Plan was not applied.
	ErrStale = errors.New("encryptperm: plan is stale")
	// ErrNoCredentials: no credentials could be obtained to sign a request:
	// the SDK's default chain found none (NewRAMApplier with a nil
	// Options.Credential), or the credential's provider failed. Nothing was
	// sent, and the call is not retried; the error keeps the provider's
	// message, which names the places it looked.
	ErrNoCredentials = errors.New("encryptperm: no credentials")
)

// FieldError is one problem found by validation.
type FieldError struct {
	// Path names the field, such as "Accounts[1]" or "Statement[0].Principal".
	Path string
	// Value is the offending value, as given.
	Value string
	// Reason says what is wrong and, where it can, how to fix it.
	Reason string
}

// Error returns the problem on one line.
func (e FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("%s %q: %s", e.Path, e.Value, e.Reason)
}

// ValidationError lists every problem found in an input at once. It wraps
// ErrInvalid, and ErrLimitExceeded too when a problem is a size limit.
type ValidationError struct {
	// What names the thing validated, such as `grant for role "X"`.
	What string
	// Problems holds each problem, in the order found, up to
	// MaxListedProblems of them.
	Problems []FieldError
	// More counts the problems found beyond those listed.
	More int
	// limit is true when at least one problem is a RAM limit.
	limit bool
}

// Error lists every problem, one per line after the first.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("encryptperm: invalid ")
	if e.What != "" {
		b.WriteString(e.What)
	} else {
		b.WriteString("input")
	}
	fmt.Fprintf(&b, ": %d problem", len(e.Problems)+e.More)
	if len(e.Problems)+e.More != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n\tand %d more", e.More)
	}
	return b.String()
}

// Unwrap returns ErrInvalid, and ErrLimitExceeded when a problem is a limit.
func (e *ValidationError) Unwrap() []error {
	if e.limit {
		return []error{ErrInvalid, ErrLimitExceeded}
	}
	return []error{ErrInvalid}
}

// Has reports whether a listed problem has the given path.
func (e *ValidationError) Has(path string) bool {
	for _, p := range e.Problems {
		if p.Path == path {
			return true
		}
	}
	return false
}

// problems collects FieldErrors while validating.
type problems struct {
	list  []FieldError
	more  int
	limit bool
}

// count returns how many problems were found, listed or not. A check that
// compares it before and after knows whether the value it checked is valid,
// even once the list is full.
func (p *problems) count() int { return len(p.list) + p.more }

func (p *problems) add(path, value, reason string, args ...any) {
	if len(p.list) >= MaxListedProblems {
		p.more++
		return
	}
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	p.list = append(p.list, FieldError{Path: path, Value: value, Reason: reason})
}

func (p *problems) addLimit(path, value, reason string, args ...any) {
	p.add(path, value, reason, args...)
	p.limit = true
}

func (p *problems) err(what string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{What: what, Problems: p.list, More: p.more, limit: p.limit}
}
