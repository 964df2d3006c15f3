// Package fake is an in-memory Alibaba Cloud RAM for offline tests, with the
// same behaviour and error codes as RAM, fault injection, and an HTTP endpoint
// that speaks RAM's RPC protocol.
package fake
