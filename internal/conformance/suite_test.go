package conformance

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

func TestMain(m *testing.M) {
	// The SDK builds its endpoint table on first use without a lock; the
	// fake's client constructor does not guard it, and the suite builds
	// clients from parallel tests.
	ram.GetEndpointMap()
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of the SDK's HTTP clients close on
		// their own schedule.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// Accounts, directories, folders and keys used by the scenarios.
const (
	acctA  = "2000000000000001"
	acctB  = "2000000000000002"
	acctC  = "2000000000000003"
	acctX  = "2999999999999999" // a principal someone else put in the trust policy
	rdID   = "rd-3Fx9Kq"
	folder = "rd-3Fx9Kq/r-Ab12/fd-Zz90"
)

var (
	keyA = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzz6a2f1b0c3d4e5f"}
	keyB = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzz6b2f1b0c3d4e5f"}
	keyC = encryptperm.Key{Region: "cn-shanghai", Owner: fake.DefaultAccountID, ID: "5b2c7d1e-0000-4abc-9def-0123456789ab"}
)

// backend runs an Applier over a fake RAM in one of the ways the library
// supports.
type backend struct {
	name string
	// applier returns an Applier over f configured by o.
	applier func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier
	// aborts is true when the end of a context aborts the request in flight
	// (the Applier owns its clients), so a held call does not commit.
	aborts bool
}

// backends are the three ways the suite runs every scenario.
var backends = []backend{
	{
		name: "fake-in-process",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			return encryptperm.NewApplier(f, &o)
		},
	},
	{
		name: "sdk-client-over-http",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			ep := startEndpoint(t, f, nil)
			c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			if o.KMS, err = ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret); err != nil {
				t.Fatal(err)
			}
			return encryptperm.NewApplier(c, &o)
		},
	},
	{
		name:   "ram-applier-over-http",
		aborts: true,
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			ep := startEndpoint(t, f, nil)
			o.Endpoint = ep.Addr()
			o.Scheme = "HTTP"
			o.Credential = credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			a, err := encryptperm.NewRAMApplier(&o)
			if err != nil {
				t.Fatal(err)
			}
			return a
		},
	},
}

func startEndpoint(t *testing.T, f *fake.RAM, o *fake.ServerOptions) *fake.Endpoint {
	t.Helper()
	ep, err := fake.Start(f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ep
}

// fastOptions are engine options that keep retries quick.
func fastOptions() encryptperm.Options {
	return encryptperm.Options{
		Retry:           encryptperm.RetryOptions{MaxAttempts: 8, InitialInterval: time.Millisecond, MaxInterval: 4 * time.Millisecond},
		PropagationWait: 200 * time.Millisecond,
	}
}

// forEachBackend runs fn once per backend, as parallel subtests.
func forEachBackend(t *testing.T, fn func(t *testing.T, be backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			fn(t, be)
		})
	}
}

// snapshot is what the fake holds, in a form that compares by meaning:
// documents are canonical JSON with their statements sorted.
type snapshot struct {
	// Roles maps a role name to its trust policy.
	Roles map[string]string
	// Policies maps a custom policy name to its versions.
	Policies map[string]policySnap
	// Attachments lists "role <- Type:policy", sorted.
	Attachments []string
}

type policySnap struct {
	Versions []string // oldest first
	Default  string
	Document string // the default version's document
}

func takeSnapshot(t *testing.T, f *fake.RAM) snapshot {
	t.Helper()
	s := snapshot{Roles: map[string]string{}, Policies: map[string]policySnap{}}
	for _, r := range f.Roles() {
		s.Roles[r.Name] = canon(t, r.TrustPolicy)
	}
	for _, p := range f.Policies() {
		if p.Type != string(encryptperm.Custom) {
			continue
		}
		ps := policySnap{Default: p.DefaultVersion}
		for _, v := range p.Versions {
			ps.Versions = append(ps.Versions, v.ID)
			if v.IsDefault {
				ps.Document = canon(t, v.Document)
			}
		}
		s.Policies[p.Name] = ps
	}
	for _, a := range f.Attachments() {
		s.Attachments = append(s.Attachments, attachment(a.RoleName, a.PolicyType, a.PolicyName))
	}
	sort.Strings(s.Attachments)
	return s
}

func attachment(role, typ, policy string) string { return role + " <- " + typ + ":" + policy }

// canon returns a document's canonical JSON with its statements sorted, so
// that two documents equal by meaning have the same text.
func canon(t *testing.T, doc string) string {
	t.Helper()
	d, err := policy.Read([]byte(doc))
	if err != nil {
		t.Fatalf("read document %s: %v", doc, err)
	}
	return canonDoc(d)
}

func canonDoc(d *policy.Document) string {
	d = d.Clone()
	sort.Slice(d.Statement, func(i, j int) bool {
		a, _ := d.Statement[i].MarshalJSON()
		b, _ := d.Statement[j].MarshalJSON()
		return string(a) < string(b)
	})
	return d.String()
}

// expectation builds the snapshot a scenario should leave.
type expectation struct{ s snapshot }

func expect() *expectation {
	return &expectation{s: snapshot{Roles: map[string]string{}, Policies: map[string]policySnap{}}}
}

// role expects a role with this trust policy.
func (e *expectation) role(name string, trust *policy.Document) *expectation {
	e.s.Roles[name] = canonDoc(trust)
	return e
}

// policy expects a custom policy with these versions, the last one default.
func (e *expectation) policy(name string, doc *policy.Document, versions ...string) *expectation {
	if len(versions) == 0 {
		versions = []string{"v1"}
	}
	e.s.Policies[name] = policySnap{Versions: versions, Default: versions[len(versions)-1], Document: canonDoc(doc)}
	return e
}

// policyDefault is policy with a default version other than the newest.
func (e *expectation) policyDefault(name string, doc *policy.Document, def string, versions ...string) *expectation {
	e.s.Policies[name] = policySnap{Versions: versions, Default: def, Document: canonDoc(doc)}
	return e
}

func (e *expectation) attached(role, typ, policy string) *expectation {
	e.s.Attachments = append(e.s.Attachments, attachment(role, typ, policy))
	sort.Strings(e.s.Attachments)
	return e
}

// grant expects everything a freshly applied grant holds: its role and
// trust policy, its custom policies at v1, and its attachments.
func (e *expectation) grant(g *encryptperm.Grant) *expectation {
	e.role(g.Role.Name, g.Role.TrustPolicy)
	for _, a := range g.Policies {
		if a.Type == encryptperm.Custom {
			e.policy(a.Name, a.Document)
		}
		e.attached(g.Role.Name, string(a.Type), a.Name)
	}
	return e
}

func (e *expectation) snapshot() snapshot {
	s := e.s
	sort.Strings(s.Attachments)
	return s
}

// assertState compares the fake's state with want.
func assertState(t *testing.T, f *fake.RAM, want snapshot) {
	t.Helper()
	got := takeSnapshot(t, f)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RAM state mismatch (-want +got):\n%s", diff)
	}
}

// writeActions are the RAM actions that change state.
func isWrite(action string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Attach", "Detach", "SetDefault"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// fakeWrites returns the write actions in the fake's call log.
func fakeWrites(f *fake.RAM) []string {
	var out []string
	for _, c := range f.Calls() {
		if isWrite(c.Action) {
			out = append(out, c.Action)
		}
	}
	return out
}

// summaries returns the summaries of changes, sorted.
func summaries(cs ...[]encryptperm.Change) []string {
	var out []string
	for _, l := range cs {
		for _, c := range l {
			out = append(out, c.Summary)
		}
	}
	sort.Strings(out)
	return out
}

// mustBuild returns the grant b builds, failing the test on error.
func mustBuild(t *testing.T, b interface {
	Build() (*encryptperm.Grant, error)
}) *encryptperm.Grant {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// checkResult asserts what holds for every Result: Writes counts the write
// calls (of RAM, ECS and Resource Sharing), every call answered by RAM carries a RequestId, and the Result
// marshals to JSON.
func checkResult(t *testing.T, res *encryptperm.Result) {
	t.Helper()
	if res == nil {
		t.Fatal("nil Result")
	}
	writes := 0
	for _, c := range res.Calls {
		if c.Write {
			writes++
		}
		if c.Write != isShareWrite(c.Action) {
			t.Errorf("call %s marked write=%v", c.Action, c.Write)
		}
		if !slices.Contains([]string{"transport", "canceled"}, c.Code) && c.RequestID == "" {
			t.Errorf("call %s (code %q) has no RequestId", c.Action, c.Code)
		}
	}
	if writes != res.Writes {
		t.Errorf("Result.Writes = %d, but %d write calls are listed", res.Writes, writes)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("marshal Result: %v", err)
	}
}
