package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestCommittedWriteAnswered5xx makes RAM carry out one write and then
// answer it with a server error, for every write of a run in turn. A 5xx
// does not say the write was not done: the engine must treat its outcome as
// unknown, read RAM again and plan again, never send the same write blindly
// a second time, and still converge in the same run to exactly the state a
// clean run leaves, reporting the change as made.
func TestCommittedWriteAnswered5xx(t *testing.T) {
	const (
		role   = encryptperm.ShareSnapshotRoleName
		policy = encryptperm.ShareSnapshotPolicyName
	)
	// Documents are written out so that the seeds do not lean on the
	// builders under test.
	const (
		trustA = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com"]}}]}`
		keysA  = `{"Version":"1","Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"}]}`
	)
	seedShare := func(t *testing.T, f *fake.RAM) { seedSnapshotShare(t, f, trustA, keysA) }
	tests := []struct {
		name   string
		seed   func(t *testing.T, f *fake.RAM)
		give   func(t *testing.T) *encryptperm.Grant
		revoke bool
	}{
		{
			name: "cold apply",
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA))
			},
		},
		{
			name: "warm apply adding an account and a key",
			seed: seedShare,
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctB).WithKey(keyB))
			},
		},
		{
			name: "revoke of one account",
			seed: func(t *testing.T, f *fake.RAM) {
				seedShare(t, f)
				if err := f.PutRole(fake.Role{Name: role, TrustPolicy: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}]}`}); err != nil {
					t.Fatal(err)
				}
			},
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctB).WithKey(keyB))
			},
			revoke: true,
		},
		{
			name: "revoke of the whole share",
			seed: seedShare,
			give: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA))
			},
			revoke: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				ctx := context.Background()
				run := func(a encryptperm.Applier) (*encryptperm.Result, error) {
					if tt.revoke {
						return a.Revoke(ctx, tt.give(t))
					}
					return a.Apply(ctx, tt.give(t))
				}
				// A clean run gives the writes to fault, the state and the
				// changes to expect.
				f := fake.New(nil)
				if tt.seed != nil {
					tt.seed(t, f)
				}
				res, err := run(be.applier(t, f, fastOptions()))
				if err != nil {
					t.Fatalf("clean run: %v", err)
				}
				want, wantChanges := takeSnapshot(t, f), summaries(res.Changes)
				type callRef struct {
					action string
					nth    int
				}
				var writes []callRef
				count := map[string]int{}
				for _, c := range f.Calls() {
					count[c.Action]++
					if isWrite(c.Action) {
						writes = append(writes, callRef{c.Action, count[c.Action]})
					}
				}
				if len(writes) == 0 {
					t.Fatal("the clean run made no write: the scenario tests nothing")
				}
				cleanCount := count
				for _, c := range writes {
					t.Run(fmt.Sprintf("%s#%d", c.action, c.nth), func(t *testing.T) {
						f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: c.action, Nth: c.nth, Code: "InternalError", AfterCommit: true}}})
						if tt.seed != nil {
							tt.seed(t, f)
						}
						res, err := run(be.applier(t, f, fastOptions()))
						if err != nil {
							t.Fatalf("run with a committed write answered InternalError: %v; the engine must read again and converge", err)
						}
						checkResult(t, res)
						if fired := f.Fired(); len(fired) != 1 {
							t.Errorf("the fault fired %d times, want once", len(fired))
						}
						n, saw5xx := 0, false
						for _, call := range f.Calls() {
							if call.Action == c.action {
								n++
							}
						}
						for _, call := range res.Calls {
							if call.Action == c.action && call.Code == "InternalError" {
								saw5xx = true
							}
						}
						if n != cleanCount[c.action] {
							t.Errorf("%s was sent %d times; a clean run sends it %d times: a write answered 5xx must not be resent", c.action, n, cleanCount[c.action])
						}
						if !saw5xx {
							t.Errorf("Result.Calls does not show %s answered InternalError", c.action)
						}
						assertState(t, f, want)
						if len(res.Unknown) != 0 {
							t.Errorf("Unknown after convergence: %v", res.Unknown)
						}
						if diff := cmp.Diff(wantChanges, summaries(res.Changes)); diff != "" {
							t.Errorf("reported changes (-want +got):\n%s", diff)
						}
					})
				}
			})
		})
	}
}
