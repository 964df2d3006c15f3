package encryptperm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	apAcctA = "2000000000000001"
	apAcctB = "2000000000000002"
	apAcctX = "2999999999999999"
)

var apKey = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzz6a2f1b0c3d4e5f"}

// apGrant builds a snapshot share of the accounts with apKey.
func apGrant(t testing.TB, accounts ...string) *encryptperm.Grant {
	t.Helper()
	g, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(apKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// apFast are engine options that keep retries quick.
func apFast() *encryptperm.Options {
	return &encryptperm.Options{
		Retry:           encryptperm.RetryOptions{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond},
		PropagationWait: time.Second,
	}
}

// apSeedRole puts the snapshot share role in place, trusting the accounts,
// with no policy.
func apSeedRole(t *testing.T, f *fake.RAM, accounts ...string) {
	t.Helper()
	if err := f.PutRole(fake.Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: encryptperm.ShareTrustPolicy(accounts, nil, nil).String()}); err != nil {
		t.Fatal(err)
	}
}

// apStart serves f on a loopback endpoint for the test's duration.
func apStart(t *testing.T, f *fake.RAM, o *fake.ServerOptions) *fake.Endpoint {
	t.Helper()
	ep, err := fake.Start(f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ep
}

// apRAMApplier returns an Applier that builds its own clients for addr.
func apRAMApplier(t *testing.T, addr string, o *encryptperm.Options) encryptperm.Applier {
	t.Helper()
	o.Endpoint = addr
	o.Scheme = "HTTP"
	if o.Credential == nil {
		o.Credential = credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	}
	a, err := encryptperm.NewRAMApplier(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewRAMApplierRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	tests := []struct {
		give    encryptperm.Options
		wantErr bool
	}{
		{give: encryptperm.Options{Endpoint: "ram.aliyuncs.com", Scheme: "HTTP"}, wantErr: true},
		{give: encryptperm.Options{Endpoint: "10.0.0.1:8080", Scheme: "http"}, wantErr: true},
		{give: encryptperm.Options{Endpoint: "127.0.0.1:8080", Scheme: "FTP"}, wantErr: true},
		{give: encryptperm.Options{Endpoint: "127.0.0.1:8080", Scheme: "HTTP"}},
		{give: encryptperm.Options{Endpoint: "localhost:8080", Scheme: "HTTP"}},
		{give: encryptperm.Options{Endpoint: "[::1]:8080", Scheme: "HTTP"}},
		{give: encryptperm.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.give.Scheme+"://"+tt.give.Endpoint, func(t *testing.T) {
			tt.give.Credential = credentials.NewAccessKeyCredential("id", "secret")
			_, err := encryptperm.NewRAMApplier(&tt.give)
			if tt.wantErr != (err != nil) {
				t.Fatalf("NewRAMApplier: %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, encryptperm.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

// TestDeadlineAbortsHangingRequest points NewRAMApplier at an endpoint that
// hangs for a minute. With a 200ms deadline, Apply returns well within a
// second with the context's error, and the endpoint sees the request end.
func TestDeadlineAbortsHangingRequest(t *testing.T) {
	gone := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(time.Minute)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			gone <- struct{}{}
		case <-t.C:
		}
	}))
	defer srv.Close()
	a := apRAMApplier(t, srv.Listener.Addr().String(), apFast())

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := a.Apply(ctx, apGrant(t, apAcctA))
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Apply: %v, want context.DeadlineExceeded", err)
	}
	if elapsed > time.Second {
		t.Errorf("Apply took %v; want well within a second", elapsed)
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the endpoint never saw its request end")
	}
}

// TestCanceledWriteIsUnknown hangs one write inside RAM and ends the
// context: Apply returns ctx.Err(), and Result.Unknown lists exactly that
// write, not the writes that were never sent.
func TestCanceledWriteIsUnknown(t *testing.T) {
	t.Run("NewRAMApplier, endpoint hangs", func(t *testing.T) {
		f := fake.New(nil)
		apSeedRole(t, f, apAcctA)
		inner := fake.NewServer(f, nil)
		hung := make(chan struct{}, 1)
		gone := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("Action") == "CreatePolicy" {
				hung <- struct{}{}
				<-r.Context().Done()
				gone <- struct{}{}
				return
			}
			inner.ServeHTTP(w, r)
		}))
		defer srv.Close()
		a := apRAMApplier(t, srv.Listener.Addr().String(), apFast())
		ctx, cancel := context.WithCancel(context.Background())
		type out struct {
			res *encryptperm.Result
			err error
		}
		done := make(chan out, 1)
		go func() {
			res, err := a.Apply(ctx, apGrant(t, apAcctA))
			done <- out{res, err}
		}()
		<-hung
		cancel()
		o := <-done
		<-gone
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("Apply: %v, want context.Canceled", o.err)
		}
		if got, want := apActions(o.res.Unknown), []string{"CreatePolicy"}; !slices.Equal(got, want) {
			t.Errorf("Unknown = %v, want %v", got, want)
		}
		if len(o.res.Changes) != 0 {
			t.Errorf("Changes = %v, want none", o.res.Changes)
		}
	})
	t.Run("NewApplier over one client, call held", func(t *testing.T) {
		// One client: CreateRole and CreatePolicy take turns. Whichever runs
		// second when the context ends was never sent.
		for range 10 {
			f := fake.New(nil)
			hold := f.HoldCall("CreatePolicy", 1)
			a := encryptperm.NewApplier(f, apFast())
			ctx, cancel := context.WithCancel(context.Background())
			var res *encryptperm.Result
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err = a.Apply(ctx, apGrant(t, apAcctA))
			}()
			<-hold.Held()
			cancel()
			<-done
			hold.Release()
			<-hold.Done()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Apply: %v, want context.Canceled", err)
			}
			if got, want := apActions(res.Unknown), []string{"CreatePolicy"}; !slices.Equal(got, want) {
				t.Errorf("Unknown = %v, want %v", got, want)
			}
			roleCreated := slices.ContainsFunc(f.Calls(), func(c fake.RecordedCall) bool { return c.Action == "CreateRole" })
			if got := slices.Contains(apActions(res.Changes), "CreateRole"); got != roleCreated {
				t.Errorf("Changes %v; RAM created the role: %v", res.Changes, roleCreated)
			}
		}
	})
}

// apActions returns the distinct actions of the changes, sorted.
func apActions(cs []encryptperm.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Action)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSentinelsFromRAMCodes makes the fake answer with RAM's own error codes
// and checks what callers test for: the sentinel with errors.Is, the SDK's
// *errors.ServerError with errors.As, and the RequestId in the message.
func TestSentinelsFromRAMCodes(t *testing.T) {
	tests := []struct {
		name       string
		seed       bool // the share role exists
		rules      []fake.Rule
		want       []error
		wantServer bool // errors.As reaches *sdkerrors.ServerError
	}{
		{name: "NoPermission", rules: []fake.Rule{{Action: "GetRole", Code: "NoPermission"}}, want: []error{encryptperm.ErrAccessDenied}, wantServer: true},
		{name: "Throttling.User until retries run out", rules: []fake.Rule{{Code: "Throttling.User"}}, want: []error{encryptperm.ErrThrottled}, wantServer: true},
		{name: "LimitExceeded.Role", rules: []fake.Rule{{Action: "CreateRole", Code: "LimitExceeded.Role"}}, want: []error{encryptperm.ErrLimitExceeded}, wantServer: true},
		{name: "MalformedPolicyDocument", rules: []fake.Rule{{Action: "CreatePolicy", Code: "MalformedPolicyDocument"}}, want: []error{encryptperm.ErrInvalid}, wantServer: true},
		{
			name: "EntityNotExist.Role on every update", seed: true,
			rules: []fake.Rule{{Action: "UpdateRole", Code: "EntityNotExist.Role"}},
			want:  []error{encryptperm.ErrConflict, encryptperm.ErrNotFound}, wantServer: true,
		},
		{
			name:  "EntityAlreadyExists.Role for a role that never appears",
			rules: []fake.Rule{{Action: "CreateRole", Code: "EntityAlreadyExists.Role"}},
			want:  []error{encryptperm.ErrConflict}, wantServer: true,
		},
	}
	for _, tt := range tests {
		for _, via := range []string{"fake", "endpoint"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				f := fake.New(&fake.Options{Faults: tt.rules})
				if tt.seed {
					apSeedRole(t, f, apAcctB)
				}
				o := apFast()
				o.MaxRounds = 2
				var a encryptperm.Applier
				if via == "fake" {
					a = encryptperm.NewApplier(f, o)
				} else {
					a = apRAMApplier(t, apStart(t, f, nil).Addr(), o)
				}
				_, err := a.Apply(context.Background(), apGrant(t, apAcctA))
				if err == nil {
					t.Fatal("Apply succeeded")
				}
				for _, w := range tt.want {
					if !errors.Is(err, w) {
						t.Errorf("error %v does not wrap %v", err, w)
					}
				}
				var se *sdkerrors.ServerError
				if got := errors.As(err, &se); got != tt.wantServer {
					t.Fatalf("errors.As(*errors.ServerError) = %v, want %v", got, tt.wantServer)
				}
				if se == nil {
					return
				}
				fired := f.Fired()
				if se.RequestId() == "" || !slices.ContainsFunc(fired, func(fr fake.FiredRule) bool { return fr.RequestID == se.RequestId() }) {
					t.Errorf("RequestId %q is not one of the refused calls'", se.RequestId())
				}
				if !strings.Contains(err.Error(), se.RequestId()) {
					t.Errorf("message %q lacks the RequestId %s", err, se.RequestId())
				}
				var ae *encryptperm.APIError
				if !errors.As(err, &ae) || ae.Code != se.ErrorCode() || ae.RequestID != se.RequestId() {
					t.Errorf("APIError %+v does not match the ServerError", ae)
				}
			})
		}
	}
}

// TestStaleSentinel: ApplyPlan returns ErrStale when RAM moved.
func TestStaleSentinel(t *testing.T) {
	f := fake.New(nil)
	apSeedRole(t, f, apAcctA)
	a := encryptperm.NewApplier(f, apFast())
	ctx := context.Background()
	p, err := a.Plan(ctx, apGrant(t, apAcctB))
	if err != nil {
		t.Fatal(err)
	}
	apSeedRole(t, f, apAcctA, apAcctX)
	before := len(f.Calls())
	if _, err := a.ApplyPlan(ctx, p); !errors.Is(err, encryptperm.ErrStale) {
		t.Fatalf("ApplyPlan: %v, want ErrStale", err)
	}
	for _, c := range f.Calls()[before:] {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") && !strings.HasPrefix(c.Action, "Describe") {
			t.Errorf("ApplyPlan of a stale plan called %s", c.Action)
		}
	}
}

// TestAlreadyExistsMerges: a role that appears between the engine's read and
// its CreateRole (EntityAlreadyExists.Role) counts as done only if it holds
// what was meant; here it holds someone else's principal, so the engine
// merges into it.
func TestAlreadyExistsMerges(t *testing.T) {
	f := fake.New(nil)
	hold := f.HoldCall("CreateRole", 1)
	a := encryptperm.NewApplier(f, apFast())
	done := make(chan error, 1)
	var res *encryptperm.Result
	go func() {
		var err error
		res, err = a.Apply(context.Background(), apGrant(t, apAcctA))
		done <- err
	}()
	<-hold.Held()
	apSeedRole(t, f, apAcctX)
	hold.Release()
	if err := <-done; err != nil {
		t.Fatalf("Apply: %v", err)
	}
	ps, _ := f.TrustedPrincipals(encryptperm.ShareSnapshotRoleName)
	var got []string
	for _, p := range ps {
		got = append(got, p.Value)
	}
	want := []string{apAcctA + "@ecs.aliyuncs.com", apAcctX + "@ecs.aliyuncs.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trusted principals (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(res.Calls, func(c encryptperm.Call) bool { return c.Action == "UpdateRole" }) {
		t.Errorf("no UpdateRole after EntityAlreadyExists: %v", res.Calls)
	}
}

// TestPropagationRetry: a just-created role that RAM does not show yet
// (EntityNotExist on attach) is retried briefly until it appears.
func TestPropagationRetry(t *testing.T) {
	f := fake.New(&fake.Options{PropagationDelay: 150 * time.Millisecond})
	a := encryptperm.NewApplier(f, apFast())
	res, err := a.Apply(context.Background(), apGrant(t, apAcctA))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	missing := 0
	for _, c := range res.Calls {
		if c.Action == "AttachPolicyToRole" && strings.HasPrefix(c.Code, "EntityNotExist") {
			missing++
		}
	}
	if missing == 0 {
		t.Errorf("no attach saw the entity missing; the test proves nothing: %v", res.Calls)
	}
	if atts, _ := f.AttachmentsOf(encryptperm.ShareSnapshotRoleName); len(atts) != 1 {
		t.Errorf("attachments %v, want the key policy", atts)
	}
}

// apRecorder is an Observer that records every call it sees.
type apRecorder struct {
	mu     sync.Mutex
	starts []encryptperm.Call
	ends   []string
}

func (r *apRecorder) StartCall(ctx context.Context, c encryptperm.Call) func(code, requestID string, err error) {
	r.mu.Lock()
	r.starts = append(r.starts, c)
	r.mu.Unlock()
	return func(code, requestID string, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ends = append(r.ends, fmt.Sprintf("%s %s %s %v", c.Action, code, requestID, err))
	}
}

// TestObservability: at debug level the Logger gets one line per RAM call
// with its action, duration, code and RequestId, and the Observer is called
// around every call.
func TestObservability(t *testing.T) {
	var buf bytes.Buffer
	rec := &apRecorder{}
	f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: "GetRole", Nth: 1, Code: "Throttling.User"}}})
	o := apFast()
	o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Observer = rec
	a := encryptperm.NewApplier(f, o)
	res, err := a.Apply(context.Background(), apGrant(t, apAcctA))
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %s: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != len(res.Calls) || len(lines) != len(f.Calls()) {
		t.Fatalf("%d log lines, %d calls in the Result, %d calls seen by RAM", len(lines), len(res.Calls), len(f.Calls()))
	}
	var logged, called []string
	throttled := false
	for _, m := range lines {
		for _, k := range []string{"service", "action", "duration", "code", "requestId"} {
			if _, ok := m[k]; !ok {
				t.Errorf("log line %v lacks %q", m, k)
			}
		}
		if m["level"] != "DEBUG" {
			t.Errorf("log line at level %v", m["level"])
		}
		if m["requestId"] == "" {
			t.Errorf("log line without a RequestId: %v", m)
		}
		throttled = throttled || m["code"] == "Throttling.User"
		logged = append(logged, fmt.Sprint(m["action"], " ", m["requestId"]))
	}
	for _, c := range f.Calls() {
		called = append(called, c.Action+" "+c.RequestID)
	}
	slices.Sort(logged)
	slices.Sort(called)
	if diff := cmp.Diff(called, logged); diff != "" {
		t.Errorf("logged calls differ from RAM's call log (-ram +logged):\n%s", diff)
	}
	if !throttled {
		t.Error("the throttled call was not logged with its code")
	}
	if len(rec.starts) != len(res.Calls) || len(rec.ends) != len(res.Calls) {
		t.Errorf("Observer saw %d starts and %d ends for %d calls", len(rec.starts), len(rec.ends), len(res.Calls))
	}
	writes := 0
	for _, c := range rec.starts {
		if c.Write {
			writes++
		}
	}
	if writes != res.Writes {
		t.Errorf("Observer saw %d writes, Result has %d", writes, res.Writes)
	}
}

// apLeakyTransport fails chosen actions with an error that quotes the whole
// signed URL, as a proxy or a broken connection may; it records every
// Signature it sees.
type apLeakyTransport struct {
	base http.RoundTripper
	fail string

	mu   sync.Mutex
	sigs []string
}

func (l *apLeakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	l.mu.Lock()
	l.sigs = append(l.sigs, q.Get("Signature"))
	l.mu.Unlock()
	if q.Get("Action") == l.fail {
		return nil, fmt.Errorf("proxy refused %s %s: connection reset", r.Method, r.URL.String())
	}
	return l.base.RoundTrip(r)
}

func (l *apLeakyTransport) signatures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sigs)
}

// TestSecretsNeverLeak signs with STS credentials and makes requests fail in
// ways whose raw errors carry the signed URL or the string to sign. No log
// line, error text (anywhere in the chain) or Result may hold the secret,
// the security token or a Signature.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		keyID  = "STS.NTa8Bzu7Lq2m"
		secret = "s3cr3t/Kq+9Zp=XvB"
		token  = "CAIS+token/with==padding&odd?chars"
	)
	sts := credentials.NewStsTokenCredential(keyID, secret, token)
	tests := []struct {
		name string
		// setup returns the endpoint address and the transport to use.
		setup func(t *testing.T) (addr string, tr *apLeakyTransport)
	}{
		{
			name: "transport failure quoting the signed URL",
			setup: func(t *testing.T) (string, *apLeakyTransport) {
				f := fake.New(nil)
				ep := apStart(t, f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: keyID, AccessKeySecret: secret, SecurityToken: token}}})
				return ep.Addr(), &apLeakyTransport{base: http.DefaultTransport, fail: "CreatePolicy"}
			},
		},
		{
			name: "read failure quoting the signed URL",
			setup: func(t *testing.T) (string, *apLeakyTransport) {
				f := fake.New(nil)
				ep := apStart(t, f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: keyID, AccessKeySecret: secret, SecurityToken: token}}})
				return ep.Addr(), &apLeakyTransport{base: http.DefaultTransport, fail: "GetPolicy"}
			},
		},
		{
			name: "server echoing the string to sign, token included",
			setup: func(t *testing.T) (string, *apLeakyTransport) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_ = json.NewEncoder(w).Encode(map[string]string{
						"RequestId": "0C5B1E8B-1111-4222-8333-444455556666",
						"HostId":    "ram.aliyuncs.com",
						"Code":      "SignatureDoesNotMatch",
						"Message":   "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&" + url.QueryEscape(r.URL.RawQuery),
					})
				}))
				t.Cleanup(srv.Close)
				return srv.Listener.Addr().String(), &apLeakyTransport{base: http.DefaultTransport}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, tr := tt.setup(t)
			var logs bytes.Buffer
			var observed []string
			var mu sync.Mutex
			o := apFast()
			o.MaxRounds = 2
			o.Credential = sts
			o.Transport = tr
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			o.Observer = observerFunc(func(code, requestID string, err error) {
				mu.Lock()
				defer mu.Unlock()
				observed = append(observed, code, requestID)
				observed = append(observed, errorTexts(err)...)
			})
			a := apRAMApplier(t, addr, o)
			g := apGrant(t, apAcctA)
			res, err := a.Apply(context.Background(), g)
			if err == nil {
				t.Fatal("Apply succeeded; the test needs a failure")
			}
			p, perr := a.Plan(context.Background(), g)
			resJSON, _ := json.Marshal(res)
			var planJSON []byte
			if p != nil {
				planJSON = p.JSON()
			}
			mu.Lock()
			haystacks := map[string][]string{
				"log":        {logs.String()},
				"error":      errorTexts(err),
				"plan error": errorTexts(perr),
				"result":     {string(resJSON)},
				"plan":       {string(planJSON)},
				"observer":   observed,
			}
			mu.Unlock()
			needles := map[string][]string{"secret": secretForms(secret), "token": secretForms(token)}
			sigs := tr.signatures()
			if len(sigs) == 0 {
				t.Fatal("no request was signed")
			}
			for i, s := range sigs {
				needles[fmt.Sprintf("signature %d", i)] = secretForms(s)
			}
			for where, hs := range haystacks {
				for what, forms := range needles {
					if at := findAround(hs, forms); at != "" {
						t.Errorf("the %s holds the %s: ...%s...", where, what, at)
					}
				}
			}
		})
	}
}

// TestMockedErrorPaths uses a gomock RAM for answers the fake never gives.
// The engine must return an error, never panic, and write nothing.
func TestMockedErrorPaths(t *testing.T) {
	roleResp := func(trust string) *ram.GetRoleResponse {
		r := ram.CreateGetRoleResponse()
		r.RequestId = "REQ-GETROLE"
		r.Role.RoleName = encryptperm.ShareSnapshotRoleName
		r.Role.AssumeRolePolicyDocument = trust
		return r
	}
	notFound := sdkerrors.NewServerError(404, `{"RequestId":"REQ-404","HostId":"ram.aliyuncs.com","Code":"EntityNotExist.Policy","Message":"The policy does not exist."}`, "")
	reads := func(m *mock.MockRAM) {
		m.EXPECT().ListPoliciesForRole(gomock.Any()).Return(ram.CreateListPoliciesForRoleResponse(), nil).AnyTimes()
		m.EXPECT().GetPolicy(gomock.Any()).Return(nil, notFound).AnyTimes()
		m.EXPECT().ListPolicyVersions(gomock.Any()).Return(nil, notFound).AnyTimes()
	}
	tests := []struct {
		name  string
		setup func(m *mock.MockRAM)
		// want is what the error must wrap; nil means only that it fails.
		want     error
		wantCode string // the Call's Code for GetRole
	}{
		{
			name: "malformed trust document",
			setup: func(m *mock.MockRAM) {
				m.EXPECT().GetRole(gomock.Any()).Return(roleResp(`{"Version":"1","Statement":[{`), nil).AnyTimes()
				reads(m)
			},
			want: encryptperm.ErrInvalid,
		},
		{
			name: "trust document that is not an object",
			setup: func(m *mock.MockRAM) {
				m.EXPECT().GetRole(gomock.Any()).Return(roleResp(`"just a string"`), nil).AnyTimes()
				reads(m)
			},
			want: encryptperm.ErrInvalid,
		},
		{
			name: "nil response without error",
			setup: func(m *mock.MockRAM) {
				m.EXPECT().GetRole(gomock.Any()).Return(nil, nil).AnyTimes()
				reads(m)
			},
		},
		{
			name: "server error without RequestId or code",
			setup: func(m *mock.MockRAM) {
				m.EXPECT().GetRole(gomock.Any()).Return(nil, sdkerrors.NewServerError(502, "<html>Bad Gateway</html>", "")).AnyTimes()
				reads(m)
			},
			wantCode: "HTTP 502",
		},
		{
			name: "client that panics",
			setup: func(m *mock.MockRAM) {
				m.EXPECT().GetRole(gomock.Any()).DoAndReturn(func(*ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
					panic("client bug")
				}).AnyTimes()
				reads(m)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctrl := gomock.NewController(t)
			m := mock.NewMockRAM(ctrl)
			tt.setup(m) // no write is expected: gomock fails the test on any
			a := encryptperm.NewApplier(m, apFast())
			res, err := a.Apply(context.Background(), apGrant(t, apAcctA))
			if err == nil {
				t.Fatal("Apply succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "(request ") {
				t.Errorf("error %q names a RequestId RAM never gave", err)
			}
			if tt.wantCode != "" {
				attempts := 0
				for _, c := range res.Calls {
					if c.Action != "GetRole" {
						continue
					}
					attempts++
					if c.Code != tt.wantCode {
						t.Errorf("GetRole call recorded with code %q, want %q", c.Code, tt.wantCode)
					}
				}
				if attempts != 4 {
					t.Errorf("GetRole tried %d times, want Options.Retry.MaxAttempts = 4", attempts)
				}
			}
			if _, err := a.Plan(context.Background(), apGrant(t, apAcctA)); err == nil {
				t.Error("Plan succeeded")
			}
		})
	}
}

// TestMockedServerErrorReachesCaller: an SDK error with a RequestId from a
// write reaches the caller through errors.As, and the write is not resent.
func TestMockedServerErrorReachesCaller(t *testing.T) {
	ctrl := gomock.NewController(t)
	m := mock.NewMockRAM(ctrl)
	notFound := func(code string) error {
		return sdkerrors.NewServerError(404, `{"RequestId":"REQ-NF","Code":"`+code+`","Message":"missing"}`, "")
	}
	m.EXPECT().GetRole(gomock.Any()).Return(nil, notFound("EntityNotExist.Role")).Times(1)
	m.EXPECT().ListPoliciesForRole(gomock.Any()).Return(nil, notFound("EntityNotExist.Role")).Times(1)
	m.EXPECT().GetPolicy(gomock.Any()).Return(nil, notFound("EntityNotExist.Policy")).Times(1)
	m.EXPECT().ListPolicyVersions(gomock.Any()).Return(nil, notFound("EntityNotExist.Policy")).Times(1)
	m.EXPECT().CreateRole(gomock.Any()).Return(nil, sdkerrors.NewServerError(403, `{"RequestId":"REQ-DENIED","Code":"NoPermission","Message":"You are not authorized to do this action."}`, "")).Times(1)
	m.EXPECT().CreatePolicy(gomock.Any()).Return(ram.CreateCreatePolicyResponse(), nil).MaxTimes(1)
	_, err := encryptperm.NewApplier(m, apFast()).Apply(context.Background(), apGrant(t, apAcctA))
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.RequestId() != "REQ-DENIED" {
		t.Fatalf("Apply: %v; want the CreateRole ServerError", err)
	}
	if !errors.Is(err, encryptperm.ErrAccessDenied) || !strings.Contains(err.Error(), "REQ-DENIED") {
		t.Errorf("Apply: %v; want ErrAccessDenied and the RequestId", err)
	}
}

// TestRetryAfterHonoured: a throttled call waits at least as long as RAM's
// x-acs-retry-after asks, however short the backoff is, when the wait is
// within Options.Retry.MaxInterval.
func TestRetryAfterHonoured(t *testing.T) {
	const wait = 150 * time.Millisecond
	f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: "GetRole", Nth: 1, Code: "Throttling.User", RetryAfter: wait}}})
	opts := func() *encryptperm.Options {
		o := apFast()
		o.Retry.MaxInterval = time.Second
		return o
	}
	for _, via := range []string{"fake", "endpoint"} {
		t.Run(via, func(t *testing.T) {
			f.Reset()
			var a encryptperm.Applier
			if via == "fake" {
				a = encryptperm.NewApplier(f, opts())
			} else {
				a = apRAMApplier(t, apStart(t, f, nil).Addr(), opts())
			}
			start := time.Now()
			res, err := a.Apply(context.Background(), apGrant(t, apAcctA))
			if err != nil {
				t.Fatal(err)
			}
			if elapsed := time.Since(start); elapsed < wait {
				t.Errorf("Apply took %v; the throttled GetRole should have waited %v", elapsed, wait)
			}
			var attempts []int
			for _, c := range res.Calls {
				if c.Action == "GetRole" {
					attempts = append(attempts, c.Attempt)
				}
			}
			if len(attempts) < 2 || attempts[0] != 1 || attempts[1] != 2 {
				t.Errorf("GetRole attempts %v; want 1 then 2", attempts)
			}
		})
	}
}

// TestApplyRefusesHandMadeWildcardGrant: a Grant assembled by hand with an
// unconditioned *@ecs.aliyuncs.com principal is refused before any call.
func TestApplyRefusesHandMadeWildcardGrant(t *testing.T) {
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzhand01"}).Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Role.TrustPolicy.Statement[0].Principal.Service = policy.Values{encryptperm.WildcardECSPrincipal}
	f := fake.New(nil)
	_, err = encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("Apply = %v, want ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), encryptperm.FindingUnconditionedWildcardPrincipal) {
		t.Errorf("error %v does not name %s", err, encryptperm.FindingUnconditionedWildcardPrincipal)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls reached RAM, want 0", n)
	}
}

// TestApplySpreadsPastAnOrphanPolicy: a numbered policy of the family exists
// but is attached nowhere (left by an earlier run that stopped half-way), and
// the grant does not name it. Creating it conflicts; the engine reads it,
// and goes on to the next number instead of retrying the same create.
func TestApplySpreadsPastAnOrphanPolicy(t *testing.T) {
	key := func(id string) encryptperm.Key {
		return encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: id}
	}
	k1, k2, k3 := key("key-hzorphan01"), key("key-hzorphan02"), key("key-hzorphan03")
	lim := encryptperm.Limits{PolicyDocumentMaxLen: encryptperm.KeyPolicy([]encryptperm.Key{k1}).Size() + 10}
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, &encryptperm.Options{Limits: lim})
	build := func(k encryptperm.Key) *encryptperm.Grant {
		g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(k).WithLimits(lim).Build()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if _, err := a.Apply(context.Background(), build(k1)); err != nil {
		t.Fatal(err)
	}
	orphan := encryptperm.ShareSnapshotPolicyName + "-2"
	if err := f.PutPolicy(fake.Policy{Name: orphan, Versions: []fake.PolicyVersion{{ID: "v1", IsDefault: true, Document: encryptperm.KeyPolicy([]encryptperm.Key{k2}).String()}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(context.Background(), build(k3)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	atts, _ := f.AttachmentsOf(encryptperm.ShareSnapshotRoleName)
	var got []string
	for _, at := range atts {
		got = append(got, at.PolicyName)
	}
	want := []string{encryptperm.ShareSnapshotPolicyName, encryptperm.ShareSnapshotPolicyName + "-3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if vs, _ := f.PolicyVersions(string(encryptperm.Custom), orphan); len(vs) != 1 {
		t.Errorf("orphan policy has %d versions, want it untouched with 1", len(vs))
	}
}
