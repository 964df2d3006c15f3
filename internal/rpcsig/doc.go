// Package rpcsig signs and verifies requests in the RPC style of Alibaba
// Cloud's OpenAPI (signature version 1.0, HMAC-SHA1), the protocol RAM
// speaks, and remembers signature nonces to refuse replays.
//
// The canonical form matches what the official Go SDK computes: every
// parameter except Signature, sorted by name and percent-encoded as RFC 3986
// asks (spaces as %20, '*' as %2A, '~' left alone), joined with '&', then
// escaped once more and prefixed with the HTTP method and an encoded "/".
// The key is the access key secret followed by '&'.
package rpcsig
