package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The STS key of the secrets suite. The values hold characters that URL
// encoding changes, so that every encoded form is looked for.
const (
	secKeyID  = "STS.NConfSecretKey7Q"
	secSecret = "confS3cret/Kq+9Zp=Xv"
	secToken  = "CAISconfToken+with/slash=="
)

// sigRecorder records the Signature of every request it carries.
type sigRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	sigs []string
}

func (s *sigRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	sig := r.URL.Query().Get("Signature")
	if sig == "" && r.Body != nil && r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			sig = r.PostForm.Get("Signature")
		}
	}
	if sig != "" {
		s.mu.Lock()
		s.sigs = append(s.sigs, sig)
		s.mu.Unlock()
	}
	return s.base.RoundTrip(r)
}

func (s *sigRecorder) signatures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sigs...)
}

// secretBackends are the suite's three backends, signing with an STS key
// where a request is signed at all.
var secretBackends = []struct {
	name    string
	applier func(t *testing.T, f *fake.RAM, o encryptperm.Options, rec *sigRecorder) encryptperm.Applier
}{
	{"fake-in-process", func(t *testing.T, f *fake.RAM, o encryptperm.Options, _ *sigRecorder) encryptperm.Applier {
		return encryptperm.NewApplier(f, &o)
	}},
	{"sdk-client-over-http", func(t *testing.T, f *fake.RAM, o encryptperm.Options, rec *sigRecorder) encryptperm.Applier {
		ep := startEndpoint(t, f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: secKeyID, AccessKeySecret: secSecret, SecurityToken: secToken}}})
		c, err := ep.ClientWithSecurityToken(secKeyID, secSecret, secToken)
		if err != nil {
			t.Fatal(err)
		}
		rec.base = http.DefaultTransport
		c.SetTransport(rec)
		return encryptperm.NewApplier(c, &o)
	}},
	{"ram-applier-over-http", func(t *testing.T, f *fake.RAM, o encryptperm.Options, rec *sigRecorder) encryptperm.Applier {
		ep := startEndpoint(t, f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: secKeyID, AccessKeySecret: secSecret, SecurityToken: secToken}}})
		rec.base = http.DefaultTransport
		o.Endpoint = ep.Addr()
		o.Scheme = "HTTP"
		o.Transport = rec
		o.Credential = credentials.NewStsTokenCredential(secKeyID, secSecret, secToken)
		a, err := encryptperm.NewRAMApplier(&o)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}},
}

// textObserver keeps what every call told the Observer, as text.
type textObserver struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (o *textObserver) StartCall(_ context.Context, c encryptperm.Call) func(code, requestID string, err error) {
	return func(code, requestID string, err error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		fmt.Fprintf(&o.buf, "%+v %s %s %v %+v\n", c, code, requestID, err, err)
	}
}

func (o *textObserver) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// lockedBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secretForms returns each secret in the forms it could take in a text.
func secretForms(sigs []string) []string {
	var out []string
	for _, s := range append([]string{secKeyID, secSecret, secToken}, sigs...) {
		out = append(out, s, url.QueryEscape(s), url.QueryEscape(url.QueryEscape(s)), url.PathEscape(s))
	}
	return out
}

// TestSecretsNeverLeave runs Plan, Apply, Revoke and Check against every
// kind of failure on every backend, signing with an STS key, and looks for
// the secret, the security token and every signature sent in each thing the
// library hands back or logs: the error, the Plan and Result as JSON, the
// Observer, the slog lines, and the fake's call log.
func TestSecretsNeverLeave(t *testing.T) {
	kinds := []struct {
		name  string
		rules func(h *fake.Hold) []fake.Rule
		// timeout is Options.RequestTimeout; ctxTimeout bounds the whole
		// operation. Both rely on a held call, never on a sleep.
		timeout, ctxTimeout time.Duration
		wantIs              error
		// quotes puts the secret, the token and the key ID in the failure
		// itself; the in-process backend signs nothing, so it runs only
		// the kinds that quote them, where a leak could be seen.
		quotes bool
	}{
		{name: "throttled past the budget", rules: func(*fake.Hold) []fake.Rule {
			return []fake.Rule{{Code: "Throttling.User"}}
		}, wantIs: encryptperm.ErrThrottled},
		{name: "server error quoting the request", rules: func(*fake.Hold) []fake.Rule {
			return []fake.Rule{{Code: "InternalError", Message: "upstream said AccessKeyId=" + secKeyID + "&SecurityToken=" + url.QueryEscape(secToken) + "&Signature=abc%2Bdef&AccessKeySecret=" + secSecret}}
		}, quotes: true},
		{name: "write answer lost", rules: func(*fake.Hold) []fake.Rule {
			return []fake.Rule{{Action: "CreateRole", LoseAnswer: true}, {Action: "UpdateRole", LoseAnswer: true}}
		}},
		{name: "request timeout", timeout: 30 * time.Millisecond, rules: func(h *fake.Hold) []fake.Rule {
			return []fake.Rule{{Action: "GetRole", Hold: h}}
		}},
		{name: "context deadline", ctxTimeout: time.Minute, rules: func(h *fake.Hold) []fake.Rule {
			return []fake.Rule{{Action: "GetRole", Hold: h}}
		}},
	}
	ops := []struct {
		name string
		run  func(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant) (any, error)
	}{
		{"plan", func(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant) (any, error) {
			return a.Plan(ctx, g)
		}},
		{"apply", func(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant) (any, error) {
			return a.Apply(ctx, g)
		}},
		{"revoke", func(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant) (any, error) {
			return a.Revoke(ctx, g)
		}},
		{"check", func(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant) (any, error) {
			c := a
			return c.Check(ctx, encryptperm.Access{Recipient: acctA, Resource: encryptperm.ResourceSnapshot, Key: keyA})
		}},
	}
	for _, be := range secretBackends {
		for _, k := range kinds {
			for _, op := range ops {
				if be.name == "fake-in-process" && !k.quotes {
					// The in-process fake answers without a transport or a
					// signature: no secret reaches anything unless the
					// failure quotes it.
					continue
				}
				t.Run(be.name+"/"+k.name+"/"+op.name, func(t *testing.T) {
					t.Parallel()
					g := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA, acctB).WithKey(keyA))
					hold := fake.NewHold()
					f := fake.New(&fake.Options{Faults: k.rules(hold)})
					t.Cleanup(hold.Release)
					obs := &textObserver{}
					logs := &lockedBuffer{}
					o := fastOptions()
					o.Retry.MaxAttempts = 3
					o.Observer = obs
					o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
					if k.timeout > 0 {
						o.RequestTimeout = k.timeout
					}
					rec := &sigRecorder{}
					a := be.applier(t, f, o, rec)
					ctx := context.Background()
					if k.ctxTimeout > 0 {
						// The deadline passes once the held call has
						// arrived, never before the first signed request
						// is sent, however slow the machine.
						dl := newHeldDeadline(k.ctxTimeout)
						go func() {
							select {
							case <-hold.Held():
								dl.pass()
							case <-dl.Done():
							}
						}()
						t.Cleanup(dl.pass)
						ctx = dl
					}
					out, err := op.run(ctx, a, g)
					if err == nil && k.name != "write answer lost" {
						t.Fatalf("%s under %q succeeded; the failure did not happen", op.name, k.name)
					}
					if k.wantIs != nil && !errors.Is(err, k.wantIs) {
						t.Errorf("error %v: want errors.Is %v", err, k.wantIs)
					}
					if k.ctxTimeout > 0 && err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("error %v: want errors.Is context.DeadlineExceeded", err)
					}
					js, jerr := json.Marshal(out)
					if jerr != nil {
						t.Fatalf("marshal %T: %v", out, jerr)
					}
					outputs := map[string]string{
						"error":    fmt.Sprintf("%v | %+v | %#v", err, err, fmt.Sprint(err)),
						"json":     string(js),
						"observer": obs.String(),
						"slog":     logs.String(),
						"calls":    fmt.Sprintf("%+v", f.Calls()),
					}
					if be.name != "fake-in-process" && len(rec.signatures()) == 0 {
						t.Fatal("no signed request was seen; the test would prove nothing")
					}
					for where, text := range outputs {
						for _, s := range secretForms(rec.signatures()) {
							if strings.Contains(text, s) {
								t.Errorf("%s holds the secret %q:\n%s", where, s, text)
							}
						}
					}
				})
			}
		}
	}
}

// heldDeadline is a context whose deadline, d after it is made, passes only
// when pass is called: its Err is then context.DeadlineExceeded, as that of
// a context.WithTimeout whose time ran out, but a test decides the moment.
type heldDeadline struct {
	context.Context // Value only: the background context
	deadline        time.Time
	done            chan struct{}
	once            sync.Once
}

func newHeldDeadline(d time.Duration) *heldDeadline {
	return &heldDeadline{Context: context.Background(), deadline: time.Now().Add(d), done: make(chan struct{})}
}

func (c *heldDeadline) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *heldDeadline) Done() <-chan struct{}       { return c.done }
func (c *heldDeadline) pass()                       { c.once.Do(func() { close(c.done) }) }
func (c *heldDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
