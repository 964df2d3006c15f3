// This file maps what a RAM call returned to this package's errors: *APIError,
// the sentinel each RAM code means, the wait RAM asks for, the errors of a
// call not sent or not answered, and Redact, which keeps secrets out of
// every message.

package encryptperm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// APIError is a failed call to RAM, ECS, Resource Sharing or KMS. It wraps
// the SDK's error, so errors.As reaches *errors.ServerError and its
// RequestId, and the sentinel that fits (ErrNotFound, ErrConflict, ...), so
// errors.Is works. Its text names the service, the call and what it was
// about, and never holds a secret: transport errors, which carry the whole
// signed URL, are redacted.
type APIError struct {
	// Service is the service called: "RAM", "ECS", "Resource Sharing" or
	// "KMS". Empty means the service Action belongs to.
	Service string
	// Action is the service's action, such as "CreateRole".
	Action string
	// Target names the role, policy, image, snapshot, key, resource share
	// or region the call was about.
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
	// RetryAfter is the wait RAM asked for before a retry
	// (x-acs-retry-after), or 0.
	RetryAfter time.Duration

	kind error
	err  error
}

// Error returns "encryptperm: <service> <action> <target>: <code>:
// <message> (request <id>)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(callPrefix(cmp.Or(e.Service, serviceOf(e.Action)), e.Action, e.Target))
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

// services names the service of each action this package calls; an action
// not listed is named without one.
var services = map[string]string{
	"DescribeImages": "ECS", "DescribeSnapshots": "ECS", "DescribeImageSharePermission": "ECS", "ModifyImageSharePermission": "ECS",
	"ListResourceShares": "Resource Sharing", "ListResourceShareAssociations": "Resource Sharing",
	"CheckSharingWithResourceDirectoryStatus": "Resource Sharing", "CreateResourceShare": "Resource Sharing",
	"AssociateResourceShare": "Resource Sharing", "DisassociateResourceShare": "Resource Sharing",
	"DescribeKey": "KMS", "GetKeyPolicy": "KMS", "SetKeyPolicy": "KMS",
	"AssumeRole": "STS",
	"CreateRole": "RAM", "GetRole": "RAM", "UpdateRole": "RAM", "DeleteRole": "RAM", "ListRoles": "RAM",
	"CreatePolicy": "RAM", "GetPolicy": "RAM", "DeletePolicy": "RAM", "ListPolicies": "RAM",
	"CreatePolicyVersion": "RAM", "GetPolicyVersion": "RAM", "ListPolicyVersions": "RAM",
	"DeletePolicyVersion": "RAM", "SetDefaultPolicyVersion": "RAM", "AttachPolicyToRole": "RAM",
	"DetachPolicyFromRole": "RAM", "ListPoliciesForRole": "RAM", "ListEntitiesForPolicy": "RAM",
}

// serviceOf returns the service of action, or "".
func serviceOf(action string) string { return services[action] }

// callPrefix is the start of the text of every error of one call:
// "encryptperm: <service> <action> <target>: ", the service left out
// when it is not known.
func callPrefix(service, action, target string) string {
	if service == "" {
		return fmt.Sprintf("encryptperm: %s %q: ", action, target)
	}
	return fmt.Sprintf("encryptperm: %s %s %q: ", service, action, target)
}

// transportError stands for an SDK client error after redaction: the SDK's
// own error is not kept, since its text holds the signed URL.
type transportError struct {
	msg   string
	cause error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.cause }

// secretName matches the name of a parameter or header whose value is a
// secret, or names the holder of one, followed by what separates it from its
// value: "=" in a query or an Authorization header, "%3D" or "%253D" once or
// twice URL-escaped (as in a string to sign), ":" in a header line, a
// canonical request (V3) or Go's printing of a map or struct, and the quotes
// and brackets of JSON. Longer names come first, so that "SignatureNonce"
// is not read as "Signature".
var secretName = regexp.MustCompile(`(?i)(AccessKeyStsToken|AccessKeySecret|AccessKeyId|SecurityToken|BearerToken|` +
	`x-acs-security-token|x-acs-accesskey-id|x-acs-accesskey-secret|x-acs-bearer-token|` +
	`SignatureNonce|Signature|Credential|Authorization)` +
	`(\\?"?[ \t]*(?:=|:|%3D|%253D|%3A|%253A)[ \t"\\\[]*)`)

// Redact removes from s the values of the parameters and headers that sign
// a request or carry a credential: AccessKeyId, AccessKeySecret,
// SecurityToken, BearerToken, Signature and SignatureNonce in a query or a
// string to sign (raw, or URL-escaped once or twice); Authorization,
// x-acs-security-token, x-acs-accesskey-id and x-acs-bearer-token in header
// lines, canonical requests and printed headers; and these names as JSON
// keys or Go struct fields. Each value becomes REDACTED; an Authorization
// header loses its whole value.
//
// This package redacts its own errors, logs and Observer calls already.
// Redact is exported for what it cannot see: the errors of the SDK clients a
// program builds itself (an ECS or KMS client beside the Applier, or the RAM
// client given to NewApplier), whose text can carry a signed URL, and the
// fake's recorded requests.
func Redact(s string) string {
	var b strings.Builder
	rest := s
	for {
		m := secretName.FindStringSubmatchIndex(rest)
		if m == nil {
			b.WriteString(rest)
			return b.String()
		}
		name, sep := rest[m[2]:m[3]], rest[m[4]:m[5]]
		b.WriteString(rest[:m[1]])
		n := valueLen(rest[m[1]:], strings.EqualFold(name, "Authorization"), sep)
		if n > 0 {
			b.WriteString("REDACTED")
		}
		rest = rest[m[1]+n:]
	}
}

// valueLen returns the length of the secret value at the start of s, given
// the separator that came before it. An Authorization header runs to the
// end of its line, quote or bracket. A value after an escaped separator
// ends where an escaped "&" begins; one after "=" at "&" too, since a query
// escapes it inside values; one after ":" (a header's raw value) does not.
func valueLen(s string, wholeLine bool, sep string) int {
	escaped := strings.Contains(sep, "%")
	colon := !escaped && strings.Contains(sep, ":")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' || c == '\r' || c == '"' || c == ']' || c == '\\':
			return i
		case wholeLine:
		case c == ' ' || c == '\t' || c == ',' || c == '\'' || c == '}' || c == ')' || c == '<' || c == '>':
			return i
		case c == ';' && !colon:
			return i
		case c == '&' && !colon:
			return i
		case escaped && c == '%' && (hasFoldPrefix(s[i:], "%26") || hasFoldPrefix(s[i:], "%2526")):
			return i
		}
	}
	return len(s)
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
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

// isThrottleCode reports whether code is a throttling code (Throttling,
// Throttling.User, Throttling.Api, Rejected.Throttling, ...): the only
// answers RAM, ECS and Resource Sharing document as given before acting.
// ServiceUnavailable is not one: a 503 does not say the call was not
// carried out.
func isThrottleCode(code string) bool {
	return strings.Contains(code, "Throttling")
}

// refusedBeforeActing reports whether a call that failed with the code was
// refused before the service acted, so that resending it cannot make the
// change twice: a throttling code, or one of extra
// (Options.Retry.ResendCodes).
func refusedBeforeActing(code string, extra []string) bool {
	return code != "" && (isThrottleCode(code) || slices.Contains(extra, code))
}

// wrapError turns an SDK error into an *APIError, or a failure to obtain
// credentials into an error that wraps ErrNoCredentials. A context error
// whose text holds nothing secret is returned as it is; any other keeps
// errors.Is(err, context.Canceled) or errors.Is(err,
// context.DeadlineExceeded) but is redacted: the HTTP client quotes the
// signed URL in the errors of requests that the end of a context, or a
// timeout, cut off.
func wrapError(action, target string, err error) error {
	if err == nil {
		return nil
	}
	var nc *noCredentialsError
	if errors.As(err, &nc) {
		return &credentialsError{action: action, target: target, msg: Redact(nc.err.Error())}
	}
	if isContextError(err) && clean(err) {
		return err
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &APIError{
			Service: serviceOf(action), Action: action, Target: target, Code: se.ErrorCode(), Status: se.HttpStatus(),
			RequestID: se.RequestId(), Message: Redact(se.Message()), RetryAfter: retryAfterOf(se),
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
		return &APIError{Service: serviceOf(action), Action: action, Target: target, Message: msg, err: &transportError{msg: msg, cause: safeCause(cause)}}
	}
	// With its auto-retry off, the SDK returns the HTTP client's *url.Error
	// as it is; its text holds the signed URL. Its cause keeps telling a
	// timeout or the end of a context from another transport failure.
	var cause error
	var ue *url.Error
	msg := ""
	if errors.As(err, &ue) {
		cause = ue.Err
		msg = fmt.Sprintf("%s %s: %s", ue.Op, redactURL(ue.URL), Redact(ue.Err.Error()))
	} else {
		cause = err
		msg = Redact(err.Error())
	}
	return &APIError{Service: serviceOf(action), Action: action, Target: target, Message: "transport: " + msg, err: &transportError{msg: "transport: " + msg, cause: safeCause(cause)}}
}

// isContextError reports whether err is, or wraps, the end of a context.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// safeCause returns err if no error in its chain holds a signing parameter,
// so that callers can still test it (errors.Is(err, syscall.ECONNREFUSED));
// otherwise a redacted copy of its text that wraps only the context error
// err wraps, if any. A transport may quote the signed URL in its error.
func safeCause(err error) error {
	if err == nil || clean(err) {
		return err
	}
	out := &transportError{msg: Redact(err.Error())}
	switch {
	case errors.Is(err, context.Canceled):
		out.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		out.cause = context.DeadlineExceeded
	}
	return out
}

// clean reports whether no error in err's chain has text that Redact would
// change.
func clean(err error) bool {
	if err == nil {
		return true
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
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

// retryable reports whether a call that failed with err may be retried. A
// write is resent only when the service refused it before acting (see
// refusedBeforeActing); a read is retried after that, a 5xx answer,
// InternalError, ServiceUnavailable or a transport error too.
func retryable(err error, write bool, resend []string) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if refusedBeforeActing(ae.Code, resend) {
		return true
	}
	if write {
		// Any other failure of a write may have been carried out: it is
		// never resent. The engine reads again and plans again.
		return false
	}
	return ae.Code == "" && ae.Status == 0 || ae.Code == "InternalError" || ae.Code == "ServiceUnavailable" || ae.Status >= 500
}

// outcomeUnknown reports whether a write that failed with err may
// nevertheless have been carried out: every failure but a call never sent
// and an answer that refused it. An answer refuses a write when it carries
// an error code and is not a server error (5xx, InternalError,
// ServiceUnavailable); a throttling code refuses it whatever its status. A
// transport error, an answer without a code, a client that failed without
// answering and the end of the context leave the outcome unknown.
func outcomeUnknown(err error) bool {
	var ns *notSentError
	if errors.As(err, &ns) {
		return false
	}
	var cre *credentialsError
	if errors.As(err, &cre) {
		return false // not sent: no credentials to sign it
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		var ce *clientError
		return isContextError(err) || errors.As(err, &ce)
	}
	if isThrottleCode(ae.Code) {
		return false
	}
	return ae.Code == "" || ae.Code == "InternalError" || ae.Code == "ServiceUnavailable" || ae.Status >= 500
}

// retryAfterOf returns the wait RAM asked for with x-acs-retry-after (in
// milliseconds), or 0.
func retryAfterOf(se *sdkerrors.ServerError) time.Duration {
	for k, v := range se.RespHeaders {
		if strings.EqualFold(k, "x-acs-retry-after") && len(v) > 0 {
			if ms, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64); err == nil && ms > 0 {
				return time.Duration(min(ms, int64(maxRetryAfter/time.Millisecond))) * time.Millisecond
			}
		}
	}
	return 0
}

// notSentError is the context's error for a call that was never sent, so
// that its outcome is known: it did not happen. Its text names the call.
type notSentError struct {
	action, target string
	err            error
}

func (e *notSentError) Error() string {
	return callPrefix(serviceOf(e.action), e.action, e.target) + "not sent: " + e.err.Error()
}

func (e *notSentError) Unwrap() error { return e.err }

// callContextError is the end of the context while a call was in flight:
// its text names the call, and it wraps the context's error, so that
// errors.Is(err, context.DeadlineExceeded) (or context.Canceled) holds.
type callContextError struct {
	action, target string
	err            error
}

func (e *callContextError) Error() string {
	return callPrefix(serviceOf(e.action), e.action, e.target) + e.err.Error()
}

func (e *callContextError) Unwrap() error { return e.err }

// clientError is a failure of the RAM client itself: it returned neither an
// answer nor an error, or it panicked. It is not retried.
type clientError struct {
	action, target, what string
}

func (e *clientError) Error() string {
	service := serviceOf(e.action)
	return callPrefix(service, e.action, e.target) + "the " + cmp.Or(service, "RAM") + " client " + e.what
}

// maxRetryAfter caps the wait read from x-acs-retry-after, so that a huge
// value cannot overflow a time.Duration.
const maxRetryAfter = 1000 * time.Hour

// noCredentialsError is a failure to obtain credentials, as the SDK's
// signer returns it.
type noCredentialsError struct{ err error }

func (e *noCredentialsError) Error() string { return e.err.Error() }

func (e *noCredentialsError) Unwrap() error { return e.err }

// credentialsError is a call that was not sent because no credentials could
// be obtained to sign it. It wraps ErrNoCredentials and is not retried; its
// text is the provider's (redacted), which names the places it looked.
type credentialsError struct{ action, target, msg string }

func (e *credentialsError) Error() string {
	prefix := "encryptperm: new RAM applier: "
	if e.action != "" {
		prefix = callPrefix(serviceOf(e.action), e.action, e.target)
	}
	return prefix + "no credentials: " + e.msg + "; " + credentialsHint
}

func (e *credentialsError) Unwrap() error { return ErrNoCredentials }

// ctxOr returns, when err is the end of ctx, an error that names the call
// it cut off (and wraps ctx's error); else err.
func ctxOr(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if ctxErr == nil || !isContextError(err) {
		return err
	}
	return namedByCall(ctxErr, err)
}

// namedByCall returns ctxErr, the end of a context, named by what err, the
// error it caused, says was cut off: a call, or a wait of the engine.
func namedByCall(ctxErr, err error) error {
	var ce *callContextError
	if errors.As(err, &ce) && errors.Is(err, ctxErr) {
		return ce
	}
	var ns *notSentError
	if errors.As(err, &ns) && errors.Is(err, ctxErr) {
		return &callContextError{action: ns.action, target: ns.target, err: ctxErr}
	}
	var named *namedContextError
	if errors.As(err, &named) && errors.Is(err, ctxErr) {
		return named
	}
	return ctxErr
}

// namedContextError is the end of the context while the engine waited for
// something other than a call (a role's lock, other callers' batch): its
// text says what, and it wraps the context's error.
type namedContextError struct {
	what string
	err  error
}

func (e *namedContextError) Error() string { return "encryptperm: " + e.what + ": " + e.err.Error() }

func (e *namedContextError) Unwrap() error { return e.err }
