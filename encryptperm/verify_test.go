package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// answers wraps a RAM and changes the answers of its writes, as a RAM that
// answers with less, or with other than what was written, would.
type answers struct {
	encryptperm.RAM
	// bare drops the documents from the answers of UpdateRole, CreateRole
	// and CreatePolicyVersion.
	bare bool
	// staleTrust, when set, is the trust policy the first UpdateRole
	// answer shows instead of the one stored.
	staleTrust string
}

func (a *answers) UpdateRole(req *ram.UpdateRoleRequest) (*ram.UpdateRoleResponse, error) {
	resp, err := a.RAM.UpdateRole(req)
	if err != nil {
		return resp, err
	}
	if a.bare {
		resp.Role.AssumeRolePolicyDocument = ""
	}
	if a.staleTrust != "" {
		resp.Role.AssumeRolePolicyDocument, a.staleTrust = a.staleTrust, ""
	}
	return resp, nil
}

func (a *answers) CreateRole(req *ram.CreateRoleRequest) (*ram.CreateRoleResponse, error) {
	resp, err := a.RAM.CreateRole(req)
	if err == nil && a.bare {
		resp.Role.AssumeRolePolicyDocument = ""
	}
	return resp, err
}

func (a *answers) CreatePolicyVersion(req *ram.CreatePolicyVersionRequest) (*ram.CreatePolicyVersionResponse, error) {
	resp, err := a.RAM.CreatePolicyVersion(req)
	if err == nil && a.bare {
		resp.PolicyVersion.PolicyDocument = ""
	}
	return resp, err
}

// actions returns the calls' actions, sorted: reads made together may come
// in any order.
func actions(calls []encryptperm.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Action)
	}
	slices.Sort(out)
	return out
}

// TestApplyVerifiesFromAnswers checks which reads follow the writes: none
// where the answers carry what was written, the one an answer leaves out
// otherwise, a full read with Options.VerifyByReading; and that an answer
// that shows other than what was written is written again and reported.
func TestApplyVerifiesFromAnswers(t *testing.T) {
	// The reads of the role, and the pre-flight's of the grant's two keys'
	// key policies.
	reads := []string{"GetPolicy", "GetRole", "ListPoliciesForRole", "ListPolicyVersions"}
	keys := []string{"GetKeyPolicy", "GetKeyPolicy"}
	tests := []struct {
		name          string
		wrap          func(f *fake.RAM) encryptperm.RAM
		verify        bool
		wantCalls     []string
		wantConflicts int
	}{
		{
			name:      "answers carry the documents",
			wrap:      func(f *fake.RAM) encryptperm.RAM { return f },
			wantCalls: append(slices.Clone(reads), "DescribeKey", "DescribeKey", "CreatePolicyVersion", "UpdateRole"),
		},
		{
			name:      "answers without documents",
			wrap:      func(f *fake.RAM) encryptperm.RAM { return &answers{RAM: f, bare: true} },
			wantCalls: append(slices.Clone(reads), "CreatePolicyVersion", "GetPolicy", "GetRole", "UpdateRole"),
		},
		{
			name:      "VerifyByReading",
			wrap:      func(f *fake.RAM) encryptperm.RAM { return f },
			verify:    true,
			wantCalls: append(append(slices.Clone(reads), reads...), "DescribeKey", "DescribeKey", "CreatePolicyVersion", "UpdateRole"),
		},
		{
			name: "the answer shows another trust policy",
			wrap: func(f *fake.RAM) encryptperm.RAM {
				return &answers{RAM: f, staleTrust: encryptperm.ShareTrustPolicy([]string{apAcctA}, nil, nil).String()}
			},
			wantCalls:     append(slices.Clone(reads), "CreatePolicyVersion", "UpdateRole", "UpdateRole"),
			wantConflicts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			rtSeedShare(t, f)
			o := apFast()
			o.VerifyByReading = tt.verify
			client := tt.wrap(f)
			a := encryptperm.NewApplier(client, o)
			other := encryptperm.Key{Region: apKey.Region, Owner: apKey.Owner, ID: "key-hzz6a2f1b0c3d4e60"}
			g, err := encryptperm.ShareSnapshot().WithAccounts(apAcctB).WithKey(apKey).WithKey(other).Build()
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Apply(context.Background(), g)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			want := slices.Clone(tt.wantCalls)
			if _, ok := client.(*fake.RAM); ok {
				// Only the fake itself reads KMS; the wrappers are RAM's.
				want = append(want, keys...)
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, actions(res.Calls)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if len(res.Conflicts) != tt.wantConflicts {
				t.Errorf("conflicts %q, want %d", res.Conflicts, tt.wantConflicts)
			}
			ps, _ := f.TrustedPrincipals(g.Role.Name)
			var got []string
			for _, p := range ps {
				got = append(got, p.Value)
			}
			slices.Sort(got)
			if want := []string{apAcctA + "@ecs.aliyuncs.com", apAcctB + "@ecs.aliyuncs.com"}; !slices.Equal(got, want) {
				t.Errorf("trusted %v, want %v", got, want)
			}
			vs, _ := f.PolicyVersions(string(encryptperm.Custom), g.Policies[0].Name)
			if len(vs) != 2 {
				t.Errorf("%d policy versions, want 2", len(vs))
			}
			// A second Apply finds nothing to do.
			res, err = a.Apply(context.Background(), g)
			if err != nil || res.Writes != 0 {
				t.Errorf("second Apply: %d writes, err %v; want none", res.Writes, err)
			}
		})
	}
}

// TestApplyReadsBackWhatAnswersLeaveOut creates a role and a policy with
// answers that carry no document: the role and the policy are read again
// beside the attachment, and a cold Apply still takes three levels.
func TestApplyReadsBackWhatAnswersLeaveOut(t *testing.T) {
	f := fake.New(nil)
	a := encryptperm.NewApplier(&answers{RAM: f, bare: true}, apFast())
	res, err := a.Apply(context.Background(), rtGrant(t, apAcctA))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := []string{"AttachPolicyToRole", "CreatePolicy", "CreateRole", "GetPolicy", "GetPolicy", "GetRole", "GetRole", "ListPoliciesForRole", "ListPolicyVersions"}
	if diff := cmp.Diff(want, actions(res.Calls)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestRoundTripsVerifyByReading measures the option's cost: one more level,
// and the reads of the role and its policy again.
func TestRoundTripsVerifyByReading(t *testing.T) {
	env := newRTEnvWith(t, 50*time.Millisecond, func(o *encryptperm.Options) { o.VerifyByReading = true })
	tests := []struct {
		name                         string
		seed                         func(tb testing.TB, f *fake.RAM)
		wantLevels, wantCalls, wantW int
	}{
		{name: "add one account", seed: rtSeedShare, wantLevels: 3, wantCalls: 11, wantW: 1},
		{name: "cold", wantLevels: 4, wantCalls: 13, wantW: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			levels := 0
			for try := 1; try <= 3; try++ {
				env.f.Reset()
				if tt.seed != nil {
					tt.seed(t, env.f)
				}
				env.lt.reset()
				accounts := []string{apAcctA}
				if tt.seed != nil {
					accounts = []string{apAcctB}
				}
				if _, err := env.applier.Apply(context.Background(), rtGrant(t, accounts...)); err != nil {
					t.Fatal(err)
				}
				l, calls, writes := env.lt.counts()
				if calls != tt.wantCalls || writes != tt.wantW {
					t.Errorf("%d calls, %d writes; want %d, %d", calls, writes, tt.wantCalls, tt.wantW)
				}
				if try == 1 || l < levels {
					levels = l
				}
				if levels <= tt.wantLevels {
					break
				}
			}
			if levels != tt.wantLevels {
				t.Errorf("%d levels, want %d", levels, tt.wantLevels)
			}
		})
	}
}

// TestClientPoolBound checks that Options.Clients bounds the requests in
// flight, and that below the bound the pool grows to the work.
func TestClientPoolBound(t *testing.T) {
	for _, tt := range []struct {
		clients     int
		wantBusiest int
	}{
		{clients: 2, wantBusiest: 2},
		{clients: 0, wantBusiest: 14}, // the default: the twelve reads of three roles, the read of their key and its policy at once
	} {
		env := newRTEnvWith(t, 50*time.Millisecond, func(o *encryptperm.Options) { o.Clients = tt.clients })
		if _, err := env.applier.Apply(context.Background(), rtThreeRoles(t)...); err != nil {
			t.Fatal(err)
		}
		env.lt.mu.Lock()
		busiest := env.lt.busiest
		env.lt.mu.Unlock()
		if tt.clients > 0 && busiest > tt.clients || tt.clients == 0 && busiest != tt.wantBusiest {
			t.Errorf("Clients %d: %d requests in flight at once, want %d", tt.clients, busiest, tt.wantBusiest)
		}
	}
}

// TestCheckReadsAtOnce checks Check's reads through an Applier: one level
// when only the library's policy and catalog policies are attached (the
// key's DescribeKey and GetKeyPolicy among them), one more for another
// custom policy, and a read of the library's policy that fails matters only
// if the policy is attached.
func TestCheckReadsAtOnce(t *testing.T) {
	g := rtGrant(t, apAcctA)
	other := "TeamKeys"
	tests := []struct {
		name        string
		seed        func(t *testing.T, f *fake.RAM)
		fault       *fake.Rule
		wantLevels  int
		wantCalls   int
		wantAllowed bool
		wantErr     error
	}{
		{
			name:       "no role",
			seed:       func(*testing.T, *fake.RAM) {},
			wantLevels: 1, wantCalls: 5,
		},
		{
			name: "another custom policy attached",
			seed: func(t *testing.T, f *fake.RAM) {
				rtSeedShare(t, f)
				if err := f.PutPolicy(fake.Policy{Name: other, Versions: []fake.PolicyVersion{{ID: "v1", Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeImages","Resource":"*"}]}`}}}); err != nil {
					t.Fatal(err)
				}
				if err := f.PutAttachment(g.Role.Name, string(encryptperm.Custom), other); err != nil {
					t.Fatal(err)
				}
			},
			wantLevels: 2, wantCalls: 6, wantAllowed: true,
		},
		{
			name: "the library's policy is not attached and cannot be read",
			seed: func(t *testing.T, f *fake.RAM) {
				if err := f.PutRole(fake.Role{Name: g.Role.Name, TrustPolicy: g.Role.TrustPolicy.String()}); err != nil {
					t.Fatal(err)
				}
				if err := f.PutAttachment(g.Role.Name, string(encryptperm.System), encryptperm.KMSFullAccessPolicy); err != nil {
					t.Fatal(err)
				}
			},
			fault:      &fake.Rule{Action: "GetPolicy", Code: "NoPermission"},
			wantLevels: 1, wantCalls: 5, wantAllowed: true,
		},
		{
			name:       "the library's policy is attached and cannot be read",
			seed:       func(t *testing.T, f *fake.RAM) { rtSeedShare(t, f) },
			fault:      &fake.Rule{Action: "GetPolicy", Code: "NoPermission"},
			wantLevels: 1, wantCalls: 5, wantErr: encryptperm.ErrAccessDenied,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newRTEnv(t, 30*time.Millisecond)
			tt.seed(t, env.f)
			if tt.fault != nil {
				env.f.AddFault(*tt.fault)
			}
			levels := 0
			for try := 1; try <= 3; try++ {
				env.lt.reset()
				d, err := env.applier.Check(context.Background(), rtAccess)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("Check: err %v, want %v", err, tt.wantErr)
					}
				} else if err != nil {
					t.Fatalf("Check: %v", err)
				} else if d.Allowed != tt.wantAllowed {
					t.Errorf("Allowed %v, want %v: %s", d.Allowed, tt.wantAllowed, d.Reason)
				}
				l, calls, _ := env.lt.counts()
				if calls != tt.wantCalls {
					t.Errorf("%d calls, want %d: %s", calls, tt.wantCalls, env.lt.trace())
				}
				if try == 1 || l < levels {
					levels = l
				}
				if levels <= tt.wantLevels {
					break
				}
			}
			if levels != tt.wantLevels {
				t.Errorf("%d levels, want %d", levels, tt.wantLevels)
			}
		})
	}
}

// TestNoReadsAgainInDoubt: once a write leaves the state in doubt, RAM is
// read again in full, so the reads again that earlier answers left to make
// are not made as well.
func TestNoReadsAgainInDoubt(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want int
	}{
		{"a created policy is read again", []string{"created"}, 1},
		{"not when a later write doubts", []string{"created", "doubt"}, 0},
		{"nor when an earlier one did", []string{"doubt", "created"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encryptperm.ReadsLeftAfter(tt.give...); got != tt.want {
				t.Errorf("reads left after %q = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}
