package conformance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// Only a throttling answer says that a write was refused before the service
// acted. A 503 ServiceUnavailable, an InternalError or a lost answer leaves
// the write's outcome unknown: it may have been carried out. These tests
// make the fake carry writes out and then fail their answers, and check that
// no write is ever sent twice, that nothing the reviewed plan did not list
// is deleted, and that the Result says what happened.

// fiveVersions seeds the snapshot share role trusting acctA, and its key
// policy at RAM's cap of five versions, v5 the default, each holding keyA.
func fiveVersions(t *testing.T, f *fake.RAM) {
	t.Helper()
	role, policy := encryptperm.ShareSnapshotRoleName, encryptperm.ShareSnapshotPolicyName
	if err := f.PutRole(fake.Role{Name: role, TrustPolicy: trustJSON(acctA)}); err != nil {
		t.Fatal(err)
	}
	var vs []fake.PolicyVersion
	for i := 1; i <= 5; i++ {
		vs = append(vs, fake.PolicyVersion{ID: fmt.Sprintf("v%d", i), Document: keysAJSON, IsDefault: i == 5})
	}
	if err := f.PutPolicy(fake.Policy{Name: policy, Versions: vs}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(role, string(encryptperm.Custom), policy); err != nil {
		t.Fatal(err)
	}
}

// callsOf counts the calls of action in the fake's log.
func callsOf(f *fake.RAM, action string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// TestVersionCapWriteAnswered503 makes RAM carry out the CreatePolicyVersion
// that rotates the oldest version out at the cap, and answer it 503. Sent
// again, it would make a second version and push out v2, which the plan did
// not list. The engine must read again instead, find its version in force,
// and report the change as made.
func TestVersionCapWriteAnswered503(t *testing.T) {
	policy := encryptperm.ShareSnapshotPolicyName
	forEachBackend(t, func(t *testing.T, be backend) {
		f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: "CreatePolicyVersion", Nth: 1, Code: "ServiceUnavailable", Status: 503, AfterCommit: true}}})
		fiveVersions(t, f)
		a := be.applier(t, f, fastOptions())
		g := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyB))
		p, err := a.Plan(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		wantChanges := []string{
			"delete oldest version v1 of policy " + policy + " to stay within 5 versions",
			"new default version of " + policy + ": policy " + policy + " gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6b2f1b0c3d4e5f",
		}
		if diff := cmp.Diff(wantChanges, summaries(p.Changes)); diff != "" {
			t.Fatalf("plan (-want +got):\n%s", diff)
		}
		res, err := a.ApplyPlan(context.Background(), p)
		if err != nil {
			t.Fatalf("ApplyPlan: %v", err)
		}
		checkResult(t, res)
		if n := callsOf(f, "CreatePolicyVersion"); n != 1 {
			t.Errorf("CreatePolicyVersion sent %d times, want once: a write answered 503 may have been carried out", n)
		}
		if n := callsOf(f, "DeletePolicyVersion"); n != 0 {
			t.Errorf("DeletePolicyVersion sent %d times", n)
		}
		want := expect().role(encryptperm.ShareSnapshotRoleName, mustRead(t, trustJSON(acctA))).
			policy(policy, mustRead(t, keysJSON(keyA, keyB)), "v2", "v3", "v4", "v5", "v6").
			attached(encryptperm.ShareSnapshotRoleName, "Custom", policy).snapshot()
		assertState(t, f, want)
		if len(res.Unknown) != 0 {
			t.Errorf("Unknown = %v, want none: a read showed the version in force", res.Unknown)
		}
		if diff := cmp.Diff(wantChanges, summaries(res.Changes)); diff != "" {
			t.Errorf("reported changes (-want +got):\n%s", diff)
		}
	})
}

// TestCreateResourceShareAnswered503: Resource Sharing makes the share
// and answers 503. Sent again, the call would make a second share; the
// engine reads the region's shares, finds the one it made, and goes on.
func TestCreateResourceShareAnswered503(t *testing.T) {
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			f := shareWorld(t, &fake.Options{Faults: []fake.Rule{{Action: "CreateResourceShare", Nth: 1, Code: "ServiceUnavailable", Status: 503, AfterCommit: true}}})
			g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(acctA))
			res, err := be.applier(t, f, fastOptions()).Apply(context.Background(), g)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			checkResult(t, res)
			if n := len(f.ResourceShares()); n != 1 {
				t.Errorf("%d resource shares, want exactly one", n)
			}
			if diff := cmp.Diff([]string{"share Snapshot/s-bp1shared01: 2000000000000001(pending)"}, shares(f)); diff != "" {
				t.Errorf("shares (-want +got):\n%s", diff)
			}
			if n := callsOf(f, "CreateResourceShare"); n != 1 {
				t.Errorf("CreateResourceShare sent %d times, want once", n)
			}
			if len(res.Unknown) != 0 {
				t.Errorf("Unknown = %v, want none", res.Unknown)
			}
			want := "share snapshot s-bp1shared01 in cn-hangzhou with 2000000000000001 through a new resource share " + shareNameOf(shSnapshot)
			if !slices.ContainsFunc(res.Changes, func(c encryptperm.Change) bool { return c.Summary == want }) {
				t.Errorf("Changes %v lack %q", summaries(res.Changes), want)
			}
		})
	}
}

// shareNameOf is the name the library gives the resource share of a
// snapshot.
func shareNameOf(snapshot string) string { return encryptperm.ManagedPolicyPrefix + snapshot }

// TestShareLagRetryReadsFirst: ECS's view of RAM lags a fresh grant, so
// the first CreateResourceShare is refused for want of the role; the second
// is carried out, yet answered with the same refusal. Before trying a third
// time, the engine reads the region's shares, finds the one the second
// attempt made, and makes no other.
func TestShareLagRetryReadsFirst(t *testing.T) {
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			f := shareWorld(t, &fake.Options{Clock: clock, Faults: []fake.Rule{
				{Action: "CreateResourceShare", Nth: 2, Code: "AssumeRoleError", AfterCommit: true},
				{Action: "CreateResourceShare", ECSViewLag: 2 * time.Second},
			}})
			var waited []time.Duration
			o := fastOptions()
			o.Sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(d)
				waited = append(waited, d)
				return nil
			}
			g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(acctA))
			res, err := be.applier(t, f, o).Apply(context.Background(), g)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if n := len(f.ResourceShares()); n != 1 {
				t.Errorf("%d resource shares, want exactly one", n)
			}
			if diff := cmp.Diff([]string{"share Snapshot/s-bp1shared01: 2000000000000001(pending)"}, shares(f)); diff != "" {
				t.Errorf("shares (-want +got):\n%s", diff)
			}
			if n := callsOf(f, "CreateResourceShare"); n != 2 {
				t.Errorf("CreateResourceShare sent %d times, want twice", n)
			}
			if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, waited); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if len(res.Unknown) != 0 {
				t.Errorf("Unknown = %v", res.Unknown)
			}
		})
	}
}

// faultKind is one way a write can fail.
type faultKind struct {
	name string
	rule func(action string, nth int) fake.Rule
	// sent is how many more times the write goes out than in a clean run.
	sent int
	// refused: the run stops with this error, having written nothing more.
	refused error
}

var faultKinds = []faultKind{
	{name: "503 after commit", rule: func(a string, n int) fake.Rule {
		return fake.Rule{Action: a, Nth: n, Code: "ServiceUnavailable", Status: 503, AfterCommit: true}
	}},
	{name: "InternalError after commit", rule: func(a string, n int) fake.Rule {
		return fake.Rule{Action: a, Nth: n, Code: "InternalError", AfterCommit: true}
	}},
	{name: "lost answer", rule: func(a string, n int) fake.Rule { return fake.Rule{Action: a, Nth: n, LoseAnswer: true} }},
	{name: "503 before acting", rule: func(a string, n int) fake.Rule {
		return fake.Rule{Action: a, Nth: n, Code: "ServiceUnavailable", Status: 503}
	}, sent: 1},
	{name: "throttled", rule: func(a string, n int) fake.Rule { return fake.Rule{Action: a, Nth: n, Code: "Throttling.User"} }, sent: 1},
	{name: "denied", rule: func(a string, n int) fake.Rule { return fake.Rule{Action: a, Nth: n, Code: "NoPermission"} }, refused: encryptperm.ErrAccessDenied},
}

// writeFaultScenario is one Apply or Revoke whose every write is faulted in
// turn.
type writeFaultScenario struct {
	name string
	seed func(t *testing.T, f *fake.RAM)
	// before, when set, is an Apply made first on the seeded fake (the
	// grant to revoke); its calls are not faulted.
	before []func() *encryptperm.Grant
	give   func() *encryptperm.Grant
	revoke bool
	opts   func(o *encryptperm.Options)
}

var writeFaultScenarios = []writeFaultScenario{
	{
		name: "cold apply",
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA).Build())
		},
	},
	{
		name: "apply at the version cap",
		seed: fiveVersions,
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareSnapshot().WithAccounts(acctA, acctB).WithKey(keyB).Build())
		},
	},
	{
		name: "apply detaching a broader policy",
		seed: func(t *testing.T, f *fake.RAM) {
			if err := f.PutRole(fake.Role{Name: encryptperm.DiskEncryptRoleName, TrustPolicy: diskTrustJSON}); err != nil {
				t.Fatal(err)
			}
			if err := f.PutAttachment(encryptperm.DiskEncryptRoleName, string(encryptperm.System), encryptperm.DiskEncryptSystemPolicy); err != nil {
				t.Fatal(err)
			}
		},
		give: func() *encryptperm.Grant { return must(encryptperm.DiskEncryption().WithKey(keyA).Build()) },
		opts: func(o *encryptperm.Options) { o.DetachBroaderPolicies = true },
	},
	{
		// The policy holds five versions: four go before the policy.
		name: "revoke of the whole grant",
		seed: fiveVersions,
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA).Build())
		},
		revoke: true,
	},
	{
		name: "revoke at the version cap",
		seed: func(t *testing.T, f *fake.RAM) {
			fiveVersions(t, f)
			if err := f.PutRole(fake.Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: trustJSON(acctA, acctB)}); err != nil {
				t.Fatal(err)
			}
			vs, ok := f.PolicyVersions("Custom", encryptperm.ShareSnapshotPolicyName)
			if !ok {
				t.Fatal("the seeded policy is missing")
			}
			vs[4].Document = keysJSON(keyA, keyB)
			if err := f.PutPolicy(fake.Policy{Name: encryptperm.ShareSnapshotPolicyName, Versions: vs}); err != nil {
				t.Fatal(err)
			}
		},
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareSnapshot().WithAccounts(acctB).WithKey(keyB).Build())
		},
		revoke: true,
	},
	{
		name: "share an image with accounts",
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA, acctB).Build())
		},
	},
	{
		name: "share a snapshot with seven accounts",
		give: func() *encryptperm.Grant { return sevenAccounts() },
	},
	{
		name: "share a snapshot with a folder, its role there",
		seed: func(t *testing.T, f *fake.RAM) { seedSnapshotShare(t, f, trustJSON(acctA), keysAJSON) },
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithFolder(shFolder).Build())
		},
	},
	{
		name: "revoke an image share",
		before: []func() *encryptperm.Grant{func() *encryptperm.Grant {
			return must(encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA, acctB).Build())
		}},
		give: func() *encryptperm.Grant {
			return must(encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA, acctB).Build())
		},
		revoke: true,
	},
	{
		name:   "revoke a snapshot share with seven accounts",
		before: []func() *encryptperm.Grant{sevenAccounts},
		give:   sevenAccounts,
		revoke: true,
	},
}

// must returns the grant a builder made; the scenarios' grants are valid.
func must(g *encryptperm.Grant, err error) *encryptperm.Grant {
	if err != nil {
		panic(err)
	}
	return g
}

func sevenAccounts() *encryptperm.Grant {
	return must(encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(
		"2000000000000001", "2000000000000002", "2000000000000003", "2000000000000004",
		"2000000000000005", "2000000000000006", "2000000000000007").Build())
}

// TestWriteFaultsAtEveryWrite runs each scenario clean, then again once per
// write of the clean run and kind of fault, the fault on that write:
//
//   - carried out and answered 503 or InternalError, or its answer lost:
//     the write is not sent again; the run reads, finds it done, and ends
//     where the clean run ends, reporting the same changes and nothing
//     unknown;
//   - refused with 503 before acting: it is not resent blindly either; the
//     run reads, finds it not done, and sends it once more;
//   - throttled: it is resent once, as throttling is documented as a
//     refusal before acting;
//   - denied: the run stops with ErrAccessDenied, lists nothing as unknown,
//     and reports only changes it made: a second run without the fault makes
//     the rest, and the two together report the clean run's changes.
//
// In every case no write is sent more often than the kind allows, and RAM
// ends in no other state than the clean run's (a deletion the plan did not
// list would show there). The writes faulted are every write Apply and
// Revoke make: CreateRole, UpdateRole, CreatePolicy, CreatePolicyVersion
// (at the version cap), AttachPolicyToRole, DetachPolicyFromRole (of a
// broader policy too), DeletePolicyVersion, DeletePolicy, DeleteRole,
// ModifyImageSharePermission (adding and removing), CreateResourceShare,
// AssociateResourceShare and DisassociateResourceShare.
func TestWriteFaultsAtEveryWrite(t *testing.T) {
	ctx := context.Background()
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range writeFaultScenarios {
				t.Run(sc.name, func(t *testing.T) {
					opts := fastOptions()
					if sc.opts != nil {
						sc.opts(&opts)
					}
					// prepare seeds a fake and applies what comes before.
					prepare := func(f *fake.RAM) encryptperm.Applier {
						if sc.seed != nil {
							sc.seed(t, f)
						}
						a := be.applier(t, f, opts)
						for _, b := range sc.before {
							if _, err := a.Apply(ctx, b()); err != nil {
								t.Fatalf("before: %v", err)
							}
						}
						return a
					}
					run := func(a encryptperm.Applier) (*encryptperm.Result, error) {
						if sc.revoke {
							return a.Revoke(ctx, sc.give())
						}
						return a.Apply(ctx, sc.give())
					}
					clean := shareWorld(t, nil)
					a := prepare(clean)
					start := len(clean.Calls())
					res, err := run(a)
					if err != nil {
						t.Fatalf("clean run: %v", err)
					}
					wantState, wantShares := takeSnapshot(t, clean), shares(clean)
					wantChanges := changeSummaries(res.Changes)
					type point struct {
						action string
						nth    int
					}
					var points []point
					count := map[string]int{}
					for i, c := range clean.Calls() {
						count[c.Action]++
						if i >= start && isShareWrite(c.Action) {
							points = append(points, point{c.Action, count[c.Action]})
						}
					}
					if len(points) == 0 {
						t.Fatal("the clean run wrote nothing")
					}
					for _, p := range points {
						for _, k := range faultKinds {
							t.Run(fmt.Sprintf("%s#%d/%s", p.action, p.nth, k.name), func(t *testing.T) {
								f := shareWorld(t, nil)
								a := prepare(f)
								f.SetFaults(k.rule(p.action, p.nth))
								res, err := run(a)
								if fired := len(f.Fired()); fired != 1 {
									t.Fatalf("the fault fired %d times, want once", fired)
								}
								if res == nil {
									t.Fatalf("nil Result (err %v)", err)
								}
								checkResult(t, res)
								if len(res.Unknown) != 0 {
									t.Errorf("Unknown = %v, want none: every outcome could be read", changeSummaries(res.Unknown))
								}
								sent := callsOf(f, p.action)
								if k.refused != nil {
									if !errors.Is(err, k.refused) {
										t.Fatalf("run: %v, want %v", err, k.refused)
									}
									if sent > count[p.action] {
										t.Errorf("%s sent %d times, more than the clean run's %d", p.action, sent, count[p.action])
									}
									// The rest, without the fault.
									f.SetFaults()
									res2, err := run(a)
									if err != nil {
										t.Fatalf("second run: %v", err)
									}
									// A second run names by its ID a share that
									// the first one made.
									got := anyShare(append(changeSummaries(res.Changes), changeSummaries(res2.Changes)...))
									if diff := cmp.Diff(anyShare(wantChanges), got); diff != "" {
										t.Errorf("changes of both runs (-want +got):\n%s", diff)
									}
								} else {
									if err != nil {
										t.Fatalf("run: %v; the engine must read again and converge", err)
									}
									if want := count[p.action] + k.sent; sent != want {
										t.Errorf("%s sent %d times, want %d (the clean run's %d, %d more)", p.action, sent, want, count[p.action], k.sent)
									}
									if diff := cmp.Diff(wantChanges, changeSummaries(res.Changes)); diff != "" {
										t.Errorf("reported changes (-want +got):\n%s", diff)
									}
								}
								assertState(t, f, wantState)
								if diff := cmp.Diff(wantShares, shares(f)); diff != "" {
									t.Errorf("shares (-want +got):\n%s", diff)
								}
							})
						}
					}
				})
			}
		})
	}
}

// shareRE matches a resource share named in a change, by its ID or as new.
var shareRE = regexp.MustCompile(`(the new )?resource share (rs-[0-9A-F]+|` + regexp.QuoteMeta(shareNameOf(shSnapshot)) + `)`)

// anyShare returns the summaries sorted, with each resource share named
// "a resource share".
func anyShare(summaries []string) []string {
	out := make([]string, len(summaries))
	for i, s := range summaries {
		out[i] = shareRE.ReplaceAllString(s, "a resource share")
	}
	slices.Sort(out)
	return out
}

// changeSummaries returns the summaries of the changes that are not notes,
// sorted.
func changeSummaries(cs []encryptperm.Change) []string {
	var out []string
	for _, c := range cs {
		if c.Kind != encryptperm.Note {
			out = append(out, c.Summary)
		}
	}
	slices.Sort(out)
	return out
}
