package fake

import "net/http"

// SetLatencyHook makes s call f as each request starts its Latency delay.
func SetLatencyHook(s *Server, f func(*http.Request)) { s.waiting = f }
