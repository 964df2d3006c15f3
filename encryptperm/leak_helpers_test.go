package encryptperm_test

// The helpers of the tests that look for secrets in what the engine says:
// the applier's, the redaction matrix's and the API error tests.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// errorTexts returns the text of err and of every error it wraps, in
// several formats.
func errorTexts(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		out = append(out, e.Error(), fmt.Sprintf("%v", e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		}
	}
	walk(err)
	return out
}

// secretForms returns s as it may appear: raw, query-escaped, path-escaped,
// with %20 for spaces, and escaped twice as in a string to sign.
func secretForms(s string) []string {
	q := url.QueryEscape(s)
	return slices.Compact([]string{s, q, url.PathEscape(s), strings.ReplaceAll(q, "+", "%20"), url.QueryEscape(q)})
}

// findAround returns the text around the first of needles found in
// haystacks, or "".
func findAround(haystacks, needles []string) string {
	for _, h := range haystacks {
		for _, n := range needles {
			if i := strings.Index(h, n); n != "" && i >= 0 {
				return h[max(0, i-80):min(len(h), i+len(n)+20)]
			}
		}
	}
	return ""
}

// observerFunc is an Observer that hands each call's end to a function.
type observerFunc func(code, requestID string, err error)

func (f observerFunc) StartCall(context.Context, encryptperm.Call) func(code, requestID string, err error) {
	return f
}
