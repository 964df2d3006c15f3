package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// Example_applyWithFake plans, applies, re-applies and revokes a share
// against the in-memory fake RAM.
func Example_applyWithFake() {
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzexample01"}
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(key).Build()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	applier := encryptperm.NewApplier(fake.New(nil), nil)

	plan, err := applier.Plan(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("writes:", res.Writes)
	res, err = applier.Apply(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("writes the second time:", res.Writes)
	res, err = applier.Revoke(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c)
	}
	// Output:
	// + create role AliyunECSShareEncryptSnapshotDefaultRole
	// + add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// + create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzexample01
	// + attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
	// writes: 3
	// writes the second time: 0
	// - detach custom policy EncryptPerm-ShareSnapshotKeys from role AliyunECSShareEncryptSnapshotDefaultRole
	// ! delete custom policy EncryptPerm-ShareSnapshotKeys: nothing is left in it
	// - remove principal 2000000000000001@ecs.aliyuncs.com from the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// ! delete role AliyunECSShareEncryptSnapshotDefaultRole: nothing is left in its trust policy
}

// Example_acceptFindings shows a grant with a critical finding refused, then
// applied once the caller accepts the finding's code.
func Example_acceptFindings() {
	g, err := encryptperm.ShareImage().WithAccounts("2000000000000001").WithServiceKey().Build()
	if err != nil {
		log.Fatal(err)
	}
	ram := fake.New(nil)
	_, err = encryptperm.NewApplier(ram, nil).Apply(context.Background(), g)
	fmt.Println("refused:", errors.Is(err, encryptperm.ErrInvalid))

	accept := &encryptperm.Options{AcceptFindings: []string{encryptperm.FindingServiceKeyFullAccess}}
	if _, err := encryptperm.NewApplier(ram, accept).Apply(context.Background(), g); err != nil {
		log.Fatal(err)
	}
	atts, _ := ram.AttachmentsOf(encryptperm.ShareImageRoleName)
	fmt.Println("attached:", atts[0].PolicyName)
	// Output:
	// refused: true
	// attached: AliyunKMSFullAccess
}
