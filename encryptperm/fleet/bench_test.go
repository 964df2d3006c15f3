package fleet_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

var (
	benchLatency = flag.Duration("fleet.latency", 40*time.Millisecond, "latency per request of the fake endpoint in BenchmarkDirectory")
	benchMembers = flag.Int("fleet.members", 500, "members of the directory in BenchmarkDirectory")
	benchConc    = flag.String("fleet.concurrency", "10,50", "concurrencies of BenchmarkDirectory, comma-separated")
)

// countingTransport counts requests and writes, by the account whose
// credentials signed them not being known here: by action only.
type countingTransport struct {
	base http.RoundTripper

	mu       sync.Mutex
	calls    int
	writes   int
	actions  map[string]int
	answered int // highest level of an answered request
	deepest  int
	trace    []string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	action := r.URL.Query().Get("Action")
	if action == "" {
		action = r.Header.Get("x-acs-action")
	}
	c.mu.Lock()
	c.calls++
	if isWrite(action) {
		c.writes++
	}
	c.actions[action]++
	level := c.answered + 1
	c.deepest = max(c.deepest, level)
	if len(c.trace) < 64 {
		c.trace = append(c.trace, fmt.Sprintf("%d:%s@%s", level, action, time.Now().Format("05.000")))
	}
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(r)
	c.mu.Lock()
	c.answered = max(c.answered, level)
	c.mu.Unlock()
	return resp, err
}

func (c *countingTransport) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.writes, c.actions, c.answered, c.deepest, c.trace = 0, 0, map[string]int{}, 0, 0, nil
}

// peakHeap is an Observer that measures the live heap (after a
// collection) as every 50th member ends, and keeps the highest measure
// above the live heap before the run (the fake's world included): what
// the run holds, not the garbage the collector has yet to reclaim, whose
// amount follows the size of the fake's world in the same process.
type peakHeap struct {
	mu   sync.Mutex
	base uint64
	peak uint64
	rows int
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// newPeakHeap measures the live heap now.
func newPeakHeap() *peakHeap { return &peakHeap{base: liveHeap()} }

func (p *peakHeap) StartMember(context.Context, fleet.Member) func(*fleet.Row) {
	return func(*fleet.Row) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.rows++
		if p.rows%50 == 0 {
			p.peak = max(p.peak, liveHeap())
		}
	}
}

func above(v, base uint64) float64 {
	if v < base {
		return 0
	}
	return float64(v-base) / (1 << 20)
}

// added returns the highest measure above the base, in MB.
func (p *peakHeap) added() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return above(p.peak, p.base)
}

// retained returns the live heap after the run above the base, in MB:
// what the run left behind (the fake's new roles and sessions, the
// Report).
func (p *peakHeap) retained() float64 { return above(liveHeap(), p.base) }

// benchWorld is a directory of n members behind the fake's endpoint at a
// fixed latency, with a Runner that builds its own SDK clients.
type benchWorld struct {
	f  *fake.RAM
	ct *countingTransport
	ep *fake.Endpoint
}

func newBenchWorld(b *testing.B, n int) *benchWorld {
	b.Helper()
	f := fake.New(&fake.Options{MaxCalls: 1000})
	if err := f.PutResourceDirectory(bigDirectory(n)); err != nil {
		b.Fatal(err)
	}
	ep := endpointWorld(b, f, *benchLatency)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 1024
	b.Cleanup(base.CloseIdleConnections)
	return &benchWorld{f: f, ct: &countingTransport{base: base, actions: map[string]int{}}, ep: ep}
}

func (w *benchWorld) runner(b *testing.B, conc int, obs fleet.Observer) *fleet.Runner {
	b.Helper()
	r, err := fleet.NewSDKRunner(sdkOptions(w.ep, w.ct, func(o *fleet.Options) {
		o.Concurrency = conc
		o.Observer = obs
		o.Sleep = nil // real waits: throttling, if any, costs its time
	}))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// listPages is how many pages ListAccounts takes for n members and the
// management account.
func listPages(n int) int { return (n + 1 + 99) / 100 }

// goal is the round trips a run needs at concurrency conc: the pages of
// the listing, then ⌈n/conc⌉ rounds of AssumeRole and the engine's levels.
func goal(n, conc, levels int) int { return listPages(n) + (n+conc-1)/conc*(1+levels) }

// BenchmarkDirectory applies a cold disk-encryption grant (no key: the
// console's system policy) in every member of a directory through the
// fake's endpoint at a fixed latency, then again warm, then with 5% of
// the members refusing AssumeRole and a second run after they are fixed.
//
//	go test -run '^$' -bench Directory -benchtime 1x ./encryptperm/fleet/ -fleet.latency=40ms
func BenchmarkDirectory(b *testing.B) {
	n := *benchMembers
	lat := *benchLatency
	var concs []int
	for _, v := range strings.Split(*benchConc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || c < 1 {
			b.Fatalf("-fleet.concurrency %q", *benchConc)
		}
		concs = append(concs, c)
	}
	for _, conc := range concs {
		b.Run(fmt.Sprintf("cold/C=%d", conc), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newBenchWorld(b, n)
				peak := newPeakHeap()
				r := w.runner(b, conc, peak)
				b.StartTimer()
				start := time.Now()
				rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
				wall := time.Since(start)
				b.StopTimer()
				if err != nil || rep.Totals.Changed != n {
					b.Fatalf("Apply: %v, %+v", err, rep.Totals)
				}
				report(b, w, wall, lat, goal(n, conc, 3), peak)

				w.ct.reset()
				peak = newPeakHeap()
				r = w.runner(b, conc, peak)
				start = time.Now()
				rep, err = r.Apply(context.Background(), fleet.Scope{All: true})
				wall = time.Since(start)
				if err != nil || rep.Totals.Unchanged != n || rep.Totals.Writes != 0 {
					b.Fatalf("warm Apply: %v, %+v", err, rep.Totals)
				}
				b.Logf("warm: wall/L %.2f, goal/L %d, calls %d, writes %d, live heap added %.1f MB",
					float64(wall)/float64(lat), goal(n, conc, 1), w.ct.calls, w.ct.writes, peak.added())
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("warm/C=%d", conc), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newBenchWorld(b, n)
				if _, err := w.runner(b, conc, nil).Apply(context.Background(), fleet.Scope{All: true}); err != nil {
					b.Fatal(err)
				}
				w.ct.reset()
				peak := newPeakHeap()
				r := w.runner(b, conc, peak)
				b.StartTimer()
				start := time.Now()
				rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
				wall := time.Since(start)
				b.StopTimer()
				if err != nil || rep.Totals.Unchanged != n || rep.Totals.Writes != 0 {
					b.Fatalf("warm Apply: %v, %+v", err, rep.Totals)
				}
				report(b, w, wall, lat, goal(n, conc, 1), peak)
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("5pct-refused/C=%d", conc), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newBenchWorld(b, n)
				var refused []fake.Rule
				var refusedUIDs []string
				for i, u := range uids(n) {
					if i%20 == 7 {
						refused = append(refused, fake.Rule{Account: u, Action: "AssumeRole", Code: "NoPermission"})
						refusedUIDs = append(refusedUIDs, u)
					}
				}
				w.f.SetFaults(refused...)
				peak := newPeakHeap()
				r := w.runner(b, conc, peak)
				b.StartTimer()
				start := time.Now()
				rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
				wall := time.Since(start)
				b.StopTimer()
				if err == nil || rep.Totals.Failed != len(refused) || rep.Totals.Changed != n-len(refused) || len(rep.Failed) != len(refused) {
					b.Fatalf("Apply: %v, %+v", err, rep.Totals)
				}
				report(b, w, wall, lat, goal(n, conc, 3), peak)
				var named []string
				for _, row := range rep.Failed {
					if row.Stage != fleet.StageAssume || row.Code != "NoPermission" {
						b.Fatalf("failed row %+v", row)
					}
					named = append(named, row.Member.UID)
				}
				if !slices.Equal(sorted(named), refusedUIDs) {
					b.Fatalf("the report names %v, want %v", named, refusedUIDs)
				}

				// Fixed, a run over the whole directory writes only in the 25:
				// every write the wire carried is one of the members that
				// changed, and those are the 25.
				w.f.SetFaults()
				w.ct.reset()
				start = time.Now()
				rep2, err := w.runner(b, conc, nil).Apply(context.Background(), fleet.Scope{All: true})
				wall = time.Since(start)
				if err != nil || rep2.Totals.Changed != len(refused) || rep2.Totals.Unchanged != n-len(refused) {
					b.Fatalf("second Apply: %v, %+v", err, rep2.Totals)
				}
				if !slices.Equal(sorted(rep2.Changed), refusedUIDs) || rep2.Totals.Writes != w.ct.writes {
					b.Fatalf("the rerun changed %v with %d writes (%d on the wire), want %v", rep2.Changed, rep2.Totals.Writes, w.ct.writes, refusedUIDs)
				}
				for _, u := range refusedUIDs {
					if !hasRole(b, w.f, u, diskRole) {
						b.Fatalf("%s lacks the role after the rerun", u)
					}
				}
				b.Logf("rerun of the whole directory: wall/L %.2f, calls %d, writes %d, accounts changed %d",
					float64(wall)/float64(lat), w.ct.calls, w.ct.writes, len(rep2.Changed))

				// Or only the 25, with Report.Retry.
				w2 := newBenchWorld(b, n)
				w2.f.SetFaults(refused...)
				rep, _ = w2.runner(b, conc, nil).Apply(context.Background(), fleet.Scope{All: true})
				w2.f.SetFaults()
				w2.ct.reset()
				start = time.Now()
				rep3, err := w2.runner(b, conc, nil).Apply(context.Background(), rep.Retry())
				wall = time.Since(start)
				if err != nil || rep3.Totals.Changed != len(refused) || rep3.Totals.Members != len(refused) {
					b.Fatalf("retry Apply: %v, %+v", err, rep3.Totals)
				}
				b.Logf("rerun of Report.Retry(): wall/L %.2f, calls %d (%s), writes %d",
					float64(wall)/float64(lat), w2.ct.calls, actionsOf(w2.ct), w2.ct.writes)
				b.StartTimer()
			}
		})
	}
}

func report(b *testing.B, w *benchWorld, wall, lat time.Duration, goalL int, peak *peakHeap) {
	b.ReportMetric(float64(wall)/float64(lat), "wall/L")
	b.ReportMetric(float64(goalL), "goal/L")
	b.ReportMetric(float64(w.ct.calls), "calls")
	b.ReportMetric(float64(w.ct.writes), "writes")
	b.ReportMetric(peak.added(), "live-heap-MB")
	b.ReportMetric(peak.retained(), "kept-heap-MB")
	b.ReportMetric(float64(w.ct.deepest), "levels")
	if *benchMembers <= 2 {
		b.Log(strings.Join(w.ct.trace, " "))
	}
}

func actionsOf(c *countingTransport) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, a := range []string{"GetResourceDirectory", "ListAccounts", "AssumeRole"} {
		parts = append(parts, fmt.Sprintf("%s %d", a, c.actions[a]))
	}
	return strings.Join(parts, ", ")
}
