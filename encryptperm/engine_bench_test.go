package encryptperm_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// ramLatency is the fixed time the fake endpoint waits before answering each
// request in the round-trip benchmarks. A round-trip level is wall time
// divided by it.
var ramLatency = flag.Duration("ram.latency", 20*time.Millisecond, "latency per request of the fake RAM endpoint in BenchmarkRoundTrips")

// levelTransport counts calls, writes and round-trip levels without looking
// at the clock: a request's level is one more than the highest level of the
// requests that had been answered when it started. Requests sent together
// share a level; a request that had to wait for an answer is one level
// deeper. With a fixed latency per request, wall time is about levels times
// the latency.
type levelTransport struct {
	base http.RoundTripper

	mu       sync.Mutex
	answered int // highest level of an answered request
	deepest  int
	inFlight int
	busiest  int // most requests in flight at once
	calls    int
	writes   int
	actions  []string
}

func (l *levelTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	action := r.URL.Query().Get("Action")
	l.mu.Lock()
	level := l.answered + 1
	l.deepest = max(l.deepest, level)
	l.calls++
	if rtIsWrite(action) {
		l.writes++
	}
	l.actions = append(l.actions, fmt.Sprintf("%d:%s", level, action))
	l.inFlight++
	l.busiest = max(l.busiest, l.inFlight)
	l.mu.Unlock()
	resp, err := l.base.RoundTrip(r)
	l.mu.Lock()
	l.answered = max(l.answered, level)
	l.inFlight--
	l.mu.Unlock()
	return resp, err
}

func (l *levelTransport) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered, l.deepest, l.busiest, l.calls, l.writes, l.actions = 0, 0, 0, 0, 0, nil
}

// counts returns levels, calls and writes since the last reset.
func (l *levelTransport) counts() (levels, calls, writes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deepest, l.calls, l.writes
}

func (l *levelTransport) trace() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.actions, " ")
}

func rtIsWrite(action string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Attach", "Detach", "SetDefault", "Modify", "Associate", "Disassociate"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// rtEnv is a fake RAM behind an endpoint with a fixed latency, an Applier
// built by NewRAMApplier, and plain SDK clients for the peers, all going
// through one levelTransport.
type rtEnv struct {
	f       *fake.RAM
	lt      *levelTransport
	applier encryptperm.Applier
	opts    encryptperm.Options // the Applier's
	clients []*ram.Client       // for the peers' call sequences
}

// renew gives env a new Applier with the same options: one that has
// remembered nothing of earlier calls, as in a new process.
func (env *rtEnv) renew(tb testing.TB) {
	tb.Helper()
	o := env.opts
	a, err := encryptperm.NewRAMApplier(&o)
	if err != nil {
		tb.Fatal(err)
	}
	env.applier = a
}

func newRTEnv(tb testing.TB, latency time.Duration) *rtEnv {
	tb.Helper()
	return newRTEnvWith(tb, latency, nil)
}

// newRTEnvWith is newRTEnv with the Applier's options changed by set.
func newRTEnvWith(tb testing.TB, latency time.Duration, set func(o *encryptperm.Options)) *rtEnv {
	tb.Helper()
	f := fake.New(nil)
	ep, err := fake.Start(f, &fake.ServerOptions{Latency: latency})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ep.Close() })
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 16
	lt := &levelTransport{base: base}
	cred := credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	o := &encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP", Credential: cred, Transport: lt}
	if set != nil {
		set(o)
	}
	kept := *o
	a, err := encryptperm.NewRAMApplier(o)
	if err != nil {
		tb.Fatal(err)
	}
	env := &rtEnv{f: f, lt: lt, applier: a, opts: kept}
	for range 6 {
		c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
		if err != nil {
			tb.Fatal(err)
		}
		c.SetTransport(lt)
		env.clients = append(env.clients, c)
	}
	return env
}

// rtGrant is the share of the accounts with one key.
func rtGrant(tb testing.TB, accounts ...string) *encryptperm.Grant {
	tb.Helper()
	g, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(apKey).Build()
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// rtAccounts returns n recipient accounts.
func rtAccounts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("50000000000000%02d", i)
	}
	return out
}

// rtSeedShare puts the share of apAcctA in place, as Apply leaves it.
func rtSeedShare(tb testing.TB, f *fake.RAM) {
	tb.Helper()
	g := rtGrant(tb, apAcctA)
	if err := f.PutRole(fake.Role{Name: g.Role.Name, TrustPolicy: g.Role.TrustPolicy.String()}); err != nil {
		tb.Fatal(err)
	}
	p := g.Policies[0]
	if err := f.PutPolicy(fake.Policy{Name: p.Name, Versions: []fake.PolicyVersion{{ID: "v1", Document: p.Document.String()}}}); err != nil {
		tb.Fatal(err)
	}
	if err := f.PutAttachment(g.Role.Name, string(encryptperm.Custom), p.Name); err != nil {
		tb.Fatal(err)
	}
}

// rtWork is one piece of work, done by the engine or by a peer.
type rtWork struct {
	name string
	seed func(tb testing.TB, f *fake.RAM)
	run  func(tb testing.TB, env *rtEnv) error
	// opts, when set, changes the Applier's options.
	opts func(o *encryptperm.Options)
	// renew gives each run a new Applier, which remembers no key found
	// before, as in a new process.
	renew bool
}

// verifyByReading sets Options.VerifyByReading.
func verifyByReading(o *encryptperm.Options) { o.VerifyByReading = true }

// detachBroader sets Options.DetachBroaderPolicies.
func detachBroader(o *encryptperm.Options) { o.DetachBroaderPolicies = true }

// rtDisk is the disk encryption grant of apKey.
func rtDisk(tb testing.TB) []*encryptperm.Grant {
	tb.Helper()
	g, err := encryptperm.DiskEncryption().WithKey(apKey).Build()
	if err != nil {
		tb.Fatal(err)
	}
	return []*encryptperm.Grant{g}
}

// rtSeedBroadDisk puts the disk encryption role in place with the broad
// system policy the console attaches, and no policy naming a key.
func rtSeedBroadDisk(tb testing.TB, f *fake.RAM) {
	tb.Helper()
	g := rtDisk(tb)[0]
	if err := f.PutRole(fake.Role{Name: g.Role.Name, TrustPolicy: g.Role.TrustPolicy.String()}); err != nil {
		tb.Fatal(err)
	}
	if err := f.PutAttachment(g.Role.Name, string(encryptperm.System), encryptperm.DiskEncryptSystemPolicy); err != nil {
		tb.Fatal(err)
	}
}

// rtSeedBroadDiskKeyed is rtSeedBroadDisk with the policy naming apKey
// attached too, as Apply leaves it without DetachBroaderPolicies.
func rtSeedBroadDiskKeyed(tb testing.TB, f *fake.RAM) {
	tb.Helper()
	rtSeedBroadDisk(tb, f)
	g := rtDisk(tb)[0]
	var p encryptperm.Attachment
	for _, a := range g.Policies {
		if a.Type == encryptperm.Custom {
			p = a
		}
	}
	if err := f.PutPolicy(fake.Policy{Name: p.Name, Versions: []fake.PolicyVersion{{ID: "v1", Document: p.Document.String()}}}); err != nil {
		tb.Fatal(err)
	}
	if err := f.PutAttachment(g.Role.Name, string(encryptperm.Custom), p.Name); err != nil {
		tb.Fatal(err)
	}
}

func engineApply(accounts ...[]string) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		var gs []*encryptperm.Grant
		for _, a := range accounts {
			gs = append(gs, rtGrant(tb, a...))
		}
		_, err := env.applier.Apply(context.Background(), gs...)
		return err
	}
}

// rtThreeRoles returns the grants of the three roles, one per kind: disk
// encryption, a snapshot share and an image share, with one key.
func rtThreeRoles(tb testing.TB) []*encryptperm.Grant {
	tb.Helper()
	disk, err := encryptperm.DiskEncryption().WithKey(apKey).Build()
	if err != nil {
		tb.Fatal(err)
	}
	image, err := encryptperm.ShareImage().WithAccounts(apAcctA).WithKey(apKey).Build()
	if err != nil {
		tb.Fatal(err)
	}
	return []*encryptperm.Grant{disk, rtGrant(tb, apAcctA), image}
}

func engineApplyAll(grants func(tb testing.TB) []*encryptperm.Grant) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		_, err := env.applier.Apply(context.Background(), grants(tb)...)
		return err
	}
}

// rtAccess asks whether apAcctA's ECS may use apKey for a shared snapshot.
var rtAccess = encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, Key: apKey}

// engineCheck answers rtAccess through the Applier and fails unless it is
// allowed.
func engineCheck(tb testing.TB, env *rtEnv) error {
	d, err := env.applier.Check(context.Background(), rtAccess)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return fmt.Errorf("check: not allowed: %s", d.Reason)
	}
	return nil
}

// shareSeed is the world of the share rows: a key and an image it
// encrypts.
const shareSeed = `{"keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}]}`

// rtSeedImage puts in place the world of the share rows: a key and an
// image it encrypts, shared with nobody.
func rtSeedImage(tb testing.TB, f *fake.RAM) {
	tb.Helper()
	if err := fake.LoadSeedBytes(f, []byte(shareSeed)); err != nil {
		tb.Fatal(err)
	}
}

// rtSeedImageCrowded is rtSeedImage in a region with a page's worth of
// other encrypted images, whose snapshots are all listed before the image's
// (the fake lists snapshots by ID: s-imgbp1crowd… before s-imgbp1shared01),
// so the first page of the share step's list misses it.
func rtSeedImageCrowded(tb testing.TB, f *fake.RAM) {
	tb.Helper()
	rtSeedImage(tb, f)
	for i := range 100 {
		if err := f.PutImage(fake.Image{Region: shRegion, ID: fmt.Sprintf("m-bp1crowd%03d", i), KMSKeyID: apKey.ID}); err != nil {
			tb.Fatal(err)
		}
	}
}

// rtSeedImageCrowdedShared is rtSeedImageCrowded after rtShareImage has
// been applied.
var rtSeedImageCrowdedShared = rtShared(rtSeedImageCrowded)

// rtShared returns seed followed by an Apply of rtShareImage on an Applier
// of its own.
func rtShared(seed func(tb testing.TB, f *fake.RAM)) func(tb testing.TB, f *fake.RAM) {
	return func(tb testing.TB, f *fake.RAM) {
		tb.Helper()
		seed(tb, f)
		a := encryptperm.NewApplier(f, nil)
		if _, err := a.Apply(context.Background(), rtShareImage(tb)...); err != nil {
			tb.Fatal(err)
		}
	}
}

// rtShareImage shares the image with three accounts, the Applier finding
// its key.
func rtShareImage(tb testing.TB) []*encryptperm.Grant {
	tb.Helper()
	g, err := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX).Build()
	if err != nil {
		tb.Fatal(err)
	}
	return []*encryptperm.Grant{g}
}

// rtShareImageWithKey is rtShareImage with the image's key named.
func rtShareImageWithKey(tb testing.TB) []*encryptperm.Grant {
	tb.Helper()
	g, err := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX).WithKey(apKey).Build()
	if err != nil {
		tb.Fatal(err)
	}
	return []*encryptperm.Grant{g}
}

// rtSeedImageShared is rtSeedImage after rtShareImage has been applied.
var rtSeedImageShared = rtShared(rtSeedImage)

// together runs fns at once, each on its own client, as Terraform walks
// independent resources in parallel.
func together(env *rtEnv, fns ...func(c *ram.Client) error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(env.clients[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func getRole(c *ram.Client, name string) error {
	req := ram.CreateGetRoleRequest()
	req.RoleName = name
	_, err := c.GetRole(req)
	return err
}

func getPolicy(c *ram.Client, name string) error {
	req := ram.CreateGetPolicyRequest()
	req.PolicyName, req.PolicyType = name, "Custom"
	_, err := c.GetPolicy(req)
	return err
}

func listPoliciesForRole(c *ram.Client, role string) error {
	req := ram.CreateListPoliciesForRoleRequest()
	req.RoleName = role
	_, err := c.ListPoliciesForRole(req)
	return err
}

func updateTrust(c *ram.Client, role string, trust *policy.Document) error {
	req := ram.CreateUpdateRoleRequest()
	req.RoleName, req.NewAssumeRolePolicyDocument = role, trust.String()
	_, err := c.UpdateRole(req)
	return err
}

// The peers' call sequences for the same work.
//
// Terraform (alicloud provider): every resource is created and then read
// back; independent resources run in parallel; the attachment waits for the
// role and the policy. Before an update, it refreshes every resource.
//
// A CLI-style script makes one call after another and reads nothing it does
// not need.

func terraformCreate(tb testing.TB, env *rtEnv) error {
	return terraformCreateOn(env.clients[0], env.clients[1], rtGrant(tb, apAcctA))
}

// terraformCreateOn creates a grant's role and policy in parallel, on two
// clients, each read back, then attaches and reads the attachment back.
func terraformCreateOn(c0, c1 *ram.Client, g *encryptperm.Grant) error {
	p := g.Policies[0]
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		req := ram.CreateCreateRoleRequest()
		req.RoleName, req.AssumeRolePolicyDocument, req.Description = g.Role.Name, g.Role.TrustPolicy.String(), g.Role.Description
		if _, err := c0.CreateRole(req); err != nil {
			errs[0] = err
			return
		}
		errs[0] = getRole(c0, g.Role.Name)
	}()
	go func() {
		defer wg.Done()
		req := ram.CreateCreatePolicyRequest()
		req.PolicyName, req.PolicyDocument, req.Description = p.Name, p.Document.String(), p.Description
		if _, err := c1.CreatePolicy(req); err != nil {
			errs[1] = err
			return
		}
		errs[1] = getPolicy(c1, p.Name)
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	req := ram.CreateAttachPolicyToRoleRequest()
	req.RoleName, req.PolicyName, req.PolicyType = g.Role.Name, p.Name, "Custom"
	if _, err := c0.AttachPolicyToRole(req); err != nil {
		return err
	}
	return listPoliciesForRole(c0, g.Role.Name)
}

// terraformCreateAll creates the grants as Terraform walks independent
// resources: every grant at once, two clients each.
func terraformCreateAll(grants func(tb testing.TB) []*encryptperm.Grant) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		gs := grants(tb)
		errs := make([]error, len(gs))
		var wg sync.WaitGroup
		for i, g := range gs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = terraformCreateOn(env.clients[2*i], env.clients[2*i+1], g)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
}

func terraformRefresh(tb testing.TB, env *rtEnv) error {
	g := rtGrant(tb, apAcctA)
	return together(env,
		func(c *ram.Client) error { return getRole(c, g.Role.Name) },
		func(c *ram.Client) error { return getPolicy(c, g.Policies[0].Name) },
		func(c *ram.Client) error { return listPoliciesForRole(c, g.Role.Name) },
	)
}

func terraformUpdateTrust(accounts ...string) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		if err := terraformRefresh(tb, env); err != nil {
			return err
		}
		g := rtGrant(tb, append([]string{apAcctA}, accounts...)...)
		c := env.clients[0]
		if err := updateTrust(c, g.Role.Name, g.Role.TrustPolicy); err != nil {
			return err
		}
		return getRole(c, g.Role.Name)
	}
}

func cliCreate(tb testing.TB, env *rtEnv) error {
	return cliCreateOn(env.clients[0], rtGrant(tb, apAcctA))
}

// cliCreateOn creates a grant's role, policy and attachment, one call after
// another.
func cliCreateOn(c *ram.Client, g *encryptperm.Grant) error {
	p := g.Policies[0]
	role := ram.CreateCreateRoleRequest()
	role.RoleName, role.AssumeRolePolicyDocument, role.Description = g.Role.Name, g.Role.TrustPolicy.String(), g.Role.Description
	if _, err := c.CreateRole(role); err != nil {
		return err
	}
	pol := ram.CreateCreatePolicyRequest()
	pol.PolicyName, pol.PolicyDocument, pol.Description = p.Name, p.Document.String(), p.Description
	if _, err := c.CreatePolicy(pol); err != nil {
		return err
	}
	att := ram.CreateAttachPolicyToRoleRequest()
	att.RoleName, att.PolicyName, att.PolicyType = g.Role.Name, p.Name, "Custom"
	_, err := c.AttachPolicyToRole(att)
	return err
}

// cliCreateAll creates the grants one after another.
func cliCreateAll(grants func(tb testing.TB) []*encryptperm.Grant) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		for _, g := range grants(tb) {
			if err := cliCreateOn(env.clients[0], g); err != nil {
				return err
			}
		}
		return nil
	}
}

func cliCheck(tb testing.TB, env *rtEnv) error {
	g := rtGrant(tb, apAcctA)
	c := env.clients[0]
	if err := getRole(c, g.Role.Name); err != nil {
		return err
	}
	if err := getPolicy(c, g.Policies[0].Name); err != nil {
		return err
	}
	return listPoliciesForRole(c, g.Role.Name)
}

// cliAddEach adds the accounts one grant at a time: read the trust policy,
// write it back with the account added.
func cliAddEach(accounts ...string) func(tb testing.TB, env *rtEnv) error {
	return func(tb testing.TB, env *rtEnv) error {
		c := env.clients[0]
		have := []string{apAcctA}
		for _, a := range accounts {
			have = append(have, a)
			g := rtGrant(tb, have...)
			if err := getRole(c, g.Role.Name); err != nil {
				return err
			}
			if err := updateTrust(c, g.Role.Name, g.Role.TrustPolicy); err != nil {
				return err
			}
		}
		return nil
	}
}

// rtWorks lists the work measured, each by the engine and by the peers.
func rtWorks() []rtWork {
	fifty := rtAccounts(50)
	perGrant := make([][]string, len(fifty))
	for i, a := range fifty {
		perGrant[i] = []string{a}
	}
	return []rtWork{
		{name: "no-op/encryptperm", seed: rtSeedShare, run: engineApply([]string{apAcctA})},
		{name: "no-op/terraform-refresh", seed: rtSeedShare, run: terraformRefresh},
		{name: "no-op/cli-check", seed: rtSeedShare, run: cliCheck},
		{name: "empty-account/encryptperm", run: engineApply([]string{apAcctA})},
		{name: "empty-account/encryptperm-verify-by-reading", run: engineApply([]string{apAcctA}), opts: verifyByReading},
		{name: "empty-account/terraform", run: terraformCreate},
		{name: "empty-account/cli", run: cliCreate},
		{name: "add-account/encryptperm", seed: rtSeedShare, run: engineApply([]string{apAcctB})},
		{name: "add-account/encryptperm-verify-by-reading", seed: rtSeedShare, run: engineApply([]string{apAcctB}), opts: verifyByReading},
		{name: "add-account/terraform", seed: rtSeedShare, run: terraformUpdateTrust(apAcctB)},
		{name: "add-account/cli", seed: rtSeedShare, run: cliAddEach(apAcctB)},
		{name: "fifty-grants/encryptperm", seed: rtSeedShare, run: engineApply(perGrant...)},
		{name: "fifty-grants/terraform", seed: rtSeedShare, run: terraformUpdateTrust(fifty...)},
		{name: "fifty-grants/cli", seed: rtSeedShare, run: cliAddEach(fifty...)},
		{name: "three-roles/encryptperm", run: engineApplyAll(rtThreeRoles)},
		{name: "three-roles/terraform", run: terraformCreateAll(rtThreeRoles)},
		{name: "three-roles/cli", run: cliCreateAll(rtThreeRoles)},
		{name: "check/encryptperm", seed: rtSeedShare, run: engineCheck},
		{name: "share-image-cold/encryptperm", seed: rtSeedImage, run: engineApplyAll(rtShareImage), renew: true},
		{name: "share-image-warm/encryptperm", seed: rtSeedImageShared, run: engineApplyAll(rtShareImage)},
		{name: "share-image-warm-new-applier/encryptperm", seed: rtSeedImageShared, run: engineApplyAll(rtShareImage), renew: true},
		{name: "share-image-key-given-cold/encryptperm", seed: rtSeedImage, run: engineApplyAll(rtShareImageWithKey), renew: true},
		{name: "share-image-key-given-warm/encryptperm", seed: rtSeedImageShared, run: engineApplyAll(rtShareImageWithKey)},
		{name: "share-image-crowded-cold/encryptperm", seed: rtSeedImageCrowded, run: engineApplyAll(rtShareImage), renew: true},
		{name: "share-image-crowded-warm/encryptperm", seed: rtSeedImageCrowdedShared, run: engineApplyAll(rtShareImage)},
		{name: "share-image-crowded-warm-new-applier/encryptperm", seed: rtSeedImageCrowdedShared, run: engineApplyAll(rtShareImage), renew: true},
		{name: "check/cli", seed: rtSeedShare, run: cliCheck},
		{name: "detach-broader/encryptperm", seed: rtSeedBroadDisk, run: engineApplyAll(rtDisk), opts: detachBroader},
		{name: "detach-broader-keyed/encryptperm", seed: rtSeedBroadDiskKeyed, run: engineApplyAll(rtDisk), opts: detachBroader},
	}
}

// BenchmarkRoundTrips measures the engine (through NewRAMApplier) and the
// peers' call sequences for the same work against the fake endpoint, each
// request delayed by -ram.latency. It reports levels/op (wall time divided
// by the latency), counted-levels/op (the sequential levels of requests, as
// TestRoundTripBounds counts them), calls/op and writes/op. Each piece of
// work runs once untimed first, so that clients and connections are warm,
// as in a process that has made calls before.
//
//	go test -run='^$' -bench=RoundTrips -benchmem ./encryptperm/ -ram.latency=40ms
func BenchmarkRoundTrips(b *testing.B) {
	latency := *ramLatency
	for _, w := range rtWorks() {
		b.Run(w.name, func(b *testing.B) {
			b.StopTimer()
			env := newRTEnvWith(b, latency, w.opts)
			once := func() {
				env.f.Reset()
				if w.seed != nil {
					w.seed(b, env.f)
				}
				if w.renew {
					env.renew(b)
				}
				env.lt.reset()
			}
			once()
			if err := w.run(b, env); err != nil {
				b.Fatal(err)
			}
			var wall time.Duration
			var levels, calls, writes int
			for range b.N {
				b.StopTimer()
				once()
				b.StartTimer()
				start := time.Now()
				if err := w.run(b, env); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(start)
				l, c, wr := env.lt.counts()
				levels += l
				calls += c
				writes += wr
			}
			n := float64(b.N)
			b.ReportMetric(float64(wall)/float64(latency)/n, "levels/op")
			b.ReportMetric(float64(levels)/n, "counted-levels/op")
			b.ReportMetric(float64(calls)/n, "calls/op")
			b.ReportMetric(float64(writes)/n, "writes/op")
		})
	}
}

// TestRoundTripBounds enforces the engine's round-trip figures by counting,
// not by the clock: levels come from the levelTransport (the endpoint's
// latency only keeps requests sent together apart from those that waited).
// Each row is a goal: a level is the least a read-first engine can spend
// (one to read, one per dependent write), and verification adds none where
// RAM's answer carries what was written.
func TestRoundTripBounds(t *testing.T) {
	env := newRTEnv(t, 50*time.Millisecond)
	fifty := rtAccounts(50)
	perGrant := make([][]string, len(fifty))
	for i, a := range fifty {
		perGrant[i] = []string{a}
	}
	grantsOf := func(accounts ...[]string) func(tb testing.TB) []*encryptperm.Grant {
		return func(tb testing.TB) []*encryptperm.Grant {
			var gs []*encryptperm.Grant
			for _, a := range accounts {
				gs = append(gs, rtGrant(tb, a...))
			}
			return gs
		}
	}
	// seedWarm puts the snapshot and image shares of apAcctA in place and
	// leaves the disk role out.
	seedWarm := func(tb testing.TB, f *fake.RAM) {
		tb.Helper()
		for _, g := range rtThreeRoles(tb)[1:] {
			if err := f.PutRole(fake.Role{Name: g.Role.Name, TrustPolicy: g.Role.TrustPolicy.String()}); err != nil {
				tb.Fatal(err)
			}
			p := g.Policies[0]
			if err := f.PutPolicy(fake.Policy{Name: p.Name, Versions: []fake.PolicyVersion{{ID: "v1", Document: p.Document.String()}}}); err != nil {
				tb.Fatal(err)
			}
			if err := f.PutAttachment(g.Role.Name, string(encryptperm.Custom), p.Name); err != nil {
				tb.Fatal(err)
			}
		}
	}
	// addB adds apAcctB to both shares, and asks for the disk role too.
	addB := func(tb testing.TB) []*encryptperm.Grant {
		gs := rtThreeRoles(tb)
		image, err := encryptperm.ShareImage().WithAccounts(apAcctB).WithKey(apKey).Build()
		if err != nil {
			tb.Fatal(err)
		}
		return []*encryptperm.Grant{gs[0], rtGrant(tb, apAcctB), image}
	}
	tests := []struct {
		name string
		seed func(tb testing.TB, f *fake.RAM)
		give func(tb testing.TB) []*encryptperm.Grant // nil: Check rtAccess
		// again counts the second of two Applies of give on one Applier
		// (which remembers the keys it found); otherwise the one Apply of
		// a new Applier is counted.
		again      bool
		wantLevels int
		// wantCalls are the README's counts: an Apply whose grants name a
		// key reads the key (DescribeKey) and its key policy
		// (GetKeyPolicy) in the first level, and so does a Check.
		wantCalls  int
		wantWrites int
	}{
		{name: "no-op apply", seed: rtSeedShare, give: grantsOf([]string{apAcctA}), wantLevels: 1, wantCalls: 6, wantWrites: 0},
		{name: "add one account to an existing share", seed: rtSeedShare, give: grantsOf([]string{apAcctB}), wantLevels: 2, wantCalls: 7, wantWrites: 1},
		{name: "apply on an empty account", give: grantsOf([]string{apAcctA}), wantLevels: 3, wantCalls: 10, wantWrites: 3},
		{name: "three cold roles in one apply", give: rtThreeRoles, wantLevels: 3, wantCalls: 26, wantWrites: 9},
		{name: "three roles: one cold, two gain an account", seed: seedWarm, give: addB, wantLevels: 3, wantCalls: 20, wantWrites: 5},
		{name: "fifty grants add fifty accounts", seed: rtSeedShare, give: grantsOf(perGrant...), wantLevels: 2, wantCalls: 7, wantWrites: 1},
		{name: "check one recipient", seed: rtSeedShare, wantLevels: 1, wantCalls: 5, wantWrites: 0},
		// The share step reads the image, its shares and the region's
		// encrypted snapshots (which name the image's snapshot and so its
		// key) beside RAM's reads; then the key's state, which every check
		// needs, a write or not; RAM's two levels of writes; the share once
		// RAM holds the grant: RAM's 3 levels + 2 cold. Warm, nothing is
		// written, but the key's state is read all the same: in the first
		// level on an Applier that found the key before (1 level), in a
		// level of its own on a new one (2 levels). With the key named
		// (WithKey) it is read in the first level: 4 cold, 1 warm.
		{name: "share one image with three accounts, cold", seed: rtSeedImage, give: rtShareImage, wantLevels: 5, wantCalls: 13, wantWrites: 4},
		{name: "share one image with three accounts, warm", seed: rtSeedImageShared, give: rtShareImage, again: true, wantLevels: 1, wantCalls: 8, wantWrites: 0},
		{name: "share one image with three accounts, warm, a new Applier", seed: rtSeedImageShared, give: rtShareImage, wantLevels: 2, wantCalls: 8, wantWrites: 0},
		{name: "share one image with three accounts, key given, cold", seed: rtSeedImage, give: rtShareImageWithKey, wantLevels: 4, wantCalls: 14, wantWrites: 4},
		{name: "share one image with three accounts, key given, warm", seed: rtSeedImageShared, give: rtShareImageWithKey, wantLevels: 1, wantCalls: 9, wantWrites: 0},
		// A region with more encrypted snapshots than the list's page, the
		// image's past it: its snapshot is read by ID a level later (ECS
		// names an image's key only through its snapshot), one call and one
		// level more.
		{name: "share one image, its snapshot past the list's page, cold", seed: rtSeedImageCrowded, give: rtShareImage, wantLevels: 6, wantCalls: 14, wantWrites: 4},
		{name: "share one image, its snapshot past the list's page, warm", seed: rtSeedImageCrowdedShared, give: rtShareImage, again: true, wantLevels: 2, wantCalls: 9, wantWrites: 0},
		{name: "share one image, its snapshot past the list's page, warm, a new Applier", seed: rtSeedImageCrowdedShared, give: rtShareImage, wantLevels: 3, wantCalls: 9, wantWrites: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Scheduling delays can only add levels (a request sent late
			// looks as if it waited for another); a loaded machine gets two
			// more tries, and the fewest levels count.
			levels := 0
			for try := 1; try <= 3; try++ {
				env.f.Reset()
				if tt.seed != nil {
					tt.seed(t, env.f)
				}
				env.renew(t)
				if tt.again {
					if _, err := env.applier.Apply(context.Background(), tt.give(t)...); err != nil {
						t.Fatal(err)
					}
				}
				env.lt.reset()
				resCalls, resWrites := 0, 0
				if tt.give == nil {
					if err := engineCheck(t, env); err != nil {
						t.Fatal(err)
					}
				} else {
					res, err := env.applier.Apply(context.Background(), tt.give(t)...)
					if err != nil {
						t.Fatal(err)
					}
					resCalls, resWrites = len(res.Calls), res.Writes
				}
				l, calls, writes := env.lt.counts()
				if writes != tt.wantWrites {
					t.Errorf("%d writes, want %d", writes, tt.wantWrites)
				}
				if calls != tt.wantCalls {
					t.Errorf("%d calls, want %d", calls, tt.wantCalls)
				}
				if tt.give != nil && (resCalls != calls || resWrites != writes) {
					t.Errorf("the Result counts %d calls and %d writes; %d and %d went on the wire", resCalls, resWrites, calls, writes)
				}
				t.Logf("try %d: %d levels, %d calls, %d writes: %s", try, l, calls, writes, env.lt.trace())
				if try == 1 || l < levels {
					levels = l
				}
				if levels <= tt.wantLevels {
					break
				}
			}
			if levels > tt.wantLevels {
				t.Errorf("%d round-trip levels, want at most %d", levels, tt.wantLevels)
			}
		})
	}
}

// TestRoundTripsDetachBroaderPolicies holds the rows of
// Options.DetachBroaderPolicies: the broad system policy is detached only
// after the policy naming the key is written and attached, a level of its
// own when those writes come first; when the role holds that policy
// already, the detach is the only write.
func TestRoundTripsDetachBroaderPolicies(t *testing.T) {
	env := newRTEnvWith(t, 50*time.Millisecond, detachBroader)
	tests := []struct {
		name                         string
		seed                         func(tb testing.TB, f *fake.RAM)
		wantLevels, wantCalls, wantW int
		wantWrites                   []string // the writes, in order
	}{
		{name: "the key's policy to make and attach", seed: rtSeedBroadDisk, wantLevels: 4, wantCalls: 10, wantW: 3,
			wantWrites: []string{"CreatePolicy", "AttachPolicyToRole", "DetachPolicyFromRole"}},
		{name: "the key's policy attached already", seed: rtSeedBroadDiskKeyed, wantLevels: 2, wantCalls: 7, wantW: 1,
			wantWrites: []string{"DetachPolicyFromRole"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			levels := 0
			for try := 1; try <= 3; try++ {
				env.f.Reset()
				tt.seed(t, env.f)
				env.lt.reset()
				if _, err := env.applier.Apply(context.Background(), rtDisk(t)...); err != nil {
					t.Fatal(err)
				}
				l, calls, writes := env.lt.counts()
				if calls != tt.wantCalls || writes != tt.wantW {
					t.Errorf("%d calls, %d writes; want %d, %d", calls, writes, tt.wantCalls, tt.wantW)
				}
				var got []string
				for _, c := range env.f.Calls() {
					if rtIsWrite(c.Action) {
						got = append(got, c.Action)
					}
				}
				if strings.Join(got, " ") != strings.Join(tt.wantWrites, " ") {
					t.Errorf("writes %v, want %v", got, tt.wantWrites)
				}
				t.Logf("try %d: %d levels: %s", try, l, env.lt.trace())
				if try == 1 || l < levels {
					levels = l
				}
				if levels <= tt.wantLevels {
					break
				}
			}
			if levels != tt.wantLevels {
				t.Errorf("%d levels, want %d", levels, tt.wantLevels)
			}
		})
	}
}
