package etcdlock_test

// The proof with separate OS processes: the test binary runs itself again
// (os.Args[0]) in a child mode that applies grants through NewRAMApplier to
// one fake RAM endpoint served by the test, with an etcdlock.Locker on the
// test's embedded etcd (or no Locker). Children start together: each waits
// for its standard input to close.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/etcdlock"
	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/etcdtest"
)

// The child's settings travel in the environment.
const (
	envChild    = "ETCDLOCK_TEST_CHILD"    // "apply" runs the child
	envRAM      = "ETCDLOCK_TEST_RAM"      // the fake endpoint, host:port
	envEtcd     = "ETCDLOCK_TEST_ETCD"     // etcd's endpoint; empty: no Locker
	envTTL      = "ETCDLOCK_TEST_TTL"      // the Locker's TTL
	envAccounts = "ETCDLOCK_TEST_ACCOUNTS" // comma-separated UIDs
	envKind     = "ETCDLOCK_TEST_KIND"     // snapshot, image or disk
	envEach     = "ETCDLOCK_TEST_EACH"     // "1": one Apply per account
	envTimeout  = "ETCDLOCK_TEST_TIMEOUT"  // the Applies' deadline
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "apply" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// childResult is what a child prints on standard output, as JSON.
type childResult struct {
	Err      string   `json:"err,omitempty"`
	LockLost bool     `json:"lockLost,omitempty"`
	Applied  int      `json:"applied"`
	Unknown  []string `json:"unknown,omitempty"`
	Changes  []string `json:"changes,omitempty"`
}

// prKey is the key of the share grants; a disk grant names a key of its own
// per account (prKeyOf), so that each process has something to add.
var prKey = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-procs00001"}

func prKeyOf(uid string) encryptperm.Key {
	return encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-" + uid}
}

// prGrant is the grant a child applies for accounts.
func prGrant(kind string, accounts []string) (*encryptperm.Grant, error) {
	switch kind {
	case "image":
		return encryptperm.ShareImage().WithAccounts(accounts...).WithKey(prKey).Build()
	case "disk":
		b := encryptperm.DiskEncryption()
		for _, uid := range accounts {
			b.WithKey(prKeyOf(uid))
		}
		return b.Build()
	}
	return encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(prKey).Build()
}

func runChild() int {
	out := childResult{}
	code := 0
	defer func() {
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
		os.Exit(code)
	}()
	fail := func(err error) {
		out.Err = err.Error()
		out.LockLost = errors.Is(err, encryptperm.ErrLockLost)
		code = 1
	}
	timeout, err := time.ParseDuration(os.Getenv(envTimeout))
	if err != nil {
		timeout = time.Minute
	}
	// Wait for the start: the parent closes standard input.
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	opts := &encryptperm.Options{
		Endpoint:   os.Getenv(envRAM),
		Scheme:     "HTTP",
		Credential: credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret),
	}
	if ep := os.Getenv(envEtcd); ep != "" {
		ttl, err := time.ParseDuration(os.Getenv(envTTL))
		if err != nil {
			fail(err)
			return code
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			fail(err)
			return code
		}
		defer cli.Close()
		l, err := etcdlock.New(cli, &etcdlock.Options{TTL: ttl})
		if err != nil {
			fail(err)
			return code
		}
		defer l.Close()
		opts.Locker = l
	}
	a, err := encryptperm.NewRAMApplier(opts)
	if err != nil {
		fail(err)
		return code
	}
	accounts := strings.Split(os.Getenv(envAccounts), ",")
	batches := [][]string{accounts}
	if os.Getenv(envEach) == "1" {
		batches = nil
		for _, uid := range accounts {
			batches = append(batches, []string{uid})
		}
	}
	for _, batch := range batches {
		g, err := prGrant(os.Getenv(envKind), batch)
		if err != nil {
			fail(err)
			return code
		}
		res, err := a.Apply(ctx, g)
		if res != nil {
			for _, c := range res.Changes {
				out.Changes = append(out.Changes, c.Action)
			}
			for _, c := range res.Unknown {
				out.Unknown = append(out.Unknown, c.Action)
			}
		}
		if err != nil {
			fail(err)
			return code
		}
		out.Applied++
	}
	return code
}

// child is one child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
	done  chan struct{}
	err   error // of Wait
}

// childEnv is the environment of a child.
type childEnv struct {
	ram, etcd string
	ttl       time.Duration
	accounts  []string
	kind      string
	each      bool
	timeout   time.Duration
}

// startChild starts a child, which waits for go.
func startChild(t testing.TB, e childEnv) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	env := []string{
		envChild + "=apply",
		envRAM + "=" + e.ram,
		envEtcd + "=" + e.etcd,
		envTTL + "=" + e.ttl.String(),
		envAccounts + "=" + strings.Join(e.accounts, ","),
		envKind + "=" + e.kind,
		envTimeout + "=" + e.timeout.String(),
	}
	if e.each {
		env = append(env, envEach+"=1")
	}
	cmd.Env = append(os.Environ(), env...)
	c := &child{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &c.out
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// start lets the child go.
func (c *child) start() { _ = c.stdin.Close() }

// result waits for the child to end and returns what it printed.
func (c *child) result(t testing.TB) childResult {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("child %d did not end in 2 minutes", c.cmd.Process.Pid)
	}
	var r childResult
	sc := bufio.NewScanner(&c.out)
	var last string
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatalf("child %d (%v) printed %q: %v", c.cmd.Process.Pid, c.err, c.out.String(), err)
	}
	return r
}

// uids returns n account UIDs, distinct for each base.
func uids(base, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("2%06d%09d", base, i)
	}
	return out
}

// trusted returns the accounts the role's trust policy lets in, sorted.
func trusted(f *fake.RAM, role string) []string {
	ps, _ := f.TrustedPrincipals(role)
	var out []string
	for _, p := range ps {
		if uid, ok := strings.CutSuffix(p.Value, "@ecs.aliyuncs.com"); ok && uid != "" && !strings.Contains(uid, "*") {
			out = append(out, uid)
		}
	}
	slices.Sort(out)
	return out
}

// beyondHeld returns the writes the fake saw other than the held calls of
// the actions named, which it never carried out: a held call that ended
// when its client went away is recorded with an error code.
func beyondHeld(f *fake.RAM, held ...string) []string {
	var out []string
	for _, c := range f.Calls() {
		if isWrite(c.Action) && (c.Code == "" || !slices.Contains(held, c.Action)) {
			out = append(out, c.Action+" "+c.Code)
		}
	}
	return out
}

func isWrite(action string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Attach", "Detach", "SetDefault"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// procEnv is a fake endpoint and an embedded etcd for child processes.
type procEnv struct {
	f    *fake.RAM
	ep   *fake.Endpoint
	etcd *etcdtest.Server
	cli  *clientv3.Client
}

func newProcEnv(t testing.TB, latency time.Duration) *procEnv {
	t.Helper()
	s := etcdtest.Start(t, nil)
	f := fake.New(nil)
	ep, err := fake.Start(f, &fake.ServerOptions{Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return &procEnv{f: f, ep: ep, etcd: s, cli: s.Client(t)}
}

// seed applies a grant of one account in the test process, so that the
// role and its policy exist and children only update the trust policy.
func (p *procEnv) seed(t *testing.T, uid string) {
	t.Helper()
	g, err := prGrant("snapshot", []string{uid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := encryptperm.NewApplier(p.f, nil).Apply(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}

// Sixteen processes each add five accounts to one role, all at once, with
// the Locker: every one of the 80 is in the trust policy.
func TestSixteenProcessesOnOneRoleLoseNothing(t *testing.T) {
	p := newProcEnv(t, 2*time.Millisecond)
	var kids []*child
	var want []string
	for i := range 16 {
		accounts := uids(i, 5)
		want = append(want, accounts...)
		kids = append(kids, startChild(t, childEnv{ram: p.ep.Addr(), etcd: p.etcd.Endpoint(), ttl: 2 * time.Second, accounts: accounts, kind: "snapshot", timeout: time.Minute}))
	}
	for _, k := range kids {
		k.start()
	}
	for i, k := range kids {
		if r := k.result(t); r.Err != "" || r.Applied != 1 {
			t.Errorf("process %d: %+v", i, r)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, trusted(p.f, encryptperm.ShareSnapshotRoleName)); diff != "" {
		t.Errorf("trusted accounts (-want +got):\n%s", diff)
	}
}

// A holder killed with SIGKILL in the middle of its Apply (its UpdateRole
// held by the fake): the fifteen processes waiting for the lock finish
// within 10 × TTL of the kill, and a run again of the killed one's grant
// converges. Nothing is lost.
func TestKilledHolderHandsTheLockOn(t *testing.T) {
	const ttl = 2 * time.Second
	p := newProcEnv(t, 0)
	p.seed(t, "2999999999999999")
	hold := p.f.HoldCall("UpdateRole", 1)
	defer hold.Release()
	env := func(accounts []string) childEnv {
		return childEnv{ram: p.ep.Addr(), etcd: p.etcd.Endpoint(), ttl: ttl, accounts: accounts, kind: "snapshot", timeout: time.Minute}
	}
	victimAccounts := uids(100, 5)
	victim := startChild(t, env(victimAccounts))
	victim.start()
	<-hold.Held()
	want := append([]string{"2999999999999999"}, victimAccounts...)
	var others []*child
	for i := range 15 {
		accounts := uids(i, 5)
		want = append(want, accounts...)
		others = append(others, startChild(t, env(accounts)))
	}
	for _, k := range others {
		k.start()
	}
	awaitKeys(t, p.cli, etcdlock.DefaultPrefix, 16) // all fifteen wait in etcd
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for i, k := range others {
		if r := k.result(t); r.Err != "" {
			t.Errorf("process %d: %+v", i, r)
		}
	}
	took := time.Since(killed)
	t.Logf("the fifteen others finished %v after the kill (TTL %v)", took, ttl)
	if took >= 10*ttl {
		t.Errorf("the others finished %v after the kill, want less than 10 × TTL = %v", took, 10*ttl)
	}
	again := startChild(t, env(victimAccounts))
	again.start()
	if r := again.result(t); r.Err != "" {
		t.Errorf("the killed one's grant, again: %+v", r)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, trusted(p.f, encryptperm.ShareSnapshotRoleName)); diff != "" {
		t.Errorf("trusted accounts (-want +got):\n%s", diff)
	}
}

// A holder whose lease the test revokes while both writes of its first
// level are in flight (held by the fake, never released before the end):
// it sends nothing more (no attachment), and ends with ErrLockLost,
// reporting the two writes as unknown.
func TestRevokedLeaseStopsTheHolder(t *testing.T) {
	p := newProcEnv(t, 0)
	holdRole := p.f.HoldCall("CreateRole", 1)
	holdPolicy := p.f.HoldCall("CreatePolicy", 1)
	defer holdRole.Release()
	defer holdPolicy.Release()
	k := startChild(t, childEnv{ram: p.ep.Addr(), etcd: p.etcd.Endpoint(), ttl: 10 * time.Second, accounts: uids(1, 5), kind: "snapshot", timeout: time.Minute})
	k.start()
	<-holdRole.Held()
	<-holdPolicy.Held()
	ks := keys(t, p.cli, etcdlock.DefaultPrefix)
	if len(ks) != 1 {
		t.Fatalf("lock keys %v, want the holder's", ks)
	}
	for _, lease := range ks {
		if _, err := p.cli.Revoke(context.Background(), lease); err != nil {
			t.Fatal(err)
		}
	}
	r := k.result(t)
	if !r.LockLost {
		t.Errorf("the holder ended with %+v, want ErrLockLost", r)
	}
	slices.Sort(r.Unknown)
	// Creating the role adds its five principals.
	want := []string{"CreatePolicy", "CreateRole", "UpdateRole", "UpdateRole", "UpdateRole", "UpdateRole", "UpdateRole"}
	if diff := cmp.Diff(want, r.Unknown); diff != "" {
		t.Errorf("unknown writes (-want +got):\n%s", diff)
	}
	if got := beyondHeld(p.f, "CreateRole", "CreatePolicy"); len(got) != 0 {
		t.Errorf("the fake saw writes beyond the two held ones: %v", got)
	}
}

// etcd stopped while a holder's first writes are held and a second process
// waits for the lock: both end with a clear error within their deadline;
// the holder's is ErrLockLost and it sends nothing more; the waiter writes
// nothing.
func TestEtcdStoppedDuringApply(t *testing.T) {
	const ttl = time.Second
	const deadline = 5 * time.Second
	p := newProcEnv(t, 0)
	holdRole := p.f.HoldCall("CreateRole", 1)
	holdPolicy := p.f.HoldCall("CreatePolicy", 1)
	defer holdRole.Release()
	defer holdPolicy.Release()
	env := func(accounts []string) childEnv {
		return childEnv{ram: p.ep.Addr(), etcd: p.etcd.Endpoint(), ttl: ttl, accounts: accounts, kind: "snapshot", timeout: deadline}
	}
	holder := startChild(t, env(uids(1, 5)))
	holder.start()
	<-holdRole.Held()
	<-holdPolicy.Held()
	waiter := startChild(t, env(uids(2, 5)))
	waiter.start()
	awaitKeys(t, p.cli, etcdlock.DefaultPrefix, 2)
	stopped := time.Now()
	p.etcd.Stop()
	hr, wr := holder.result(t), waiter.result(t)
	took := time.Since(stopped)
	t.Logf("holder: %s", hr.Err)
	t.Logf("waiter: %s", wr.Err)
	t.Logf("both ended %v after etcd stopped", took)
	if !hr.LockLost {
		t.Errorf("holder ended with %+v, want ErrLockLost", hr)
	}
	if wr.Err == "" || wr.Applied != 0 {
		t.Errorf("waiter ended with %+v, want an error and nothing applied", wr)
	}
	if took > deadline+5*time.Second {
		t.Errorf("the processes ended %v after etcd stopped, past their deadline of %v", took, deadline)
	}
	if got := beyondHeld(p.f, "CreateRole", "CreatePolicy"); len(got) != 0 {
		t.Errorf("the fake saw writes beyond the two held ones: %v", got)
	}
}
