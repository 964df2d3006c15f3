package etcdlock

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// DefaultTTL is the lease's time to live when Options.TTL is zero.
const DefaultTTL = 10 * time.Second

// DefaultPrefix is the prefix of the lock keys when Options.Prefix is empty.
const DefaultPrefix = "/encryptperm/locks/"

// ErrClosed is returned by Lock and LockContext after Close.
var ErrClosed = errors.New("etcdlock: the locker is closed")

// Options configures a Locker. A nil *Options, and the zero value of each
// field, mean the defaults.
type Options struct {
	// TTL is the time to live of the Locker's lease: how long etcd keeps a
	// lock of a process that stopped keeping it alive (a crash, a pause, a
	// partition) before another process may take it. etcd counts whole
	// seconds, so it is rounded up; etcd may grant more than asked (its
	// shortest lease is 1.5 election timeouts). Zero means DefaultTTL.
	TTL time.Duration
	// Prefix is put before every lock's key. Processes that are to take
	// turns must use the same Prefix (and etcd cluster). Empty means
	// DefaultPrefix.
	Prefix string
}

// Locker is an encryptperm.Locker on etcd. It is safe for concurrent use;
// locks of one name taken through one Locker wait for each other in the
// process first, then in etcd. Call Close when done.
type Locker struct {
	client *clientv3.Client
	ttl    int64 // seconds, as asked
	prefix string

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	// making holds the one call that is making a session: a slot, not a
	// mutex, so that a caller whose context ends stops waiting for it.
	making chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	sess   *session // the live session, or nil
	closed bool
}

var _ encryptperm.Locker = (*Locker)(nil)

// New returns a Locker that takes its locks through client. The Locker does
// not own client: close the client after the Locker. It makes no call to
// etcd until the first lock.
func New(client *clientv3.Client, opts *Options) (*Locker, error) {
	if client == nil {
		return nil, fmt.Errorf("etcdlock: new: nil client: %w", encryptperm.ErrInvalid)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("etcdlock: new: TTL %v: want a positive duration: %w", o.TTL, encryptperm.ErrInvalid)
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Locker{
		client: client,
		ttl:    int64((o.TTL + time.Second - 1) / time.Second),
		prefix: o.Prefix,
		ctx:    ctx,
		cancel: cancel,
		making: make(chan struct{}, 1),
	}, nil
}

// Lock implements encryptperm.Locker: it blocks until the named lock is held
// or ctx ends, and returns the function that releases it. The encryptperm
// engine calls LockContext instead.
func (l *Locker) Lock(ctx context.Context, name string) (func(), error) {
	_, unlock, err := l.LockContext(ctx, name)
	return unlock, err
}

// LockContext blocks until the named lock is held or ctx ends, and returns a
// context that ends when the lock is lost (see the package documentation),
// released, or ctx ends, and the function that releases the lock. The
// context's cause (context.Cause) says why it ended; when the lock was
// lost, the cause wraps encryptperm.ErrLockLost. When ctx ends first,
// LockContext returns ctx's error and leaves no key behind.
//
// Unlock deletes the lock's key, waiting at most the TTL; when it cannot,
// the Locker lets its lease go, so that etcd expires it and the key with it,
// and the other locks of the lease are lost too.
func (l *Locker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	var lastErr error
	// A lease that ends while a lock is awaited is replaced; a few times
	// at most, so that a cluster that ends every lease is reported.
	for range 3 {
		s, err := l.session(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, fmt.Errorf("etcdlock: lock %q: %w", name, err)
		}
		lctx, unlock, err := s.lock(ctx, name)
		if err == nil {
			return lctx, unlock, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if !errors.Is(err, encryptperm.ErrLockLost) {
			return nil, nil, fmt.Errorf("etcdlock: lock %q: %w", name, err)
		}
		lastErr = err
	}
	return nil, nil, lastErr
}

// Close releases every lock this Locker holds, by revoking its lease
// (waiting at most the TTL), and ends its work in the background. The
// contexts of held locks end with a cause that wraps
// encryptperm.ErrLockLost. Lock and LockContext then return ErrClosed.
// Close does not close the client.
func (l *Locker) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	s := l.sess
	l.sess = nil
	l.mu.Unlock()
	var err error
	if s != nil && s.end("the Locker was closed", false) {
		ctx, cancel := context.WithTimeout(context.Background(), s.ttl)
		if _, rerr := l.client.Revoke(ctx, s.id); rerr != nil {
			err = fmt.Errorf("etcdlock: close: revoke lease %x: %w", int64(s.id), rerr)
		}
		cancel()
	}
	l.cancel()
	l.wg.Wait()
	return err
}

// goroutine runs f in the background, unless the Locker is closed. Close
// waits for every f it started.
func (l *Locker) goroutine(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}

// session returns the live session, making one when there is none.
func (l *Locker) session(ctx context.Context) (*session, error) {
	select {
	case l.making <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.making }()
	l.mu.Lock()
	closed, s := l.closed, l.sess
	l.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if s != nil && s.ctx.Err() == nil {
		return s, nil
	}
	// The deadline counts from before the grant was sent: etcd starts the
	// lease no earlier.
	start := time.Now()
	resp, err := l.client.Grant(ctx, l.ttl)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("grant a lease: %w", err)
	}
	cs, err := concurrency.NewSession(l.client, concurrency.WithLease(resp.ID), concurrency.WithTTL(int(resp.TTL)), concurrency.WithContext(l.ctx))
	if err != nil {
		l.revokeLater(resp.ID, time.Duration(resp.TTL)*time.Second)
		return nil, fmt.Errorf("keep lease %x alive: %w", int64(resp.ID), err)
	}
	s = newSession(l, cs, time.Duration(resp.TTL)*time.Second, start)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		s.end("the Locker was closed", false)
		return nil, ErrClosed
	}
	l.sess = s
	l.mu.Unlock()
	if !s.start() {
		s.end("the Locker was closed", false)
		return nil, ErrClosed
	}
	return s, nil
}

// forget drops s as the live session.
func (l *Locker) forget(s *session) {
	l.mu.Lock()
	if l.sess == s {
		l.sess = nil
	}
	l.mu.Unlock()
}

// revokeLater revokes a lease in the background, at most for ttl, so that
// the keys of a lease this Locker let go vanish before etcd expires it.
// Close cuts it short.
func (l *Locker) revokeLater(id clientv3.LeaseID, ttl time.Duration) {
	l.goroutine(func() {
		ctx, cancel := context.WithTimeout(l.ctx, ttl)
		defer cancel()
		_, _ = l.client.Revoke(ctx, id)
	})
}

// key returns the prefix of a lock's keys: the mutex adds "/" and the lease.
// The name is path-escaped, so that a name holding "/" cannot reach into the
// keys of another name.
func (l *Locker) key(name string) string {
	return l.prefix + url.PathEscape(name)
}
