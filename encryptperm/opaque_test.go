package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// opDenyB is a trust statement whose effect is written twice, "Deny" and
// "allow" in two spellings: RAM might read either.
const opDenyB = `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"},"effect":"Allow"}`

func TestCaseCollidingStatementIsOpaque(t *testing.T) {
	give := `{"Statement":[` + opDenyB + `],"Version":"1"}`
	d, err := policy.Read([]byte(give))
	if err != nil {
		t.Fatalf("ReadDocument: %v", err)
	}
	want := policy.New(policy.Statement{Opaque: []byte(opDenyB)})
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("ReadDocument (-want +got):\n%s", diff)
	}
	if got := string(d.JSON()); got != give {
		t.Errorf("round trip changed the bytes:\n got %s\nwant %s", got, give)
	}
	if got := string(d.Clone().JSON()); got != give {
		t.Errorf("a clone changed the bytes: %s", got)
	}
	// The order of colliding keys is kept even when they are not sorted.
	reversed := `{"Statement":[{"effect":"Allow","Effect":"Deny","Action":"kms:*","Resource":"*"}],"Version":"1"}`
	if got := string(fcRead(t, reversed).JSON()); got != reversed {
		t.Errorf("round trip reordered colliding keys:\n got %s\nwant %s", got, reversed)
	}
}

func TestCaseCollidingStatementFailsClosed(t *testing.T) {
	trust := fcRead(t, `{"Version":"1","Statement":[`+opDenyB+`,
		{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`)
	req := &policy.Request{
		Action:    encryptperm.AssumeRoleAction,
		Principal: policy.RequestPrincipal{Service: encryptperm.AccountECSPrincipal(chkB)},
		Owner:     chkOwner,
	}
	res := policy.Compile(trust).Eval(req)
	want := policy.EvalResult{Verdict: policy.VerdictAllow, By: policy.Ref{Doc: 0, Statement: 1}, Doubt: policy.Ref{Doc: 0, Statement: 0}}
	if res != want {
		t.Errorf("Eval = %+v, want %+v", res, want)
	}
	out := policy.Compile(trust).Explain(req)
	if len(out) == 0 {
		t.Fatal("Explain returned no outcome")
	}
	if out[0].Effect != "" || out[0].Applies != policy.MatchUnknown || !out[0].Unreadable || len(out[0].Why) != 1 || !strings.Contains(out[0].Why[0], "differ only in case") {
		t.Errorf("Explain of the opaque statement = %+v, want unknown effect, may apply, unreadable", out[0])
	}
	d := encryptperm.Simulate(trust, []encryptperm.Attachment{{Name: chkImagePolicy, Type: encryptperm.Custom, Document: fcRead(t, chkKeyPolicy)}}, chkImage(chkB))
	if d.Allowed {
		t.Errorf("Simulate allows despite a statement that may deny:\n%s", d)
	}
	// An opaque Allow grants nothing either.
	only := fcRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","EFFECT":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`)
	if res := policy.Compile(only).Eval(req); res.Verdict != policy.VerdictImplicitDeny || !res.Doubt.Valid() {
		t.Errorf("Eval of an opaque Allow = %+v, want an uncertain implicit deny", res)
	}
}

func TestLintReportsOpaqueStatementAsCritical(t *testing.T) {
	got := encryptperm.Lint(fcRead(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*"},`+opDenyB+`]}`))
	if len(got) != 1 {
		t.Fatalf("Lint = %v, want one finding", got)
	}
	if got[0].Code != encryptperm.FindingUnreadableStatement || got[0].Severity != encryptperm.SeverityCritical || got[0].Path != "Statement[1]" {
		t.Errorf("Lint = %+v, want a critical %s at Statement[1]", got[0], encryptperm.FindingUnreadableStatement)
	}
}

func TestParseDocumentRefusesCaseCollidingKeys(t *testing.T) {
	for _, give := range []string{
		`{"Version":"1","Statement":[` + opDenyB + `]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Principal":{"Service":"x","service":"y"}}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true","ACS:securetransport":"false"}}}]}`,
		`{"Version":"1","version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*"}]}`,
	} {
		_, err := policy.Parse([]byte(give))
		var ve *encryptperm.ValidationError
		if !errors.Is(err, encryptperm.ErrInvalid) || !errors.As(err, &ve) || !strings.Contains(err.Error(), "differs only in case") {
			t.Errorf("ParseDocument(%s) = %v, want a *ValidationError about keys that differ only in case", give, err)
		}
	}
}

// Keys that collide inside a principal or a condition make that element
// unreadable; at the top level, the whole document.
func TestCaseCollidingElementsAreUnreadable(t *testing.T) {
	d := fcRead(t, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"x","SERVICE":"2000000000000001@ecs.aliyuncs.com"}}]}`)
	if s := d.Statement[0]; s.Principal != nil || string(s.Extra["Principal"]) != `{"Service":"x","SERVICE":"2000000000000001@ecs.aliyuncs.com"}` {
		t.Errorf("principal with colliding keys read as %+v", s)
	}
	if got, want := d.String(), `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"x","SERVICE":"2000000000000001@ecs.aliyuncs.com"}}],"Version":"1"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	c := fcRead(t, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"a","Resource":"*","Condition":{"StringEquals":{"k":"1","K":"2"}}}]}`)
	if s := c.Statement[0]; s.Condition != nil || s.Extra["Condition"] == nil {
		t.Errorf("condition with colliding keys read as %+v", s)
	}
	if _, err := policy.Read([]byte(`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}],"statement":[]}`)); err == nil {
		t.Error("ReadDocument reads a document with Statement and statement")
	}
}

// Apply never merges into a statement it cannot read, and never rewrites it.
func TestApplyLeavesOpaqueTrustStatementAlone(t *testing.T) {
	r := fake.New(nil)
	trust := `{"Statement":[` + opDenyB + `],"Version":"1"}`
	if err := r.PutRole(fake.Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzexample01"}
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000002").WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := encryptperm.NewApplier(r, nil).Apply(context.Background(), g); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got, _ := r.TrustPolicy(encryptperm.ShareSnapshotRoleName)
	want := `{"Statement":[` + opDenyB + `,{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000002@ecs.aliyuncs.com"}}],"Version":"1"}`
	if got != want {
		t.Errorf("trust policy after Apply:\n got %s\nwant %s", got, want)
	}
}
