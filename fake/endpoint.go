// This file holds the loopback endpoint (Start, Endpoint) and the SDK clients
// that talk to it.

package fake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// ClientRegion is the region of the SDK clients that Endpoint builds. RAM is
// global, so any valid region would do.
const ClientRegion = "cn-hangzhou"

// Endpoint is a Server listening on a local address, usually a loopback port,
// for tests and for programs that want a RAM they can point any client at.
type Endpoint struct {
	server *Server
	ln     net.Listener
	http   *http.Server
	served chan struct{} // closed when Serve returns

	closeOnce sync.Once
	closeErr  error
}

// Start serves a Server for r, configured by opts (nil means defaults), on
// opts.Addr, by default a free port on 127.0.0.1. It returns once the
// listener is open, so the endpoint is ready for requests. Call Close when
// done.
func Start(r *RAM, opts *ServerOptions) (*Endpoint, error) {
	addr := "127.0.0.1:0"
	if opts != nil && opts.Addr != "" {
		addr = opts.Addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake: start endpoint: %w", err)
	}
	s := NewServer(r, opts)
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	e := &Endpoint{server: s, ln: ln, http: NewHTTPServer(s, &o), served: make(chan struct{})}
	e.serve()
	return e, nil
}

// httpHeaderCap is the least number of header bytes the HTTP server reads
// before it gives up, so that a request of a few megabytes still gets RAM's
// error format.
const httpHeaderCap = 16 << 20

// NewHTTPServer returns an http.Server for s with the read, read-header and
// idle timeouts of opts (zero fields mean the defaults), a bound on header
// bytes above s's own, so that s answers an oversize request in RAM's
// format, and no logging.
func NewHTTPServer(s *Server, opts *ServerOptions) *http.Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	orDefault := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(o.ReadTimeout, DefaultReadTimeout),
		IdleTimeout:       orDefault(o.IdleTimeout, DefaultIdleTimeout),
		// The Server refuses anything above s.maxHeader itself, in RAM's
		// format; the HTTP server reads up to httpHeaderCap before it gives
		// up with Go's own plain answer.
		MaxHeaderBytes: int(max(4*s.maxHeader, httpHeaderCap)),
		// Dropped answers and clients that hang up are part of the game;
		// the fake never logs.
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// Serve serves s on ln, which the returned Endpoint owns and closes, with
// the default timeouts and bounds (see NewHTTPServer).
func Serve(ln net.Listener, s *Server) *Endpoint {
	e := &Endpoint{server: s, ln: ln, http: NewHTTPServer(s, nil), served: make(chan struct{})}
	e.serve()
	return e
}

func (e *Endpoint) serve() {
	go func() {
		defer close(e.served)
		_ = e.http.Serve(e.ln)
	}()
}

// Server returns the handler the endpoint serves.
func (e *Endpoint) Server() *Server { return e.server }

// Addr returns the address the endpoint listens on, as host:port.
func (e *Endpoint) Addr() string { return e.ln.Addr().String() }

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234".
func (e *Endpoint) URL() string { return "http://" + e.Addr() }

// Close stops the endpoint at once: it closes the listener and every
// connection, and returns when the serving goroutine has ended. Calls in
// flight are cut off. Close may be called more than once.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.closeErr = e.http.Close()
		<-e.served
	})
	return e.closeErr
}

// Shutdown stops the endpoint gracefully: it stops accepting connections and
// waits for calls in flight to finish, or for ctx to end, whichever comes
// first. After Shutdown, Close does nothing more than return.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	var err error
	e.closeOnce.Do(func() {
		err = e.http.Shutdown(ctx)
		if err != nil {
			_ = e.http.Close()
		}
		<-e.served
		e.closeErr = err
	})
	return err
}

// Client returns a new official SDK client that signs with the given access
// key and talks plain HTTP to the endpoint, with the SDK's automatic retries
// off. One *ram.Client is not safe for concurrent calls: give each goroutine
// its own.
func (e *Endpoint) Client(accessKeyID, accessKeySecret string) (*ram.Client, error) {
	return NewClient(e.Addr(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
}

// ClientWithSecurityToken is like Client for an STS key: the client also
// sends securityToken with every request.
func (e *Endpoint) ClientWithSecurityToken(accessKeyID, accessKeySecret, securityToken string) (*ram.Client, error) {
	return NewClient(e.Addr(), credentials.NewStsTokenCredential(accessKeyID, accessKeySecret, securityToken))
}

// sdkEndpoints fills the SDK's endpoint table once.
var sdkEndpoints sync.Once

// NewClient returns a new official SDK client for RAM at addr (host:port),
// over plain HTTP, signing with credential, in region ClientRegion, with the
// SDK's automatic retries off and no proxy for addr. It suits a Server that
// runs anywhere, not only one started by Start.
func NewClient(addr string, credential auth.Credential) (*ram.Client, error) {
	if addr == "" {
		return nil, errors.New("fake: new client: empty address")
	}
	// The SDK fills a package-level endpoint table, without a lock, the
	// first time a client is built; fill it once here so that goroutines
	// building clients at once do not race.
	sdkEndpoints.Do(func() { ram.GetEndpointMap() })
	cfg := sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false)
	c, err := ram.NewClientWithOptions(ClientRegion, cfg, credential)
	if err != nil {
		return nil, fmt.Errorf("fake: new client for %s: %w", addr, err)
	}
	c.Domain = addr
	// The SDK honours HTTP_PROXY for plain HTTP; a local endpoint must be
	// reached directly.
	c.SetNoProxy(regexp.QuoteMeta(addr))
	return c, nil
}
