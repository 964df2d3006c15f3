// Command readme shares an encrypted snapshot with a disaster-recovery
// account, end to end, on the in-memory fake: the program at the top of the
// README, kept here byte for byte. For your account, replace the fake and its
// seed with encryptperm.NewRAMApplier(nil), which uses the Alibaba Cloud
// SDK's credentials, and name your snapshot and account.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func main() {
	ctx := context.Background()

	// Account 1234567890123456, in memory: a KMS key and a snapshot it encrypts.
	cloud := fake.New(nil)
	err := fake.LoadSeedBytes(cloud, []byte(`{
	  "keys": [{"region": "cn-hangzhou", "id": "key-hzbackup01"}],
	  "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1backup01", "kmsKeyId": "key-hzbackup01"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	applier := encryptperm.NewApplier(cloud, nil) // your account: encryptperm.NewRAMApplier(nil)

	// 1. The grant: share the snapshot with account 2000000000000001. The
	// Applier finds the key that encrypts the snapshot.
	grant, err := encryptperm.ShareSnapshot().
		WithSnapshot("cn-hangzhou", "s-bp1backup01").
		WithAccounts("2000000000000001").
		Build()
	if err != nil {
		log.Fatal(err) // a *encryptperm.ValidationError, every problem with its field
	}

	// 2. Apply: RAM lets the recipient's ECS use the key, then the snapshot
	// is shared. Run it again and it changes nothing.
	res, err := applier.Apply(ctx, grant)
	if err != nil {
		log.Fatal(err)
	}
	for _, change := range res.Changes {
		fmt.Println(change)
	}

	// 3. Check, as the recipient sees it: the share waits for it to accept
	// the invitation (the account is outside your resource directory).
	access := encryptperm.Access{
		Recipient: "2000000000000001", Resource: encryptperm.ResourceSnapshot,
		ResourceID: "s-bp1backup01", Region: "cn-hangzhou",
	}
	d, err := applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", d.Allowed, "- invitation pending:", d.SharePending)

	// 4. The recipient accepts, with its own credentials: Resource Sharing
	// ListResourceShareInvitations, then AcceptResourceShareInvitation. The
	// fake does it on the recipient's behalf.
	if err := cloud.AcceptInvitation(d.ResourceShareID, "2000000000000001"); err != nil {
		log.Fatal(err)
	}
	d, err = applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", d.Allowed, "- shared:", d.Shared)
	// The recipient's ECS can now copy the snapshot or make a disk of it,
	// with a key of its own.
}
