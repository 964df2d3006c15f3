// This file holds the bounds on reading documents.

package policy

// Limits bounds what Parse and Read take. RAM stores no document
// larger than a few kilobytes nor nested more than about eight levels deep
// (document, statement, condition, operator, key, values); the defaults
// leave a wide margin, and callers who must read more can raise them. A zero
// field means "use the default".
type Limits struct {
	// MaxBytes is the largest document read, in bytes: 1 MiB by default,
	// about 170 times RAM's largest custom policy.
	MaxBytes int
	// MaxDepth is the deepest nesting of JSON objects and lists read, the
	// document itself counting as one: 64 by default.
	MaxDepth int
}

// DefaultLimits returns the default bounds on reading documents.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 1 << 20, MaxDepth: 64}
}

// WithDefaults returns l with every zero field replaced by its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}
