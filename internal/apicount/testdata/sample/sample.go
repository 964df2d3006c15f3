// Package sample is counted by apicount's tests.
package sample

// Exported names: F, T, A and B (consts), V.
func F() {}

func f() {}

// T is a type.
type T struct{}

// M has a receiver, so it is not counted.
func (T) M() {}

type t struct{}

const (
	A, B = 1, 2
	c    = 3
)

var V, v = 1, 2

var _ = f
var _ = t{}
var _ = c
var _ = v
