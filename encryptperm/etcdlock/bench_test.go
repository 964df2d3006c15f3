package etcdlock_test

// The figures of the README's "Apply to RAM" section. Run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./encryptperm/etcdlock
//
// The process benchmarks start their children once per iteration, each
// child applying its grants through NewRAMApplier to one fake endpoint
// with 40 ms of latency per call; grants/s counts from the moment every
// child is told to go to the last one's end.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/etcdlock"
	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/etcdtest"
)

// BenchmarkLockOverhead is what the lock adds to each role of an Apply: one
// acquire and one release of a role's lock, on a warm Locker (its lease
// granted), against an etcd on loopback.
func BenchmarkLockOverhead(b *testing.B) {
	s := etcdtest.Start(b, nil)
	l, err := etcdlock.New(s.Client(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	unlock, err := l.Lock(ctx, "encryptperm/role/warm")
	if err != nil {
		b.Fatal(err)
	}
	unlock()
	for b.Loop() {
		_, unlock, err := l.LockContext(ctx, "encryptperm/role/aliyunecsshareencryptsnapshotdefaultrole")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}

// levelCounter counts RAM round-trip levels as the engine's benchmarks do:
// a request's level is one more than the highest level answered when it
// started.
type levelCounter struct {
	base http.RoundTripper

	mu       sync.Mutex
	answered int
	deepest  int
	trace    []string
}

func (l *levelCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	level := l.answered + 1
	l.deepest = max(l.deepest, level)
	l.trace = append(l.trace, fmt.Sprintf("%d:%s", level, r.URL.Query().Get("Action")))
	l.mu.Unlock()
	resp, err := l.base.RoundTrip(r)
	l.mu.Lock()
	l.answered = max(l.answered, level)
	l.mu.Unlock()
	return resp, err
}

// TestLockAddsNoRAMLevel: an Apply that holds the etcd lock makes as many
// RAM round-trip levels as one without a Locker: the lock is taken before
// the first read, in etcd, and no RAM call waits for anything of it.
func TestLockAddsNoRAMLevel(t *testing.T) {
	s := etcdtest.Start(t, nil)
	l := newLocker(t, s.Client(t), nil)
	levels := func(locker encryptperm.Locker, uid string) int {
		f := fake.New(nil)
		// With latency, calls sent together are in flight together.
		ep, err := fake.Start(f, &fake.ServerOptions{Latency: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer ep.Close()
		lc := &levelCounter{base: http.DefaultTransport}
		opts := &encryptperm.Options{
			Endpoint: ep.Addr(), Scheme: "HTTP", Transport: lc, Locker: locker,
			Credential: credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret),
		}
		a, err := encryptperm.NewRAMApplier(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"2000000000000009", uid} { // a new role, then one more account
			g, err := prGrant("snapshot", []string{u})
			if err != nil {
				t.Fatal(err)
			}
			lc.mu.Lock()
			lc.answered, lc.deepest, lc.trace = 0, 0, nil
			lc.mu.Unlock()
			if _, err := a.Apply(context.Background(), g); err != nil {
				t.Fatal(err)
			}
		}
		lc.mu.Lock()
		defer lc.mu.Unlock()
		t.Logf("locker %v: %s", locker != nil, strings.Join(lc.trace, " "))
		return lc.deepest
	}
	without := levels(nil, "2000000000000001")
	with := levels(l, "2000000000000001")
	if without != 2 || with != 2 {
		t.Errorf("adding an account: %d RAM levels with the lock, %d without; want 2 and 2", with, without)
	}
}

// BenchmarkProcesses runs separate processes against one fake endpoint
// with 40 ms latency, with an etcd Locker or none, and reports grants
// applied per second and the accounts (or keys) missing at the end.
//
//	two-40:      2 processes, 20 accounts each, one Apply per account, one role
//	one-role:    16 processes, 5 accounts each, one Apply per account, one role
//	three-roles: the same 80 grants, process i on role i mod 3 (snapshot
//	             share, image share, disk encryption with a key per grant)
func BenchmarkProcesses(b *testing.B) {
	type shape struct {
		name          string
		procs, grants int
		roles         int
	}
	for _, sh := range []shape{{"two-40", 2, 20, 1}, {"one-role", 16, 5, 1}, {"three-roles", 16, 5, 3}} {
		for _, locker := range []string{"none", "etcd"} {
			b.Run(sh.name+"/"+locker, func(b *testing.B) {
				var lost, grants int
				var took time.Duration
				for b.Loop() {
					p := newProcEnv(b, 40*time.Millisecond)
					etcd := ""
					if locker == "etcd" {
						etcd = p.etcd.Endpoint()
					}
					kinds := []string{"snapshot", "image", "disk"}
					want := map[string][]string{}
					var kids []*child
					for i := range sh.procs {
						kind := kinds[i%sh.roles]
						accounts := uids(i, sh.grants)
						want[kind] = append(want[kind], accounts...)
						kids = append(kids, startChild(b, childEnv{ram: p.ep.Addr(), etcd: etcd, ttl: 10 * time.Second, accounts: accounts, kind: kind, each: true, timeout: 5 * time.Minute}))
					}
					start := time.Now()
					for _, k := range kids {
						k.start()
					}
					for i, k := range kids {
						if r := k.result(b); r.Err != "" {
							b.Logf("process %d: %s", i, r.Err)
						}
					}
					took += time.Since(start)
					grants += sh.procs * sh.grants
					lost += missing(p.f, want)
				}
				b.ReportMetric(float64(grants)/took.Seconds(), "grants/s")
				b.ReportMetric(float64(lost)/float64(b.N), "lost/op")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// missing counts the accounts (share roles) and keys (disk encryption) of
// want that RAM does not hold.
func missing(f *fake.RAM, want map[string][]string) int {
	n := 0
	var docs strings.Builder
	for _, p := range f.Policies() {
		for _, v := range p.Versions {
			if v.IsDefault {
				docs.WriteString(v.Document)
			}
		}
	}
	for kind, accounts := range want {
		switch kind {
		case "disk":
			for _, uid := range accounts {
				if !strings.Contains(docs.String(), fmt.Sprintf(":key/%s\"", prKeyOf(uid).ID)) {
					n++
				}
			}
		default:
			role := encryptperm.ShareSnapshotRoleName
			if kind == "image" {
				role = encryptperm.ShareImageRoleName
			}
			have := trusted(f, role)
			for _, uid := range accounts {
				if !slices.Contains(have, uid) {
					n++
				}
			}
		}
	}
	return n
}
