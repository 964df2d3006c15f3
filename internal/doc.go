// Package internal holds what no user of this module should import: the
// conformance suite, wire helpers and generated mocks, in sub-packages.
package internal
