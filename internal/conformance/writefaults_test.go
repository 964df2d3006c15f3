package conformance

import (
	"context"
	"fmt"
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
