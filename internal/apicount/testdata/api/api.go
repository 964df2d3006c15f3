// Package api is listed by apicount's tests.
package api

import "fmt"

// F is listed with its signature; f is not.
func F(a int, b ...string) (int, error) { return f(a), nil }

func f(a int) int { return a }

// T is listed with its exported fields and its methods.
type T struct {
	Name string `json:"name"`
	name string
	*U
	t
}

// M and N are listed; m is not.
func (*T) M() string           { return "" }
func (T) N(s []T) map[string]T { return nil }
func (T) m()                   {}
func (t) Exported()            {}

type t struct{}

// U is listed.
type U struct{ x int }

// I is listed with its methods.
type I interface {
	M(x int) error
	fmt.Stringer
}

// Alias is listed as an alias.
type Alias = T

// A and B are listed with their values; c is not.
const (
	A int = 1 << iota
	B
	c
)

// V is listed with its value.
var V = []string{"a"}

var _ = c
var _ = T{}.m
