package fake_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// ExampleRAM_SimulateECS applies a share and asks the fake what ECS of two
// accounts would be able to do with the key.
func ExampleRAM_SimulateECS() {
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzexample01"}
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(key).Build()
	if err != nil {
		log.Fatal(err)
	}
	ram := fake.New(nil)
	if _, err := encryptperm.NewApplier(ram, nil).Apply(context.Background(), g); err != nil {
		log.Fatal(err)
	}
	for _, uid := range []string{"2000000000000001", "2000000000000002"} {
		d := ram.SimulateECS(encryptperm.Access{Recipient: uid, Resource: encryptperm.ResourceSnapshot, Key: key})
		fmt.Println(uid, "allowed:", d.Allowed, "missing:", d.Missing)
	}
	// Output:
	// 2000000000000001 allowed: true missing: []
	// 2000000000000002 allowed: false missing: [sts:AssumeRole]
}
