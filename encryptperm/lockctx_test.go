package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// errTestLeaseGone is the cause losableLocker gives a lock it loses.
var errTestLeaseGone = fmt.Errorf("test: the lease is gone: %w", encryptperm.ErrLockLost)

// losableLocker is a Locker whose locks the test can take away, as an etcd
// lease that expires would: LockContext's context ends, the lock stays
// taken until unlocked.
type losableLocker struct {
	encryptperm.MemoryLocker

	mu    sync.Mutex
	held  map[string]context.CancelCauseFunc
	taken chan string // each name, once held
}

func newLosableLocker() *losableLocker {
	return &losableLocker{held: map[string]context.CancelCauseFunc{}, taken: make(chan string, 16)}
}

func (l *losableLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	unlock, err := l.MemoryLocker.Lock(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	l.mu.Lock()
	l.held[name] = cancel
	l.mu.Unlock()
	l.taken <- name
	return lctx, func() {
		l.mu.Lock()
		delete(l.held, name)
		l.mu.Unlock()
		cancel(errors.New("released"))
		unlock()
	}, nil
}

// lose ends the context of the named lock, if held.
func (l *losableLocker) lose(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cancel, ok := l.held[name]; ok {
		cancel(errTestLeaseGone)
	}
}

var lkKey = encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-lklost0001"}

const lkRoleLock = "encryptperm/role/aliyunecsshareencryptsnapshotdefaultrole"

func lkGrant(t *testing.T, uids ...string) *encryptperm.Grant {
	t.Helper()
	g, err := encryptperm.ShareSnapshot().WithAccounts(uids...).WithKey(lkKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// writesSeen returns the write actions the fake served, in order.
func writesSeen(f *fake.RAM) []string {
	var out []string
	for _, c := range f.Calls() {
		switch c.Action {
		case "CreateRole", "UpdateRole", "CreatePolicy", "CreatePolicyVersion", "AttachPolicyToRole", "DetachPolicyFromRole", "DeletePolicyVersion", "DeletePolicy", "DeleteRole":
			out = append(out, c.Action)
		}
	}
	return out
}

// TestApplyMakesNoWriteAfterTheLockIsLost holds the first write of a new
// grant in the fake (CreateRole or CreatePolicy, whichever the engine sends
// first: the in-process client makes one call at a time) and loses the lock:
// the Apply ends with ErrLockLost (not the context's error) while that write
// is still held, reports it as unknown, and sends nothing more, neither the
// other write of its level nor the attachment of the next.
func TestApplyMakesNoWriteAfterTheLockIsLost(t *testing.T) {
	f := fake.New(nil)
	holdRole := f.HoldCall("CreateRole", 1)
	holdPolicy := f.HoldCall("CreatePolicy", 1)
	defer holdRole.Release()
	defer holdPolicy.Release()
	l := newLosableLocker()
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
	done := make(chan applyOut, 1)
	go func() {
		res, err := a.Apply(context.Background(), lkGrant(t, "2000000000000001"))
		done <- applyOut{res, err}
	}()
	// The changes a held write makes: creating the role adds its
	// principal too.
	first, hold, unknown := "CreateRole", holdRole, []string{"CreateRole", "UpdateRole"}
	select {
	case <-holdRole.Held():
	case <-holdPolicy.Held():
		first, hold, unknown = "CreatePolicy", holdPolicy, []string{"CreatePolicy"}
	}
	l.lose(lkRoleLock)
	got := waitApply(t, done)
	hold.Release()
	<-hold.Done()

	if !errors.Is(got.err, encryptperm.ErrLockLost) || !errors.Is(got.err, errTestLeaseGone) {
		t.Fatalf("err = %v, want ErrLockLost with the Locker's cause", got.err)
	}
	if errors.Is(got.err, context.Canceled) {
		t.Errorf("err = %v: the caller's context did not end; want no context.Canceled", got.err)
	}
	if diff := cmp.Diff([]string{first}, writesSeen(f)); diff != "" {
		t.Errorf("writes the fake served (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(unknown, changeActions(got.res.Unknown)); diff != "" {
		t.Errorf("Result.Unknown (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), changeActions(got.res.Changes)); diff != "" {
		t.Errorf("Result.Changes (-want +got):\n%s", diff)
	}
}

type applyOut struct {
	res *encryptperm.Result
	err error
}

// waitApply waits for an Apply that must end once its lock is lost. The
// bound only keeps a broken engine from hanging the test: a held write
// never answers, so an Apply that waits for it does not return.
func waitApply(t *testing.T, done <-chan applyOut) applyOut {
	t.Helper()
	select {
	case got := <-done:
		return got
	case <-time.After(30 * time.Second):
		t.Fatal("the Apply did not end after its lock was lost")
		return applyOut{}
	}
}

// takenLock waits for l to hand out a lock through LockContext.
func takenLock(t *testing.T, l *losableLocker) {
	t.Helper()
	select {
	case <-l.taken:
	case <-time.After(30 * time.Second):
		t.Fatal("the engine took no lock through LockContext")
	}
}

// changeActions returns the actions of the changes that are not notes.
func changeActions(cs []encryptperm.Change) []string {
	var out []string
	for _, c := range cs {
		if c.Kind != encryptperm.Note {
			out = append(out, c.Action)
		}
	}
	return out
}

// TestWriteRefusedOnceTheLockHasEnded gives the engine a lock whose context
// has already ended when it is taken: the role is read, and nothing is
// written.
func TestWriteRefusedOnceTheLockHasEnded(t *testing.T) {
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: endedLocker{}})
	res, err := a.Apply(context.Background(), lkGrant(t, "2000000000000001"))
	if !errors.Is(err, encryptperm.ErrLockLost) {
		t.Fatalf("err = %v, want ErrLockLost", err)
	}
	if got := writesSeen(f); len(got) != 0 {
		t.Errorf("the fake served writes %v, want none", got)
	}
	if res == nil || res.Writes != 0 || len(res.Changes) != 0 {
		t.Errorf("result = %+v, want no write and no change", res)
	}
	if _, ok := f.TrustPolicy(encryptperm.ShareSnapshotRoleName); ok {
		t.Error("the role was created")
	}
}

// endedLocker hands out locks whose context has ended already.
type endedLocker struct{}

func (endedLocker) Lock(ctx context.Context, name string) (func(), error) { return func() {}, nil }

func (endedLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	lctx, cancel := context.WithCancelCause(ctx)
	cancel(errTestLeaseGone)
	return lctx, func() {}, nil
}

// TestBatchThatLosesItsLockIsNotRetriedCallerByCaller queues two callers
// behind a first one; their batch loses its lock while its UpdateRole is
// held: both end with ErrLockLost, and neither is tried again alone (which
// would take the lock anew and write).
func TestBatchThatLosesItsLockIsNotRetriedCallerByCaller(t *testing.T) {
	f := fake.New(nil)
	holdFirst := f.HoldCall("CreateRole", 1)
	holdBatch := f.HoldCall("UpdateRole", 1)
	defer holdFirst.Release()
	defer holdBatch.Release()
	l := newLosableLocker()
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
	queued := make(chan string, 4)
	encryptperm.SetEnqueueHook(a, func(role string) { queued <- role })
	done := make(chan applyOut, 3)
	apply := func(uid string) {
		res, err := a.Apply(context.Background(), lkGrant(t, uid))
		done <- applyOut{res, err}
	}
	go apply("2000000000000001")
	<-holdFirst.Held()
	go apply("2000000000000002")
	go apply("2000000000000003")
	<-queued
	<-queued
	takenLock(t, l) // the first caller's
	holdFirst.Release()
	if got := waitApply(t, done); got.err != nil {
		t.Fatalf("first caller: %v", got.err)
	}
	takenLock(t, l) // the batch's
	<-holdBatch.Held()
	l.lose(lkRoleLock)
	for i := range 2 {
		if got := waitApply(t, done); !errors.Is(got.err, encryptperm.ErrLockLost) {
			t.Errorf("batched caller %d: err = %v, want ErrLockLost", i, got.err)
		}
	}
	holdBatch.Release()
	<-holdBatch.Done()
	if diff := cmp.Diff([]string{"AttachPolicyToRole", "CreatePolicy", "CreateRole", "UpdateRole"}, sortedCopy(writesSeen(f))); diff != "" {
		t.Errorf("writes the fake served (-want +got):\n%s", diff)
	}
	select {
	case name := <-l.taken:
		t.Errorf("the lock %q was taken again after it was lost", name)
	default:
	}
}

// TestLockLostInTheShareStep loses the lock of an Apply that shares a
// snapshot too (its roles are locked and read beside the share step's
// reads): the RAM writes stop, the snapshot is not shared, and the error
// wraps ErrLockLost.
func TestLockLostInTheShareStep(t *testing.T) {
	f := fake.New(nil)
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-lkshare01"}
	if err := f.PutKey(fake.Key{Region: key.Region, ID: key.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSnapshot(fake.Snapshot{Region: key.Region, ID: "s-lkshare01", KMSKeyID: key.ID}); err != nil {
		t.Fatal(err)
	}
	hold := f.HoldCall("CreateRole", 1)
	l := newLosableLocker()
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithSnapshot(key.Region, "s-lkshare01").Build()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Release()
	done := make(chan applyOut, 1)
	go func() {
		res, err := a.Apply(context.Background(), g)
		done <- applyOut{res, err}
	}()
	<-hold.Held()
	l.lose(lkRoleLock)
	err = waitApply(t, done).err
	hold.Release()
	<-hold.Done()
	if !errors.Is(err, encryptperm.ErrLockLost) {
		t.Fatalf("err = %v, want ErrLockLost", err)
	}
	for _, c := range f.Calls() {
		switch c.Action {
		case "AttachPolicyToRole", "CreateResourceShare", "AssociateResourceShare":
			t.Errorf("the fake served %s after the lock was lost", c.Action)
		}
	}
}

// TestMemoryLockerLockContext: the context ends when the lock is released,
// and not before; a second taker waits until then.
func TestMemoryLockerLockContext(t *testing.T) {
	var l encryptperm.MemoryLocker
	ctx, unlock, err := l.LockContext(context.Background(), "r")
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("context ended while the lock is held: %v", context.Cause(ctx))
	}
	short, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.LockContext(short, "r"); !errors.Is(err, context.Canceled) {
		t.Errorf("second LockContext while held = %v, want context.Canceled", err)
	}
	unlock()
	unlock() // harmless
	if ctx.Err() == nil {
		t.Fatal("context still live after unlock")
	}
	ctx2, unlock2, err := l.LockContext(context.Background(), "r")
	if err != nil || ctx2.Err() != nil {
		t.Fatalf("LockContext after unlock = %v, %v", err, ctx2.Err())
	}
	unlock2()
}

// TestApplyWithMemoryLockerStillConverges: the MemoryLocker's context does
// not end while the Apply holds it, so Applies sharing it converge.
func TestApplyWithMemoryLockerStillConverges(t *testing.T) {
	f := fake.New(nil)
	l := &encryptperm.MemoryLocker{}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.Apply(context.Background(), lkGrant(t, fmt.Sprintf("30000000000000%02d", i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Applier %d: %v", i, err)
		}
	}
	principals, _ := f.TrustedPrincipals(encryptperm.ShareSnapshotRoleName)
	if len(principals) != 8 {
		t.Errorf("trust holds %d principals, want 8: %v", len(principals), principals)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
