package etcdlock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// retryWait is the pause before a keepalive or a check of a lock's key is
// tried again after a failure.
const retryWait = 200 * time.Millisecond

// errReleased is the cause of a lock's context that ended because the lock
// was released.
var errReleased = errors.New("etcdlock: the lock was released")

// lostError says why a lock, or the lease of every lock of a session, was
// lost. It wraps encryptperm.ErrLockLost.
type lostError struct {
	name  string // "" for the whole lease
	lease clientv3.LeaseID
	why   string
}

func (e *lostError) Error() string {
	if e.name == "" {
		return fmt.Sprintf("etcdlock: lease %x lost: %s", int64(e.lease), e.why)
	}
	return fmt.Sprintf("etcdlock: lock %q lost: %s (lease %x)", e.name, e.why, int64(e.lease))
}

func (e *lostError) Unwrap() error { return encryptperm.ErrLockLost }

// session is one lease and the locks held under it. It ends (ctx) when the
// lease is, or may be, gone: then every lock it holds is lost, its
// keepalive stops so that etcd expires the lease, and the Locker makes a new
// session for the next lock.
type session struct {
	l      *Locker
	cs     *concurrency.Session
	id     clientv3.LeaseID
	ttl    time.Duration // as granted
	margin time.Duration

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	deadline time.Time // the lease's end as this process must assume it
	timer    *time.Timer
	held     map[*held]struct{}
	slots    map[string]chan struct{} // one per lock name, held in this process
}

// newSession returns the session of a lease granted with ttl, whose grant
// was sent at start. Call start to keep it alive.
func newSession(l *Locker, cs *concurrency.Session, ttl time.Duration, start time.Time) *session {
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &session{
		l: l, cs: cs, id: cs.Lease(), ttl: ttl, margin: ttl / 10,
		ctx: ctx, cancel: cancel,
		held:  map[*held]struct{}{},
		slots: map[string]chan struct{}{},
	}
	s.deadline = start.Add(ttl - s.margin)
	s.timer = time.AfterFunc(time.Until(s.deadline), s.expire)
	return s
}

// start runs the session's keepalive and watches the client's own; false
// when the Locker is closed.
func (s *session) start() bool {
	return s.l.goroutine(s.keepAlive) && s.l.goroutine(func() {
		select {
		case <-s.cs.Done():
			s.end("the client stopped keeping the lease alive", true)
		case <-s.ctx.Done():
		}
	})
}

// keepAlive renews the lease every TTL/3, and moves the deadline to TTL
// (less the margin) after the moment each answered renewal was sent. The
// concurrency session renews the lease too; these renewals are the ones
// whose sending time this process knows.
func (s *session) keepAlive() {
	every := s.ttl / 3
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(s.ctx, every)
		resp, err := s.l.client.KeepAliveOnce(ctx, s.id)
		cancel()
		next := every
		switch {
		case err == nil:
			s.extend(start, time.Duration(resp.TTL)*time.Second)
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			s.end("etcd no longer has the lease: it expired or was revoked", true)
			return
		default:
			next = min(every, retryWait)
		}
		t.Reset(next)
	}
}

// extend moves the deadline to ttl after start, less the margin.
func (s *session) extend(start time.Time, ttl time.Duration) {
	d := start.Add(ttl - s.margin)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() == nil && d.After(s.deadline) {
		s.deadline = d
		s.timer.Reset(time.Until(d))
	}
}

// expire ends the session when its deadline has passed.
func (s *session) expire() {
	s.mu.Lock()
	if left := time.Until(s.deadline); left > 0 {
		s.timer.Reset(left)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.end(fmt.Sprintf("no renewal of the lease was answered in time (TTL %v, less a margin of %v)", s.ttl, s.margin), true)
}

// end ends the session: every lock it holds is lost, with why as the cause;
// the lease is no longer kept alive, and with revoke it is revoked in the
// background. It reports whether this call ended it.
func (s *session) end(why string, revoke bool) bool {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return false
	}
	s.cancel(&lostError{lease: s.id, why: why})
	s.timer.Stop()
	hs := make([]*held, 0, len(s.held))
	for h := range s.held {
		hs = append(hs, h)
	}
	s.mu.Unlock()
	for _, h := range hs {
		h.lost(why)
	}
	s.l.forget(s)
	s.cs.Orphan()
	if revoke {
		s.l.revokeLater(s.id, s.ttl)
	}
	return true
}

// ended returns the error of a lock that could not be held because the
// session ended.
func (s *session) ended(name string) error {
	why := "the lease ended"
	var le *lostError
	if errors.As(context.Cause(s.ctx), &le) {
		why = le.why
	}
	return &lostError{name: name, lease: s.id, why: why}
}

// slot returns the channel that serialises locks of name in this process.
func (s *session) slot(name string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.slots[name]
	if !ok {
		ch = make(chan struct{}, 1)
		s.slots[name] = ch
	}
	return ch
}

// lock takes the named lock under this session. It returns an error
// wrapping encryptperm.ErrLockLost when the session ends first.
func (s *session) lock(ctx context.Context, name string) (context.Context, func(), error) {
	slot := s.slot(name)
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-s.ctx.Done():
		return nil, nil, s.ended(name)
	}
	m := concurrency.NewMutex(s.cs, s.l.key(name))
	// The wait ends with ctx or with the session.
	wctx, wcancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, wcancel)
	done := make(chan error, 1)
	go func() { done <- m.Lock(wctx) }()
	var err error
	select {
	case err = <-done:
	case <-wctx.Done():
		// The mutex deletes its key when its wait ends, but with the
		// client's own context, so with etcd out of reach that can take
		// as long as etcd is away. It finishes in the background, holding
		// the slot, so that no other lock of this name in this process
		// shares its key meanwhile.
		go func() {
			<-done
			s.dropKey(name)
			<-slot
		}()
		stop()
		wcancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, s.ended(name)
	}
	stop()
	wcancel()
	if err != nil {
		// The mutex leaves its key behind when its first call fails after
		// etcd made the key (its answer cut off by ctx): drop it, or the
		// key would queue every other process behind a lock no one takes.
		s.dropKey(name)
		<-slot
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if s.ctx.Err() != nil || errors.Is(err, concurrency.ErrSessionExpired) || errors.Is(err, rpctypes.ErrLeaseNotFound) {
			s.end(fmt.Sprintf("etcd no longer has the lease (%v)", err), true)
			return nil, nil, s.ended(name)
		}
		return nil, nil, err
	}
	lctx, lcancel := context.WithCancelCause(ctx)
	h := &held{s: s, name: name, m: m, cancel: lcancel, slot: slot}
	var wstop context.CancelFunc
	h.watchCtx, wstop = context.WithCancel(s.ctx)
	h.stopWatch = wstop
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		lcancel(nil)
		wstop()
		<-slot // the lease is let go: etcd deletes the key with it
		return nil, nil, s.ended(name)
	}
	s.held[h] = struct{}{}
	s.mu.Unlock()
	rev := m.Header().Revision
	if !s.l.goroutine(func() { h.watch(rev) }) {
		h.unlock()
		return nil, nil, ErrClosed
	}
	return lctx, h.unlock, nil
}

// dropKey deletes this session's key of the named lock, after a wait for it
// that ended without the lock. When that fails, the session ends, so that
// etcd expires the lease and the key with it.
func (s *session) dropKey(name string) {
	if s.ctx.Err() != nil {
		return // the lease is let go already
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ttl)
	defer cancel()
	if _, err := s.l.client.Delete(ctx, fmt.Sprintf("%s/%x", s.l.key(name), int64(s.id))); err != nil {
		s.end(fmt.Sprintf("the key of an abandoned wait for lock %q could not be deleted (%v), so the lease is let go", name, err), true)
	}
}

// held is one lock held under a session.
type held struct {
	s    *session
	name string
	m    *concurrency.Mutex
	slot chan struct{}

	cancel    context.CancelCauseFunc // ends the lock's context
	watchCtx  context.Context
	stopWatch context.CancelFunc
	once      sync.Once
}

// lost ends the lock's context with why.
func (h *held) lost(why string) {
	h.cancel(&lostError{name: h.name, lease: h.s.id, why: why})
	h.stopWatch()
}

// unlock releases the lock: its context ends, its key is deleted (or, when
// that fails, the session's lease is let go), and the next lock of its name
// in this process may go on.
func (h *held) unlock() {
	h.once.Do(func() {
		s := h.s
		s.mu.Lock()
		delete(s.held, h)
		live := s.ctx.Err() == nil
		s.mu.Unlock()
		h.stopWatch()
		h.cancel(errReleased)
		if live {
			ctx, cancel := context.WithTimeout(s.ctx, s.ttl)
			err := h.m.Unlock(ctx)
			cancel()
			if err != nil {
				s.end(fmt.Sprintf("the key of lock %q could not be deleted (%v), so the lease is let go", h.name, err), true)
			}
		}
		<-h.slot
	})
}

// watch ends the lock's context when its key changes in etcd after rev,
// the revision at which the lock was held: a revoked or expired lease
// deletes it, and so may a person. When the watch itself ends (etcd
// compacted past rev, or cancelled it), it asks etcd whether the key is
// still this lock's, and watches again from there.
func (h *held) watch(rev int64) {
	ctx := h.watchCtx
	c := h.s.l.client
	for {
		for resp := range c.Watch(ctx, h.m.Key(), clientv3.WithRev(rev+1)) {
			if len(resp.Events) > 0 {
				h.lost("its key changed in etcd (the lease was revoked or expired, or the key was deleted)")
				return
			}
			if resp.Err() != nil {
				break
			}
		}
		if ctx.Err() != nil {
			return
		}
		for {
			tctx, cancel := context.WithTimeout(ctx, h.s.ttl/3)
			resp, err := c.Txn(tctx).If(h.m.IsOwner()).Commit()
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				if !resp.Succeeded {
					h.lost("its key is gone from etcd")
					return
				}
				rev = resp.Header.Revision
				break
			}
			t := time.NewTimer(retryWait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}
