package main

// This file holds apply's and revoke's lock on etcd: -etcd and its TLS
// flags, the etcd client's user and password variables, and the Locker that
// the command holds from the plan's read to the last write.

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/etcdlock"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
)

// The environment variables the lock reads: the endpoints when -etcd is not
// given, and etcdctl's own user and password variables.
const (
	envEtcdEndpoints = "ECSPERM_ETCD_ENDPOINTS"
	envEtcdUser      = "ETCDCTL_USER"     // user, or user:password
	envEtcdPassword  = "ETCDCTL_PASSWORD" // the password, when ETCDCTL_USER has none
)

// etcdFlags are the flags of the lock.
type etcdFlags struct {
	endpoints string
	cacert    string
	cert      string
	key       string
	wait      time.Duration
}

// cliLocker is the etcd Locker of one command. A lock the command holds
// itself (hold) is handed to the engine as held, so that the engine checks
// its writes against it without taking it again.
type cliLocker struct {
	*etcdlock.Locker
	client *clientv3.Client
	wait   time.Duration

	mu   sync.Mutex
	held map[string]context.Context
}

// openLocker connects to etcd when -etcd or ECSPERM_ETCD_ENDPOINTS names
// it; nil when neither does. The client does not dial until the first lock.
func (c *invocation) openLocker() (*cliLocker, error) {
	eps := c.etcd.endpoints
	if eps == "" {
		eps = os.Getenv(envEtcdEndpoints)
	}
	if eps == "" {
		if c.etcd.cacert != "" || c.etcd.cert != "" || c.etcd.key != "" {
			return nil, cli.UsageError("-etcd-cacert, -etcd-cert and -etcd-key go with -etcd (or " + envEtcdEndpoints + ")")
		}
		return nil, nil
	}
	var endpoints []string
	for _, ep := range strings.Split(eps, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			endpoints = append(endpoints, ep)
		}
	}
	if len(endpoints) == 0 {
		return nil, cli.UsageError(fmt.Sprintf("-etcd %q: want host:port[,host:port]", eps))
	}
	if (c.etcd.cert == "") != (c.etcd.key == "") {
		return nil, cli.UsageError("-etcd-cert and -etcd-key go together: the client's certificate and its key")
	}
	if c.etcd.wait <= 0 {
		return nil, cli.UsageError("-etcd-wait must be positive")
	}
	cfg := clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if c.etcd.cacert != "" || c.etcd.cert != "" {
		info := transport.TLSInfo{CertFile: c.etcd.cert, KeyFile: c.etcd.key, TrustedCAFile: c.etcd.cacert}
		tc, err := info.ClientConfig()
		if err != nil {
			return nil, cli.UsageError(fmt.Sprintf("etcd TLS: %v", err))
		}
		cfg.TLS = tc
	}
	if u := os.Getenv(envEtcdUser); u != "" {
		user, pass, ok := strings.Cut(u, ":")
		if !ok {
			pass = os.Getenv(envEtcdPassword)
		}
		cfg.Username, cfg.Password = user, pass
	}
	client, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", strings.Join(endpoints, ","), err)
	}
	l, err := etcdlock.New(client, nil)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &cliLocker{Locker: l, client: client, wait: c.etcd.wait, held: map[string]context.Context{}}, nil
}

// LockContext implements the engine's lock: a lock the command holds is
// handed over as it is, any other is taken in etcd.
func (l *cliLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	l.mu.Lock()
	h, ok := l.held[name]
	l.mu.Unlock()
	if ok {
		return h, func() {}, nil
	}
	return l.Locker.LockContext(ctx, name)
}

// Lock implements encryptperm.Locker.
func (l *cliLocker) Lock(ctx context.Context, name string) (func(), error) {
	_, unlock, err := l.LockContext(ctx, name)
	return unlock, err
}

// hold takes the lock of the grant's role, in the engine's name for it,
// waiting at most -etcd-wait, and keeps it until release is called.
func (l *cliLocker) hold(ctx context.Context, g *encryptperm.Grant) (release func(), err error) {
	name := "encryptperm/role/" + strings.ToLower(g.Role.Name)
	// The lock's context ends with the one it is taken with: a wait bound
	// that is a deadline would end the lock too, so it is a timer that
	// stops once the lock is held.
	wctx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(l.wait, cancel)
	lctx, unlock, err := l.Locker.LockContext(wctx, name)
	timer.Stop()
	if err != nil {
		timedOut := ctx.Err() == nil && wctx.Err() != nil
		cancel()
		if timedOut {
			return nil, fmt.Errorf("etcd: the lock of role %s was not held within -etcd-wait %v (etcd out of reach, or another process holds it)", g.Role.Name, l.wait)
		}
		return nil, err
	}
	l.mu.Lock()
	l.held[name] = lctx
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.held, name)
		l.mu.Unlock()
		unlock()
		cancel()
	}, nil
}

// close lets go of every lock and closes the client.
func (l *cliLocker) close() {
	if l == nil {
		return
	}
	_ = l.Locker.Close()
	_ = l.client.Close()
}

// samePlan reports whether two plans make the same changes.
func samePlan(a, b *encryptperm.Plan) bool {
	return slices.Equal(a.Changes, b.Changes)
}
