package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	rampolicy "github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// TestLostAnswerAtEveryCall makes RAM carry out one call and lose its
// answer, for every call of an Apply (or Revoke) in turn: the caller cannot
// tell whether the call took effect. The same run must leave RAM in
// exactly the state a clean run leaves: no duplicate or orphan
// policy versions, no duplicate attachments, nothing missing. A write whose
// answer was lost is never sent again (neither by the engine nor by the
// SDK's own retry): the engine reads RAM again instead.
func TestLostAnswerAtEveryCall(t *testing.T) {
	const (
		role   = encryptperm.ShareSnapshotRoleName
		policy = encryptperm.ShareSnapshotPolicyName
	)
	// Expected documents are written out, not made by the builders.
	trust := func(accounts ...string) *rampolicy.Document {
		return mustRead(t, trustJSON(accounts...))
	}
	seedShare := func(t *testing.T, f *fake.RAM) { seedSnapshotShare(t, f, trust(acctA).String(), keysJSON(keyA)) }
	seedCap := func(t *testing.T, f *fake.RAM) {
		seedShare(t, f)
		p := fake.Policy{Name: policy, DefaultVersion: "v1"}
		for i := range 5 {
			doc := mustRead(t, keysJSON(keyA))
			if i > 0 {
				doc = mustRead(t, keysJSON(keyC))
			}
			p.Versions = append(p.Versions, fake.PolicyVersion{ID: fmt.Sprintf("v%d", i+1), Document: doc.String()})
		}
		if err := f.PutPolicy(p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		seed   func(t *testing.T, f *fake.RAM)
		give   func(t *testing.T) *encryptperm.Grant
		revoke bool
		want   func(t *testing.T) snapshot
	}{
		{
			name: "cold apply",
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA))
			},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).policy(policy, mustRead(t, keysJSON(keyA))).
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "warm apply adding an account and a key",
			seed: seedShare,
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctB).WithKey(keyB))
			},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA, acctB)).
					policy(policy, mustRead(t, keysJSON(keyA, keyB)), "v1", "v2").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "apply at the version cap",
			seed: seedCap,
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyB))
			},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).
					policy(policy, mustRead(t, keysJSON(keyA, keyB)), "v1", "v3", "v4", "v5", "v6").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "revoke of the whole share",
			seed: func(t *testing.T, f *fake.RAM) {
				seedShare(t, f)
				// A second version, so that revoking deletes a version too.
				if err := f.PutPolicy(fake.Policy{Name: policy, Versions: []fake.PolicyVersion{
					{ID: "v1", Document: keysJSON(keyB)},
					{ID: "v2", Document: keysJSON(keyA)},
				}}); err != nil {
					t.Fatal(err)
				}
			},
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA))
			},
			revoke: true,
			want:   func(t *testing.T) snapshot { return expect().snapshot() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				ctx := context.Background()
				// A clean run lists the calls, and the changes to expect.
				f := fake.New(nil)
				if tt.seed != nil {
					tt.seed(t, f)
				}
				run := func(a encryptperm.Applier) (*encryptperm.Result, error) {
					if tt.revoke {
						return a.Revoke(ctx, tt.give(t))
					}
					return a.Apply(ctx, tt.give(t))
				}
				res, err := run(be.applier(t, f, fastOptions()))
				if err != nil {
					t.Fatalf("clean run: %v", err)
				}
				assertState(t, f, tt.want(t))
				wantChanges := summaries(res.Changes)
				type callRef struct {
					action string
					nth    int
				}
				var calls []callRef
				count := map[string]int{}
				for _, c := range f.Calls() {
					count[c.Action]++
					calls = append(calls, callRef{c.Action, count[c.Action]})
				}
				cleanCount := count
				for _, c := range calls {
					t.Run(fmt.Sprintf("%s#%d", c.action, c.nth), func(t *testing.T) {
						f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: c.action, Nth: c.nth, LoseAnswer: true}}})
						if tt.seed != nil {
							tt.seed(t, f)
						}
						a := be.applier(t, f, fastOptions())
						res, err := run(a)
						if res == nil {
							t.Fatalf("no Result (error %v)", err)
						}
						checkResult(t, res)
						if err != nil {
							// A lost answer leaves the outcome unknown, which
							// the engine resolves by reading RAM again: the run
							// itself must converge, not leave it to another.
							t.Fatalf("run with a lost answer: %v", err)
						}
						changes := [][]encryptperm.Change{res.Changes}
						if fired := f.Fired(); len(fired) != 1 {
							t.Errorf("the fault fired %d times, want once", len(fired))
						}
						if isWrite(c.action) {
							n := 0
							for _, call := range f.Calls() {
								if call.Action == c.action {
									n++
								}
							}
							if n != cleanCount[c.action] {
								t.Errorf("%s was sent %d times; a clean run sends it %d times", c.action, n, cleanCount[c.action])
							}
						}
						assertState(t, f, tt.want(t))
						if len(res.Unknown) != 0 {
							t.Errorf("Unknown after convergence: %v", res.Unknown)
						}
						if diff := cmp.Diff(wantChanges, summaries(changes...)); diff != "" {
							t.Errorf("reported changes (-want +got):\n%s", diff)
						}
					})
				}
			})
		})
	}
}

// TestCancelDuringWrite ends the context while a write is held inside RAM.
// Apply returns ctx.Err() at once, and its Result lists the held write as
// unknown. On the Applier that owns its clients the request is aborted and
// RAM never carries it out; on a client given to NewApplier the call is
// abandoned and runs to its end. Either way a second Apply converges.
func TestCancelDuringWrite(t *testing.T) {
	g := func(t *testing.T) *encryptperm.Grant {
		return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA))
	}
	forEachBackend(t, func(t *testing.T, be backend) {
		f := fake.New(nil)
		hold := f.HoldCall("CreatePolicy", 1)
		a := be.applier(t, f, fastOptions())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := applyAsync(ctx, a, g(t))
		<-hold.Held()
		cancel()
		out := <-done
		if !errors.Is(out.err, context.Canceled) {
			t.Fatalf("Apply: %v, want context.Canceled", out.err)
		}
		if out.res == nil || !slices.ContainsFunc(out.res.Unknown, func(c encryptperm.Change) bool { return c.Action == "CreatePolicy" }) {
			t.Fatalf("Result does not list the held CreatePolicy as unknown: %+v", out.res)
		}
		if be.aborts {
			// The aborted request ends inside RAM without being served.
			<-hold.Done()
		} else {
			hold.Release()
			<-hold.Done()
		}
		var created string
		for _, c := range f.Calls() {
			if c.Action == "CreatePolicy" {
				created = c.Code
			}
		}
		if wantCode := map[bool]string{true: "ServiceUnavailable", false: ""}[be.aborts]; created != wantCode {
			t.Errorf("held CreatePolicy ended with code %q, want %q", created, wantCode)
		}
		res, err := a.Apply(context.Background(), g(t))
		if err != nil {
			t.Fatalf("second Apply: %v", err)
		}
		checkResult(t, res)
		assertState(t, f, expect().role(encryptperm.ShareSnapshotRoleName, mustRead(t, trustAJSON)).
			policy(encryptperm.ShareSnapshotPolicyName, mustRead(t, keysAJSON)).
			attached(encryptperm.ShareSnapshotRoleName, "Custom", encryptperm.ShareSnapshotPolicyName).snapshot())
	})
}
