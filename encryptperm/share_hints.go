// This file holds the keys an Applier remembers it found for images and
// snapshots, so that a later share step reads their state in its first
// level.

package encryptperm

import (
	"slices"
	"sync"
)

// maxKeyHints bounds how many resources an Applier remembers keys for.
const maxKeyHints = 1024

// keyHints are the keys an Applier found for images and snapshots.
type keyHints struct {
	mu sync.Mutex
	m  map[Resource][]string
}

// get returns the IDs of the keys this Applier found for r before, if
// it remembers any. They are hints only: what the share step judges is
// what it reads now.
func (h *keyHints) get(r Resource) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.m[r])
}

// remember records the keys found for r. The keys of an image's or a
// snapshot's disks do not change, so the record stays good while the
// resource lives; past maxKeyHints resources, one record is forgotten for
// each new one.
func (h *keyHints) remember(r Resource, keyIDs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(keyIDs) == 0 {
		delete(h.m, r)
		return
	}
	if h.m == nil {
		h.m = map[Resource][]string{}
	}
	if _, ok := h.m[r]; !ok && len(h.m) >= maxKeyHints {
		for k := range h.m {
			delete(h.m, k)
			break
		}
	}
	h.m[r] = slices.Clone(keyIDs)
}
