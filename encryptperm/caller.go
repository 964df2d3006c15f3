package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/cenkalti/backoff/v4"
)

// Call records one RAM call the engine made.
type Call struct {
	// Action is RAM's action, such as "GetRole".
	Action string `json:"action"`
	// Target names the role or policy.
	Target string `json:"target"`
	// Write is true for calls that change RAM.
	Write bool `json:"write"`
	// Attempt counts from 1; retries of one call have the same Action and Target.
	Attempt int `json:"attempt"`
	// Code is RAM's error code, "" on success. Calls that got no code from
	// RAM have one of these: "transport" when no answer came, "HTTP <status>"
	// for an answer without a code, "canceled" when the context ended
	// during the call, "client" when the client failed without answering (a
	// nil response, or a panic).
	Code string `json:"code,omitempty"`
	// RequestID is RAM's RequestId.
	RequestID string `json:"request_id,omitempty"`
	// Duration is how long the call took.
	Duration time.Duration `json:"duration_ns"`
}

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
type pool struct{ idle chan *client }

func newPool(clients []*client) *pool {
	p := &pool{idle: make(chan *client, len(clients))}
	for _, c := range clients {
		p.idle <- c
	}
	return p
}

func (p *pool) get(ctx context.Context) (*client, error) {
	select {
	case c := <-p.idle:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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
}

// op describes one call for the caller.
type op struct {
	action string
	target string
	write  bool
	rec    *recorder
}

// recorder collects the calls of one Plan, Apply or Revoke.
type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) add(c Call) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
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
			return zero, &notSentError{err}
		}
		resp, err := c.once(ctx, o, attempt, func(r RAM, t time.Duration) (any, error) { return fn(r, t) })
		if err == nil {
			out, _ := resp.(Resp)
			return out, nil
		}
		if attempt >= c.opts.Retry.MaxAttempts || !retryable(err, o.write) {
			return zero, err
		}
		wait := b.NextBackOff()
		if ra := retryAfter(err); ra > wait {
			wait = ra
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// Only calls that RAM refused before acting are retried, so
			// nothing of this call is in flight.
			return zero, &notSentError{ctx.Err()}
		}
	}
}

// notSentError is the context's error for a call that was never sent, so
// that its outcome is known: it did not happen. Plan, Apply and Revoke return
// ctx.Err() itself, never this.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// clientError is a failure of the RAM client itself: it returned neither an
// answer nor an error, or it panicked. It is not retried.
type clientError struct {
	action, target, what string
}

func (e *clientError) Error() string {
	return fmt.Sprintf("encryptperm: %s %q: the RAM client %s", e.action, e.target, e.what)
}

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
		return nil, &notSentError{err}
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
		end = c.observer.StartCall(ctx, CallInfo{Action: o.action, Target: o.target, Write: o.write, Attempt: attempt})
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
				what = fmt.Sprintf("panicked: %v", p)
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
	rec := Call{Action: o.action, Target: o.target, Write: o.write, Attempt: attempt, Duration: dur}
	switch {
	case err == nil:
		rec.RequestID = requestID(r.resp)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		rec.Code = "canceled"
	case errors.As(err, &ce):
		rec.Code = "client"
	default:
		var ae *APIError
		if errors.As(err, &ae) {
			rec.Code, rec.RequestID = ae.Code, ae.RequestID
			switch {
			case ae.Code != "":
			case ae.Status != 0:
				rec.Code = fmt.Sprintf("HTTP %d", ae.Status)
			default:
				rec.Code = "transport"
			}
		}
	}
	o.rec.add(rec)
	if c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "ram call",
			slog.String("action", o.action), slog.String("target", o.target), slog.Bool("write", o.write),
			slog.Int("attempt", attempt), slog.Duration("duration", dur),
			slog.String("code", rec.Code), slog.String("request_id", rec.RequestID))
	}
	if end != nil {
		end(rec.Code, rec.RequestID, err)
	}
	return r.resp, err
}

// retryAfter returns the wait RAM asked for with x-acs-retry-after (in
// milliseconds), or 0.
func retryAfter(err error) time.Duration {
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		return 0
	}
	for k, v := range se.RespHeaders {
		if strings.EqualFold(k, "x-acs-retry-after") && len(v) > 0 {
			if ms, err := strconv.Atoi(strings.TrimSpace(v[0])); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	return 0
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
