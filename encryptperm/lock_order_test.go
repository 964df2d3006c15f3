package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// An Apply whose grants name several roles holds all their locks at once
// (from its first reads until RAM has converged), so every Apply must take
// them in one order, the order of the roles' names; otherwise two Applies
// that name the same roles can each hold one and wait for the other.

const (
	lkDisk  = "encryptperm/role/aliyunecsdiskencryptdefaultrole"
	lkImage = "encryptperm/role/aliyunecsshareencryptimagedefaultrole"
	lkSnap  = "encryptperm/role/aliyunecsshareencryptsnapshotdefaultrole"
)

// lkApply identifies, in a context, the Apply a lock is taken for.
type lkApply struct{}

func lkWith(ctx context.Context, id int) context.Context {
	return context.WithValue(ctx, lkApply{}, id)
}

func lkID(ctx context.Context) int {
	id, _ := ctx.Value(lkApply{}).(int)
	return id
}

// lkGrants returns the grants named by letters, in that order: d for disk
// encryption, i for the image share, s for the snapshot share, each with
// the account acct.
func lkGrants(t *testing.T, letters, acct string) []*encryptperm.Grant {
	t.Helper()
	var gs []*encryptperm.Grant
	for _, c := range letters {
		switch c {
		case 'd':
			gs = append(gs, mustBuild(t, encryptperm.DiskEncryption().WithKey(apKey)))
		case 'i':
			gs = append(gs, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acct)))
		case 's':
			gs = append(gs, mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(acct)))
		default:
			t.Fatalf("no grant %q", c)
		}
	}
	return gs
}

// orderLocker is a MemoryLocker that records, per Apply, the locks taken.
type orderLocker struct {
	encryptperm.MemoryLocker
	mu    sync.Mutex
	taken map[int][]string
}

func (l *orderLocker) Lock(ctx context.Context, name string) (func(), error) {
	_, unlock, err := l.LockContext(ctx, name)
	return unlock, err
}

// LockContext records too: the engine takes a lock through it when the
// Locker has it, as MemoryLocker does.
func (l *orderLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	lctx, unlock, err := l.MemoryLocker.LockContext(ctx, name)
	if err == nil {
		l.mu.Lock()
		l.taken[lkID(ctx)] = append(l.taken[lkID(ctx)], name)
		l.mu.Unlock()
	}
	return lctx, unlock, err
}

// Whatever order the grants come in, an Apply takes its roles' locks in the
// order of the roles' names. The orders that are not a rotation of the
// sorted one are taken out of order every time by an Apply that follows
// the order of a Go map: a small map iterates from a random start but
// otherwise in the order its keys went in.
func TestApplyLocksRolesInNameOrder(t *testing.T) {
	tests := []struct {
		give string // grants, by letter (see lkGrants)
		want []string
	}{
		{"dis", []string{lkDisk, lkImage, lkSnap}},
		{"dsi", []string{lkDisk, lkImage, lkSnap}},
		{"ids", []string{lkDisk, lkImage, lkSnap}},
		{"isd", []string{lkDisk, lkImage, lkSnap}},
		{"sdi", []string{lkDisk, lkImage, lkSnap}},
		{"sid", []string{lkDisk, lkImage, lkSnap}},
		{"si", []string{lkImage, lkSnap}},
		{"id", []string{lkDisk, lkImage}},
		{"sd", []string{lkDisk, lkSnap}},
	}
	f := shareFake(t, nil)
	l := &orderLocker{taken: map[int][]string{}}
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
	for i, tt := range tests {
		// Three times each: the first Apply writes, the others read only.
		for n := range 3 {
			id := 3*i + n + 1
			if _, err := a.Apply(lkWith(context.Background(), id), lkGrants(t, tt.give, apAcctA)...); err != nil {
				t.Fatalf("Apply %s: %v", tt.give, err)
			}
			l.mu.Lock()
			got := l.taken[id]
			l.mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Apply %s (#%d): locks taken (-want +got):\n%s", tt.give, n+1, diff)
			}
		}
	}
}

// errLkDeadlock is what deadlockLocker answers the Lock call that closes a
// cycle of waits.
var errLkDeadlock = errors.New("lock test: deadlock")

// deadlockLocker is a Locker shared by Appliers that stand for separate
// processes, so that every wait for a role goes through it. It finds a
// cycle of Applies each waiting for a lock another holds, records it, and
// refuses the Lock call that closes it (so the test reports rather than
// hangs). While a round is armed, each Apply of the round that takes its
// first lock waits until every other Apply of the round holds a lock or
// waits for one: the Applies then start together, and two that take their
// first locks in different orders meet in the middle.
type deadlockLocker struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	holder  map[string]int
	held    map[int][]string
	waits   map[int]string
	round   []int        // the Applies of the armed round
	started map[int]bool // of the round, those holding their first lock
	cycles  []string
}

func newDeadlockLocker() *deadlockLocker {
	return &deadlockLocker{changed: make(chan struct{}), holder: map[string]int{}, held: map[int][]string{}, waits: map[int]string{}}
}

// arm makes the next first locks of ids wait for each other.
func (l *deadlockLocker) arm(ids ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.round, l.started = ids, map[int]bool{}
}

// signal wakes every waiter; l.mu is held.
func (l *deadlockLocker) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// gathered reports whether every Apply of the round holds a lock or waits
// for one; l.mu is held.
func (l *deadlockLocker) gathered() bool {
	for _, id := range l.round {
		if !l.started[id] && l.waits[id] == "" {
			return false
		}
	}
	return true
}

// cycle returns the waits that lead from id back to id, or ""; l.mu is held.
func (l *deadlockLocker) cycle(id int) string {
	var path []string
	for at, seen := id, map[int]bool{}; !seen[at]; {
		seen[at] = true
		name, waiting := l.waits[at]
		if !waiting {
			return ""
		}
		h, held := l.holder[name]
		if !held {
			return ""
		}
		path = append(path, fmt.Sprintf("Apply %d holds %v and waits for %s, held by Apply %d", at, l.held[at], name, h))
		if h == id {
			return strings.Join(path, "; ")
		}
		at = h
	}
	return ""
}

func (l *deadlockLocker) Lock(ctx context.Context, name string) (func(), error) {
	id := lkID(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if _, busy := l.holder[name]; !busy {
			l.holder[name] = id
			l.held[id] = append(l.held[id], name)
			delete(l.waits, id)
			if slices.Contains(l.round, id) && !l.started[id] {
				l.started[id] = true
				l.signal()
				for !l.gathered() {
					if err := l.await(ctx); err != nil {
						return nil, err
					}
				}
			}
			l.signal()
			var once sync.Once
			return func() { once.Do(func() { l.unlock(id, name) }) }, nil
		}
		l.waits[id] = name
		l.signal()
		if c := l.cycle(id); c != "" {
			l.cycles = append(l.cycles, c)
			delete(l.waits, id)
			l.signal()
			return nil, errLkDeadlock
		}
		if err := l.await(ctx); err != nil {
			delete(l.waits, id)
			l.signal()
			return nil, err
		}
	}
}

// await waits, with l.mu released, for a change or the end of ctx.
func (l *deadlockLocker) await(ctx context.Context) error {
	ch := l.changed
	l.mu.Unlock()
	defer l.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *deadlockLocker) unlock(id int, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.holder, name)
	l.held[id] = slices.DeleteFunc(l.held[id], func(n string) bool { return n == name })
	l.signal()
}

// Applies in separate processes (here Appliers that share only a Locker and
// RAM) that name the same roles in different orders, started together, all
// finish: none holds a role's lock while it waits for one another holds.
// The Locker refuses the wait that would close a cycle and the test names
// the Applies in it, so a deadlock fails the test at once instead of
// hanging it. An Apply that locked in the order of a Go map would take a
// different first lock than its partner in at least 51 rounds of 64, and
// every such round deadlocks; sixteen rounds leave a chance below 1e-11
// that none does.
func TestConcurrentAppliesDoNotDeadlock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rounds := [][]string{
		{"sid", "dis"}, {"is", "si"}, {"dsi", "sdi", "ids"}, {"sd", "ds"},
		{"sid", "dis"}, {"is", "si"}, {"dsi", "sdi", "ids"}, {"id", "di"},
		{"sid", "dis"}, {"is", "si"}, {"dsi", "sdi", "ids"}, {"sd", "ds"},
		{"sid", "dis"}, {"is", "si"}, {"dsi", "sdi", "ids"}, {"id", "di"},
	}
	f := shareFake(t, nil)
	l := newDeadlockLocker()
	accounts := []string{"3000000000000001", "3000000000000002", "3000000000000003"}
	next := 0
	for r, round := range rounds {
		ids := make([]int, len(round))
		for i := range round {
			next++
			ids[i] = next
		}
		l.arm(ids...)
		errs := make([]error, len(round))
		var wg sync.WaitGroup
		for i, letters := range round {
			grants := lkGrants(t, letters, accounts[i])
			a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = a.Apply(lkWith(ctx, ids[i]), grants...)
			}()
		}
		wg.Wait()
		l.mu.Lock()
		cycles := slices.Clone(l.cycles)
		l.mu.Unlock()
		if len(cycles) > 0 {
			t.Fatalf("round %d %v deadlocks: %s", r+1, round, strings.Join(cycles, "\n"))
		}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Apply %s: %v", r+1, round[i], err)
			}
		}
	}
}

// Eight goroutines share one Applier and RAM, each applying grants that
// name two or three roles in an order of its own and revoking its shares
// in between. All of them finish within the deadline; if some do not, the
// test names them and shows the stacks of the goroutines still in the
// library, then ends their contexts. Run it with -race.
func TestConcurrentAppliesAndRevokesOverSeveralRoles(t *testing.T) {
	accounts := []string{
		"3000000000000001", "3000000000000002", "3000000000000003", "3000000000000004",
		"3000000000000005", "3000000000000006", "3000000000000007", "3000000000000008",
	}
	orders := []string{"dis", "sid", "isd", "si", "dsi", "is", "sdi", "ids"}
	const iterations = 4
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	doing := make([]string, len(accounts)) // what each worker is doing
	set := func(w int, s string) {
		mu.Lock()
		doing[w] = s
		mu.Unlock()
	}
	errs := make([]error, len(accounts))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range accounts {
		grants := lkGrants(t, orders[w], accounts[w])
		wg.Add(1)
		go func() {
			defer wg.Done()
			var shares []*encryptperm.Grant
			for _, g := range grants {
				if g.Kind != encryptperm.KindDiskEncryption {
					shares = append(shares, g)
				}
			}
			for n := range iterations {
				set(w, fmt.Sprintf("Apply %s #%d", orders[w], n+1))
				if _, err := a.Apply(ctx, grants...); err != nil {
					errs[w] = fmt.Errorf("Apply %s #%d: %w", orders[w], n+1, err)
					return
				}
				if n == iterations-1 {
					break
				}
				set(w, fmt.Sprintf("Revoke of the shares #%d", n+1))
				if _, err := a.Revoke(ctx, shares...); err != nil {
					errs[w] = fmt.Errorf("Revoke #%d: %w", n+1, err)
					return
				}
			}
			set(w, "")
		}()
	}
	go func() { wg.Wait(); close(done) }()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	select {
	case <-done:
	case <-deadline.C:
		mu.Lock()
		var stuck []string
		for w, s := range doing {
			if s != "" {
				stuck = append(stuck, fmt.Sprintf("worker %d (%s): %s", w, orders[w], s))
			}
		}
		mu.Unlock()
		t.Errorf("not done after a minute, stuck:\n%s\nstacks in the library:\n%s", strings.Join(stuck, "\n"), lkLibraryStacks())
		cancel()
		<-done
		return
	}
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
	// Every worker's last step was an Apply, and every order names the
	// image and the snapshot: RAM and ECS hold every account.
	shared, _ := f.ImageSharedWith(shRegion, shImage)
	sort.Strings(shared)
	if diff := cmp.Diff([]string{
		"3000000000000001", "3000000000000002", "3000000000000003", "3000000000000004",
		"3000000000000005", "3000000000000006", "3000000000000007", "3000000000000008",
	}, shared); diff != "" {
		t.Errorf("image shared with (-want +got):\n%s", diff)
	}
	for _, role := range []string{encryptperm.ShareImageRoleName, encryptperm.ShareSnapshotRoleName} {
		ps, ok := f.TrustedPrincipals(role)
		if !ok {
			t.Errorf("role %s is missing", role)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Value)
		}
		sort.Strings(got)
		want := []string{
			"3000000000000001@ecs.aliyuncs.com", "3000000000000002@ecs.aliyuncs.com", "3000000000000003@ecs.aliyuncs.com", "3000000000000004@ecs.aliyuncs.com",
			"3000000000000005@ecs.aliyuncs.com", "3000000000000006@ecs.aliyuncs.com", "3000000000000007@ecs.aliyuncs.com", "3000000000000008@ecs.aliyuncs.com",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("role %s trusts (-want +got):\n%s", role, diff)
		}
	}
	if _, ok := f.TrustPolicy(encryptperm.DiskEncryptRoleName); !ok {
		t.Errorf("role %s is missing", encryptperm.DiskEncryptRoleName)
	}
}

// lkLibraryStacks returns the stacks of the goroutines that are in this
// module's code.
func lkLibraryStacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/ecsperm/ecsperm/encryptperm.") && !strings.Contains(g, "lkLibraryStacks") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
