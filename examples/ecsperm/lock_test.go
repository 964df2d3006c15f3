package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/etcdtest"
)

// lkCreds are the fake endpoint's access keys, for the SDK's default chain.
var lkCreds = []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fake.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fake.DefaultAccessKeySecret}

// lkShare adds one account to the snapshot share role.
func lkShare(uid string) []string {
	return []string{"-kind", "share-snapshot", "-accounts", uid, "-key", keyARN}
}

// lkTrusted returns the accounts the snapshot share role trusts, sorted.
func lkTrusted(f *fake.RAM) []string {
	ps, _ := f.TrustedPrincipals(encryptperm.ShareSnapshotRoleName)
	var out []string
	for _, p := range ps {
		if uid, ok := strings.CutSuffix(p.Value, "@ecs.aliyuncs.com"); ok {
			out = append(out, uid)
		}
	}
	slices.Sort(out)
	return out
}

// Sixteen `ecsperm apply -yes -endpoint … -etcd …` processes started at once
// against one endpoint with latency, each adding its own account to one
// role: all succeed, and the role trusts every account. Half name etcd with
// -etcd, half with ECSPERM_ETCD_ENDPOINTS.
func TestSixteenAppliesWithEtcdLoseNothing(t *testing.T) {
	s := etcdtest.Start(t, nil)
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	ep, err := fake.Start(f, &fake.ServerOptions{Latency: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	var want []string
	var wg sync.WaitGroup
	results := make([]result, 16)
	for i := range 16 {
		uid := "20000000000001" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		want = append(want, uid)
		args := append([]string{"apply", "-yes", "-endpoint", ep.Addr()}, lkShare(uid)...)
		env := slices.Clone(lkCreds)
		if i%2 == 0 {
			args = append(args, "-etcd", s.Endpoint())
		} else {
			env = append(env, "ECSPERM_ETCD_ENDPOINTS="+s.Endpoint())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ecsperm(t, "", env, args...)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("process %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, lkTrusted(f)); diff != "" {
		t.Errorf("trusted accounts (-want +got):\n%s", diff)
	}
}

// prompted is an ecsperm process waiting at its confirmation prompt.
type prompted struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	stdout bytes.Buffer
	done   chan error
}

// startPrompted runs ecsperm and returns once it asks for "yes".
func startPrompted(t *testing.T, env []string, args ...string) *prompted {
	t.Helper()
	p := &prompted{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	p.cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"}, env...)
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	asked := make(chan struct{})
	go func() {
		r := bufio.NewReader(stderr)
		var once sync.Once
		for {
			line, err := r.ReadString(':')
			p.stderr.WriteString(line)
			if strings.HasSuffix(line, "Type yes to make them:") {
				once.Do(func() { close(asked) })
			}
			if err != nil {
				break
			}
		}
		p.done <- p.cmd.Wait()
	}()
	select {
	case <-asked:
	case err := <-p.done:
		t.Fatalf("ecsperm ended before asking: %v\n%s", err, p.stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("ecsperm did not ask for confirmation")
	}
	return p
}

// answer types yes and returns the exit code.
func (p *prompted) answer(t *testing.T) int {
	t.Helper()
	if _, err := io.WriteString(p.stdin, "yes\n"); err != nil {
		t.Fatal(err)
	}
	_ = p.stdin.Close()
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatal("ecsperm did not end after yes")
		return -1
	}
}

// After an interactive "yes", with -etcd, apply holds no lock while the
// person reads, plans again under the lock, and applies only an unchanged
// plan: another account added meanwhile leaves the plan as it was, and
// both accounts end up trusted (a plan applied as read would be stale); the
// person's own account added meanwhile changes the plan, and nothing is
// written.
func TestConfirmedApplyPlansAgainUnderTheLock(t *testing.T) {
	s := etcdtest.Start(t, nil)
	cli := s.Client(t)
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	at := []string{"-endpoint", ep.Addr(), "-etcd", s.Endpoint()}
	other := func(uid string) {
		t.Helper()
		r := ecsperm(t, "", lkCreds, append(append([]string{"apply", "-yes"}, at...), lkShare(uid)...)...)
		if r.code != 0 {
			t.Fatalf("apply %s: exit %d\n%s", uid, r.code, r.stderr)
		}
	}
	other("2000000000000009") // the role exists

	p := startPrompted(t, lkCreds, append(append([]string{"apply"}, at...), lkShare("2000000000000001")...)...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	held, err := cli.Get(ctx, "/encryptperm/locks/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if held.Count != 0 {
		t.Errorf("%d lock keys while the person reads the plan, want none", held.Count)
	}
	other("2000000000000002") // RAM moves, the plan does not
	if code := p.answer(t); code != 0 {
		t.Fatalf("confirmed apply: exit %d\n%s%s", code, p.stdout.String(), p.stderr.String())
	}
	if diff := cmp.Diff([]string{"2000000000000001", "2000000000000002", "2000000000000009"}, lkTrusted(f)); diff != "" {
		t.Errorf("trusted accounts (-want +got):\n%s", diff)
	}

	writes := len(f.Calls())
	p = startPrompted(t, lkCreds, append(append([]string{"apply"}, at...), lkShare("2000000000000003")...)...)
	other("2000000000000003") // the plan changes: nothing left to do
	writesBefore := countWrites(f.Calls()[writes:])
	if code := p.answer(t); code != 1 {
		t.Errorf("apply whose plan changed: exit %d, want 1\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "RAM changed while the plan was read; nothing was written") {
		t.Errorf("stderr does not say the plan changed:\n%s", p.stderr.String())
	}
	if got := countWrites(f.Calls()[writes:]); got != writesBefore {
		t.Errorf("the apply whose plan changed wrote %d times", got-writesBefore)
	}
}

func countWrites(calls []fake.RecordedCall) int {
	n := 0
	for _, c := range calls {
		for _, p := range []string{"Create", "Update", "Delete", "Attach", "Detach"} {
			if strings.HasPrefix(c.Action, p) {
				n++
			}
		}
	}
	return n
}

func TestEtcdFlagsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		say  string
	}{
		{"cert without key", with("apply", "-etcd", "127.0.0.1:1", "-etcd-cert", "c.pem"), nil, "-etcd-cert and -etcd-key go together"},
		{"TLS without etcd", with("apply", "-etcd-cacert", "ca.pem"), nil, "go with -etcd"},
		{"empty endpoint list", with("revoke", "-etcd", ","), nil, "want host:port"},
		{"a CA file that is not there", with("apply", "-etcd", "127.0.0.1:1", "-etcd-cacert", "/nonexistent/ca.pem"), nil, "etcd TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ecsperm(t, "", tt.env, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.say) {
				t.Errorf("exit %d, want 2 and %q in:\n%s", r.code, tt.say, r.stderr)
			}
		})
	}
	// etcd that does not answer: the lock is not held within -etcd-wait,
	// and nothing is contacted.
	r := ecsperm(t, "", nil, with("apply", "-etcd", "127.0.0.1:1", "-etcd-wait", "300ms")...)
	if r.code != 3 || !strings.Contains(r.stderr, "was not held within -etcd-wait 300ms") {
		t.Errorf("etcd out of reach: exit %d, want 3\n%s", r.code, r.stderr)
	}
}
