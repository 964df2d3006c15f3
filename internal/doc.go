// Package internal holds what no user of this module should import, in
// sub-packages: the conformance suite, the RPC wire codec and signers, the
// share step of encryptperm's Applier (internal/share, which imports
// nothing of encryptperm) and the small pieces it shares with encryptperm
// (internal/parallel), the one test of a loopback endpoint that the
// engine, the fleet runner and the command line share (internal/loopback),
// and the tests that hold the module's shape
// (internal/layout, internal/apicount).
package internal
