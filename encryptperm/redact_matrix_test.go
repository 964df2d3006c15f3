package encryptperm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The STS credential of the redaction matrix. The token holds characters
// that URL encoding changes, so that every encoded form is looked for.
const (
	mxKeyID       = "STS.NTmx7Lq2mRdXk"
	mxSecret      = "mxS3cr3t/Kq+9Zp=XvB"
	mxWrongSecret = "mxWr0ngS3cr3t/Zp=Q"
	mxToken       = "CAISmxToken+with/slash==&odd?chars"
)

var mxKey = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzmx6a2f1b0c3d4e5"}

// mxImage is the image the share operations share.
const mxImage = "m-bp1mx0001"

// mxWrites are the RAM actions that change RAM.
var mxWrites = []string{
	"CreateRole", "UpdateRole", "DeleteRole", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion",
	"DeletePolicyVersion", "SetDefaultPolicyVersion", "AttachPolicyToRole", "DetachPolicyFromRole",
}

// mxEcho is what a server or a proxy that quotes the request says: the
// query signing parameters, and the headers that header-signed (V3)
// requests carry, in the shapes they take in messages, JSON, Go's printing
// of an http.Header, and a V3 canonical request.
func mxEcho(sig string) string {
	q := url.Values{"AccessKeyId": {mxKeyID}, "SecurityToken": {mxToken}, "Signature": {sig}}.Encode()
	auth := "ACS3-HMAC-SHA256 Credential=" + mxKeyID + ",SignedHeaders=host;x-acs-date;x-acs-security-token,Signature=" + sig
	h := http.Header{}
	h.Set("Authorization", auth)
	h.Set("X-Acs-Security-Token", mxToken)
	h.Set("X-Acs-Accesskey-Id", mxKeyID)
	j, _ := json.Marshal(map[string]string{"Authorization": auth, "x-acs-security-token": mxToken, "SecurityToken": mxToken})
	return fmt.Sprintf("query %s; escaped %s; twice %s; headers %v; json %s; canonical x-acs-security-token:%s\nauthorization:%s\n",
		q, url.QueryEscape(q), url.QueryEscape(url.QueryEscape(q)), h, j, mxToken, auth)
}

// mxEchoSig is the signature quoted by mxEcho in fault messages, which are
// fixed before any request is signed.
const mxEchoSig = "mxEchoSignature0123456789abcdef="

// mxTransport records the Signature of every request, and fails the
// requests of chosen actions as a proxy that quotes the request would.
type mxTransport struct {
	base http.RoundTripper

	mu   sync.Mutex
	fail map[string]bool // nil: fail none; empty: fail all
	sigs []string
}

func (m *mxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	if r.Body != nil && r.Method == http.MethodPost {
		// The SDK sends some parameters in a form body.
		if err := r.ParseForm(); err == nil {
			for k, vs := range r.PostForm {
				q[k] = append(q[k], vs...)
			}
		}
	}
	sig := q.Get("Signature")
	m.mu.Lock()
	m.sigs = append(m.sigs, sig)
	fail := m.fail != nil && (len(m.fail) == 0 || m.fail[q.Get("Action")])
	m.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("proxy refused %s %s: connection reset; %s", r.Method, r.URL.String(), mxEcho(sig))
	}
	return m.base.RoundTrip(r)
}

func (m *mxTransport) signatures() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sigs)
}

// mxKind is one way a call fails.
type mxKind struct {
	name string
	// rule is the fault for each action the operation targets.
	rule fake.Rule
	// hold holds the targeted calls until the test ends.
	hold bool
	// requestTimeout, when set, is Options.RequestTimeout.
	requestTimeout time.Duration
	// ctx is "cancel" (canceled once a call is held), "deadline" (a short
	// deadline while a call is held) or "" (background).
	ctx string
	// proxy fails the targeted requests in the transport.
	proxy bool
	// closed closes the endpoint before the operation runs.
	closed bool
	// wrongSecret signs with a secret the endpoint does not know.
	wrongSecret bool
	// wantIs must hold for the operation's error, when set.
	wantIs error
}

// mxOp is one operation of the Applier (or of the package) run against a
// failure.
type mxOp struct {
	name string
	// seed applies the grant, without faults, before the operation.
	seed bool
	// writes makes the fault target only the writes; otherwise it targets
	// every call.
	writes bool
	// userClient runs the package-level Check over a *ram.Client, which
	// cannot be aborted: it is skipped for failures that hold a call.
	userClient bool
	// share makes the grant share an image (mxImage, which the fake holds,
	// encrypted with mxKey), so that ECS and KMS calls fail too; with
	// writes, only the share write (ModifyImageSharePermission) fails.
	share bool
	run   func(ctx context.Context, e *mxEnv) (out any, err error)
}

// mxEnv is what an operation runs on.
type mxEnv struct {
	a     encryptperm.Applier
	addr  string
	cred  any
	tr    *mxTransport
	grant *encryptperm.Grant
}

// TestRedactionMatrix signs with an STS credential against the fake's
// endpoint and makes calls fail in every way a call fails: a request
// timeout, a context canceled or past its deadline while a call is in
// flight, a proxy that quotes the request, a refused connection, a server
// error or throttling whose message quotes the signing parameters, a wrong
// secret (RAM quotes the string it signed), and a lost answer. For each it
// runs each operation and looks for the AccessKeyId, the AccessKeySecret,
// the SecurityToken and every Signature, in each of their encodings, in
// every output: the operation's error (each error of its chain, in %v, %+v
// and %#v), the Observer's errors, the Logger's lines, the JSON of the Plan,
// Result or Decision, and the fake's call log.
func TestRedactionMatrix(t *testing.T) {
	kinds := []mxKind{
		{name: "request timeout", hold: true, requestTimeout: 50 * time.Millisecond, wantIs: context.DeadlineExceeded},
		{name: "context canceled", hold: true, ctx: "cancel", wantIs: context.Canceled},
		{name: "context deadline", hold: true, ctx: "deadline", wantIs: context.DeadlineExceeded},
		{name: "transport error", proxy: true},
		{name: "connection refused", closed: true},
		{name: "server error", rule: fake.Rule{Code: "InternalError", Message: "internal error; " + mxEcho(mxEchoSig)}},
		{name: "throttling", rule: fake.Rule{Code: "Throttling.User", RetryAfter: time.Millisecond, Message: "throttled; " + mxEcho(mxEchoSig)}, wantIs: encryptperm.ErrThrottled},
		{name: "wrong secret", wrongSecret: true, wantIs: encryptperm.ErrAccessDenied},
		{name: "lost answer", rule: fake.Rule{Code: "InternalError", LoseAnswer: true}},
	}
	access := encryptperm.Access{Recipient: "2000000000000071", Resource: encryptperm.ResourceSnapshot, Key: mxKey}
	ops := []mxOp{
		{name: "Plan", run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Plan(ctx, e.grant) }},
		{name: "Apply, reads fail", run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Apply(ctx, e.grant) }},
		{name: "Apply, writes fail", writes: true, run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Apply(ctx, e.grant) }},
		{name: "Revoke", seed: true, writes: true, run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Revoke(ctx, e.grant) }},
		{name: "Apply, share image, reads fail", share: true, run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Apply(ctx, e.grant) }},
		{name: "Apply, share write fails", share: true, writes: true, run: func(ctx context.Context, e *mxEnv) (any, error) { return e.a.Apply(ctx, e.grant) }},
		{name: "Check image", seed: true, share: true, run: func(ctx context.Context, e *mxEnv) (any, error) {
			return e.a.Check(ctx, encryptperm.Access{Recipient: "2000000000000071", Resource: encryptperm.ResourceImage, ResourceID: mxImage, Region: "cn-hangzhou"})
		}},
		{name: "Check", seed: true, run: func(ctx context.Context, e *mxEnv) (any, error) {
			return e.a.Check(ctx, access)
		}},
		{name: "package Check", seed: true, userClient: true, run: func(ctx context.Context, e *mxEnv) (any, error) {
			c, err := fake.NewClient(e.addr, e.cred)
			if err != nil {
				return nil, err
			}
			c.SetTransport(e.tr)
			return encryptperm.Check(ctx, c, access)
		}},
	}
	outputs := []string{"error", "observer", "log", "json", "fake calls"}

	var mu sync.Mutex
	leaks := map[string]map[string][]string{} // kind → output → ops that leaked
	for _, k := range kinds {
		leaks[k.name] = map[string][]string{}
		for _, op := range ops {
			if op.userClient && k.hold {
				continue
			}
			t.Run(k.name+"/"+op.name, func(t *testing.T) {
				found := mxRun(t, k, op)
				mu.Lock()
				defer mu.Unlock()
				for out, at := range found {
					leaks[k.name][out] = append(leaks[k.name][out], op.name)
					t.Errorf("the %s holds a secret: ...%s...", out, at)
				}
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s", "failure \\ output")
	for _, o := range outputs {
		fmt.Fprintf(&b, " %-10s", o)
	}
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n%-20s", k.name)
		for _, o := range outputs {
			cell := "clean"
			if ops := leaks[k.name][o]; len(ops) > 0 {
				sort.Strings(ops)
				cell = fmt.Sprintf("LEAK(%d)", len(ops))
			}
			fmt.Fprintf(&b, " %-10s", cell)
		}
	}
	t.Logf("redaction matrix (STS credential, %d operations per failure):\n%s", len(ops), b.String())
}

// mxRun runs one operation against one failure and returns, per output,
// the text around a secret it holds.
func mxRun(t *testing.T, k mxKind, op mxOp) map[string]string {
	t.Helper()
	f := fake.New(nil)
	ep, err := fake.Start(f, &fake.ServerOptions{Credentials: []fake.Credential{{AccessKeyID: mxKeyID, AccessKeySecret: mxSecret, SecurityToken: mxToken}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	grant, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000071").WithKey(mxKey).Build()
	if op.share {
		seed := `{"keys": [{"region": "cn-hangzhou", "id": "` + mxKey.ID + `"}], "images": [{"region": "cn-hangzhou", "id": "` + mxImage + `", "kmsKeyId": "` + mxKey.ID + `"}]}`
		if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
			t.Fatal(err)
		}
		grant, err = encryptperm.ShareImage().WithImage("cn-hangzhou", mxImage).WithAccounts("2000000000000071").Build()
	}
	if err != nil {
		t.Fatal(err)
	}
	if op.seed {
		if _, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), grant); err != nil {
			t.Fatal(err)
		}
	}

	secret := mxSecret
	if k.wrongSecret {
		secret = mxWrongSecret
	}
	cred := credentials.NewStsTokenCredential(mxKeyID, secret, mxToken)
	tr := &mxTransport{base: http.DefaultTransport}
	var logs bytes.Buffer
	var observed []string
	var omu sync.Mutex
	o := &encryptperm.Options{
		Retry:           encryptperm.RetryOptions{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond},
		PropagationWait: 10 * time.Millisecond,
		MaxRounds:       2,
		Credential:      cred,
		Endpoint:        ep.Addr(),
		Scheme:          "HTTP",
		Transport:       tr,
		RequestTimeout:  k.requestTimeout,
		Logger:          slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observer: observerFunc(func(code, requestID string, err error) {
			omu.Lock()
			defer omu.Unlock()
			observed = append(observed, code, requestID)
			observed = append(observed, errorTexts(err)...)
		}),
	}
	a, err := encryptperm.NewRAMApplier(o)
	if err != nil {
		t.Fatal(err)
	}

	var actions []string
	if op.writes {
		actions = mxWrites
		if op.share {
			// RAM's writes are the other operations' part: fail the share.
			actions = []string{"ModifyImageSharePermission"}
		}
	}
	var hold *fake.Hold
	if k.hold {
		hold = fake.NewHold()
		t.Cleanup(hold.Release)
	}
	var rules []fake.Rule
	if k.rule.Code != "" || hold != nil {
		targets := actions
		if targets == nil {
			targets = []string{""}
		}
		for _, action := range targets {
			r := k.rule
			r.Action, r.Hold = action, hold
			rules = append(rules, r)
		}
	}
	f.SetFaults(rules...)
	if k.proxy {
		tr.fail = map[string]bool{}
		for _, action := range actions {
			tr.fail[action] = true
		}
	}
	if k.closed {
		_ = ep.Close()
	}

	ctx := context.Background()
	switch k.ctx {
	case "cancel":
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			<-hold.Held()
			cancel()
		}()
		ctx = c
	case "deadline":
		c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		ctx = c
	}
	env := &mxEnv{a: a, addr: ep.Addr(), cred: cred, tr: tr, grant: grant}
	out, err := op.run(ctx, env)
	if err == nil {
		t.Fatalf("%s succeeded; the test needs it to fail", op.name)
	}
	if k.wantIs != nil && !errors.Is(err, k.wantIs) {
		t.Errorf("%s: %v; want an error for which errors.Is(err, %v)", op.name, err, k.wantIs)
	}
	outJSON, _ := json.Marshal(out)

	omu.Lock()
	haystacks := map[string][]string{
		"error":      errorTexts(err),
		"observer":   slices.Clone(observed),
		"log":        {logs.String()},
		"json":       {string(outJSON)},
		"fake calls": {fmt.Sprintf("%#v", f.Calls()), fmt.Sprintf("%+v", f.Calls())},
	}
	omu.Unlock()
	if len(observed) == 0 && !op.userClient {
		t.Error("the Observer saw no call")
	}
	needles := map[string][]string{"access key ID": secretForms(mxKeyID), "secret": secretForms(secret), "token": secretForms(mxToken), "echoed signature": secretForms(mxEchoSig)}
	for i, s := range tr.signatures() {
		if s != "" {
			needles[fmt.Sprintf("signature %d", i)] = secretForms(s)
		}
	}
	found := map[string]string{}
	for where, hs := range haystacks {
		for what, forms := range needles {
			if at := findAround(hs, forms); at != "" {
				found[where] = what + ": " + at
			}
		}
	}
	return found
}
