package conformance

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// What the library did not write stays as it is. The cases below start
// from content that looks almost like the library's own: a key-use
// statement with a Condition, and a custom policy whose name the caller
// chose (WithPolicyName) rather than one the library gives. The states are
// literal JSON, as in TestRevokeScenarios.

// rvCondKeyA allows the key-use actions on keyA from 10.0.0.0/8 only: a
// statement someone else wrote, which ECS, calling from no such address,
// cannot use.
const rvCondKeyA = `{"Effect":"Allow","Action":` + rvUseActions + `,"Resource":["` + rvARNA + `"],"Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}`

func TestForeignContentStays(t *testing.T) {
	tests := []struct {
		name       string
		seed       rvSeed
		revoke     bool
		give       func(t *testing.T) []*encryptperm.Grant
		want       rvWant
		wantWrites []string // sorted
		wantErr    error    // nothing is written then
	}{
		{
			// The key is not granted until a statement ECS can use names
			// it: Apply adds one beside the conditioned statement.
			name: "apply: a key named only under a condition is added",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA)),
				policies: map[string][]string{rvPolicy: {rvDoc(rvListHZ, rvCondKeyA)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			give: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			want: rvWant{
				trust: rvDoc(rvAccounts(acctA)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2",
					doc: rvDoc(rvListHZ, rvCondKeyA, `{"Effect":"Allow","Action":`+rvUseActions+`,"Resource":["`+rvARNA+`"]}`)}},
				attach: []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion"},
		},
		{
			// A new key goes into a statement of its own, not into the
			// conditioned one, which would keep it from ECS.
			name: "apply: a new key does not join a conditioned statement",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA)),
				policies: map[string][]string{rvPolicy: {rvDoc(rvListHZ, rvCondKeyA)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			give: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyB)}
			},
			want: rvWant{
				trust: rvDoc(rvAccounts(acctA)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2",
					doc: rvDoc(rvListHZ, rvCondKeyA, `{"Effect":"Allow","Action":`+rvUseActions+`,"Resource":["`+rvARNB+`"]}`)}},
				attach: []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion"},
		},
		{
			// Revoke takes out what the grant wrote (the kms:List* of the
			// key's container, which no statement of the library's needs
			// any more) and leaves the conditioned statement whole.
			name:   "revoke: a conditioned statement naming the key stays",
			revoke: true,
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA, acctB)),
				policies: map[string][]string{rvPolicy: {rvDoc(rvListHZ, rvCondKeyA)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			give: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			want: rvWant{
				trust:    rvDoc(rvAccounts(acctB)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2", doc: rvDoc(rvCondKeyA)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
		},
		{
			// A policy the caller named is not the library's to detach:
			// the role it is attached to cannot go, so a revoke that would
			// empty the role's trust policy is refused and changes nothing.
			name:   "revoke: a policy named with WithPolicyName keeps the role",
			revoke: true,
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA)),
				policies: map[string][]string{"TeamKeys": {rvKeysA}},
				attach:   []string{"Custom:TeamKeys"},
			},
			give: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA).WithPolicyName("TeamKeys"))}
			},
			wantErr: encryptperm.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				f := fake.New(nil)
				tt.seed.put(t, f)
				a := be.applier(t, f, fastOptions())
				var res *encryptperm.Result
				var err error
				if tt.revoke {
					res, err = a.Revoke(context.Background(), tt.give(t)...)
				} else {
					res, err = a.Apply(context.Background(), tt.give(t)...)
				}
				want := tt.want
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("error = %v, want %v", err, tt.wantErr)
					}
					if got := fakeWrites(f); len(got) != 0 {
						t.Errorf("writes %v, want none", got)
					}
					want = tt.seed.unchanged()
				} else {
					if err != nil {
						t.Fatal(err)
					}
					checkResult(t, res)
					got := fakeWrites(f)
					sort.Strings(got)
					if diff := cmp.Diff(tt.wantWrites, got); diff != "" {
						t.Errorf("writes (-want +got):\n%s", diff)
					}
				}
				assertState(t, f, want.snapshot(t))
			})
		})
	}
}
