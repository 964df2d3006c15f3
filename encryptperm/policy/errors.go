// This file holds the errors of reading a document: the sentinels and the
// *ValidationError that lists every problem with its path.

package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Package encryptperm's ErrInvalid and ErrLimitExceeded are
// these same values, so errors.Is(err, encryptperm.ErrInvalid) holds for an
// error of Parse or Read, and their text names the module's root package.
var (
	// ErrInvalid: the input is invalid. *ValidationError wraps it.
	ErrInvalid = errors.New("encryptperm: invalid")
	// ErrLimitExceeded: a size limit or a reading bound (Limits) was
	// exceeded. A *ValidationError with such a problem wraps it too.
	ErrLimitExceeded = errors.New("encryptperm: limit exceeded")
)

// MaxListedProblems is the most problems a *ValidationError lists; it counts
// the others in ValidationError.More, so that a hostile input cannot make an
// error of unbounded size.
const MaxListedProblems = 100

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
	// Limit is true when at least one problem is a size limit (one of
	// RAM's, or a bound of Limits); the error then wraps ErrLimitExceeded
	// too.
	Limit bool
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
	if e.Limit {
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
	return &ValidationError{What: what, Problems: p.list, More: p.more, Limit: p.limit}
}
