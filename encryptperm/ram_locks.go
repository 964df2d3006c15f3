// This file holds the role locks: the in-process lock of each role, and
// Options.Locker beside it.

package encryptperm

import (
	"context"
	"strings"
	"sync"
)

// roleLocks are the locks of an Applier's roles: one in-process lock per
// role, and Options.Locker, when set, beside it.
type roleLocks struct {
	locker Locker

	mu    sync.Mutex
	roles map[string]*sync.Mutex
}

// roleLock serializes work on one role within this Applier.
func (l *roleLocks) roleLock(role string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := strings.ToLower(role)
	m, ok := l.roles[k]
	if !ok {
		m = &sync.Mutex{}
		l.roles[k] = m
	}
	return m
}

// lockRole takes the in-process lock and, when configured, the Locker. The
// context it returns ends when a lock that can be lost is (see takeLock).
func (l *roleLocks) lockRole(ctx context.Context, role string) (context.Context, func(), error) {
	m := l.roleLock(role)
	got := make(chan struct{})
	go func() { m.Lock(); close(got) }()
	select {
	case <-got:
	case <-ctx.Done():
		go func() { <-got; m.Unlock() }()
		return nil, nil, ctx.Err()
	}
	if l.locker == nil {
		return ctx, m.Unlock, nil
	}
	locked, unlock, err := takeLock(ctx, l.locker, "encryptperm/role/"+strings.ToLower(role))
	if err != nil {
		m.Unlock()
		return nil, nil, err
	}
	return locked, func() { unlock(); m.Unlock() }, nil
}
