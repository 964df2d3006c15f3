package audit_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/fake"
)

var (
	benchLatency = flag.Duration("audit.latency", 40*time.Millisecond, "the fake endpoint's latency per request in BenchmarkAudit")
	benchRoles   = flag.Int("audit.roles", 1000, "roles of the account in BenchmarkAudit; each attaches two of twice as many custom policies")
)

// levels counts requests in levels: a request sent while no earlier one
// has been answered shares their level; one sent after an answer is a
// level deeper.
type levels struct {
	base http.RoundTripper

	mu       sync.Mutex
	answered int
	deepest  int
	calls    int
}

func (l *levels) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	level := l.answered + 1
	l.deepest = max(l.deepest, level)
	l.calls++
	l.mu.Unlock()
	resp, err := l.base.RoundTrip(r)
	l.mu.Lock()
	l.answered = max(l.answered, level)
	l.mu.Unlock()
	return resp, err
}

func (l *levels) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered, l.deepest, l.calls = 0, 0, 0
}

func (l *levels) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deepest, l.calls
}

// bigAccount puts n roles and 2n custom policies of five versions each
// into f: role i trusts a member's ECS, the directory, or the account's own
// ECS, and attaches policies 2i and 2i+1; one policy in ten lets its role
// use the key.
func bigAccount(tb testing.TB, f *fake.RAM, n int) {
	tb.Helper()
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: keyID, Instance: "kst-hzz62ee817bvyyr5x"}); err != nil {
		tb.Fatal(err)
	}
	trusts := []string{
		trustOf(`{"Service":"2000000000000001@ecs.aliyuncs.com"}`, ""),
		trustOf(`{"Service":"*@ecs.aliyuncs.com"}`, `{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}`),
		trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""),
	}
	for p := range 2 * n {
		doc := fmt.Sprintf(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"acs:ecs:*:*:instance/i-%06d"}]}`, p)
		if p%10 == 0 {
			doc = keyUse
		}
		var vs []fake.PolicyVersion
		for v := 1; v <= 5; v++ {
			vs = append(vs, fake.PolicyVersion{ID: fmt.Sprintf("v%d", v), Document: doc})
		}
		if err := f.PutPolicy(fake.Policy{Name: fmt.Sprintf("Team-%05d", p), Versions: vs}); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range n {
		name := fmt.Sprintf("Role-%05d", i)
		if err := f.PutRole(fake.Role{Name: name, TrustPolicy: trusts[i%len(trusts)]}); err != nil {
			tb.Fatal(err)
		}
		for _, p := range []int{2 * i, 2*i + 1} {
			if err := f.PutAttachment(name, "Custom", fmt.Sprintf("Team-%05d", p)); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// sdkClients returns a new pair of SDK clients aimed at the endpoint,
// through lt.
func sdkClients(tb testing.TB, ep *fake.Endpoint, lt http.RoundTripper) (*ram.Client, *kms.Client) {
	rc, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		tb.Fatal(err)
	}
	kc, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		tb.Fatal(err)
	}
	rc.SetTransport(lt)
	kc.SetTransport(lt)
	return rc, kc
}

// BenchmarkAudit audits one key of an account of 1,000 roles and 2,000
// custom policies of five versions each, through the fake's endpoint with
// a fixed latency L per request, and beside it makes the calls a script
// would: list the roles, then one role after another its trust policy, its
// attachments and each attached policy, then the key. It reports levels of
// calls, calls, wall time ÷ L and, with -benchmem, memory.
//
//	go test -run '^$' -bench Audit -benchmem -benchtime 1x ./encryptperm/audit/
func BenchmarkAudit(b *testing.B) {
	f := fake.New(&fake.Options{MaxCalls: 1000})
	bigAccount(b, f, *benchRoles)
	ep, err := fake.Start(f, &fake.ServerOptions{Latency: *benchLatency})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ep.Close() })
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	lt := &levels{base: base}
	report := func(b *testing.B, start time.Time, peak func() float64) {
		l, calls := lt.counts()
		b.ReportMetric(float64(l), "levels")
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(time.Since(start))/float64(*benchLatency)/float64(b.N), "wall/L")
		b.ReportMetric(peak(), "peak-heap-MB")
	}
	for _, clients := range []int{32, 64} {
		b.Run(fmt.Sprintf("audit/clients=%d", clients), func(b *testing.B) {
			rc, kc := sdkClients(b, ep, lt)
			a := audit.New(rc, kc, &audit.Options{TrustZone: zone, Clients: clients, NewClients: func() (audit.RAM, audit.KMS, error) {
				r, k := sdkClients(b, ep, lt)
				return r, k, nil
			}})
			b.ReportAllocs()
			lt.reset()
			peak := heapPeak()
			start := time.Now()
			for range b.N {
				rep, err := a.Key(context.Background(), key)
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Keys[0].Paths) == 0 {
					b.Fatal("no path")
				}
			}
			report(b, start, peak)
		})
	}
	b.Run("script", func(b *testing.B) {
		rc, kc := sdkClients(b, ep, lt)
		b.ReportAllocs()
		lt.reset()
		peak := heapPeak()
		start := time.Now()
		for range b.N {
			scriptAudit(b, rc, kc)
		}
		report(b, start, peak)
	})
}

// heapPeak samples the heap in use until the returned function is called,
// which returns the most it held above what it held at the start, in MB:
// the memory of the reads, the fake's state aside.
func heapPeak() func() float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var mu sync.Mutex
	top := base
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				mu.Lock()
				top = max(top, m.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return float64(top-base) / 1e6
	}
}

// scriptAudit makes the calls a script makes: one after another.
func scriptAudit(b *testing.B, rc *ram.Client, kc *kms.Client) {
	lr := ram.CreateListRolesRequest()
	lr.MaxItems = requests.NewInteger(1000)
	roles, err := rc.ListRoles(lr)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range roles.Roles.Role {
		gr := ram.CreateGetRoleRequest()
		gr.RoleName = r.RoleName
		if _, err := rc.GetRole(gr); err != nil {
			b.Fatal(err)
		}
		lp := ram.CreateListPoliciesForRoleRequest()
		lp.RoleName = r.RoleName
		attached, err := rc.ListPoliciesForRole(lp)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range attached.Policies.Policy {
			gp := ram.CreateGetPolicyRequest()
			gp.PolicyName, gp.PolicyType = p.PolicyName, p.PolicyType
			if _, err := rc.GetPolicy(gp); err != nil {
				b.Fatal(err)
			}
		}
	}
	dk := kms.CreateDescribeKeyRequest()
	dk.RegionId, dk.KeyId = "cn-hangzhou", keyARN
	if _, err := kc.DescribeKey(dk); err != nil {
		b.Fatal(err)
	}
	gk := kms.CreateGetKeyPolicyRequest()
	gk.RegionId, gk.KeyId, gk.PolicyName = "cn-hangzhou", keyARN, "default"
	if _, err := kc.GetKeyPolicy(gk); err != nil {
		b.Fatal(err)
	}
}
