package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	rampolicy "github.com/ecsperm/ecsperm/encryptperm/policy"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// seedGrant is one of the ECS page's scenarios as a builder call.
type seedGrant struct {
	name   string
	build  func() (*encryptperm.Grant, error)
	accept []string
}

var seedGrants = []seedGrant{
	{name: "disk-encryption-system-policy", build: encryptperm.DiskEncryption().Build},
	{name: "disk-encryption-customer-key", build: encryptperm.DiskEncryption().WithKey(keyA).Build},
	{name: "snapshot-accounts", build: encryptperm.ShareSnapshot().WithAccounts(acctA, acctB).WithKey(keyA).Build},
	{name: "snapshot-resource-directory", build: encryptperm.ShareSnapshot().WithResourceDirectory(rdID).WithKey(keyA).Build},
	{name: "snapshot-folder", build: encryptperm.ShareSnapshot().WithFolder(folder).WithKey(keyA).Build},
	{name: "image-accounts", build: encryptperm.ShareImage().WithAccounts(acctA).WithKey(keyA).WithKey(keyC).Build},
	{name: "image-resource-directory", build: encryptperm.ShareImage().WithResourceDirectory(rdID).WithKey(keyA).Build},
	{name: "image-folder", build: encryptperm.ShareImage().WithFolder(folder).WithKey(keyA).Build},
	{
		name:   "image-service-key",
		build:  encryptperm.ShareImage().WithAccounts(acctA).WithServiceKey().Build,
		accept: []string{encryptperm.FindingServiceKeyFullAccess},
	},
}

// TestSeedScenarios applies every seed scenario to an empty account (cold),
// then again (warm): the warm Apply reads once and writes nothing. Here the
// grant is the input and RAM must end holding exactly it; what the builders
// put in a grant is pinned by the encryptperm package's golden files, and
// TestScenarios writes its expected documents out.
func TestSeedScenarios(t *testing.T) {
	for _, sg := range seedGrants {
		t.Run(sg.name, func(t *testing.T) {
			g, err := sg.build()
			if err != nil {
				t.Fatal(err)
			}
			forEachBackend(t, func(t *testing.T, be backend) {
				f := fake.New(nil)
				o := fastOptions()
				o.AcceptFindings = sg.accept
				a := be.applier(t, f, o)
				ctx := context.Background()

				res, err := a.Apply(ctx, g)
				if err != nil {
					t.Fatalf("cold Apply: %v", err)
				}
				checkResult(t, res)
				assertState(t, f, expect().grant(g).snapshot())
				wantWrites := 1 + len(g.Policies) // the role, then one attachment per policy
				for _, p := range g.Policies {
					if p.Type == encryptperm.Custom {
						wantWrites++ // CreatePolicy
					}
				}
				if res.Writes != wantWrites {
					t.Errorf("cold Apply: Writes = %d, want %d", res.Writes, wantWrites)
				}
				if len(res.Changes) == 0 || len(res.Unknown) != 0 || len(res.Conflicts) != 0 {
					t.Errorf("cold Apply: Changes %v, Unknown %v, Conflicts %v", res.Changes, res.Unknown, res.Conflicts)
				}

				before := len(fakeWrites(f))
				res, err = a.Apply(ctx, g)
				if err != nil {
					t.Fatalf("warm Apply: %v", err)
				}
				checkResult(t, res)
				if res.Writes != 0 || len(fakeWrites(f)) != before {
					t.Errorf("warm Apply wrote: Writes = %d, fake writes %v", res.Writes, fakeWrites(f)[before:])
				}
				if got := summaries(res.Changes); len(got) != 0 {
					t.Errorf("warm Apply changes: %v", got)
				}
				assertState(t, f, expect().grant(g).snapshot())
			})
		})
	}
}

// scenario is one row of TestScenarios.
type scenario struct {
	name string
	// fake configures the fake RAM.
	fake fake.Options
	// seed puts RAM in its starting state.
	seed func(t *testing.T, f *fake.RAM)
	// opts adjusts the engine's options.
	opts func(o *encryptperm.Options)
	// run exercises the Applier.
	run func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error)
	// wantErr is the sentinel the run's error wraps, or nil.
	wantErr error
	// wantWrites are the write actions RAM sees after the seed, sorted;
	// nil skips the check.
	wantWrites []string
	// want is the state RAM must end in.
	want func(t *testing.T) snapshot
	// check makes further assertions.
	check func(t *testing.T, f *fake.RAM, res *encryptperm.Result)
}

func TestScenarios(t *testing.T) {
	snap := func(accounts ...string) *encryptperm.ShareBuilder {
		return encryptperm.ShareSnapshot().WithAccounts(accounts...)
	}
	// Expected documents are written out as JSON, as the ECS page shows
	// them, not made by the builders under test: a builder that drifted
	// would otherwise move the expectation with it.
	snapKeys := func(keys ...encryptperm.Key) *rampolicy.Document {
		return mustRead(t, keysJSON(keys...))
	}
	trust := func(accounts ...string) *rampolicy.Document {
		return mustRead(t, trustJSON(accounts...))
	}
	const (
		role   = encryptperm.ShareSnapshotRoleName
		policy = encryptperm.ShareSnapshotPolicyName
	)
	// A foreign statement: RAM users of another account may assume the role
	// with MFA. The library did not write it and must keep it.
	foreignStatement := `{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"RAM":["acs:ram::1111111111111111:root"]},"Condition":{"Bool":{"acs:MFAPresent":"true"}}}`
	foreignTrust := `{
	  "Version": "1",
	  "Statement": [
	    {"Principal": {"Service": "` + acctX + `@ecs.aliyuncs.com"}, "Effect": "Allow", "Action": "sts:AssumeRole"},
	    ` + foreignStatement + `
	  ]
	}`
	foreignDoc := func(t *testing.T) *rampolicy.Document {
		d, err := rampolicy.Read([]byte(`{"Version":"1","Statement":[` + foreignStatement + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	auditPolicy := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`
	auditDoc := func(t *testing.T) *rampolicy.Document {
		d, err := rampolicy.Read([]byte(auditPolicy))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	putRole := func(t *testing.T, f *fake.RAM, name, trust string) {
		t.Helper()
		if err := f.PutRole(fake.Role{Name: name, TrustPolicy: trust}); err != nil {
			t.Fatal(err)
		}
	}
	putPolicy := func(t *testing.T, f *fake.RAM, name string, def string, docs ...*rampolicy.Document) {
		t.Helper()
		p := fake.Policy{Name: name, DefaultVersion: def}
		for i, d := range docs {
			p.Versions = append(p.Versions, fake.PolicyVersion{ID: fmt.Sprintf("v%d", i+1), Document: d.String()})
		}
		if err := f.PutPolicy(p); err != nil {
			t.Fatal(err)
		}
	}
	attach := func(t *testing.T, f *fake.RAM, role, typ, policy string) {
		t.Helper()
		if err := f.PutAttachment(role, typ, policy); err != nil {
			t.Fatal(err)
		}
	}
	apply := func(gs ...func(t *testing.T) *encryptperm.Grant) func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
		return func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
			var grants []*encryptperm.Grant
			for _, g := range gs {
				grants = append(grants, g(t))
			}
			return a.Apply(ctx, grants...)
		}
	}
	grant := func(b interface {
		Build() (*encryptperm.Grant, error)
	}) func(t *testing.T) *encryptperm.Grant {
		return func(t *testing.T) *encryptperm.Grant { return mustBuild(t, b) }
	}
	// seedShare puts the share of acctA with keyA in place, as Apply leaves it.
	seedShare := func(t *testing.T, f *fake.RAM) {
		putRole(t, f, role, trust(acctA).String())
		putPolicy(t, f, policy, "", snapKeys(keyA))
		attach(t, f, role, string(encryptperm.Custom), policy)
	}
	// seedCap puts the share in place with a policy at the 5-version cap
	// whose default is its oldest version, v1.
	seedCap := func(t *testing.T, f *fake.RAM) {
		putRole(t, f, role, trust(acctA).String())
		putPolicy(t, f, policy, "v1", snapKeys(keyA), snapKeys(keyC), snapKeys(keyC), snapKeys(keyC), snapKeys(keyC))
		attach(t, f, role, string(encryptperm.Custom), policy)
	}
	fifty := make([]string, 50)
	for i := range fifty {
		fifty[i] = fmt.Sprintf("30000000000000%02d", i)
	}
	spreadLimits := encryptperm.Limits{PolicyDocumentMaxLen: 700}
	var spreadKeys []encryptperm.Key
	for i := range 9 {
		spreadKeys = append(spreadKeys, encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: fmt.Sprintf("key-spread%02d", i)})
	}

	tests := []scenario{
		{
			name: "merge keeps foreign principals, statements and policies",
			seed: func(t *testing.T, f *fake.RAM) {
				putRole(t, f, role, foreignTrust)
				putPolicy(t, f, "TeamAudit", "", auditDoc(t))
				attach(t, f, role, string(encryptperm.Custom), "TeamAudit")
			},
			run:        apply(grant(snap(acctA).WithKey(keyA))),
			wantWrites: []string{"AttachPolicyToRole", "CreatePolicy", "UpdateRole"},
			want: func(t *testing.T) snapshot {
				tr := trust(acctX, acctA)
				tr.Statement = append(tr.Statement, foreignDoc(t).Statement...)
				return expect().role(role, tr).
					policy("TeamAudit", auditDoc(t)).policy(policy, snapKeys(keyA)).
					attached(role, "Custom", "TeamAudit").attached(role, "Custom", policy).snapshot()
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				doc, _ := f.TrustPolicy(role)
				d, err := rampolicy.Read([]byte(doc))
				if err != nil {
					t.Fatal(err)
				}
				want := foreignDoc(t).Statement[0]
				if !slices.ContainsFunc(d.Statement, want.Equal) {
					t.Errorf("foreign statement lost or changed: trust is %s", doc)
				}
			},
		},
		{
			name: "adopt a hand-made role whose trust already matches",
			seed: func(t *testing.T, f *fake.RAM) {
				// Formatted by hand: a string where the builder writes a list,
				// keys in another order.
				putRole(t, f, role, `{"Statement":[{"Principal":{"Service":["`+acctB+`@ecs.aliyuncs.com","`+acctA+`@ecs.aliyuncs.com"]},"Action":"sts:AssumeRole","Effect":"Allow"}],"Version":"1"}`)
			},
			run:        apply(grant(snap(acctA, acctB).WithKey(keyA))),
			wantWrites: []string{"AttachPolicyToRole", "CreatePolicy"},
			want: func(t *testing.T) snapshot {
				return expect().role(role, mustRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}]}`)).
					policy(policy, mustRead(t, keysAJSON)).attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "adopt a hand-made policy of the library's name: merged into a new version",
			seed: func(t *testing.T, f *fake.RAM) {
				putRole(t, f, role, trust(acctA).String())
				putPolicy(t, f, policy, "", snapKeys(keyB))
			},
			run:        apply(grant(snap(acctA).WithKey(keyA))),
			wantWrites: []string{"AttachPolicyToRole", "CreatePolicyVersion"},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).policy(policy, snapKeys(keyA, keyB), "v1", "v2").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "fifty grants for one role become one write",
			seed: seedShare,
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				return a.Apply(ctx, fiftyGrants(t, fifty)...)
			},
			wantWrites: []string{"UpdateRole"},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(append([]string{acctA}, fifty...)...)).policy(policy, snapKeys(keyA)).
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "revoke removes a shared account: RAM records no owner",
			seed: func(t *testing.T, f *fake.RAM) {
				a := encryptperm.NewApplier(f, nil)
				if _, err := a.Apply(context.Background(), mustBuild(t, snap(acctA, acctB).WithKey(keyA)), mustBuild(t, snap(acctB, acctC).WithKey(keyB))); err != nil {
					t.Fatal(err)
				}
			},
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				return a.Revoke(ctx, mustBuild(t, snap(acctA, acctB).WithKey(keyA)))
			},
			wantWrites: []string{"CreatePolicyVersion", "UpdateRole"},
			want: func(t *testing.T) snapshot {
				// acctB goes although the second grant names it too.
				return expect().role(role, trust(acctC)).policy(policy, snapKeys(keyB), "v1", "v2").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "revoke of every grant deletes the role and the library's policy",
			seed: func(t *testing.T, f *fake.RAM) {
				a := encryptperm.NewApplier(f, nil)
				ctx := context.Background()
				if _, err := a.Apply(ctx, mustBuild(t, snap(acctA).WithKey(keyA))); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Apply(ctx, mustBuild(t, snap(acctB).WithKey(keyB))); err != nil {
					t.Fatal(err)
				}
			},
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				return a.Revoke(ctx, mustBuild(t, snap(acctA).WithKey(keyA)), mustBuild(t, snap(acctB).WithKey(keyB)))
			},
			wantWrites: []string{"DeletePolicy", "DeletePolicyVersion", "DeleteRole", "DetachPolicyFromRole"},
			want:       func(t *testing.T) snapshot { return expect().snapshot() },
		},
		{
			name: "revoke leaves foreign statements and the role",
			seed: func(t *testing.T, f *fake.RAM) {
				putRole(t, f, role, foreignTrust)
				a := encryptperm.NewApplier(f, nil)
				if _, err := a.Apply(context.Background(), mustBuild(t, snap(acctA).WithKey(keyA))); err != nil {
					t.Fatal(err)
				}
			},
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				return a.Revoke(ctx, mustBuild(t, snap(acctA).WithKey(keyA)))
			},
			wantWrites: []string{"DeletePolicy", "DetachPolicyFromRole", "UpdateRole"},
			want: func(t *testing.T) snapshot {
				tr := trust(acctX)
				tr.Statement = append(tr.Statement, foreignDoc(t).Statement...)
				return expect().role(role, tr).snapshot()
			},
		},
		{
			name: "version cap: the oldest non-default version goes, never the default",
			seed: seedCap,
			run:  apply(grant(snap(acctA).WithKey(keyA).WithKey(keyB))),
			// RotateStrategy deletes v2 within CreatePolicyVersion.
			wantWrites: []string{"CreatePolicyVersion"},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).policy(policy, snapKeys(keyA, keyB), "v1", "v3", "v4", "v5", "v6").
					attached(role, "Custom", policy).snapshot()
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				if !slices.ContainsFunc(res.Changes, func(c encryptperm.Change) bool {
					return c.Kind == encryptperm.Destructive && strings.Contains(c.Summary, "v2")
				}) {
					t.Errorf("no destructive change deleting v2 in %v", res.Changes)
				}
			},
		},
		{
			name:       "version cap with ForbidVersionDeletion: ErrLimitExceeded and no write",
			seed:       seedCap,
			opts:       func(o *encryptperm.Options) { o.ForbidVersionDeletion = true },
			run:        apply(grant(snap(acctA).WithKey(keyA).WithKey(keyB))),
			wantErr:    encryptperm.ErrLimitExceeded,
			wantWrites: []string{},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).
					policyDefault(policy, snapKeys(keyA), "v1", "v1", "v2", "v3", "v4", "v5").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "keys spread over numbered policies within the size limit",
			fake: fake.Options{Limits: spreadLimits},
			opts: func(o *encryptperm.Options) { o.Limits = spreadLimits },
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				b := snap(acctA).WithLimits(spreadLimits)
				for _, k := range spreadKeys {
					b.WithKey(k)
				}
				return a.Apply(ctx, mustBuild(t, b))
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				checkSpread(t, f, role, policy, spreadKeys, spreadLimits.PolicyDocumentMaxLen)
			},
		},
		{
			name: "a new key joins a spread where it fits",
			fake: fake.Options{Limits: spreadLimits},
			opts: func(o *encryptperm.Options) { o.Limits = spreadLimits },
			seed: func(t *testing.T, f *fake.RAM) {
				b := snap(acctA).WithLimits(spreadLimits)
				for _, k := range spreadKeys[:8] {
					b.WithKey(k)
				}
				o := fastOptions()
				o.Limits = spreadLimits
				if _, err := encryptperm.NewApplier(f, &o).Apply(context.Background(), mustBuild(t, b)); err != nil {
					t.Fatal(err)
				}
			},
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				return a.Apply(ctx, mustBuild(t, snap(acctA).WithLimits(spreadLimits).WithKey(spreadKeys[8])))
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				checkSpread(t, f, role, policy, spreadKeys, spreadLimits.PolicyDocumentMaxLen)
				if res.Writes > 2 {
					t.Errorf("adding one key took %d writes; want at most 2 (a version or a policy and its attachment)", res.Writes)
				}
			},
		},
		{
			name: "throttling storm at 50%",
			fake: fake.Options{ThrottleRate: 0.5, Seed: 7, ThrottleRetryAfter: time.Millisecond},
			opts: func(o *encryptperm.Options) { o.Retry.MaxAttempts = 40 },
			run:  apply(grant(snap(acctA).WithKey(keyA))),
			want: func(t *testing.T) snapshot {
				return expect().role(role, mustRead(t, trustAJSON)).policy(policy, mustRead(t, keysAJSON)).attached(role, "Custom", policy).snapshot()
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				throttled := 0
				for _, fr := range f.Fired() {
					if fr.Index == -1 {
						throttled++
					}
				}
				retried := 0
				for _, c := range res.Calls {
					if c.Code == "Throttling.User" {
						retried++
					}
				}
				if throttled < 5 || retried != throttled {
					t.Errorf("fake throttled %d calls, Result lists %d throttled calls", throttled, retried)
				}
			},
		},
		{
			name: "5xx answers to reads and writes",
			fake: fake.Options{Faults: []fake.Rule{
				{Action: "GetRole", Nth: 1, Code: "InternalError"},
				{Action: "ListPoliciesForRole", Nth: 1, Code: "ServiceUnavailable", Status: 503},
				{Action: "CreatePolicy", Nth: 1, Code: "InternalError"},
				{Action: "AttachPolicyToRole", Nth: 1, Code: "ServiceUnavailable", Status: 503},
			}},
			run: apply(grant(snap(acctA).WithKey(keyA))),
			want: func(t *testing.T) snapshot {
				return expect().role(role, mustRead(t, trustAJSON)).policy(policy, mustRead(t, keysAJSON)).attached(role, "Custom", policy).snapshot()
			},
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				if len(f.Fired()) != 4 {
					t.Errorf("fired %d faults, want 4", len(f.Fired()))
				}
				if len(res.Unknown) != 0 {
					t.Errorf("Unknown after convergence: %v", res.Unknown)
				}
			},
		},
		{
			name:       "critical finding refused before any call",
			run:        apply(grant(encryptperm.ShareImage().WithAccounts(acctA).WithServiceKey())),
			wantErr:    encryptperm.ErrInvalid,
			wantWrites: []string{},
			want:       func(t *testing.T) snapshot { return expect().snapshot() },
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				if n := len(f.Calls()); n != 0 {
					t.Errorf("RAM saw %d calls", n)
				}
			},
		},
		{
			name:       "critical finding accepted",
			opts:       func(o *encryptperm.Options) { o.AcceptFindings = []string{encryptperm.FindingServiceKeyFullAccess} },
			run:        apply(grant(encryptperm.ShareImage().WithAccounts(acctA).WithServiceKey())),
			wantWrites: []string{"AttachPolicyToRole", "CreateRole"},
			want: func(t *testing.T) snapshot {
				return expect().role("AliyunECSShareEncryptImageDefaultRole", mustRead(t, trustAJSON)).
					attached("AliyunECSShareEncryptImageDefaultRole", "System", "AliyunKMSFullAccess").snapshot()
			},
		},
		{
			name: "a broader system policy is reported in the plan and left attached",
			seed: func(t *testing.T, f *fake.RAM) {
				putRole(t, f, "AliyunECSDiskEncryptDefaultRole", diskTrustJSON)
				attach(t, f, encryptperm.DiskEncryptRoleName, string(encryptperm.System), encryptperm.DiskEncryptSystemPolicy)
			},
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				g := mustBuild(t, encryptperm.DiskEncryption().WithKey(keyA))
				p, err := a.Plan(ctx, g)
				if err != nil {
					return nil, err
				}
				if !slices.ContainsFunc(p.Changes, func(c encryptperm.Change) bool {
					return c.Kind == encryptperm.Note && c.Policy == encryptperm.DiskEncryptSystemPolicy
				}) {
					t.Errorf("the plan does not report %s:\n%s", encryptperm.DiskEncryptSystemPolicy, p)
				}
				return a.Apply(ctx, g)
			},
			wantWrites: []string{"AttachPolicyToRole", "CreatePolicy"},
			want: func(t *testing.T) snapshot {
				return expectDiskKeyA(t).attached("AliyunECSDiskEncryptDefaultRole", "System", "AliyunECSDiskEncryptRolePolicy").snapshot()
			},
		},
		{
			name: "a broader system policy is reported, and detached on request",
			seed: func(t *testing.T, f *fake.RAM) {
				putRole(t, f, "AliyunECSDiskEncryptDefaultRole", diskTrustJSON)
				attach(t, f, encryptperm.DiskEncryptRoleName, string(encryptperm.System), encryptperm.DiskEncryptSystemPolicy)
			},
			opts:       func(o *encryptperm.Options) { o.DetachBroaderPolicies = true },
			run:        apply(grant(encryptperm.DiskEncryption().WithKey(keyA))),
			wantWrites: []string{"AttachPolicyToRole", "CreatePolicy", "DetachPolicyFromRole"},
			want: func(t *testing.T) snapshot {
				return expectDiskKeyA(t).snapshot()
			},
		},
		{
			name: "Plan makes no writes and lists the changes",
			seed: seedCap,
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				p, err := a.Plan(ctx, mustBuild(t, snap(acctA, acctB).WithKey(keyA).WithKey(keyB)))
				if err != nil {
					return nil, err
				}
				var kinds []string
				for _, c := range p.Changes {
					kinds = append(kinds, string(c.Kind)+" "+c.Action)
				}
				sort.Strings(kinds)
				want := []string{"broadening CreatePolicyVersion", "broadening UpdateRole", "destructive CreatePolicyVersion"}
				if diff := cmp.Diff(want, kinds); diff != "" {
					t.Errorf("plan changes (-want +got):\n%s\n%s", diff, p)
				}
				for _, c := range p.Calls {
					if c.Write {
						t.Errorf("Plan made write %s", c.Action)
					}
				}
				return &encryptperm.Result{Calls: p.Calls}, nil
			},
			wantWrites: []string{},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA)).
					policyDefault(policy, snapKeys(keyA), "v1", "v1", "v2", "v3", "v4", "v5").
					attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "ApplyPlan on an unchanged RAM applies the plan",
			seed: seedShare,
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				p, err := a.Plan(ctx, mustBuild(t, snap(acctB).WithKey(keyA)))
				if err != nil {
					return nil, err
				}
				return a.ApplyPlan(ctx, p)
			},
			wantWrites: []string{"UpdateRole"},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA, acctB)).policy(policy, snapKeys(keyA)).attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name:    "ApplyPlan after RAM changed: ErrStale and no write",
			seed:    seedShare,
			wantErr: encryptperm.ErrStale,
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				p, err := a.Plan(ctx, mustBuild(t, snap(acctB).WithKey(keyA)))
				if err != nil {
					return nil, err
				}
				f := fakeOf(ctx)
				if err := f.PutRole(fake.Role{Name: role, TrustPolicy: trust(acctA, acctC).String()}); err != nil {
					t.Fatal(err)
				}
				return a.ApplyPlan(ctx, p)
			},
			wantWrites: []string{},
			want: func(t *testing.T) snapshot {
				return expect().role(role, trust(acctA, acctC)).policy(policy, snapKeys(keyA)).attached(role, "Custom", policy).snapshot()
			},
		},
		{
			name: "a context already ended: ctx.Err() and no call",
			run: func(t *testing.T, ctx context.Context, a encryptperm.Applier) (*encryptperm.Result, error) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return a.Apply(ctx, mustBuild(t, snap(acctA).WithKey(keyA)))
			},
			wantErr:    context.Canceled,
			wantWrites: []string{},
			want:       func(t *testing.T) snapshot { return expect().snapshot() },
			check: func(t *testing.T, f *fake.RAM, res *encryptperm.Result) {
				if n := len(f.Calls()); n != 0 {
					t.Errorf("RAM saw %d calls", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				f := fake.New(&tt.fake)
				if tt.seed != nil {
					tt.seed(t, f)
				}
				seeded := len(fakeWrites(f))
				o := fastOptions()
				if tt.opts != nil {
					tt.opts(&o)
				}
				a := be.applier(t, f, o)
				ctx := withFake(context.Background(), f)
				res, err := tt.run(t, ctx, a)
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("run: %v", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("run: error %v, want one that wraps %v", err, tt.wantErr)
				}
				if err == nil || res != nil {
					checkResult(t, res)
				}
				if tt.wantWrites != nil {
					got := fakeWrites(f)[seeded:]
					sort.Strings(got)
					if diff := cmp.Diff(tt.wantWrites, got, cmpEmpty); diff != "" {
						t.Errorf("writes RAM saw (-want +got):\n%s", diff)
					}
					if err == nil && res.Writes != len(got) {
						t.Errorf("Result.Writes = %d, RAM saw %d", res.Writes, len(got))
					}
				}
				if tt.want != nil {
					assertState(t, f, tt.want(t))
				}
				if tt.check != nil {
					tt.check(t, f, res)
				}
			})
		})
	}
}

// cmpEmpty makes a nil slice equal an empty one.
var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

type fakeKey struct{}

// withFake lets a scenario's run reach the fake to change RAM behind the
// Applier's back.
func withFake(ctx context.Context, f *fake.RAM) context.Context {
	return context.WithValue(ctx, fakeKey{}, f)
}

func fakeOf(ctx context.Context) *fake.RAM {
	f, _ := ctx.Value(fakeKey{}).(*fake.RAM)
	return f
}

// fiftyGrants returns one grant per account, all for keyA.
func fiftyGrants(t *testing.T, accounts []string) []*encryptperm.Grant {
	var out []*encryptperm.Grant
	for _, a := range accounts {
		out = append(out, mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(a).WithKey(keyA)))
	}
	return out
}

// checkSpread asserts that the keys sit in policies named base, base-2, ...,
// each within maxLen bytes and attached to role, every key exactly once.
func checkSpread(t *testing.T, f *fake.RAM, role, base string, keys []encryptperm.Key, maxLen int) {
	t.Helper()
	var names []string
	seen := map[string]int{}
	for i := 0; ; i++ {
		name := numberedPolicyName(base, i)
		p, ok := f.Policy(string(encryptperm.Custom), name)
		if !ok {
			break
		}
		names = append(names, name)
		for _, v := range p.Versions {
			if !v.IsDefault {
				continue
			}
			if len(v.Document) > maxLen {
				t.Errorf("policy %s is %d bytes; the limit is %d", name, len(v.Document), maxLen)
			}
			d, err := rampolicy.Read([]byte(v.Document))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range d.Statement {
				for _, r := range s.Resource {
					if strings.Contains(r, ":key/") {
						seen[r]++
					}
				}
			}
		}
	}
	if len(names) < 2 {
		t.Errorf("keys sit in %d policies (%v); want them spread over several", len(names), names)
	}
	for _, k := range keys {
		if seen[k.ARN()] != 1 {
			t.Errorf("key %s appears %d times", k.ARN(), seen[k.ARN()])
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("%d keys granted, want %d", len(seen), len(keys))
	}
	atts, _ := f.AttachmentsOf(role)
	for _, n := range names {
		if !slices.ContainsFunc(atts, func(a fake.RoleAttachment) bool { return a.PolicyName == n }) {
			t.Errorf("policy %s is not attached to %s", n, role)
		}
	}
	if all := f.Policies(); len(all) != len(names)+2 { // plus the two system policies
		t.Errorf("%d policies exist, want %d", len(all), len(names)+2)
	}
}

// Documents as the ECS page shows them, written out.
const (
	trustAJSON    = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`
	diskTrustJSON = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`
	keysAJSON     = `{"Version":"1","Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},` +
		`{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Effect":"Allow",` +
		`"Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"}]}`
)

// trustJSON writes out the trust policy that lets ECS of the accounts
// assume a share role.
func trustJSON(accounts ...string) string {
	var ps []string
	for _, a := range accounts {
		ps = append(ps, `"`+a+`@ecs.aliyuncs.com"`)
	}
	return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":[` + strings.Join(ps, ",") + `]}}]}`
}

// keysJSON writes out the key policy of the keys: kms:List* on each region's
// key container, and the key-use actions on the keys' ARNs.
func keysJSON(keys ...encryptperm.Key) string {
	var arns, containers []string
	for _, k := range keys {
		arns = append(arns, `"acs:kms:`+k.Region+`:`+k.Owner+`:key/`+k.ID+`"`)
		c := `"acs:kms:` + k.Region + `:` + k.Owner + `:key"`
		if !slices.Contains(containers, c) {
			containers = append(containers, c)
		}
	}
	return `{"Version":"1","Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":[` + strings.Join(containers, ",") + `]},` +
		`{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Effect":"Allow","Resource":[` +
		strings.Join(arns, ",") + `]}]}`
}

// seedSnapshotShare puts in f the snapshot-sharing role with the trust
// policy trust, its custom key policy with keys as version v1, and their
// attachment.
func seedSnapshotShare(t *testing.T, f *fake.RAM, trust, keys string) {
	t.Helper()
	role, policy := encryptperm.ShareSnapshotRoleName, encryptperm.ShareSnapshotPolicyName
	if err := f.PutRole(fake.Role{Name: role, TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutPolicy(fake.Policy{Name: policy, Versions: []fake.PolicyVersion{{ID: "v1", Document: keys}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(role, string(encryptperm.Custom), policy); err != nil {
		t.Fatal(err)
	}
}

// expectDiskKeyA expects the disk encryption role with keyA's policy.
func expectDiskKeyA(t *testing.T) *expectation {
	return expect().role("AliyunECSDiskEncryptDefaultRole", mustRead(t, diskTrustJSON)).
		policy("EncryptPerm-DiskEncryptKeys", mustRead(t, keysAJSON)).
		attached("AliyunECSDiskEncryptDefaultRole", "Custom", "EncryptPerm-DiskEncryptKeys")
}

// mustRead reads a document written out in a test.
func mustRead(t *testing.T, doc string) *rampolicy.Document {
	t.Helper()
	d, err := rampolicy.Read([]byte(doc))
	if err != nil {
		t.Fatalf("read %s: %v", doc, err)
	}
	return d
}

// numberedPolicyName is the name of the i-th policy (from 0) of a family
// whose keys spread over several: base, base-2, base-3, ...
func numberedPolicyName(base string, i int) string {
	if i == 0 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, i+1)
}
