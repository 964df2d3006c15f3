package fake_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/fake"
)

// reportOps reports the benchmark's rate as ops/s.
func reportOps(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

func BenchmarkInProcessGetRole(b *testing.B) {
	f := fake.New(&fake.Options{MaxCalls: 1})
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: benchTrust(0)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := ram.CreateGetRoleRequest()
		req.RoleName = "ShareRole"
		if _, err := f.GetRole(req); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

func BenchmarkInProcessUpdateRole(b *testing.B) {
	f := fake.New(&fake.Options{MaxCalls: 1})
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: benchTrust(0)}); err != nil {
		b.Fatal(err)
	}
	docs := []string{benchTrust(1), benchTrust(2)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := ram.CreateUpdateRoleRequest()
		req.RoleName = "ShareRole"
		req.NewAssumeRolePolicyDocument = docs[i%2]
		i++
		if _, err := f.UpdateRole(req); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

func BenchmarkInProcessCreatePolicyVersion(b *testing.B) {
	f := fake.New(&fake.Options{MaxCalls: 1})
	if err := f.PutPolicy(fake.Policy{Name: "KeyPolicy", Versions: []fake.PolicyVersion{{ID: "v1", Document: benchPolicy(0)}}}); err != nil {
		b.Fatal(err)
	}
	doc := benchPolicy(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := coreCreateVersion(f, "KeyPolicy", doc, true, "DeleteOldestNonDefaultVersionWhenLimitExceeded"); err != nil {
			b.Fatal(err)
		}
	}
	reportOps(b)
}

// BenchmarkMemory measures the heap one fake holds with 1,000 roles and
// 1,500 custom policies of 5 versions each, built through the API. "state"
// keeps a one-call log; "with-log" keeps all 8,500 calls.
func BenchmarkMemory(b *testing.B) {
	for _, bc := range []struct {
		name     string
		maxCalls int
	}{{"state", 1}, {"with-log", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			var total uint64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				f := fillFake(b, bc.maxCalls)
				runtime.GC()
				runtime.ReadMemStats(&after)
				total += after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
				runtime.KeepAlive(f)
			}
			b.ReportMetric(float64(total)/float64(b.N), "heap-bytes/fake")
		})
	}
}

func fillFake(b *testing.B, maxCalls int) *fake.RAM {
	f := fake.New(&fake.Options{MaxCalls: maxCalls})
	for i := range 1000 {
		req := ram.CreateCreateRoleRequest()
		req.RoleName = fmt.Sprintf("role-%04d", i)
		req.AssumeRolePolicyDocument = benchTrust(i)
		if _, err := f.CreateRole(req); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1500 {
		name := fmt.Sprintf("policy-%04d", i)
		req := ram.CreateCreatePolicyRequest()
		req.PolicyName = name
		req.PolicyDocument = benchPolicy(i)
		if _, err := f.CreatePolicy(req); err != nil {
			b.Fatal(err)
		}
		for v := range 4 {
			if _, err := coreCreateVersion(f, name, benchPolicy(i*10+v), true, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	return f
}

// benchTrust returns a share-role trust policy naming 10 accounts (about
// 500 bytes).
func benchTrust(seed int) string {
	var ps []string
	for i := range 10 {
		ps = append(ps, fmt.Sprintf(`"%016d@ecs.aliyuncs.com"`, seed*10+i))
	}
	return `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":[` + strings.Join(ps, ",") + `]}}],"Version":"1"}`
}

// benchPolicy returns a key policy like the ones the builders write (about
// 400 bytes).
func benchPolicy(seed int) string {
	key := fmt.Sprintf("acs:kms:cn-hangzhou:1234567890123456:key/key-hzz%016d", seed)
	return `{"Version":"1","Statement":[` +
		`{"Effect":"Allow","Action":["kms:List*","kms:DescribeKey","kms:TagResource","kms:UntagResource"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key","` + key + `"]},` +
		`{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":["` + key + `"]}]}`
}
