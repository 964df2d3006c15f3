// This file holds the management account's clients: the interfaces a run
// calls, the pools that hand out one SDK client per call in flight, the
// context that reaches a request, and the retries of the runner's own
// calls.

package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/cenkalti/backoff/v4"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Directory holds the Resource Manager (2020-03-31) calls a run makes with
// the management account, with the SDK's own method signatures: the
// directory itself (its management account and root), and its accounts and
// folders, a page at a time. *resourcemanager.Client satisfies it, and so
// does the fake. Implementations need not be safe for concurrent use: a
// Runner makes one call at a time on it.
type Directory interface {
	GetResourceDirectory(request *resourcemanager.GetResourceDirectoryRequest) (*resourcemanager.GetResourceDirectoryResponse, error)
	ListAccounts(request *resourcemanager.ListAccountsRequest) (*resourcemanager.ListAccountsResponse, error)
	ListAccountsForParent(request *resourcemanager.ListAccountsForParentRequest) (*resourcemanager.ListAccountsForParentResponse, error)
	ListFoldersForParent(request *resourcemanager.ListFoldersForParentRequest) (*resourcemanager.ListFoldersForParentResponse, error)
}

// STS holds the STS (2015-04-01) call a run makes with the management
// account, with the SDK's own method signature. *sts.Client satisfies it,
// and so does the fake. Implementations need not be safe for concurrent
// use unless Options.ConcurrentSTS says so.
type STS interface {
	AssumeRole(request *sts.AssumeRoleRequest) (*sts.AssumeRoleResponse, error)
}

var (
	_ Directory = (*resourcemanager.Client)(nil)
	_ STS       = (*sts.Client)(nil)
)

// slot is one client and, when the Runner built it, the transport through
// which a call's context reaches its request.
type slot[T any] struct {
	c    T
	ctxt *ctxTransport
}

// pool hands out a client per call in flight. A client is taken for the
// whole of one call and given back only when the call has returned, even
// when its caller gave up on it, since the SDK's clients are not safe for
// concurrent calls. A pool that can make clients grows with the work up to
// max.
type pool[T any] struct {
	idle chan *slot[T]

	mu   sync.Mutex
	made int
	max  int
	mk   func() (*slot[T], error) // nil: a pool of given clients
}

// fixedPool returns a pool that hands out c to one call at a time, or, when
// shared is true, to every call at once.
func fixedPool[T any](c T, shared bool, limit int) *pool[T] {
	n := 1
	if shared {
		n = max(limit, 1)
	}
	p := &pool[T]{idle: make(chan *slot[T], n), made: n, max: n}
	for range n {
		p.idle <- &slot[T]{c: c}
	}
	return p
}

// growingPool returns a pool that makes clients with mk as calls need
// them, up to limit.
func growingPool[T any](limit int, mk func() (*slot[T], error)) *pool[T] {
	limit = max(limit, 1)
	return &pool[T]{idle: make(chan *slot[T], limit), max: limit, mk: mk}
}

func (p *pool[T]) get(ctx context.Context) (*slot[T], error) {
	select {
	case s := <-p.idle:
		return s, nil
	default:
	}
	s, err := p.grow()
	if s != nil || err != nil {
		return s, err
	}
	select {
	case s := <-p.idle:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// grow makes a client when the pool may still grow; nil, nil when it may
// not.
func (p *pool[T]) grow() (*slot[T], error) {
	if p.mk == nil {
		return nil, nil
	}
	p.mu.Lock()
	if p.made >= p.max {
		p.mu.Unlock()
		return nil, nil
	}
	p.made++
	p.mu.Unlock()
	s, err := p.mk()
	if err != nil {
		p.mu.Lock()
		p.made--
		p.mu.Unlock()
		return nil, err
	}
	return s, nil
}

func (p *pool[T]) put(s *slot[T]) { p.idle <- s }

// ctxTransport attaches the context of the call in flight on its client to
// each request, so that the end of the context aborts the request.
type ctxTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	ctx  context.Context
}

func (t *ctxTransport) set(ctx context.Context) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
}

// clear forgets the context once its call has returned.
func (t *ctxTransport) clear() {
	t.mu.Lock()
	t.ctx = nil
	t.mu.Unlock()
}

// RoundTrip implements http.RoundTripper.
func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	ctx := t.ctx
	t.mu.Unlock()
	if ctx != nil {
		r = r.WithContext(ctx)
	}
	return t.base.RoundTrip(r)
}

// invoke makes one call on a client of p. When ctx ends first, invoke
// returns ctx's error at once; the call goes on in the background (on a
// client the Runner built, its request is aborted) and the client goes
// back to the pool only when it returns. So a caller reads what call
// wrote only when invoke returns nil.
func invoke[T any](ctx context.Context, p *pool[T], call func(T) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := p.get(ctx)
	if err != nil {
		return err
	}
	if s.ctxt != nil {
		s.ctxt.set(ctx)
	}
	done := make(chan error, 1)
	go func() {
		err := call(s.c)
		if s.ctxt != nil {
			s.ctxt.clear()
		}
		p.put(s)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callError is a failed call of the Runner's own: a listing or an
// AssumeRole. It wraps the SDK's server error, so that errors.As reaches
// *errors.ServerError, and the sentinel of package encryptperm that fits,
// so that errors.Is works. A transport error is kept only as redacted
// text, since the SDK's carries the signed URL.
type callError struct {
	action, target string
	code           string
	status         int
	requestID      string
	message        string
	retryAfter     time.Duration
	kind           error
	err            error
}

func (e *callError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %s", e.action)
	if e.target != "" {
		fmt.Fprintf(&b, " %s", e.target)
	}
	b.WriteString(": ")
	if e.code != "" {
		b.WriteString(e.code)
		if e.message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.message)
	if e.requestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.requestID)
	}
	return b.String()
}

func (e *callError) Unwrap() []error {
	var out []error
	if e.err != nil {
		out = append(out, e.err)
	}
	if e.kind != nil {
		out = append(out, e.kind)
	}
	return out
}

// wrapCall turns what a call of action on target returned into a
// *callError, or returns a context's error as it is.
func wrapCall(action, target string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &callError{action: action, target: target}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		e.code, e.status, e.requestID = se.ErrorCode(), se.HttpStatus(), se.RequestId()
		e.message = encryptperm.Redact(se.Message())
		e.err = se
		e.kind = kindOf(e.code, e.status)
		for k, v := range se.RespHeaders {
			if strings.EqualFold(k, "x-acs-retry-after") && len(v) > 0 {
				if ms, perr := strconv.ParseInt(v[0], 10, 64); perr == nil && ms > 0 {
					e.retryAfter = time.Duration(ms) * time.Millisecond
				}
			}
		}
		return e
	}
	e.message = encryptperm.Redact(err.Error())
	switch {
	case errors.Is(err, encryptperm.ErrNoCredentials):
		e.code, e.kind = "credentials", encryptperm.ErrNoCredentials
	case transport(err):
		e.code = "transport"
	}
	return e
}

// credentialSource turns the management account's credential into a
// provider whose failures satisfy errors.Is(err,
// encryptperm.ErrNoCredentials); nil is the SDK's default chain.
func credentialSource(cred auth.Credential) (credentials.CredentialsProvider, error) {
	p, err := auth.ToCredentialsProvider(cred)
	if err != nil {
		return nil, err
	}
	return &markedProvider{inner: p}, nil
}

// markedProvider marks the failures of the provider it wraps.
type markedProvider struct {
	mu    sync.Mutex
	inner credentials.CredentialsProvider
}

// GetCredentials implements credentials.CredentialsProvider.
func (p *markedProvider) GetCredentials() (*credentials.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.inner.GetCredentials()
	if err == nil && c == nil {
		err = errors.New("the credential provider returned no credentials")
	}
	if err != nil {
		return nil, &noCredentials{err}
	}
	return c, nil
}

// GetProviderName implements credentials.CredentialsProvider.
func (p *markedProvider) GetProviderName() string { return p.inner.GetProviderName() }

// noCredentials is a failure to obtain the management account's
// credentials: no request was sent.
type noCredentials struct{ err error }

func (e *noCredentials) Error() string   { return "no credentials: " + e.err.Error() }
func (e *noCredentials) Unwrap() []error { return []error{e.err, encryptperm.ErrNoCredentials} }

// kindOf returns the sentinel of package encryptperm that a code means.
func kindOf(code string, status int) error {
	switch {
	case throttled(code):
		return encryptperm.ErrThrottled
	case strings.HasPrefix(code, "EntityNotExist"):
		return encryptperm.ErrNotFound
	case code == "NoPermission" || strings.HasPrefix(code, "Forbidden") || strings.HasPrefix(code, "InvalidSecurityToken") ||
		strings.HasPrefix(code, "InvalidAccessKeyId") || code == "SignatureDoesNotMatch" || status == http.StatusForbidden:
		return encryptperm.ErrAccessDenied
	case strings.HasPrefix(code, "InvalidParameter") || strings.HasPrefix(code, "Missing"):
		return encryptperm.ErrInvalid
	}
	return nil
}

// throttled reports whether code refuses a call for its rate: the code was
// given before acting.
func throttled(code string) bool {
	return strings.HasPrefix(code, "Throttling") || code == "Rejected.Throttling"
}

// transport reports whether err is a failure to reach the service.
func transport(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// retryable reports whether a call that failed with err may be made again:
// the Runner's calls change nothing (an AssumeRole issues new credentials
// and leaves the old ones valid), so throttling, a server error and a
// transport error are all retried.
func retryable(err error) bool {
	var e *callError
	if !errors.As(err, &e) {
		return false
	}
	return throttled(e.code) || e.code == "transport" || e.code == "ServiceUnavailable" || e.code == "InternalError" || e.status >= 500
}

// retry makes call until it succeeds, fails for good, or the retry budget
// or ctx ends. A wait the service asks for (x-acs-retry-after) replaces a
// shorter backoff interval, but only within MaxInterval.
func (r *Runner) retry(ctx context.Context, call func() error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = r.opts.Retry.InitialInterval
	b.MaxInterval = r.opts.Retry.MaxInterval
	b.MaxElapsedTime = 0
	b.Reset()
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if attempt >= r.opts.Retry.MaxAttempts || !retryable(err) {
			return err
		}
		wait := b.NextBackOff()
		var e *callError
		if errors.As(err, &e) && e.retryAfter > wait {
			if e.retryAfter > r.opts.Retry.MaxInterval {
				return err
			}
			wait = e.retryAfter
		}
		if err := r.opts.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// sleep waits d, or returns ctx's error when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
