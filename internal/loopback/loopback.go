// Package loopback tells whether an endpoint is on this machine: the only
// place a client of this module may talk plain HTTP to, or send test
// credentials.
package loopback

import "net"

// Is reports whether hostport (host:port, or a host alone) names this
// machine: localhost, or an IPv4 or IPv6 loopback address. A name that
// only resolves to a loopback address is not taken as one: Is looks up
// nothing.
func Is(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
