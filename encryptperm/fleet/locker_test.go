package fleet

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// nameLocker records the names it is asked to lock; lost, when set, is
// the cause its LockContext's contexts end with at once.
type nameLocker struct {
	mu    sync.Mutex
	names []string
}

func (l *nameLocker) Lock(_ context.Context, name string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
	return func() {}, nil
}

type losingLocker struct{ nameLocker }

var errLost = errors.New("lease gone")

func (l *losingLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	if _, err := l.Lock(ctx, name); err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	cancel(errLost)
	return lctx, func() {}, nil
}

// TestMemberLockerPrefixesTheAccount: members that converge the same role
// lock two names, one per account; a Locker that can lose its lock keeps
// that power through the wrapper.
func TestMemberLockerPrefixesTheAccount(t *testing.T) {
	if memberLocker(nil, "2000000000000001") != nil {
		t.Error("memberLocker(nil) is not nil: the engine would lock with it")
	}
	inner := &nameLocker{}
	a, b := memberLocker(inner, "2000000000000001"), memberLocker(inner, "2000000000000002")
	ctx := context.Background()
	if _, err := a.Lock(ctx, "encryptperm/role/aliyunecsdiskencryptdefaultrole"); err != nil {
		t.Fatal(err)
	}
	lctx, unlock, err := b.(lockContexter).LockContext(ctx, "encryptperm/role/aliyunecsdiskencryptdefaultrole")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"account/2000000000000001/encryptperm/role/aliyunecsdiskencryptdefaultrole",
		"account/2000000000000002/encryptperm/role/aliyunecsdiskencryptdefaultrole",
	}
	if diff := cmp.Diff(want, inner.names); diff != "" {
		t.Errorf("names locked (-want +got):\n%s", diff)
	}
	if lctx.Err() != nil {
		t.Fatalf("the lock's context ended before its release: %v", lctx.Err())
	}
	unlock()
	unlock() // twice is harmless
	if lctx.Err() == nil {
		t.Error("the lock's context goes on after its release")
	}

	losing := &losingLocker{}
	lctx, _, err = memberLocker(losing, "2000000000000003").(lockContexter).LockContext(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(context.Cause(lctx), errLost) {
		t.Errorf("cause %v: a lost lock of the inner Locker must reach the engine", context.Cause(lctx))
	}
	if !slices.Equal(losing.names, []string{"account/2000000000000003/r"}) {
		t.Errorf("names %v", losing.names)
	}
	var _ encryptperm.Locker = memberLocker(inner, "x")
}
