package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ecsperm/ecsperm/fake"
)

// shutdownGrace is how long calls in flight may take to finish on shutdown.
const shutdownGrace = 5 * time.Second

// callLogSize is how many recent calls the fake's call log keeps.
const callLogSize = 1000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "ramserver:", err)
		os.Exit(2)
	}
}

// run parses args, serves the endpoint until ctx ends, then shuts it down
// gracefully. It writes the listening line to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ramserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	keyID := fs.String("access-key-id", "", "access key ID clients sign with (required)")
	secret := fs.String("access-key-secret", "", "access key secret clients sign with (required)")
	token := fs.String("security-token", "", "STS security token clients must send with the key (optional)")
	user := fs.String("user", "", "RAM user the key belongs to; empty means the account's root identity, which STS does not let assume roles")
	account := fs.String("account", fake.DefaultAccountID, "account UID used in ARNs: the endpoint's own account, and the management account of a -seed directory")
	// The values are read after parsing, so that a refusal never quotes
	// the secret they hold, as the flag package would.
	var accountKeys []string
	fs.Func("account-key", "another key, of another account: UID:ID:SECRET[:USER] (repeatable)", func(v string) error {
		accountKeys = append(accountKeys, v)
		return nil
	})
	latency := fs.Duration("latency", 0, "fixed delay added to every answer, such as 20ms")
	readTimeout := fs.Duration("read-timeout", fake.DefaultReadTimeout, "longest time to read one request, body included")
	idleTimeout := fs.Duration("idle-timeout", fake.DefaultIdleTimeout, "longest time a kept-alive connection waits for its next request")
	seed := fs.String("seed", "", "JSON file of keys, images, snapshots and resource directory (with its folders and member accounts) to load at start (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *keyID == "" || *secret == "" {
		return errors.New("an access key is required: give -access-key-id and -access-key-secret")
	}
	var more []fake.Credential
	for i, v := range accountKeys {
		c, err := parseAccountKey(v)
		if err != nil {
			return fmt.Errorf("-account-key (the %s): %w", ordinal(i+1), err)
		}
		more = append(more, c)
	}
	if *account == "" || strings.Trim(*account, "0123456789") != "" {
		return fmt.Errorf("-account %q: an account UID is a string of digits", *account)
	}
	if *readTimeout <= 0 || *idleTimeout <= 0 {
		return errors.New("-read-timeout and -idle-timeout must be positive")
	}
	if *latency < 0 {
		return fmt.Errorf("-latency %v: must not be negative", *latency)
	}

	// A long-running server keeps only the recent calls in its log, so that
	// memory stays bounded.
	ram := fake.New(&fake.Options{AccountID: *account, MaxCalls: callLogSize})
	if err := loadSeed(ram, *seed); err != nil {
		return err
	}
	opts := &fake.ServerOptions{
		Credentials: append([]fake.Credential{{AccessKeyID: *keyID, AccessKeySecret: *secret, SecurityToken: *token, User: *user}}, more...),
		Latency:     *latency,
		ReadTimeout: *readTimeout,
		IdleTimeout: *idleTimeout,
	}
	handler := fake.NewServer(ram, opts)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// The server cuts off clients that send slower than the read timeouts,
	// and answers oversize requests in RAM's error format.
	srv := fake.NewHTTPServer(handler, opts)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "ramserver listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		<-served
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// ordinal spells n as "1st", "2nd", ….
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 1:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}

// parseAccountKey reads an -account-key value, UID:ID:SECRET[:USER]. The
// secret may not hold a colon. Its errors never quote the secret.
func parseAccountKey(v string) (fake.Credential, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return fake.Credential{}, errors.New("want UID:ID:SECRET or UID:ID:SECRET:USER")
	}
	c := fake.Credential{Account: parts[0], AccessKeyID: parts[1], AccessKeySecret: parts[2]}
	if len(parts) == 4 {
		c.User = parts[3]
	}
	if len(c.Account) != 16 || strings.Trim(c.Account, "0123456789") != "" {
		return fake.Credential{}, errors.New("the first field is not an account UID (16 digits)")
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return fake.Credential{}, errors.New("the key ID and secret may not be empty")
	}
	return c, nil
}
