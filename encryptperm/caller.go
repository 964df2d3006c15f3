// This file holds the lowest layer: one RAM call through the client pool, with
// the context, retries, backoff, the retry budget, the call record (Call) and
// credentials.

package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/cenkalti/backoff/v4"
)

// client is one RAM client and the slot that says it is in use.
type client struct {
	ram RAM
	// ctxt is set when the engine owns the client's transport: each call's
	// context reaches the HTTP request through it, so that the end of the
	// context aborts the request in flight.
	ctxt *ctxTransport
}

// pool hands out idle clients. A client is taken for the whole of one call and
// returned only when the call has really returned, even if the caller gave up
// on it, because the SDK's client is not safe for concurrent calls.
//
// A pool that can make clients (NewRAMApplier's) grows with the work: when
// every client is busy, a call gets a new one, up to max, so that independent
// calls are never queued behind each other below that bound.
type pool struct {
	idle chan *client

	mu   sync.Mutex
	made int
	max  int
	// newClient builds one more client; nil for a pool of given clients.
	newClient func() (*client, error)
}

// newPool returns a pool of the given clients, which never grows.
func newPool(clients []*client) *pool {
	p := &pool{idle: make(chan *client, len(clients)), made: len(clients), max: len(clients)}
	for _, c := range clients {
		p.idle <- c
	}
	return p
}

// newGrowingPool returns a pool holding the clients first that makes more
// with mk as the work needs them, up to limit in all.
func newGrowingPool(first []*client, limit int, mk func() (*client, error)) *pool {
	limit = max(limit, len(first), 1)
	p := &pool{idle: make(chan *client, limit), made: len(first), max: limit, newClient: mk}
	for _, c := range first {
		p.idle <- c
	}
	return p
}

func (p *pool) get(ctx context.Context) (*client, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	if c := p.grow(); c != nil {
		return c, nil
	}
	select {
	case c := <-p.idle:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// grow makes a new client when the pool may still grow; it returns nil
// otherwise, or when the client cannot be made (the caller then waits for
// one of the clients the pool has). Clients are made outside the lock, so
// that the calls of one level that each need a new client are not queued
// behind each other's.
func (p *pool) grow() *client {
	if p.newClient == nil {
		return nil
	}
	p.mu.Lock()
	if p.made >= p.max {
		p.mu.Unlock()
		return nil
	}
	p.made++
	p.mu.Unlock()
	c, err := p.newClient()
	if err != nil {
		p.mu.Lock()
		p.made--
		p.mu.Unlock()
		return nil
	}
	return c
}

func (p *pool) put(c *client) { p.idle <- c }

// ctxTransport attaches the current call's context to each request.
type ctxTransport struct {
	base http.RoundTripper
	ctx  atomic.Pointer[context.Context]
}

// RoundTrip implements http.RoundTripper.
func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if p := t.ctx.Load(); p != nil {
		r = r.WithContext(*p)
	}
	return t.base.RoundTrip(r)
}

// caller makes RAM calls: one at a time per client, with retries, timeouts,
// logging and observation, and a record of every call.
type caller struct {
	pool     *pool
	opts     Options
	logger   *slog.Logger
	observer Observer
	now      func() time.Time
	// sleep, when set (by tests), replaces every wait of pause; it returns
	// ctx's error if ctx ends first.
	sleep func(ctx context.Context, d time.Duration) error
}

// op describes one call for the caller.
type op struct {
	action string
	target string
	write  bool
	rec    *recorder
	once   bool // a speculative read: one attempt, never retried
}

// recorder collects the calls of one Plan, Apply or Revoke.
type recorder struct {
	mu    sync.Mutex
	calls []Call
	// parent, when set, records every call too: the recorder of a whole
	// Apply of which this one records a part, so that its list keeps the
	// order in which the calls were made.
	parent *recorder
}

func (r *recorder) add(c Call) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	r.parent.add(c)
}

func (r *recorder) list() []Call {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// timed is implemented by every SDK request: it lets the engine turn a
// deadline into the request's own timeouts.
type timed interface {
	SetReadTimeout(time.Duration)
	SetConnectTimeout(time.Duration)
}

// invoke runs fn on a client, retrying what may be retried. fn gets the
// request timeout to set on its request.
//
// A wait that RAM asks for (x-acs-retry-after) is honoured only within the
// retry budget: when it is longer than Options.Retry.MaxInterval, or would
// end past the context's deadline, invoke does not wait but returns at once
// an error that wraps ErrThrottled and RAM's error, and names the wait.
func invoke[Resp any](ctx context.Context, c *caller, o op, fn func(r RAM, timeout time.Duration) (Resp, error)) (Resp, error) {
	var zero Resp
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.opts.Retry.InitialInterval
	b.MaxInterval = c.opts.Retry.MaxInterval
	b.RandomizationFactor = 0.5
	b.MaxElapsedTime = 0
	b.Reset()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return zero, &notSentError{o.action, o.target, err}
		}
		resp, err := c.once(ctx, o, attempt, func(r RAM, t time.Duration) (any, error) { return fn(r, t) })
		if err == nil {
			out, _ := resp.(Resp)
			return out, nil
		}
		if attempt >= c.opts.Retry.MaxAttempts || o.once || !retryable(err, o.write, c.opts.Retry.ResendCodes) {
			return zero, err
		}
		wait := b.NextBackOff()
		if ra := retryAfter(err); ra > 0 {
			if over := c.pastBudget(ctx, ra); over != nil {
				over.err = err
				return zero, over
			}
			wait = max(wait, ra)
		}
		if err := c.pause(ctx, wait); err != nil {
			// Only calls that RAM refused before acting are retried, so
			// nothing of this call is in flight.
			return zero, &notSentError{o.action, o.target, err}
		}
	}
}

// retryAfter returns the wait RAM asked for with err, or 0.
func retryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// pastBudget returns an error when a wait of d, asked for by RAM, is more
// than the retries may wait: longer than Options.Retry.MaxInterval, or
// ending after the context's deadline. Otherwise it returns nil.
func (c *caller) pastBudget(ctx context.Context, d time.Duration) *waitTooLongError {
	if d > c.opts.Retry.MaxInterval {
		return &waitTooLongError{wait: d, limit: c.opts.Retry.MaxInterval, what: "Options.Retry.MaxInterval"}
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := dl.Sub(c.now()); d > left {
			return &waitTooLongError{wait: d, limit: max(left, 0), what: "the time left before the context's deadline"}
		}
	}
	return nil
}

// pause waits d, or until ctx ends, and returns ctx's error in that case.
// The engine's waits all go through it: between retries, for a just-made
// role or policy to be seen (attach), and between share attempts when
// Options.Sleep is not set.
func (c *caller) pause(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitTooLongError is a call that RAM asked to retry later than the retries
// may wait. It wraps ErrThrottled and RAM's error.
type waitTooLongError struct {
	err         error
	wait, limit time.Duration
	what        string
}

func (e *waitTooLongError) Error() string {
	return fmt.Sprintf("%v: RAM asks to retry after %v, more than %s (%v): not retried", e.err, e.wait, e.what, e.limit)
}

func (e *waitTooLongError) Unwrap() []error { return []error{e.err, ErrThrottled} }

// isNil reports whether v is nil or a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// once makes one attempt of a call. When ctx ends first, the call is
// abandoned: on a client the engine owns, its request is aborted through the
// transport; on a client the caller gave, it runs to its end in the
// background, and the client is used again only after that.
func (c *caller) once(ctx context.Context, o op, attempt int, fn func(RAM, time.Duration) (any, error)) (any, error) {
	cl, err := c.pool.get(ctx)
	if err != nil {
		return nil, &notSentError{o.action, o.target, err}
	}
	if err := writeRefused(ctx, o); err != nil {
		c.pool.put(cl)
		return nil, err
	}
	timeout := c.opts.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		if r := time.Until(dl); r < timeout {
			timeout = max(r, time.Millisecond)
		}
	}
	if cl.ctxt != nil {
		cl.ctxt.ctx.Store(&ctx)
	}
	var end func(code, requestID string, err error)
	if c.observer != nil {
		end = c.observer.StartCall(ctx, Call{Action: o.action, Target: o.target, Write: o.write, Attempt: attempt, Service: serviceOf(o.action)})
	}
	start := c.now()
	type result struct {
		resp any
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// A panic here would end the program, since no caller can recover
		// it; and a client that ends its goroutine (runtime.Goexit) would
		// keep its slot in the pool for ever.
		answered := false
		defer func() {
			if answered {
				return
			}
			what := "stopped without answering"
			if p := recover(); p != nil {
				what = "panicked: " + Redact(fmt.Sprint(p))
			}
			done <- result{err: &clientError{o.action, o.target, what}}
		}()
		resp, err := fn(cl.ram, timeout)
		if err == nil && isNil(resp) {
			err = &clientError{o.action, o.target, "returned neither an answer nor an error"}
		}
		answered = true
		done <- result{resp, err}
	}()
	release := func() {
		if cl.ctxt != nil {
			cl.ctxt.ctx.Store(nil)
		}
		c.pool.put(cl)
	}
	var r result
	select {
	case r = <-done:
		release()
	case <-ctx.Done():
		go func() {
			<-done
			release()
		}()
		r = result{err: ctx.Err()}
	}
	dur := c.now().Sub(start)
	err = r.err
	var ce *clientError
	if err != nil && !errors.As(err, &ce) {
		err = wrapError(o.action, o.target, err)
	}
	if err != nil && ctx.Err() != nil && isContextError(err) {
		// The request was cut off because ctx ended: its error says no
		// more than ctx's, and may quote the signed URL.
		err = &callContextError{o.action, o.target, ctx.Err()}
	}
	rec := Call{Action: o.action, Target: o.target, Write: o.write, Attempt: attempt, Duration: dur, Service: serviceOf(o.action)}
	var ae *APIError
	var cre *credentialsError
	switch {
	case err == nil:
		rec.RequestID = requestID(r.resp)
	case errors.As(err, &ce):
		rec.Code = "client"
	case errors.As(err, &cre):
		rec.Code = "credentials"
	case errors.As(err, &ae):
		rec.Code, rec.RequestID = ae.Code, ae.RequestID
		switch {
		case ae.Code != "":
		case ae.Status != 0:
			rec.Code = fmt.Sprintf("HTTP %d", ae.Status)
		default:
			rec.Code = "transport"
		}
	case isContextError(err):
		rec.Code = "canceled"
	}
	o.rec.add(rec)
	if c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "call", slog.String("service", rec.Service),
			slog.String("action", o.action), slog.String("target", o.target), slog.Bool("write", o.write),
			slog.Int("attempt", attempt), slog.Duration("duration", dur),
			slog.String("code", rec.Code), slog.String("requestId", rec.RequestID))
	}
	if end != nil {
		end(rec.Code, rec.RequestID, err)
	}
	return r.resp, err
}

// requestID returns the RequestId field of an SDK response, or "".
func requestID(resp any) string {
	v := reflect.ValueOf(resp)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("RequestId")
	if f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

// credentialSource returns the credential that NewRAMApplier gives an SDK
// client: cred's provider (the SDK's default chain when cred is nil),
// wrapped so that a failure to obtain credentials is told apart from a
// transport failure. A credential the SDK does not know is returned as it
// is, for the SDK to refuse when the client is built.
func credentialSource(cred auth.Credential) auth.Credential {
	if cred == nil {
		// After a walk that found nothing, the SDK's chain asks only its last
		// provider again, and its error then names only that place: a
		// fresh chain per failure keeps the whole list, and sees
		// credentials configured since.
		return &credentialsProvider{inner: credentials.NewDefaultCredentialsProvider(), fresh: func() credentials.CredentialsProvider {
			return credentials.NewDefaultCredentialsProvider()
		}}
	}
	p, err := auth.ToCredentialsProvider(cred)
	if err != nil {
		return cred
	}
	return &credentialsProvider{inner: p}
}

// checkCredentials obtains credentials once from cred's provider (the
// SDK's default chain when cred is nil), for Options.CheckCredentials. A
// credential the SDK does not know passes: the client refuses it when it
// is built.
func checkCredentials(cred auth.Credential) error {
	p, ok := credentialSource(cred).(*credentialsProvider)
	if !ok {
		return nil
	}
	_, err := p.GetCredentials()
	var nc *noCredentialsError
	if errors.As(err, &nc) {
		return &credentialsError{msg: Redact(nc.err.Error())}
	}
	return err
}

// credentialsProvider marks the failures of the provider it wraps.
type credentialsProvider struct {
	mu    sync.Mutex
	inner credentials.CredentialsProvider
	// fresh, when set, replaces inner after a failure.
	fresh func() credentials.CredentialsProvider
}

// GetCredentials implements credentials.CredentialsProvider.
func (p *credentialsProvider) GetCredentials() (*credentials.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cc, err := p.inner.GetCredentials()
	if err == nil && cc == nil {
		err = errors.New("the credential provider returned no credentials")
	}
	if err != nil {
		if p.fresh != nil {
			p.inner = p.fresh()
		}
		return nil, &noCredentialsError{err}
	}
	return cc, nil
}

// GetProviderName implements credentials.CredentialsProvider.
func (p *credentialsProvider) GetProviderName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inner.GetProviderName()
}

func setTimeout(req timed, t time.Duration) {
	req.SetReadTimeout(t)
	req.SetConnectTimeout(min(t, 10*time.Second))
}
