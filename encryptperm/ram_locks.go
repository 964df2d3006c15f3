// This file holds the role locks: the in-process lock of each role, and
// Options.Locker beside it.

package encryptperm

import (
	"context"
	"strings"
	"sync"
)

// roleLock serializes work on one role within this Applier.
func (e *engine) roleLock(role string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := strings.ToLower(role)
	m, ok := e.roles[k]
	if !ok {
		m = &sync.Mutex{}
		e.roles[k] = m
	}
	return m
}

// lockRole takes the in-process lock and, when configured, the Locker.
func (e *engine) lockRole(ctx context.Context, role string) (func(), error) {
	m := e.roleLock(role)
	got := make(chan struct{})
	go func() { m.Lock(); close(got) }()
	select {
	case <-got:
	case <-ctx.Done():
		go func() { <-got; m.Unlock() }()
		return nil, ctx.Err()
	}
	if e.opts.Locker == nil {
		return m.Unlock, nil
	}
	unlock, err := e.opts.Locker.Lock(ctx, "encryptperm/role/"+strings.ToLower(role))
	if err != nil {
		m.Unlock()
		return nil, err
	}
	return func() { unlock(); m.Unlock() }, nil
}
