package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// rvRead parses a literal document, failing the test on error.
func rvRead(t *testing.T, s string) *policy.Document {
	t.Helper()
	d, err := policy.Read([]byte(s))
	if err != nil {
		t.Fatalf("ReadDocument(%s): %v", s, err)
	}
	return d
}

// TestApplyRefusesWhatBuildersCannotMake: a Grant changed or made by hand
// is validated with the builders' own rules, and refused before any call,
// by Apply, Plan, Revoke and RevokePlan alike.
func TestApplyRefusesWhatBuildersCannotMake(t *testing.T) {
	wildKey := encryptperm.Key{Region: "*", Owner: "*", ID: "*"}
	tests := []struct {
		name     string
		give     func(t *testing.T) *encryptperm.Grant
		wantPath string
	}{
		{
			name: "a key of wildcards",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Keys = []encryptperm.Key{wildKey}
				g.Policies[0].Document = rvRead(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:*:*:key"},{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":"acs:kms:*:*:key/*"}]}`)
				return g
			},
			wantPath: "grants[0].Keys[0].Region",
		},
		{
			name: "a folder trust statement on every path",
			give: func(t *testing.T) *encryptperm.Grant {
				g, err := encryptperm.ShareSnapshot().WithFolder("rd-3Fx9Kq/r-Ab12/fd-Zz90").WithKey(apKey).Build()
				if err != nil {
					t.Fatal(err)
				}
				g.Role.TrustPolicy = rvRead(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"*"}}}]}`)
				return g
			},
			wantPath: "grants[0].Role.TrustPolicy",
		},
		{
			name: "an audience folder of a wildcard",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Audience = encryptperm.Audience{Folders: []string{"*"}}
				g.Role.TrustPolicy = rvRead(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"**"}}}]}`)
				return g
			},
			wantPath: "grants[0].Audience.Folders[0]",
		},
		{
			name: "a trust principal the audience does not name",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Role.TrustPolicy.Statement[0].Principal.Service = append(g.Role.TrustPolicy.Statement[0].Principal.Service, apAcctX+"@ecs.aliyuncs.com")
				return g
			},
			wantPath: "grants[0].Role.TrustPolicy",
		},
		{
			name: "a policy of its own",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Policies = append(g.Policies, encryptperm.Attachment{Name: "AliyunKMSFullAccess", Type: encryptperm.System})
				return g
			},
			wantPath: "grants[0].Policies",
		},
		{
			name: "another role",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Role.Name = "AdminRole"
				return g
			},
			wantPath: "grants[0].Role.Name",
		},
		{
			name: "no kind",
			give: func(t *testing.T) *encryptperm.Grant {
				g := apGrant(t, apAcctA)
				g.Kind = ""
				return g
			},
			wantPath: "grants[0].Kind",
		},
		{
			name: "a dropped service-key finding",
			give: func(t *testing.T) *encryptperm.Grant {
				g, err := encryptperm.ShareImage().WithAccounts(apAcctA).WithServiceKey().Build()
				if err != nil {
					t.Fatal(err)
				}
				g.Findings = nil
				return g
			},
			wantPath: "grants[0].Findings",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			a := encryptperm.NewApplier(f, apFast())
			g := tt.give(t)
			paths := func(err error) []string {
				var ve *encryptperm.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %v is not a *ValidationError", err)
				}
				var out []string
				for _, p := range ve.Problems {
					out = append(out, p.Path)
				}
				return out
			}
			_, err := a.Apply(context.Background(), g)
			if !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("Apply error = %v, want ErrInvalid", err)
			}
			if got := paths(err); !slices.Contains(got, tt.wantPath) {
				t.Errorf("Apply problem paths %v lack %s", got, tt.wantPath)
			}
			if tt.name == "a dropped service-key finding" {
				// Only Apply asks for acceptance.
				return
			}
			if _, err := a.Plan(context.Background(), g); !errors.Is(err, encryptperm.ErrInvalid) {
				t.Errorf("Plan error = %v, want ErrInvalid", err)
			}
			if _, err := a.Revoke(context.Background(), g); !errors.Is(err, encryptperm.ErrInvalid) {
				t.Errorf("Revoke error = %v, want ErrInvalid", err)
			}
			if _, err := a.RevokePlan(context.Background(), g); !errors.Is(err, encryptperm.ErrInvalid) {
				t.Errorf("RevokePlan error = %v, want ErrInvalid", err)
			}
			ok := apGrant(t, apAcctB)
			if _, err := a.RevokeWith(context.Background(), &encryptperm.RevokeOptions{Keep: []*encryptperm.Grant{g}}, ok); !errors.Is(err, encryptperm.ErrInvalid) {
				t.Errorf("RevokeWith a bad grant to keep: error = %v, want ErrInvalid", err)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("%d calls reached RAM, want 0", n)
			}
		})
	}
}

// TestApplyAcceptedCriticalFinding: a critical finding the caller accepted
// is applied; without acceptance it is refused before any call.
func TestApplyAcceptedCriticalFinding(t *testing.T) {
	g, err := encryptperm.ShareImage().WithAccounts(apAcctA).WithServiceKey().Build()
	if err != nil {
		t.Fatal(err)
	}
	f := fake.New(nil)
	if _, err := encryptperm.NewApplier(f, apFast()).Apply(context.Background(), g); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("Apply without acceptance = %v, want ErrInvalid", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls reached RAM, want 0", n)
	}
	o := apFast()
	o.AcceptFindings = []string{encryptperm.FindingServiceKeyFullAccess}
	if _, err := encryptperm.NewApplier(f, o).Apply(context.Background(), g); err != nil {
		t.Fatalf("Apply with acceptance: %v", err)
	}
	atts, _ := f.AttachmentsOf(encryptperm.ShareImageRoleName)
	if len(atts) != 1 || atts[0].PolicyName != "AliyunKMSFullAccess" {
		t.Errorf("attachments %+v, want AliyunKMSFullAccess alone", atts)
	}
}

// TestRevokePlanPlansARevoke: RevokePlan reads and plans the removal of
// what the grant names, and writes nothing.
func TestRevokePlanPlansARevoke(t *testing.T) {
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, apFast())
	if _, err := a.Apply(context.Background(), apGrant(t, apAcctA, apAcctB)); err != nil {
		t.Fatal(err)
	}
	before := len(f.Calls())
	p, err := a.RevokePlan(context.Background(), apGrant(t, apAcctA))
	if err != nil {
		t.Fatal(err)
	}
	want := "! delete custom policy EncryptPerm-ShareSnapshotKeys: nothing is left in it\n" +
		"- detach custom policy EncryptPerm-ShareSnapshotKeys from role AliyunECSShareEncryptSnapshotDefaultRole\n" +
		"- remove principal 2000000000000001@ecs.aliyuncs.com from the trust of role AliyunECSShareEncryptSnapshotDefaultRole\n"
	got := strings.Split(p.String(), "\n")
	sort.Strings(got)
	wantLines := strings.Split(want, "\n")
	sort.Strings(wantLines)
	if diff := cmp.Diff(wantLines, got); diff != "" {
		t.Errorf("RevokePlan (-want +got):\n%s", diff)
	}
	for _, c := range f.Calls()[before:] {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Errorf("RevokePlan made call %s", c.Action)
		}
	}
}

// TestRevokeErrorSaysWhatIsTrue: a role whose trust would be left empty but
// that holds a policy the library did not create is kept, nothing is
// written, and the error names that policy (not "a policy the grant does not
// name" when the grant does).
func TestRevokeErrorSaysWhatIsTrue(t *testing.T) {
	f := fake.New(nil)
	a := encryptperm.NewApplier(f, apFast())
	g := apGrant(t, apAcctA)
	if _, err := a.Apply(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(encryptperm.ShareSnapshotRoleName, string(encryptperm.System), "AliyunKMSFullAccess"); err != nil {
		t.Fatal(err)
	}
	before := len(f.Calls())
	_, err := a.Revoke(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrConflict) {
		t.Fatalf("Revoke = %v, want ErrConflict", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "System policy AliyunKMSFullAccess") || strings.Contains(msg, "EncryptPerm-ShareSnapshotKeys") {
		t.Errorf("error %q should name the foreign policy AliyunKMSFullAccess and not the library's own", msg)
	}
	for _, c := range f.Calls()[before:] {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Errorf("Revoke made call %s", c.Action)
		}
	}
}

// TestCustomPoliciesPerRoleLimitAtPlan: the engine counts the custom
// policies a role would hold against Options.Limits before writing: at the
// limit it goes on, one past it it refuses with no write.
func TestCustomPoliciesPerRoleLimitAtPlan(t *testing.T) {
	for _, tt := range []struct {
		name    string
		foreign []string
		wantErr bool
	}{
		{"one foreign policy: 2 of 2", []string{"TeamA"}, false},
		{"two foreign policies: 3 of 2", []string{"TeamA", "TeamB"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			apSeedRole(t, f, apAcctA)
			for _, n := range tt.foreign {
				if err := f.PutPolicy(fake.Policy{Name: n, Versions: []fake.PolicyVersion{{ID: "v1", IsDefault: true,
					Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"}]}`}}}); err != nil {
					t.Fatal(err)
				}
				if err := f.PutAttachment(encryptperm.ShareSnapshotRoleName, string(encryptperm.Custom), n); err != nil {
					t.Fatal(err)
				}
			}
			o := apFast()
			o.Limits = encryptperm.Limits{CustomPoliciesPerRole: 2}
			res, err := encryptperm.NewApplier(f, o).Apply(context.Background(), apGrant(t, apAcctA))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				return
			}
			if !errors.Is(err, encryptperm.ErrLimitExceeded) {
				t.Fatalf("Apply = %v, want ErrLimitExceeded", err)
			}
			if res.Writes != 0 {
				t.Errorf("%d writes, want 0", res.Writes)
			}
		})
	}
}

// TestMergedTrustLimitAtPlan: a merged trust policy over Options.Limits is
// refused at plan time with no write, even by one byte; at the limit it is
// written. The fake's own (larger) limit plays no part.
func TestMergedTrustLimitAtPlan(t *testing.T) {
	// The merged trust policy of accounts A and B, as RAM would hold it.
	const merged = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}],"Version":"1"}`
	for _, tt := range []struct {
		name    string
		limit   int
		wantErr bool
	}{
		{"at the limit", len(merged), false},
		{"one byte over", len(merged) - 1, true},
		{"64 bytes over", len(merged) - 64, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			apSeedRole(t, f, apAcctA)
			o := apFast()
			o.Limits = encryptperm.Limits{TrustPolicyMaxLen: tt.limit}
			res, err := encryptperm.NewApplier(f, o).Apply(context.Background(), apGrant(t, apAcctB))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if tp, _ := f.TrustPolicy(encryptperm.ShareSnapshotRoleName); rvRead(t, tp).String() != merged {
					t.Errorf("trust policy %s, want %s", tp, merged)
				}
				return
			}
			if !errors.Is(err, encryptperm.ErrLimitExceeded) {
				t.Fatalf("Apply = %v, want ErrLimitExceeded", err)
			}
			if res.Writes != 0 {
				t.Errorf("%d writes, want 0", res.Writes)
			}
		})
	}
}
