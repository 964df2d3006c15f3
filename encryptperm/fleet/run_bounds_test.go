package fleet_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"weak"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// gated is an Applier whose Apply waits at a gate.
type gated struct {
	encryptperm.Applier
	uid     string
	entered chan<- string
	gate    <-chan struct{}
}

func (g gated) Apply(ctx context.Context, grants ...*encryptperm.Grant) (*encryptperm.Result, error) {
	g.entered <- g.uid
	<-g.gate
	return g.Applier.Apply(ctx, grants...)
}

// No more members are worked on at once than Options.Concurrency.
func TestConcurrencyBoundsTheMembersInFlight(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	entered := make(chan string, 8)
	gate := make(chan struct{})
	rec := &recorder{}
	build := sessionApplier(f)
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = rec
		o.Concurrency = 2
		o.NewApplier = func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
			a, err := build(ctx, m, s)
			return gated{Applier: a, uid: m.UID, entered: entered, gate: gate}, err
		}
	}))
	done := make(chan error, 1)
	go func() {
		_, err := r.Apply(context.Background(), fleet.Scope{All: true, Exclude: []string{memInvite}})
		done <- err
	}()
	<-entered
	<-entered
	// Both workers wait at the gate: no third member can have started.
	rec.mu.Lock()
	started := len(rec.started)
	rec.mu.Unlock()
	if started != 2 {
		t.Errorf("%d members started while 2 wait, want 2", started)
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if rec.busiest != 2 {
		t.Errorf("at most %d members at once, want 2", rec.busiest)
	}
	if len(rec.rows) != 4 {
		t.Errorf("%d rows, want 4", len(rec.rows))
	}
}

// tracked is an Applier that the memory test follows with a weak pointer.
type tracked struct{ encryptperm.Applier }

// liveCounter counts, when asked, the Appliers and Sessions of a run that
// are still reachable.
type liveCounter struct {
	mu       sync.Mutex
	appliers []weak.Pointer[tracked]
	sessions []weak.Pointer[fleet.Session]
	ended    int
	most     int // most appliers or sessions found alive at a count
	counts   int
}

func (l *liveCounter) count() {
	runtime.GC()
	n, s := 0, 0
	for _, w := range l.appliers {
		if w.Value() != nil {
			n++
		}
	}
	for _, w := range l.sessions {
		if w.Value() != nil {
			s++
		}
	}
	l.most = max(l.most, n, s)
	l.counts++
}

func (l *liveCounter) StartMember(context.Context, fleet.Member) func(*fleet.Row) {
	return func(*fleet.Row) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.ended++
		if l.ended%10 == 0 {
			l.count()
		}
	}
}

// A run holds an engine and a session only for the members in flight: the
// engines and sessions of finished members are unreachable, whatever the
// number of members, so memory is bounded by the concurrency.
func TestMemoryHoldsOnlyTheMembersInFlight(t *testing.T) {
	const n, conc = 120, 4
	c := newClock()
	f := fake.New(&fake.Options{Clock: c.Now, MaxCalls: 100})
	if err := f.PutResourceDirectory(bigDirectory(n)); err != nil {
		t.Fatal(err)
	}
	live := &liveCounter{}
	build := sessionApplier(f)
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = live
		o.Concurrency = conc
		o.NewApplier = func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
			a, err := build(ctx, m, s)
			tr := &tracked{a}
			live.mu.Lock()
			live.appliers = append(live.appliers, weak.Make(tr))
			live.sessions = append(live.sessions, weak.Make(s))
			live.mu.Unlock()
			return tr, err
		}
	}))
	rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if rep.Totals.Changed != n {
		t.Fatalf("%d changed, want %d", rep.Totals.Changed, n)
	}
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.counts != n/10 || len(live.appliers) != n {
		t.Fatalf("%d counts over %d appliers", live.counts, len(live.appliers))
	}
	// At a count, the member that is ending and those in flight may be
	// alive: at most the concurrency.
	if live.most > conc {
		t.Errorf("%d appliers or sessions alive at once, want at most %d", live.most, conc)
	}
	live.count()
	if live.most > conc {
		t.Errorf("after the run: %d alive", live.most)
	}
}

// When the context ends, the run stops listing, starts no member, and
// says it is not complete; a member whose write was in flight lists it
// as unknown.
func TestContextEndStopsTheRun(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	hold := f.HoldCall("CreateRole", 1)
	defer hold.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = rec
		o.Concurrency = 1
	}))
	done := make(chan struct{})
	var rep *fleet.Report
	var err error
	go func() {
		defer close(done)
		rep, err = r.Apply(ctx, fleet.Scope{All: true})
	}()
	<-hold.Held()
	cancel()
	<-done
	hold.Release()
	<-hold.Done()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply: %v, want context.Canceled", err)
	}
	if rep.Complete {
		t.Errorf("report complete after the context ended")
	}
	rows := rec.byUID()
	if len(rows) == 0 || len(rows) > 2 {
		t.Fatalf("rows: %v, want the member in flight and at most one skipped", rec.statuses())
	}
	var failed *fleet.Row
	for i, row := range rows {
		switch row.Status {
		case fleet.StatusFailed:
			failed = &rows[i]
		case fleet.StatusSkipped:
			if row.Assumed != 0 || row.Writes != 0 {
				t.Errorf("skipped row %+v made calls", row)
			}
		default:
			t.Errorf("row %s %s after the context ended", row.Member.UID, row.Status)
		}
	}
	if failed == nil {
		t.Fatalf("no failed row: %v", rec.statuses())
	}
	// The engine reports the held CreateRole (and, for a role it may have
	// made, the trust update it would make) as unknown.
	var actions []string
	for _, ch := range failed.Unknown {
		actions = append(actions, ch.Action)
	}
	if !slices.Contains(actions, "CreateRole") {
		t.Errorf("unknown writes %v, want CreateRole among them", actions)
	}
	if !errors.Is(failed.Err, context.Canceled) {
		t.Errorf("failed row's error: %v", failed.Err)
	}
	if rep.Totals.Unknown != len(failed.Unknown) || rep.Totals.Failed != 1 {
		t.Errorf("totals: %+v", rep.Totals)
	}
}

// Listings read every page: a directory of 250 members in two folders.
func TestListingsReadEveryPage(t *testing.T) {
	tests := []struct {
		name  string
		give  fleet.Scope
		calls map[string]int
	}{
		{"all", fleet.Scope{All: true}, map[string]int{"GetResourceDirectory": 1, "ListAccounts": 3}},
		{"a folder and below", fleet.Scope{Folders: []string{"fd-A0001"}}, map[string]int{
			"GetResourceDirectory": 1, "ListAccountsForParent": 4, "ListFoldersForParent": 2}},
		{"the lower folder", fleet.Scope{Folders: []string{"fd-B0001"}, Direct: true}, map[string]int{
			"GetResourceDirectory": 1, "ListAccountsForParent": 2}},
		{"two accounts", fleet.Scope{Accounts: []string{"2100000000000249", "2100000000000000"}}, map[string]int{
			"GetResourceDirectory": 1, "ListAccounts": 3}},
	}
	wantRows := map[string]int{"all": 250, "a folder and below": 250, "the lower folder": 125, "two accounts": 2}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := fake.New(&fake.Options{Clock: c.Now})
			if err := f.PutResourceDirectory(bigDirectory(250)); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec }))
			rep, err := r.Plan(context.Background(), tt.give)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got := len(rec.rows); got != wantRows[tt.name] || rep.Totals.Pending != got {
				t.Errorf("%d rows, %d pending, want %d", got, rep.Totals.Pending, wantRows[tt.name])
			}
			seen := map[string]bool{}
			for _, row := range rec.rows {
				if seen[row.Member.UID] {
					t.Errorf("%s worked on twice", row.Member.UID)
				}
				seen[row.Member.UID] = true
			}
			got := map[string]int{}
			for _, call := range f.Calls() {
				got[call.Action]++
			}
			if diff := cmp.Diff(tt.calls, got); diff != "" {
				t.Errorf("management account's calls (-want +got):\n%s", diff)
			}
		})
	}
}

// cancelAfterFirst cancels the run's context when the first member ends.
type cancelAfterFirst struct {
	once   sync.Once
	cancel context.CancelFunc
	rows   int
	mu     sync.Mutex
}

func (c *cancelAfterFirst) StartMember(context.Context, fleet.Member) func(*fleet.Row) {
	return func(*fleet.Row) {
		c.mu.Lock()
		c.rows++
		c.mu.Unlock()
		c.once.Do(c.cancel)
	}
}

// A run stopped while it lists a directory of several pages (the next page
// read ahead) ends with nothing left running.
func TestContextEndDuringAListingOfPages(t *testing.T) {
	c := newClock()
	f := fake.New(&fake.Options{Clock: c.Now})
	if err := f.PutResourceDirectory(bigDirectory(250)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &cancelAfterFirst{cancel: cancel}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = obs
		o.Concurrency = 1
	}))
	rep, err := r.Plan(ctx, fleet.Scope{All: true})
	if !errors.Is(err, context.Canceled) || rep.Complete {
		t.Fatalf("Plan: %v, complete %v", err, rep.Complete)
	}
	if obs.rows > 2 || rep.Totals.Pending != 1 {
		t.Errorf("%d rows, totals %+v: want the first member and at most one skipped", obs.rows, rep.Totals)
	}
}
