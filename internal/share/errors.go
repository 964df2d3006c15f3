// This file holds the errors of a share write whose outcome was unknown,
// once the engine has read what it did.

package share

import (
	"errors"
	"fmt"
)

// unsettledError is a write whose outcome was unknown and stays so: the
// read that was to tell whether it took effect failed. It wraps both
// errors.
type unsettledError struct {
	write, read error
}

func (e *unsettledError) Error() string {
	return fmt.Sprintf("%v; its outcome is unknown: reading whether it took effect: %v", e.write, e.read)
}

func (e *unsettledError) Unwrap() []error { return []error{e.write, e.read} }

// kindError is an error whose text says all and which wraps the error of
// its kind (one of Config's) without adding that error's text, so that a
// message has one prefix.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.kind }

// errorOf returns an error of the kind whose text is the format's.
func errorOf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// notDoneError is a write whose outcome was unknown until a read showed it
// was not carried out, after which the engine made no further attempt.
type notDoneError struct{ err error }

func (e *notDoneError) Error() string {
	return fmt.Sprintf("%v; a read shows it was not carried out", e.err)
}

func (e *notDoneError) Unwrap() error { return e.err }

// Outcome tells, of an error Run returned for a write whose outcome was
// unknown and that a read then looked into, whether the outcome is still
// unknown: settled is false for any other error, which the connection
// judges (Conn.OutcomeUnknown). A write that a read shows was not carried
// out is known; one whose read failed is not.
func Outcome(err error) (unknown, settled bool) {
	var nd *notDoneError
	if errors.As(err, &nd) {
		return false, true
	}
	var us *unsettledError
	if errors.As(err, &us) {
		return true, true
	}
	return false, false
}
