package fleet

import (
	"context"
	"sync"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// memberLocker returns the Locker of one member's engine: l with every lock
// name prefixed by the member's account, so that the same role in two
// accounts is locked apart. It returns nil when l is nil.
func memberLocker(l encryptperm.Locker, uid string) encryptperm.Locker {
	if l == nil {
		return nil
	}
	return &accountLocker{inner: l, prefix: "account/" + uid + "/"}
}

// accountLocker prefixes the lock names of a Locker it wraps.
type accountLocker struct {
	inner  encryptperm.Locker
	prefix string
}

// lockContexter is a Locker whose lock can be lost (see encryptperm.Locker).
type lockContexter interface {
	LockContext(ctx context.Context, name string) (context.Context, func(), error)
}

// Lock takes the inner Locker's lock of the prefixed name.
func (a *accountLocker) Lock(ctx context.Context, name string) (func(), error) {
	return a.inner.Lock(ctx, a.prefix+name)
}

// LockContext takes the inner Locker's lock of the prefixed name, through
// its LockContext when it has one, so that a lost lock still stops the
// member's writes. A Locker without it cannot lose its lock: the context
// then ends only when the lock is released or ctx ends, as a MemoryLocker's.
func (a *accountLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	if lc, ok := a.inner.(lockContexter); ok {
		return lc.LockContext(ctx, a.prefix+name)
	}
	unlock, err := a.inner.Lock(ctx, a.prefix+name)
	if err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	var once sync.Once
	return lctx, func() {
		once.Do(func() {
			cancel()
			unlock()
		})
	}, nil
}
