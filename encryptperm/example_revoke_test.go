package encryptperm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// ExampleRevoker_RevokePlanWith revokes one of two grants that share a role
// and an account, telling the Applier that the other stays: the plan marks
// with = what the staying grant still needs, and only the rest goes.
func ExampleApplier_RevokePlanWith() {
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzexample01"}
	a, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001", "2000000000000002").WithKey(key).Build()
	if err != nil {
		log.Fatal(err)
	}
	b, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000002", "2000000000000003").WithKey(key).Build()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	applier := encryptperm.NewApplier(fake.New(nil), nil)
	if _, err := applier.Apply(ctx, a, b); err != nil {
		log.Fatal(err)
	}
	plan, err := applier.RevokePlanWith(ctx, &encryptperm.RevokeOptions{Keep: []*encryptperm.Grant{b}}, a)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("writes:", res.Writes)
	// Output:
	// = keep principal 2000000000000002@ecs.aliyuncs.com in the trust of role AliyunECSShareEncryptSnapshotDefaultRole: a grant that stays names it
	// = keep key acs:kms:cn-hangzhou:1234567890123456:key/key-hzexample01 in policy EncryptPerm-ShareSnapshotKeys: a grant that stays names it
	// - remove principal 2000000000000001@ecs.aliyuncs.com from the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// writes: 1
}
