package rpcsig_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/internal/rpcsig"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct{ now atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.now.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func TestNonceStoreUse(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := rpcsig.NewNonceStore(clock.Now)
	exp := clock.Now().Add(time.Minute)

	steps := []struct {
		name    string
		advance time.Duration
		scope   string
		nonce   string
		expires time.Time
		want    bool
		wantLen int
	}{
		{name: "first use", scope: "k1", nonce: "n1", expires: exp, want: true, wantLen: 1},
		{name: "reuse", scope: "k1", nonce: "n1", expires: exp, want: false, wantLen: 1},
		{name: "reuse, later expiry", scope: "k1", nonce: "n1", expires: exp.Add(time.Hour), want: false, wantLen: 1},
		{name: "other scope", scope: "k2", nonce: "n1", expires: exp, want: true, wantLen: 2},
		{name: "other nonce", scope: "k1", nonce: "n2", expires: exp.Add(time.Minute), want: true, wantLen: 3},
		{name: "already expired is not kept", scope: "k1", nonce: "n3", expires: clock.Now().Add(-time.Nanosecond), want: true, wantLen: 3},
		{name: "expiring now is kept", scope: "k1", nonce: "n4", expires: clock.Now(), want: true, wantLen: 4},
		{name: "n4 dropped after its expiry", advance: time.Nanosecond, scope: "k1", nonce: "n4", expires: exp, want: true, wantLen: 4},
		{name: "still remembered before expiry", advance: 59 * time.Second, scope: "k1", nonce: "n1", expires: exp, want: false, wantLen: 4},
		{name: "still remembered at expiry", advance: time.Second - time.Nanosecond, scope: "k1", nonce: "n1", expires: exp, want: false, wantLen: 4},
		{name: "forgotten after expiry", advance: time.Nanosecond, scope: "k1", nonce: "n1", expires: exp.Add(time.Hour), want: true, wantLen: 2},
		{name: "n2 still held", scope: "k1", nonce: "n2", expires: exp, want: false, wantLen: 2},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if got := s.Use(st.scope, st.nonce, st.expires); got != st.want {
			t.Errorf("%s: Use(%q, %q) = %v, want %v", st.name, st.scope, st.nonce, got, st.want)
		}
		if got := s.Len(); got != st.wantLen {
			t.Errorf("%s: Len() = %d, want %d", st.name, got, st.wantLen)
		}
	}
}

// TestNonceStoreBounded checks that memory stays bounded by the window: after
// the clock passes every expiry, the store is empty.
func TestNonceStoreBounded(t *testing.T) {
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	s := rpcsig.NewNonceStore(clock.Now)
	for i := range 10_000 {
		// Expiries out of order, as timestamps from many clients would be.
		exp := clock.Now().Add(time.Duration(1+i%97) * time.Second)
		if !s.Use("k", fmt.Sprint(i), exp) {
			t.Fatalf("Use(%d) = false for a new nonce", i)
		}
	}
	if got := s.Len(); got != 10_000 {
		t.Fatalf("Len() = %d, want 10000", got)
	}
	clock.Advance(50 * time.Second)
	// Left: expiries of 50s and more, i%97 in 49..96: 48 residues of 103
	// indices each.
	if got, want := s.Len(), 48*103; got != want {
		t.Errorf("Len() after 50s = %d, want %d", got, want)
	}
	clock.Advance(time.Minute)
	if got := s.Len(); got != 0 {
		t.Errorf("Len() after every expiry = %d, want 0", got)
	}
}

func TestNonceStoreConcurrent(t *testing.T) {
	s := rpcsig.NewNonceStore(nil)
	exp := time.Now().Add(time.Hour)
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range 200 {
				if s.Use("k", fmt.Sprint(i), exp) {
					wins.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 200 {
		t.Errorf("successful uses = %d, want 200 (each nonce once)", got)
	}
}
