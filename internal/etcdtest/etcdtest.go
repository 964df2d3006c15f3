// Package etcdtest starts a real etcd server inside a test: the server's own
// code (go.etcd.io/etcd/server/v3/embed), on loopback ports picked by the
// kernel, with its data in the test's temporary directory. Nothing needs to
// be installed, and nothing listens beyond 127.0.0.1.
//
// Only tests import it: the server's code stays out of every program built
// from this module.
package etcdtest

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Server is one embedded etcd member, a cluster of its own.
type Server struct {
	e        *embed.Etcd
	endpoint string

	stopOnce sync.Once
}

// Options tune the server. The zero value is etcd's defaults but for the
// timing below.
type Options struct {
	// TickMs and ElectionMs are etcd's heartbeat interval and election
	// timeout. The shortest lease etcd grants is 1.5 election timeouts,
	// rounded up to a second: zero means 50 and 500, so that a lease of one
	// second is granted as asked.
	TickMs, ElectionMs uint
}

// Start starts a server and stops it when the test ends.
func Start(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TickMs == 0 {
		o.TickMs = 50
	}
	if o.ElectionMs == 0 {
		o.ElectionMs = 500
	}
	cfg := embed.NewConfig()
	cfg.Name = "etcdtest"
	cfg.Dir = tb.TempDir()
	cfg.TickMs, cfg.ElectionMs = o.TickMs, o.ElectionMs
	loop := func(s string) url.URL {
		u, err := url.Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		return *u
	}
	// Port 0: the kernel picks a free port for each listener.
	cfg.ListenClientUrls = []url.URL{loop("http://127.0.0.1:0")}
	cfg.AdvertiseClientUrls = cfg.ListenClientUrls
	cfg.ListenPeerUrls = []url.URL{loop("http://127.0.0.1:0")}
	cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		tb.Fatalf("etcdtest: start: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		tb.Fatal("etcdtest: the server did not become ready in 30s")
	}
	s := &Server{e: e, endpoint: e.Clients[0].Addr().String()}
	tb.Cleanup(s.Stop)
	return s
}

// Endpoint is the server's client address, host:port on 127.0.0.1.
func (s *Server) Endpoint() string { return s.endpoint }

// Stop stops the server. It may be called more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		// Stop the member at once, as a crash would; Close alone waits
		// for the clients' streams to end.
		s.e.Server.HardStop()
		s.e.Close()
		<-s.e.Server.StopNotify()
	})
}

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{s.endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		tb.Fatalf("etcdtest: client: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Check makes one read, so a test knows the server answers.
func (s *Server) Check(ctx context.Context, c *clientv3.Client) error {
	if _, err := c.Get(ctx, "etcdtest"); err != nil {
		return fmt.Errorf("etcdtest: get: %w", err)
	}
	return nil
}
