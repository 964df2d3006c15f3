// This file holds the audit's calls: the clients it reads through, a pool
// that lets independent reads go out together, retries of what may be
// retried, and errors that name the call and never hold a secret.

package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// RAM is the part of RAM's API an audit reads, with the method signatures
// of the official SDK's *ram.Client; the fake's *fake.RAM has them too.
type RAM interface {
	ListRoles(request *ram.ListRolesRequest) (*ram.ListRolesResponse, error)
	GetRole(request *ram.GetRoleRequest) (*ram.GetRoleResponse, error)
	ListPoliciesForRole(request *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error)
	ListPolicies(request *ram.ListPoliciesRequest) (*ram.ListPoliciesResponse, error)
	GetPolicy(request *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error)
	GetPolicyVersion(request *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error)
}

// KMS is the part of KMS's API an audit reads, with the method signatures
// of the official SDK's *kms.Client; the fake's *fake.RAM has them too.
type KMS interface {
	ListKeys(request *kms.ListKeysRequest) (*kms.ListKeysResponse, error)
	DescribeKey(request *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error)
	GetKeyPolicy(request *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
}

var (
	_ RAM = (*ram.Client)(nil)
	_ KMS = (*kms.Client)(nil)
)

// Error is a read of RAM or KMS that failed. Its text never holds a secret:
// the SDK's transport errors, which carry the signed URL, are redacted.
// errors.Is reaches the sentinel of package encryptperm that fits its code
// (ErrNotFound, ErrAccessDenied, ErrThrottled), when one does.
type Error struct {
	// Action is the API's action, such as "GetRole".
	Action string
	// Target names what was read: a role, a policy, a key.
	Target string
	// Code is the service's error code; empty for a transport error.
	Code string
	// Status is the HTTP status; 0 for a transport error.
	Status int
	// RequestID is the service's RequestId, when it answered.
	RequestID string
	// Message is the service's message, or the redacted transport error.
	Message string

	kind error
}

// Error returns "audit: <action> <target>: <code>: <message> (request <id>)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "audit: %s %q: ", e.Action, e.Target)
	if e.Code != "" {
		b.WriteString(e.Code + ": ")
	}
	b.WriteString(e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the sentinel that fits the code, or nil.
func (e *Error) Unwrap() error { return e.kind }

// notFound reports whether err is a service saying that what was read does
// not exist.
func notFound(err error) bool { return errors.Is(err, encryptperm.ErrNotFound) }

// wrap turns what a client returned into an *Error, redacted.
func wrap(action, target string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		e := &Error{Action: action, Target: target, Code: se.ErrorCode(), Status: se.HttpStatus(),
			RequestID: se.RequestId(), Message: encryptperm.Redact(se.Message())}
		code := strings.ToLower(se.ErrorCode())
		switch {
		case strings.HasPrefix(code, "throttling") || strings.HasSuffix(code, ".throttling"):
			e.kind = encryptperm.ErrThrottled
		case strings.HasPrefix(code, "entitynotexist") || strings.Contains(code, "notfound") || se.HttpStatus() == 404:
			e.kind = encryptperm.ErrNotFound
		case strings.Contains(code, "nopermission") || se.HttpStatus() == 403:
			e.kind = encryptperm.ErrAccessDenied
		}
		return e
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + ": " + ue.Err.Error()
	}
	return &Error{Action: action, Target: target, Message: encryptperm.Redact(msg)}
}

// retryable reports whether a failed read may be tried again: throttling, a
// server's fault, or a transport error. A read changes nothing.
func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	code := strings.ToLower(e.Code)
	switch {
	case e.Code == "" && e.Status == 0:
		return true
	case e.Status >= 500, strings.Contains(code, "throttling"), code == "serviceunavailable", code == "internalerror":
		return true
	}
	return false
}

// clients is a pair of clients a call takes for its duration.
type clients struct {
	ram RAM
	kms KMS
}

// pool hands out clients, one call at a time on each, and makes more with
// grow, up to max, so that independent reads are not queued behind each
// other.
type pool struct {
	idle chan *clients
	grow func() (RAM, KMS, error)
	// growing serializes grow: the SDK fills package-level tables without
	// a lock the first time a client of a service is built.
	growing sync.Mutex

	mu   sync.Mutex
	made int
	max  int
}

func newPool(first clients, limit int, grow func() (RAM, KMS, error)) *pool {
	if grow == nil {
		limit = 1
	}
	p := &pool{idle: make(chan *clients, limit), grow: grow, made: 1, max: limit}
	p.idle <- &first
	return p
}

func (p *pool) get(ctx context.Context) (*clients, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	p.mu.Lock()
	more := p.made < p.max
	if more {
		p.made++
	}
	p.mu.Unlock()
	if more {
		p.growing.Lock()
		r, k, err := p.grow()
		p.growing.Unlock()
		if err == nil {
			return &clients{r, k}, nil
		}
		p.mu.Lock()
		p.made--
		p.mu.Unlock()
	}
	select {
	case c := <-p.idle:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pool) put(c *clients) { p.idle <- c }

// caller makes the audit's reads: through the pool, with retries, counted.
type caller struct {
	pool        *pool
	maxAttempts int
	sleep       func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	calls int
}

// count returns how many requests were sent.
func (c *caller) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// call runs fn on a pair of clients, retrying what may be retried with a
// growing, jittered wait.
func call[T any](ctx context.Context, c *caller, action, target string, fn func(*clients) (T, error)) (T, error) {
	var zero T
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		cl, err := c.pool.get(ctx)
		if err != nil {
			return zero, err
		}
		c.mu.Lock()
		c.calls++
		c.mu.Unlock()
		out, err := fn(cl)
		c.pool.put(cl)
		err = wrap(action, target, err)
		if err == nil || attempt >= c.maxAttempts || !retryable(err) {
			return out, err
		}
		d := wait/2 + time.Duration(rand.Int64N(int64(wait)))
		wait = min(2*wait, 2*time.Second)
		if err := c.sleep(ctx, d); err != nil {
			return zero, err
		}
	}
}

// sleepTimer waits d, or until ctx ends.
func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
