package policy

import (
	"fmt"
	"testing"
)

// One decision is what Check evaluates after reading RAM: the trust policy
// for the recipient's ECS, then the permission policies for each KMS action
// ECS needs (six key-use actions on the key, two list actions on the
// container): nine evaluations.

type evBench struct {
	trust, perms *PolicySet
	assume       Request
	needs        []Request
}

func newEvBench(tb testing.TB, trust string, policies ...string) *evBench {
	e := &evBench{trust: Compile(evRead(tb, trust))}
	docs := make([]*Document, len(policies))
	for i, p := range policies {
		docs[i] = evRead(tb, p)
	}
	e.perms = Compile(docs...)
	e.assume = Request{
		Action: "sts:AssumeRole", Principal: RequestPrincipal{Service: "2000000000000001@ecs.aliyuncs.com"}, Owner: evOwner,
		Context: []ContextValue{{Key: condRDID, Value: "rd-abc"}, {Key: condRDPath, Value: "rd-abc/r-root/fd-abc/fd-kid"}},
	}
	for _, a := range keyUseActions {
		e.needs = append(e.needs, Request{Action: a, Resource: evKeyARN, Owner: evOwner})
	}
	for _, a := range listActions {
		e.needs = append(e.needs, Request{Action: a, Resource: "acs:kms:cn-hangzhou:1111111111111111:key", Owner: evOwner})
	}
	return e
}

// decide returns whether every step is allowed.
func (e *evBench) decide() bool {
	ok := e.trust.Eval(&e.assume).Allowed()
	for i := range e.needs {
		ok = e.perms.Eval(&e.needs[i]).Allowed() && ok
	}
	return ok
}

func (e *evBench) run(b *testing.B, want bool) {
	b.ReportAllocs()
	if got := e.decide(); got != want {
		b.Fatalf("decision = %v, want %v", got, want)
	}
	for b.Loop() {
		e.decide()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

const evBenchKeyPolicy = `{"Version":"1","Statement":[
	{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
	{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
	 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`

// evScenarios are the decisions the benchmarks time: the trust policy, the
// permission policies, and whether the recipient is allowed.
func evScenarios() []struct {
	name     string
	trust    string
	policies []string
	want     bool
} {
	// Seed scenario 1 with 50 accounts in the trust policy, the recipient last.
	svc := ""
	for i := 0; i < 50; i++ {
		svc += fmt.Sprintf(`"%d@ecs.aliyuncs.com",`, 3000000000000000+i)
	}
	svc += `"2000000000000001@ecs.aliyuncs.com"`
	return []struct {
		name     string
		trust    string
		policies []string
		want     bool
	}{
		{"Accounts", `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":[` + svc + `]}}]}`,
			[]string{evBenchKeyPolicy}, true},
		// Seed scenarios 2 and 3 in one trust policy.
		{"ResourceDirectory", `{"Version":"1","Statement":[
			{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-other"}}},
			{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-abc*"}}}]}`,
			[]string{evBenchKeyPolicy}, true},
		// The recipient is not trusted and a Deny on a missing key guards the
		// key: every step is evaluated in full.
		{"Denied", `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`,
			[]string{evBenchKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}`}, false},
	}
}

// BenchmarkDecision times one trust-plus-permission decision per scenario.
func BenchmarkDecision(b *testing.B) {
	for _, sc := range evScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			newEvBench(b, sc.trust, sc.policies...).run(b, sc.want)
		})
	}
}

func TestDecisionDoesNotAllocate(t *testing.T) {
	for _, sc := range evScenarios() {
		e := newEvBench(t, sc.trust, sc.policies...)
		if got := e.decide(); got != sc.want {
			t.Fatalf("%s: decision = %v, want %v", sc.name, got, sc.want)
		}
		if allocs := testing.AllocsPerRun(100, func() { e.decide() }); allocs != 0 {
			t.Errorf("%s: a decision allocated %v times, want 0", sc.name, allocs)
		}
	}
}

// BenchmarkCompile measures compiling the trust and key policies once.
func BenchmarkCompile(b *testing.B) {
	trust := evRead(b, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-abc*"}}}]}`)
	perms := evRead(b, evBenchKeyPolicy)
	b.ReportAllocs()
	for b.Loop() {
		Compile(trust)
		Compile(perms)
	}
}
