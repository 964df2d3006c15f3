package etcdlock_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/etcdlock"
	"github.com/ecsperm/ecsperm/internal/etcdtest"
)

// guard bounds every wait for something that must happen, so that a broken
// Locker fails the test instead of hanging it; it never orders events.
const guard = 30 * time.Second

// within waits for ch, or fails the test after guard.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("%s: not within %v", what, guard)
		var zero T
		return zero
	}
}

func newLocker(t *testing.T, c *clientv3.Client, opts *etcdlock.Options) *etcdlock.Locker {
	t.Helper()
	l, err := etcdlock.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// keys returns the keys under prefix, with their leases.
func keys(t *testing.T, c *clientv3.Client, prefix string) map[string]clientv3.LeaseID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	resp, err := c.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]clientv3.LeaseID{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = clientv3.LeaseID(kv.Lease)
	}
	return out
}

// awaitKeys waits until n keys are under prefix, by watching it.
func awaitKeys(t *testing.T, c *clientv3.Client, prefix string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	wch := c.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	<-wch // created: from here on, no change is missed
	for {
		resp, err := c.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if int(resp.Count) == n {
			return
		}
		select {
		case <-wch:
		case <-ctx.Done():
			t.Fatalf("%d keys under %s, want %d", resp.Count, prefix, n)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := etcdlock.New(nil, nil); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("New(nil client) = %v, want ErrInvalid", err)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := etcdlock.New(c, &etcdlock.Options{TTL: -time.Second}); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("New(TTL -1s) = %v, want ErrInvalid", err)
	}
	l, err := etcdlock.New(c, nil)
	if err != nil {
		t.Fatalf("New(nil options) = %v: it makes no call to etcd", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close of an unused Locker = %v", err)
	}
	if _, err := l.Lock(context.Background(), "r"); !errors.Is(err, etcdlock.ErrClosed) {
		t.Errorf("Lock after Close = %v, want ErrClosed", err)
	}
}

// TestKeysAndRelease: a lock's key is the prefix, the path-escaped name, "/"
// and the lease in hex; a name with "/" does not reach into another name's
// keys, so both are held at once; unlock deletes the key.
func TestKeysAndRelease(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c := s.Client(t)
	l := newLocker(t, c, &etcdlock.Options{Prefix: "/t/"})
	ctx := context.Background()
	unlockA, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockAB, err := l.Lock(ctx, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	got := keys(t, c, "/t/")
	var lease clientv3.LeaseID
	for _, id := range got {
		lease = id
	}
	want := map[string]clientv3.LeaseID{
		fmt.Sprintf("/t/a/%x", int64(lease)):      lease,
		fmt.Sprintf("/t/a%%2Fb/%x", int64(lease)): lease,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	unlockA()
	unlockAB()
	unlockA() // harmless
	if got := keys(t, c, "/t/"); len(got) != 0 {
		t.Errorf("keys after unlock: %v, want none", got)
	}
}

// TestLockIsExclusiveAcrossLockers: two Lockers on two clients, as two
// processes: the second waits in etcd until the first lets go.
func TestLockIsExclusiveAcrossLockers(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c1, c2 := s.Client(t), s.Client(t)
	l1, l2 := newLocker(t, c1, nil), newLocker(t, c2, nil)
	ctx := context.Background()
	lctx1, unlock1, err := l1.LockContext(ctx, "role")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	var unlock2 func()
	go func() {
		var err error
		unlock2, err = l2.Lock(ctx, "role")
		got <- err
	}()
	awaitKeys(t, c1, etcdlock.DefaultPrefix, 2) // the second waits
	select {
	case err := <-got:
		t.Fatalf("the second Locker took the lock while the first held it (err %v)", err)
	default:
	}
	unlock1()
	if err := within(t, got, "the second Locker's lock"); err != nil {
		t.Fatal(err)
	}
	if lctx1.Err() == nil {
		t.Error("the first lock's context did not end at unlock")
	}
	if errors.Is(context.Cause(lctx1), encryptperm.ErrLockLost) {
		t.Errorf("cause after unlock = %v: a released lock is not lost", context.Cause(lctx1))
	}
	unlock2()
}

// TestSameNameWaitsInTheProcess: two locks of one name through one Locker
// share the lease, so the second waits in the process, with no key of its
// own, until the first is released.
func TestSameNameWaitsInTheProcess(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c := s.Client(t)
	l := newLocker(t, c, nil)
	ctx := context.Background()
	unlock1, err := l.Lock(ctx, "role")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Lock(short, "role"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with an ended context while held = %v, want context.Canceled", err)
	}
	got := make(chan func(), 1)
	go func() {
		unlock, err := l.Lock(ctx, "role")
		if err != nil {
			t.Error(err)
		}
		got <- unlock
	}()
	if n := len(keys(t, c, etcdlock.DefaultPrefix)); n != 1 {
		t.Errorf("%d keys while the second lock waits, want 1", n)
	}
	unlock1()
	within(t, got, "the second lock")()
}

// TestCanceledWaitLeavesNoKey: a Lock whose context ends while it waits in
// etcd returns the context's error and deletes its key.
func TestCanceledWaitLeavesNoKey(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c1, c2 := s.Client(t), s.Client(t)
	l1, l2 := newLocker(t, c1, nil), newLocker(t, c2, nil)
	unlock1, err := l1.Lock(context.Background(), "role")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock1()
	before := keys(t, c1, etcdlock.DefaultPrefix)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := l2.Lock(ctx, "role")
		got <- err
	}()
	awaitKeys(t, c1, etcdlock.DefaultPrefix, 2)
	cancel()
	if err := within(t, got, "the canceled Lock"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock = %v, want context.Canceled", err)
	}
	// The key goes in the background: wait for the count to fall back.
	awaitKeys(t, c1, etcdlock.DefaultPrefix, len(before))
}

// TestRevokedLeaseEndsTheLock: the test revokes the lease in etcd, as an
// operator or an expiry would: the lock's context ends at once with a cause
// that wraps ErrLockLost, another process takes the lock, and the Locker
// takes locks again on a new lease.
func TestRevokedLeaseEndsTheLock(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c1, c2 := s.Client(t), s.Client(t)
	l1, l2 := newLocker(t, c1, nil), newLocker(t, c2, nil)
	lctx, unlock, err := l1.LockContext(context.Background(), "role")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var lease clientv3.LeaseID
	for _, id := range keys(t, c1, etcdlock.DefaultPrefix) {
		lease = id
	}
	if _, err := c2.Revoke(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	within(t, lctx.Done(), "the lock's context")
	if cause := context.Cause(lctx); !errors.Is(cause, encryptperm.ErrLockLost) {
		t.Errorf("cause = %v, want ErrLockLost", cause)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	unlock2, err := l2.Lock(ctx, "role")
	if err != nil {
		t.Fatalf("another Locker after the revoke: %v", err)
	}
	unlock2()
	unlock() // the lost lock: nothing to delete
	lctx3, unlock3, err := l1.LockContext(ctx, "role")
	if err != nil {
		t.Fatalf("the same Locker after the revoke: %v", err)
	}
	if lctx3.Err() != nil {
		t.Errorf("the new lock's context ended: %v", context.Cause(lctx3))
	}
	for _, id := range keys(t, c1, etcdlock.DefaultPrefix) {
		if id == lease {
			t.Errorf("the new lock uses the revoked lease %x", int64(lease))
		}
	}
	unlock3()
}

// TestDeletedKeyEndsTheLock: someone deletes the lock's key by hand: the
// lock is lost.
func TestDeletedKeyEndsTheLock(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c := s.Client(t)
	l := newLocker(t, c, nil)
	lctx, unlock, err := l.LockContext(context.Background(), "role")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := c.Delete(context.Background(), etcdlock.DefaultPrefix, clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	within(t, lctx.Done(), "the lock's context")
	if cause := context.Cause(lctx); !errors.Is(cause, encryptperm.ErrLockLost) || !strings.Contains(cause.Error(), "key changed") {
		t.Errorf("cause = %v, want ErrLockLost naming the key", cause)
	}
}

// TestEtcdStoppedEndsTheLock stops etcd while a lock is held (TTL 1s): the
// lock's context ends, by the Locker's own deadline, before the lease could
// have expired in etcd; unlock and Close return; a Lock made while etcd is
// away returns its context's error at its deadline.
func TestEtcdStoppedEndsTheLock(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c := s.Client(t)
	l := newLocker(t, c, &etcdlock.Options{TTL: time.Second})
	lctx, unlock, err := l.LockContext(context.Background(), "role")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	s.Stop()
	within(t, lctx.Done(), "the lock's context")
	t.Logf("lock lost %v after etcd was stopped", time.Since(t0))
	cause := context.Cause(lctx)
	if !errors.Is(cause, encryptperm.ErrLockLost) || !strings.Contains(cause.Error(), "no renewal of the lease was answered in time") {
		t.Errorf("cause = %v, want ErrLockLost for a lease not renewed", cause)
	}
	unlocked := make(chan struct{})
	go func() { unlock(); close(unlocked) }()
	within(t, unlocked, "unlock with etcd stopped")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got := make(chan error, 1)
	go func() {
		_, err := l.Lock(ctx, "other")
		got <- err
	}()
	if err := within(t, got, "Lock with etcd stopped"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock with etcd stopped = %v, want context.DeadlineExceeded", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	within(t, closed, "Close with etcd stopped")
}

// TestCloseReleasesTheLocks: Close revokes the lease; held locks are lost,
// their keys are gone, and Lock returns ErrClosed.
func TestCloseReleasesTheLocks(t *testing.T) {
	s := etcdtest.Start(t, nil)
	c := s.Client(t)
	l := newLocker(t, c, nil)
	lctx, unlock, err := l.LockContext(context.Background(), "role")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(context.Cause(lctx), encryptperm.ErrLockLost) {
		t.Errorf("cause after Close = %v, want ErrLockLost", context.Cause(lctx))
	}
	unlock()
	if got := keys(t, c, etcdlock.DefaultPrefix); len(got) != 0 {
		t.Errorf("keys after Close: %v, want none", got)
	}
	if _, err := l.Lock(context.Background(), "role"); !errors.Is(err, etcdlock.ErrClosed) {
		t.Errorf("Lock after Close = %v, want ErrClosed", err)
	}
}
