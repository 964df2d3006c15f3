// This file holds what the engine does with a lock that can be lost: a
// Locker that has LockContext hands out a context that ends when the lock is
// lost, and the engine makes no write after that.

package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrLockLost: a lock of Options.Locker was lost while an Apply, ApplyPlan
// or Revoke held it (an etcd lease expired or was revoked, say), so the
// engine made no write after that. The Result lists the writes made before
// and those whose outcome is unknown (sent before the loss, not answered).
var ErrLockLost = errors.New("encryptperm: lock lost")

// errLockReleased is the cause of a MemoryLocker lock's context that ended
// because the lock was released.
var errLockReleased = errors.New("encryptperm: lock released")

// lockContexter is a Locker whose lock can be lost: see Locker.
type lockContexter interface {
	LockContext(ctx context.Context, name string) (context.Context, func(), error)
}

// LockContext takes the named lock like Lock, and also returns a context
// that ends when unlock is called or ctx ends. A MemoryLocker's lock is never
// lost otherwise; the method lets it stand where a Locker that can lose its
// lock is expected.
func (l *MemoryLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	unlock, err := l.Lock(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	var once sync.Once
	return lctx, func() {
		once.Do(func() {
			cancel(errLockReleased)
			unlock()
		})
	}, nil
}

// heldLocks is the context key of the lock contexts a context carries.
type heldLocks struct{}

// takeLock takes the named lock of locker. When the locker can lose its
// lock, the context it returns ends when ctx or the lock ends, and carries
// the lock's context, so that a write can check it at the moment it is sent
// (lockLost); otherwise it is ctx.
func takeLock(ctx context.Context, locker Locker, name string) (context.Context, func(), error) {
	lc, ok := locker.(lockContexter)
	if !ok {
		unlock, err := locker.Lock(ctx, name)
		return ctx, unlock, err
	}
	lock, unlock, err := lc.LockContext(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	locks, _ := ctx.Value(heldLocks{}).([]context.Context)
	out, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(lock, func() { cancel(lostCause(lock)) })
	out = context.WithValue(out, heldLocks{}, append(slices.Clip(locks), lock))
	return out, func() {
		stop()
		unlock()
		cancel(nil)
	}, nil
}

// lockLost returns the cause, wrapping ErrLockLost, when a lock that ctx
// holds has ended; else nil.
func lockLost(ctx context.Context) error {
	locks, _ := ctx.Value(heldLocks{}).([]context.Context)
	for _, l := range locks {
		if l.Err() != nil {
			return lostCause(l)
		}
	}
	return nil
}

// lostCause returns the cause of a lock context that ended, as an error that
// wraps ErrLockLost.
func lostCause(lock context.Context) error {
	cause := context.Cause(lock)
	if cause == nil || errors.Is(cause, ErrLockLost) {
		if cause == nil {
			return ErrLockLost
		}
		return cause
	}
	if isContextError(cause) {
		return ErrLockLost
	}
	return fmt.Errorf("%w: %w", ErrLockLost, cause)
}

// lockErr returns the error of a role's converge that ran under locked, a
// context made by takeLock from outer: when a lock ended while outer had not,
// an error that wraps ErrLockLost and names the role, in place of the
// context's error the loss caused; else err.
func lockErr(outer, locked context.Context, role string, err error) error {
	if err == nil || outer.Err() != nil {
		return err
	}
	lost := lockLost(locked)
	if lost == nil {
		return err
	}
	e := &lockLostError{role: role, cause: lost}
	if !isContextError(err) && !errors.Is(err, ErrLockLost) {
		e.err = err
	}
	return e
}

// lockLostError is the end of a role's converge whose lock was lost.
type lockLostError struct {
	role  string
	cause error // wraps ErrLockLost
	err   error // another error the converge ended with, if any
}

func (e *lockLostError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "encryptperm: converge role %q: the lock was lost, so no write was made after that (writes then in flight are unknown): %v", e.role, e.cause)
	if e.err != nil {
		fmt.Fprintf(&b, "; and: %v", e.err)
	}
	return b.String()
}

func (e *lockLostError) Unwrap() []error {
	if e.err != nil {
		return []error{e.cause, e.err}
	}
	return []error{e.cause}
}

// writeRefused returns the error of a write that must not be sent because a
// lock that ctx holds has ended, or nil. The check is made on the lock's own
// context, at the moment the write is about to go out: the end of ctx that
// the loss causes comes a moment later.
func writeRefused(ctx context.Context, o op) error {
	if !o.write {
		return nil
	}
	lost := lockLost(ctx)
	if lost == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return &notSentError{o.action, o.target, err}
	}
	return &notSentError{o.action, o.target, lost}
}

// lockedCtx returns the context under which role's locks are held by the
// prefetch, or ctx when it holds none.
func (p *prefetch) lockedCtx(ctx context.Context, role string) context.Context {
	if p == nil {
		return ctx
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.ctxs[strings.ToLower(role)]; ok {
		return c
	}
	return ctx
}

// setLockedCtx records the context under which role's locks are held. The
// prefetch takes the locks in the background and the converge uses them
// later, so the contexts are kept, for that Apply only.
func (p *prefetch) setLockedCtx(ctx context.Context, role string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctxs == nil {
		p.ctxs = map[string]context.Context{}
	}
	p.ctxs[strings.ToLower(role)] = ctx
}
