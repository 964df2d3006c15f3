package encryptperm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// APIError is a failed RAM call. It wraps the SDK's error, so errors.As
// reaches *errors.ServerError and its RequestId, and the sentinel that fits
// (ErrNotFound, ErrConflict, ...), so errors.Is works. Its text never holds a
// secret: transport errors, which carry the whole signed URL, are redacted.
type APIError struct {
	// Action is RAM's action, such as "CreateRole".
	Action string
	// Target names the role or policy.
	Target string
	// Code is RAM's error code, such as "EntityNotExist.Role"; empty for a
	// transport error.
	Code string
	// Status is the HTTP status; 0 for a transport error.
	Status int
	// RequestID is RAM's RequestId, when it answered.
	RequestID string
	// Message is RAM's message, or the redacted transport error.
	Message string

	kind error
	err  error
}

// Error returns "encryptperm: <action> <target>: <code>: <message> (request <id>)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "encryptperm: %s %q: ", e.Action, e.Target)
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the SDK's error and the sentinel that fits.
func (e *APIError) Unwrap() []error {
	out := []error{}
	if e.err != nil {
		out = append(out, e.err)
	}
	if e.kind != nil {
		out = append(out, e.kind)
	}
	return out
}

// transportError stands for an SDK client error after redaction: the SDK's
// own error is not kept, since its text holds the signed URL.
type transportError struct {
	msg   string
	cause error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.cause }

var secretParam = regexp.MustCompile(`(?i)(AccessKeyId|Signature|SecurityToken|AccessKeySecret|SignatureNonce)(=|%3D|":\s*")[^&\s"]*`)

// Redact removes the values of signing parameters from s.
func Redact(s string) string {
	return secretParam.ReplaceAllString(s, "${1}${2}REDACTED")
}

// kindOfCode maps a RAM error code to a sentinel.
func kindOfCode(code string, status int) error {
	switch {
	case strings.HasPrefix(code, "EntityNotExist"):
		return ErrNotFound
	case strings.HasPrefix(code, "EntityAlreadyExists"), strings.HasPrefix(code, "DeleteConflict"):
		return ErrConflict
	case strings.HasPrefix(code, "LimitExceeded"), strings.HasPrefix(code, "QuotaExceeded"):
		return ErrLimitExceeded
	case isThrottleCode(code):
		return ErrThrottled
	case code == "NoPermission", code == "Forbidden.RAM", code == "Inactive", strings.HasPrefix(code, "InvalidAccessKeyId"),
		code == "SignatureDoesNotMatch", strings.HasPrefix(code, "InvalidSecurityToken"), status == 403:
		return ErrAccessDenied
	case strings.HasPrefix(code, "InvalidParameter"), code == "MalformedPolicyDocument", strings.HasPrefix(code, "MissingParameter"):
		return ErrInvalid
	}
	return nil
}

func isThrottleCode(code string) bool {
	return strings.Contains(code, "Throttling") || code == "ServiceUnavailable"
}

// wrapError turns an SDK error into an *APIError (or returns a context error
// as it is).
func wrapError(action, target string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &APIError{
			Action: action, Target: target, Code: se.ErrorCode(), Status: se.HttpStatus(),
			RequestID: se.RequestId(), Message: Redact(se.Message()),
			kind: kindOfCode(se.ErrorCode(), se.HttpStatus()), err: redactServerError(se),
		}
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		var cause error
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		} else if o := ce.OriginError(); o != nil {
			var ne net.Error
			if errors.As(o, &ne) {
				cause = ne
			}
		}
		msg := Redact(ce.ErrorCode() + ": " + ce.Message())
		if cause != nil {
			msg += ": " + Redact(cause.Error())
		}
		return &APIError{Action: action, Target: target, Message: msg, err: &transportError{msg: msg, cause: safeCause(cause)}}
	}
	// With its auto-retry off, the SDK returns the HTTP client's *url.Error
	// as it is; its text holds the signed URL.
	var cause error
	var ue *url.Error
	msg := ""
	if errors.As(err, &ue) {
		cause = ue.Err
		msg = fmt.Sprintf("%s %s: %s", ue.Op, redactURL(ue.URL), Redact(ue.Err.Error()))
		if errors.Is(ue.Err, context.Canceled) || errors.Is(ue.Err, context.DeadlineExceeded) {
			return ue.Err
		}
	} else {
		msg = Redact(err.Error())
	}
	return &APIError{Action: action, Target: target, Message: "transport: " + msg, err: &transportError{msg: "transport: " + msg, cause: safeCause(cause)}}
}

// safeCause returns err if no error in its chain holds a signing parameter,
// so that callers can still test it (errors.Is(err, syscall.ECONNREFUSED));
// otherwise a redacted copy of its text that wraps nothing. A transport may
// quote the signed URL in its error.
func safeCause(err error) error {
	if err == nil || clean(err) {
		return err
	}
	return &transportError{msg: Redact(err.Error())}
}

// clean reports whether no error in err's chain has text that Redact would
// change.
func clean(err error) bool {
	if err == nil {
		return true
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
		if Redact(s) != s {
			return false
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return clean(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !clean(e) {
				return false
			}
		}
	}
	return true
}

// redactServerError returns se, or, when its text holds a signing parameter
// (RAM's SignatureDoesNotMatch quotes the string it signed, security token
// included), an equal ServerError whose message, comment and headers are
// redacted.
func redactServerError(se *sdkerrors.ServerError) *sdkerrors.ServerError {
	if s := se.Error(); Redact(s) == s && Redact(se.Comment()) == se.Comment() {
		return se
	}
	body := map[string]any{
		"RequestId": se.RequestId(), "HostId": se.HostId(), "Code": se.ErrorCode(),
		"Message": Redact(se.Message()), "Recommend": Redact(se.Recommend()),
	}
	if d := se.AccessDeniedDetail(); d != nil {
		body["AccessDeniedDetail"] = d
	}
	b, err := json.Marshal(body)
	if err != nil {
		return &sdkerrors.ServerError{}
	}
	out, ok := sdkerrors.NewServerError(se.HttpStatus(), string(b), Redact(se.Comment())).(*sdkerrors.ServerError)
	if !ok {
		return &sdkerrors.ServerError{}
	}
	if se.RespHeaders != nil {
		out.RespHeaders = make(map[string][]string, len(se.RespHeaders))
		for k, vs := range se.RespHeaders {
			for _, v := range vs {
				out.RespHeaders[k] = append(out.RespHeaders[k], Redact(v))
			}
		}
	}
	return out
}

// redactURL keeps a URL's scheme, host and path and drops its query, which
// holds the signing parameters.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<url>"
	}
	u.RawQuery = ""
	u.User = nil
	return u.String()
}

// codeOf returns RAM's error code of err, or "".
func codeOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// retryable reports whether a call that failed with err may be retried.
func retryable(err error, write bool) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if isThrottleCode(ae.Code) {
		// Throttled calls were refused before RAM acted: safe to resend.
		return true
	}
	if write {
		// A write that failed in transport or with a 5xx may have been
		// carried out: it is never resent. The engine reads and plans again.
		return false
	}
	return ae.Code == "" && ae.Status == 0 || ae.Code == "InternalError" || ae.Status >= 500
}

// outcomeUnknown reports whether a write that failed with err may
// nevertheless have been carried out.
func outcomeUnknown(err error) bool {
	var ns *notSentError
	if errors.As(err, &ns) {
		return false
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	return ae.Code == "" && ae.Status == 0 || ae.Code == "InternalError" || ae.Status >= 500
}
