// This file holds the store of nonces seen, which refuses a replayed request.

package rpcsig

import (
	"container/heap"
	"sync"
	"time"
)

// NonceStore remembers signature nonces until they expire, so that a server
// can refuse a request whose SignatureNonce was seen before. Each nonce is
// kept only until the expiry its caller gives, normally the last instant at
// which the request's Timestamp is still accepted; expired nonces are dropped
// on every call, so memory is bounded by the number of requests accepted in
// one skew window. A NonceStore is safe for concurrent use.
type NonceStore struct {
	clock func() time.Time

	mu      sync.Mutex
	seen    map[nonceKey]time.Time
	expires nonceHeap
}

type nonceKey struct{ scope, nonce string }

type nonceEntry struct {
	key     nonceKey
	expires time.Time
}

// NewNonceStore returns an empty store that reads the time from clock; a nil
// clock means time.Now.
func NewNonceStore(clock func() time.Time) *NonceStore {
	if clock == nil {
		clock = time.Now
	}
	return &NonceStore{clock: clock, seen: make(map[nonceKey]time.Time)}
}

// Use records nonce within scope (for example the access key ID) until
// expires (inclusive), and reports whether it was new. It returns false, and
// changes nothing, when the same nonce was recorded in the same scope and has
// not yet expired. A nonce whose expiry has already passed is not recorded.
func (s *NonceStore) Use(scope, nonce string, expires time.Time) bool {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(now)
	k := nonceKey{scope, nonce}
	if _, ok := s.seen[k]; ok {
		return false
	}
	if expires.Before(now) {
		return true
	}
	s.seen[k] = expires
	heap.Push(&s.expires, nonceEntry{key: k, expires: expires})
	return true
}

// Len returns how many nonces the store holds after dropping expired ones.
func (s *NonceStore) Len() int {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(now)
	return len(s.seen)
}

// dropExpired forgets every nonce whose expiry is before now.
func (s *NonceStore) dropExpired(now time.Time) {
	for len(s.expires) > 0 && s.expires[0].expires.Before(now) {
		e := heap.Pop(&s.expires).(nonceEntry)
		delete(s.seen, e.key)
	}
}

// nonceHeap is a min-heap of entries ordered by expiry.
type nonceHeap []nonceEntry

func (h nonceHeap) Len() int           { return len(h) }
func (h nonceHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h nonceHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nonceHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *nonceHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
