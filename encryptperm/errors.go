// This file holds the sentinel errors, the *ValidationError of this package,
// and the collector of problems the builders use.

package encryptperm

import (
	"errors"
	"fmt"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Sentinel errors. Errors returned by this package wrap one of them where it
// applies, so callers test with errors.Is.
var (
	// ErrNotFound: a role, policy or version does not exist.
	ErrNotFound = errors.New("encryptperm: not found")
	// ErrConflict: RAM refused a change that conflicts with its state (an
	// entity exists with other content, a policy is still attached, ...).
	ErrConflict = errors.New("encryptperm: conflict")
	// ErrLimitExceeded: a RAM limit would be or was exceeded, or a document
	// is beyond the reading bounds (Limits.Read). It is
	// policy.ErrLimitExceeded.
	ErrLimitExceeded = policy.ErrLimitExceeded
	// ErrThrottled: RAM throttled the caller and retries ran out, or RAM
	// asked for a wait before a retry that the retry budget does not allow
	// (see RetryOptions).
	ErrThrottled = errors.New("encryptperm: throttled")
	// ErrAccessDenied: the caller's credentials may not make the call.
	ErrAccessDenied = errors.New("encryptperm: access denied")
	// ErrInvalid: the input is invalid. *ValidationError wraps it. It is
	// policy.ErrInvalid, so errors from policy.Parse and policy.Read match it.
	ErrInvalid = policy.ErrInvalid
	// ErrStale: RAM changed after a Plan was made, so the Plan was not applied.
	ErrStale = errors.New("encryptperm: plan is stale")
	// ErrNoCredentials: no credentials could be obtained to sign a request:
	// the SDK's default chain found none (NewRAMApplier with a nil
	// Options.Credential), or the credential's provider failed. Nothing was
	// sent, and the call is not retried; the error keeps the provider's
	// message, which names the places it looked, and ends with the fix, the
	// one the command-line tools give. Options.CheckCredentials makes
	// NewRAMApplier return it at once.
	ErrNoCredentials = errors.New("encryptperm: no credentials")
)

// credentialsHint says where the Alibaba Cloud SDK's default credential
// chain looks, and so what fixes ErrNoCredentials: every error that wraps
// ErrNoCredentials ends with it, and the command-line tools give the same
// words as their fix.
const credentialsHint = "give credentials the Alibaba Cloud SDK finds: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile made with `aliyun configure`, or an instance role (Options.Credential in Go)"

// ValidationError lists every problem found in an input at once: a grant
// (Build, Apply, Revoke) or a document (policy.Parse, policy.Read). It wraps
// ErrInvalid, and ErrLimitExceeded too when a problem is a size limit. It is
// policy.ValidationError, so that one errors.As target serves both; each
// problem in Problems is a policy.FieldError.
type ValidationError = policy.ValidationError

// problems collects FieldErrors while validating.
type problems struct {
	list  []policy.FieldError
	more  int
	limit bool
}

// count returns how many problems were found, listed or not. A check that
// compares it before and after knows whether the value it checked is valid,
// even once the list is full.
func (p *problems) count() int { return len(p.list) + p.more }

func (p *problems) add(path, value, reason string, args ...any) {
	if len(p.list) >= policy.MaxListedProblems {
		p.more++
		return
	}
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	p.list = append(p.list, policy.FieldError{Path: path, Value: value, Reason: reason})
}

// addAll adds problems found elsewhere, such as those of a nested
// *ValidationError, and more, the count of those it did not list. Every one
// goes through add, so the cap holds whatever the source.
func (p *problems) addAll(list []policy.FieldError, more int) {
	for _, fe := range list {
		p.add(fe.Path, fe.Value, fe.Reason)
	}
	p.more += more
}

func (p *problems) addLimit(path, value, reason string, args ...any) {
	p.add(path, value, reason, args...)
	p.limit = true
}

// invalid returns a *ValidationError of what with one problem: every
// refusal of an input has the prefix "encryptperm: invalid <what>".
func invalid(what, path, value, reason string, args ...any) error {
	var p problems
	p.add(path, value, reason, args...)
	return p.err(what)
}

// kindError is an error whose text says all, and which wraps the
// sentinels of its kind (and the errors that led to it) without adding
// their text: each kind of error keeps one prefix, never two.
type kindError struct {
	msg   string
	kinds []error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error { return e.kinds }

// errorOf returns an error of the kind whose text is the format's.
func errorOf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kinds: []error{kind}}
}

func (p *problems) err(what string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{What: what, Problems: p.list, More: p.more, Limit: p.limit}
}
