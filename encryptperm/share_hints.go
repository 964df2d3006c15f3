// This file holds the keys an Applier remembers it found for images and
// snapshots, so that a later share step reads their state in its first
// level.

package encryptperm

import "slices"

// maxKeyHints bounds how many resources an Applier remembers keys for.
const maxKeyHints = 1024

// keyHints returns the IDs of the keys this Applier found for r before, if
// it remembers any. They are hints only: what the share step judges is
// what it reads now.
func (e *engine) keyHints(r Resource) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.hints[r])
}

// rememberKeys records the keys found for r. The keys of an image's or a
// snapshot's disks do not change, so the record stays good while the
// resource lives; past maxKeyHints resources, one record is forgotten for
// each new one.
func (e *engine) rememberKeys(r Resource, keyIDs []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(keyIDs) == 0 {
		delete(e.hints, r)
		return
	}
	if e.hints == nil {
		e.hints = map[Resource][]string{}
	}
	if _, ok := e.hints[r]; !ok && len(e.hints) >= maxKeyHints {
		for k := range e.hints {
			delete(e.hints, k)
			break
		}
	}
	e.hints[r] = slices.Clone(keyIDs)
}
