package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// One scenario per promise the README makes about Revoke. The state before
// and after is written out as literal JSON, not made with the library's
// builders, so that a builder and the engine cannot agree on a mistake.

const (
	rvRole   = "AliyunECSShareEncryptSnapshotDefaultRole"
	rvPolicy = "EncryptPerm-ShareSnapshotKeys"

	rvUseActions = `["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"]`
	rvListHZ     = `{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"}`
	rvARNA       = `acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f`
	rvARNB       = `acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6b2f1b0c3d4e5f`

	// rvKeysAB allows the key-use actions on keyA and keyB.
	rvKeysAB = `{"Version":"1","Statement":[` + rvListHZ + `,{"Effect":"Allow","Action":` + rvUseActions + `,"Resource":["` + rvARNA + `","` + rvARNB + `"]}]}`
	// rvKeysA allows them on keyA.
	rvKeysA = `{"Version":"1","Statement":[` + rvListHZ + `,{"Effect":"Allow","Action":` + rvUseActions + `,"Resource":["` + rvARNA + `"]}]}`
	// rvKeysB allows them on keyB.
	rvKeysB = `{"Version":"1","Statement":[` + rvListHZ + `,{"Effect":"Allow","Action":` + rvUseActions + `,"Resource":["` + rvARNB + `"]}]}`

	// rvForeignKey is a statement someone else wrote into the library's
	// policy.
	rvForeignKey = `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-foreign01"}`
	// rvForeignTrust is a trust statement someone else wrote.
	rvForeignTrust = `{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}`
)

// rvAccounts is a trust policy trusting the accounts' ECS.
func rvAccounts(uids ...string) string {
	var ps []string
	for _, u := range uids {
		ps = append(ps, `"`+u+`@ecs.aliyuncs.com"`)
	}
	return `{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":[` + strings.Join(ps, ",") + `]}}`
}

func rvDoc(stmts ...string) string {
	return `{"Version":"1","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// rvSeed is the state a scenario starts from.
type rvSeed struct {
	trust    string              // the role's trust policy
	policies map[string][]string // custom policy -> versions' documents, the last one default
	attach   []string            // "Custom:Name" or "System:Name"
}

func (s rvSeed) put(t *testing.T, f *fake.RAM) {
	t.Helper()
	if err := f.PutRole(fake.Role{Name: rvRole, TrustPolicy: s.trust}); err != nil {
		t.Fatal(err)
	}
	for name, docs := range s.policies {
		p := fake.Policy{Name: name}
		for i, d := range docs {
			p.Versions = append(p.Versions, fake.PolicyVersion{ID: "v" + string(rune('1'+i)), Document: d, IsDefault: i == len(docs)-1})
		}
		if err := f.PutPolicy(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range s.attach {
		typ, name, _ := strings.Cut(a, ":")
		if err := f.PutAttachment(rvRole, typ, name); err != nil {
			t.Fatal(err)
		}
	}
}

// rvWant is the state a scenario must leave, in literal JSON.
type rvWant struct {
	trust    string // "" when the role must be gone
	policies map[string]rvPolicySnap
	attach   []string // "Custom:Name" or "System:Name"
}

type rvPolicySnap struct {
	versions []string
	def      string
	doc      string
}

func (w rvWant) snapshot(t *testing.T) snapshot {
	s := snapshot{Roles: map[string]string{}, Policies: map[string]policySnap{}}
	if w.trust != "" {
		s.Roles[rvRole] = canon(t, w.trust)
	}
	for name, p := range w.policies {
		s.Policies[name] = policySnap{Versions: p.versions, Default: p.def, Document: canon(t, p.doc)}
	}
	for _, a := range w.attach {
		typ, name, _ := strings.Cut(a, ":")
		s.Attachments = append(s.Attachments, attachment(rvRole, typ, name))
	}
	return s
}

// rvUnchanged is the seed's state as a want, for refusals.
func (s rvSeed) unchanged() rvWant {
	w := rvWant{trust: s.trust, policies: map[string]rvPolicySnap{}, attach: s.attach}
	for name, docs := range s.policies {
		var vs []string
		for i := range docs {
			vs = append(vs, "v"+string(rune('1'+i)))
		}
		w.policies[name] = rvPolicySnap{versions: vs, def: vs[len(vs)-1], doc: docs[len(docs)-1]}
	}
	return w
}

func rvShare(t *testing.T, accounts []string, keys ...encryptperm.Key) *encryptperm.Grant {
	t.Helper()
	b := encryptperm.ShareSnapshot().WithAccounts(accounts...)
	for _, k := range keys {
		b.WithKey(k)
	}
	return mustBuild(t, b)
}

func TestRevokeScenarios(t *testing.T) {
	type scenario struct {
		name    string
		seed    rvSeed
		revoke  func(t *testing.T) []*encryptperm.Grant
		keep    func(t *testing.T) []*encryptperm.Grant
		opts    func(o *encryptperm.Options)
		wantErr error
		want    rvWant // ignored when wantErr is set: the seed must be unchanged
		// wantWrites are the write actions, in the fake's call order
		// within each level (sorted).
		wantWrites []string
	}
	three := rvSeed{
		trust:    rvDoc(rvAccounts(acctA, acctB, acctC)),
		policies: map[string][]string{rvPolicy: {rvKeysAB}},
		attach:   []string{"Custom:" + rvPolicy},
	}
	tests := []scenario{
		{
			// README: two grants that name the same account share it;
			// revoking either removes it, and the other principals stay.
			name: "the principals of other grants stay",
			seed: three,
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyB)}
			},
			want: rvWant{
				trust:    rvDoc(rvAccounts(acctB, acctC)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2", doc: rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
		},
		{
			// README: Revoke can be told which grants stay: grant A
			// (accounts A, B, key A) goes, grant B (accounts B, C, keys A,
			// B) stays, so account B and key A stay.
			name: "survivors keep what they name",
			seed: three,
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA, acctB}, keyA)}
			},
			keep: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctB, acctC}, keyA, keyB)}
			},
			want: rvWant{
				trust:    rvDoc(rvAccounts(acctB, acctC)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1"}, def: "v1", doc: rvKeysAB}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"UpdateRole"},
		},
		{
			// README: statements the grant does not name stay, in the
			// library's own policy too.
			name: "foreign statements stay",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA), rvForeignTrust),
				policies: map[string][]string{rvPolicy: {rvDoc(rvListHZ, `{"Effect":"Allow","Action":`+rvUseActions+`,"Resource":["`+rvARNA+`"]}`, rvForeignKey)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			want: rvWant{
				trust:    rvDoc(rvForeignTrust),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2", doc: rvDoc(rvForeignKey)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
		},
		{
			// The library's policy keeps a foreign statement and nothing is
			// left in the trust policy: the role goes, the policy is
			// detached and kept with the foreign statement.
			name: "a foreign statement outlives the role",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA)),
				policies: map[string][]string{rvPolicy: {rvDoc(rvListHZ, `{"Effect":"Allow","Action":`+rvUseActions+`,"Resource":["`+rvARNA+`"]}`, rvForeignKey)}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			want: rvWant{
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2", doc: rvDoc(rvForeignKey)}},
			},
			wantWrites: []string{"CreatePolicyVersion", "DeleteRole", "DetachPolicyFromRole"},
		},
		{
			// README: a custom policy is deleted only when empty and named
			// EncryptPerm-…: a policy of another name is left as it is.
			name: "foreign policies stay",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA, acctB)),
				policies: map[string][]string{"TeamKeys": {rvKeysA}},
				attach:   []string{"Custom:TeamKeys"},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(acctA).WithKey(keyA).WithPolicyName("TeamKeys"))}
			},
			want: rvWant{
				trust:    rvDoc(rvAccounts(acctB)),
				policies: map[string]rvPolicySnap{"TeamKeys": {versions: []string{"v1"}, def: "v1", doc: rvKeysA}},
				attach:   []string{"Custom:TeamKeys"},
			},
			wantWrites: []string{"UpdateRole"},
		},
		{
			// The library's own policy, empty after the revoke, is deleted
			// (its older versions first); the role stays for account B.
			name: "an empty policy of the library's goes",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA, acctB)),
				policies: map[string][]string{rvPolicy: {rvKeysB, rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			want:       rvWant{trust: rvDoc(rvAccounts(acctB))},
			wantWrites: []string{"DeletePolicy", "DeletePolicyVersion", "DetachPolicyFromRole", "UpdateRole"},
		},
		{
			// README: a role is deleted only when nothing is left in it: a
			// policy the library did not create, still attached, keeps it,
			// and Revoke changes nothing.
			name: "foreign attachments keep the role",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA)),
				policies: map[string][]string{rvPolicy: {rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy, "System:AliyunKMSFullAccess"},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyA)}
			},
			wantErr: encryptperm.ErrConflict,
		},
		{
			// README: resource directories leave the trust policy; others
			// stay.
			name: "directories",
			seed: rvSeed{
				trust: rvDoc(rvAccounts(acctB),
					`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["*@ecs.aliyuncs.com"]},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["`+rdID+`","rd-Other01"]}}}`),
				policies: map[string][]string{rvPolicy: {rvKeysAB}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{mustBuild(t, encryptperm.ShareSnapshot().WithResourceDirectory(rdID).WithKey(keyB))}
			},
			want: rvWant{
				trust: rvDoc(rvAccounts(acctB),
					`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["*@ecs.aliyuncs.com"]},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["rd-Other01"]}}}`),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1", "v2"}, def: "v2", doc: rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
		},
		{
			// README: folders leave the trust policy; others stay.
			name: "folders",
			seed: rvSeed{
				trust:    rvDoc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["*@ecs.aliyuncs.com"]},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":["` + folder + `*","rd-3Fx9Kq/r-Ab12/fd-Other*"]}}}`),
				policies: map[string][]string{rvPolicy: {rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{mustBuild(t, encryptperm.ShareSnapshot().WithFolder(folder).WithKey(keyB))}
			},
			want: rvWant{
				trust:    rvDoc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["*@ecs.aliyuncs.com"]},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":["rd-3Fx9Kq/r-Ab12/fd-Other*"]}}}`),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1"}, def: "v1", doc: rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"UpdateRole"},
		},
		{
			// README: at RAM's cap of 5 versions the oldest non-default
			// version goes, never the default.
			name: "the version cap rotates",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA, acctB)),
				policies: map[string][]string{rvPolicy: {rvKeysA, rvKeysA, rvKeysA, rvKeysA, rvKeysAB}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyB)}
			},
			want: rvWant{
				trust:    rvDoc(rvAccounts(acctB)),
				policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v2", "v3", "v4", "v5", "v6"}, def: "v6", doc: rvKeysA}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
		},
		{
			// README: Options.ForbidVersionDeletion refuses instead, for
			// Revoke too, and nothing is written.
			name: "the version cap refuses with ForbidVersionDeletion",
			seed: rvSeed{
				trust:    rvDoc(rvAccounts(acctA, acctB)),
				policies: map[string][]string{rvPolicy: {rvKeysA, rvKeysA, rvKeysA, rvKeysA, rvKeysAB}},
				attach:   []string{"Custom:" + rvPolicy},
			},
			revoke: func(t *testing.T) []*encryptperm.Grant {
				return []*encryptperm.Grant{rvShare(t, []string{acctA}, keyB)}
			},
			opts:    func(o *encryptperm.Options) { o.ForbidVersionDeletion = true },
			wantErr: encryptperm.ErrLimitExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				f := fake.New(nil)
				tt.seed.put(t, f)
				o := fastOptions()
				if tt.opts != nil {
					tt.opts(&o)
				}
				a := be.applier(t, f, o)
				var ro *encryptperm.RevokeOptions
				if tt.keep != nil {
					ro = &encryptperm.RevokeOptions{Keep: tt.keep(t)}
				}
				res, err := a.RevokeWith(context.Background(), ro, tt.revoke(t)...)
				want := tt.want
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("Revoke error = %v, want %v", err, tt.wantErr)
					}
					if got := fakeWrites(f); len(got) != 0 {
						t.Errorf("writes %v, want none", got)
					}
					want = tt.seed.unchanged()
				} else {
					if err != nil {
						t.Fatalf("Revoke: %v", err)
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

// TestRevokePlanMarksWhatSurvivorsNeed: the plan of a revoke told which
// grants stay marks, in its text and its JSON, each removal left out for
// them, and writes nothing.
func TestRevokePlanMarksWhatSurvivorsNeed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		f := fake.New(nil)
		rvSeed{
			trust:    rvDoc(rvAccounts(acctA, acctB, acctC)),
			policies: map[string][]string{rvPolicy: {rvKeysAB}},
			attach:   []string{"Custom:" + rvPolicy},
		}.put(t, f)
		a := be.applier(t, f, fastOptions())
		r := a
		gone := rvShare(t, []string{acctA, acctB}, keyA)
		stays := rvShare(t, []string{acctB, acctC}, keyA, keyB)
		p, err := r.RevokePlanWith(context.Background(), &encryptperm.RevokeOptions{Keep: []*encryptperm.Grant{stays}}, gone)
		if err != nil {
			t.Fatal(err)
		}
		wantText := "= keep principal 2000000000000002@ecs.aliyuncs.com in the trust of role AliyunECSShareEncryptSnapshotDefaultRole: a grant that stays names it\n" +
			"= keep key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f in policy EncryptPerm-ShareSnapshotKeys: a grant that stays names it\n" +
			"- remove principal 2000000000000001@ecs.aliyuncs.com from the trust of role AliyunECSShareEncryptSnapshotDefaultRole\n"
		if diff := cmp.Diff(wantText, p.String()); diff != "" {
			t.Errorf("plan.String() (-want +got):\n%s", diff)
		}
		var js struct {
			Changes []struct {
				Kind    string `json:"kind"`
				Summary string `json:"summary"`
				Kept    bool   `json:"kept"`
			} `json:"changes"`
		}
		if err := json.Unmarshal(p.JSON(), &js); err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, c := range js.Changes {
			if c.Kept {
				kept = append(kept, c.Kind+" "+c.Summary)
			}
		}
		wantKept := []string{
			"note keep principal 2000000000000002@ecs.aliyuncs.com in the trust of role AliyunECSShareEncryptSnapshotDefaultRole: a grant that stays names it",
			"note keep key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f in policy EncryptPerm-ShareSnapshotKeys: a grant that stays names it",
		}
		if diff := cmp.Diff(wantKept, kept); diff != "" {
			t.Errorf("kept changes in the plan's JSON (-want +got):\n%s", diff)
		}
		if got := fakeWrites(f); len(got) != 0 {
			t.Errorf("RevokePlanWith wrote %v", got)
		}
		// The plan, applied, does what it says.
		if _, err := a.ApplyPlan(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		assertState(t, f, rvWant{
			trust:    rvDoc(rvAccounts(acctB, acctC)),
			policies: map[string]rvPolicySnap{rvPolicy: {versions: []string{"v1"}, def: "v1", doc: rvKeysAB}},
			attach:   []string{"Custom:" + rvPolicy},
		}.snapshot(t))
	})
}
