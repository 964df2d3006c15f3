package encryptperm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The snapshot-share policy that a grant of apKey holds, as RAM stores it.
const targetKeyPolicy = `{"Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},` +
	`{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],` +
	`"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"}],"Version":"1"}`

// Targets says, role by role, what RAM will hold and which write gets it
// there: CreateRole with the role's description for a role RAM lacks,
// UpdateRole for a trust policy the grants change, none for one that
// already holds them. The exports declare exactly this.
func TestPlanTargets(t *testing.T) {
	ctx := context.Background()
	a := encryptperm.NewApplier(fake.New(nil), nil)
	grantA := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctA).WithKey(apKey))
	grantB := mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(apAcctB).WithKey(apKey))
	held := encryptperm.PolicyTarget{Name: "EncryptPerm-ShareSnapshotKeys", Type: encryptperm.Custom, Exists: true, Document: targetKeyPolicy, Attached: true}
	trustOf := func(principal string) string {
		return `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":` + principal + `}}],"Version":"1"}`
	}
	targets := func(g *encryptperm.Grant) []encryptperm.RoleTarget {
		t.Helper()
		p, err := a.Plan(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := p.Targets()
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}

	cold := []encryptperm.RoleTarget{{
		Name: encryptperm.ShareSnapshotRoleName, Description: "Lets the recipients' ECS use the KMS keys of shared encrypted snapshots.",
		TrustPolicy: trustOf(`"2000000000000001@ecs.aliyuncs.com"`), TrustWrite: "CreateRole",
		Policies: []encryptperm.PolicyTarget{{Name: "EncryptPerm-ShareSnapshotKeys", Type: encryptperm.Custom,
			Description: "Lets the recipients' ECS use these keys of shared encrypted snapshots.",
			Document:    targetKeyPolicy, Write: "CreatePolicy"}},
	}}
	if diff := cmp.Diff(cold, targets(grantA)); diff != "" {
		t.Errorf("cold (-want +got):\n%s", diff)
	}
	if _, err := a.Apply(ctx, grantA); err != nil {
		t.Fatal(err)
	}
	another := []encryptperm.RoleTarget{{
		Name: encryptperm.ShareSnapshotRoleName, Exists: true,
		TrustPolicy: trustOf(`["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]`), TrustWrite: "UpdateRole",
		Policies: []encryptperm.PolicyTarget{held},
	}}
	if diff := cmp.Diff(another, targets(grantB)); diff != "" {
		t.Errorf("another account (-want +got):\n%s", diff)
	}
	same := []encryptperm.RoleTarget{{
		Name: encryptperm.ShareSnapshotRoleName, Exists: true,
		TrustPolicy: trustOf(`"2000000000000001@ecs.aliyuncs.com"`),
		Policies:    []encryptperm.PolicyTarget{held},
	}}
	if diff := cmp.Diff(same, targets(grantA)); diff != "" {
		t.Errorf("nothing to change (-want +got):\n%s", diff)
	}

	rp, err := a.RevokePlan(ctx, grantA)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*encryptperm.Plan{"a revoke's plan": rp, "a plan no Applier made": {}, "nil": nil} {
		if ts, err := p.Targets(); ts != nil || !errors.Is(err, encryptperm.ErrInvalid) {
			t.Errorf("%s: Targets = %v, %v; want ErrInvalid", name, ts, err)
		}
	}
}
