// This file holds the keys the share step remembers it found for images
// and snapshots, so that a later pre-flight reads their state in its first
// level.

package share

import (
	"slices"
	"sync"
)

// maxKeyHints bounds how many resources Hints remember keys for.
const maxKeyHints = 1024

// Hints are the keys the share step found for images and snapshots, kept
// from one operation to the next (an Applier holds one). The zero value is
// empty and ready; a nil *Hints remembers nothing. Safe for concurrent use.
type Hints struct {
	mu sync.Mutex
	m  map[Resource][]string
}

// Get returns the IDs of the keys found for r before, if any are
// remembered. They are hints only: what the share step judges is what it
// reads now.
func (h *Hints) Get(r Resource) []string {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.m[r])
}

// Remember records the keys found for r. The keys of an image's or a
// snapshot's disks do not change, so the record stays good while the
// resource lives; past maxKeyHints resources, one record is forgotten for
// each new one.
func (h *Hints) Remember(r Resource, keyIDs []string) {
	if h == nil {
		return
	}
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
