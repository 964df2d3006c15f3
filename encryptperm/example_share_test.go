package encryptperm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// Share an encrypted snapshot with a disaster-recovery account, end to end,
// on the fake: the Applier finds the snapshot's key, grants the account's
// ECS its use, and shares the snapshot. An account outside your resource
// directory is sent an invitation: Check says so until the recipient
// accepts it (with its own credentials: Resource Sharing
// AcceptResourceShareInvitation; in the fake, AcceptInvitation), and then
// that its ECS can use the snapshot.
func Example_shareSnapshotWithAnAccount() {
	ctx := context.Background()
	cloud := fake.New(nil) // account 1234567890123456, in memory
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "key-hzbackup01"}],
	  "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1backup01", "kmsKeyId": "key-hzbackup01"}]}`
	if err := fake.LoadSeedBytes(cloud, []byte(seed)); err != nil {
		log.Fatal(err)
	}

	g, err := encryptperm.ShareSnapshot().
		WithSnapshot("cn-hangzhou", "s-bp1backup01").
		WithAccounts("2000000000000001"). // the disaster-recovery account
		Build()
	if err != nil {
		log.Fatal(err)
	}
	applier := encryptperm.NewApplier(cloud, nil)
	res, err := applier.Apply(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c)
	}

	access := encryptperm.Access{
		Recipient: "2000000000000001", Resource: encryptperm.ResourceSnapshot,
		ResourceID: "s-bp1backup01", Region: "cn-hangzhou",
	}
	d, err := applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", d.Allowed, "shared:", d.Shared, "pending:", d.SharePending, "missing:", d.Missing)

	// The recipient accepts the invitation of d.ResourceShareID.
	if err := cloud.AcceptInvitation(d.ResourceShareID, "2000000000000001"); err != nil {
		log.Fatal(err)
	}
	d, err = applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", d.Allowed, "shared:", d.Shared, "pending:", d.SharePending, "missing:", d.Missing)
	// Output:
	// + create role AliyunECSShareEncryptSnapshotDefaultRole
	// + add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// + create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzbackup01
	// + attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
	// + share snapshot s-bp1backup01 in cn-hangzhou with 2000000000000001 through a new resource share EncryptPerm-s-bp1backup01
	// ~ snapshot s-bp1backup01 in cn-hangzhou: the invitation of 2000000000000001 to resource share rs-EC89025CC1 is pending: the recipient must accept it before it can use the snapshot
	// allowed: false shared: false pending: true missing: [share]
	// allowed: true shared: true pending: false missing: []
}

// Share an encrypted image with a folder of your resource directory, on
// the fake: every member account in the folder, or below it, can use it.
// Check asks about one member, placed by its directory ID and path.
func Example_shareImageWithAFolder() {
	ctx := context.Background()
	cloud := fake.New(nil)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	    "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "production"}],
	    "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01"}]},
	  "keys": [{"region": "cn-hangzhou", "id": "key-hzimages01"}],
	  "images": [{"region": "cn-hangzhou", "id": "m-bp1golden01", "kmsKeyId": "key-hzimages01"}]}`
	if err := fake.LoadSeedBytes(cloud, []byte(seed)); err != nil {
		log.Fatal(err)
	}

	g, err := encryptperm.ShareImage().
		WithImage("cn-hangzhou", "m-bp1golden01").
		WithFolder("rd-3GabcD/r-Root01/fd-Prod01").
		Build()
	if err != nil {
		log.Fatal(err)
	}
	applier := encryptperm.NewApplier(cloud, nil)
	res, err := applier.Apply(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c)
	}
	d, err := applier.Check(ctx, encryptperm.Access{
		Recipient: "2000000000000001", RDID: "rd-3GabcD", RDPath: "rd-3GabcD/r-Root01/fd-Prod01/2000000000000001",
		Resource: encryptperm.ResourceImage, ResourceID: "m-bp1golden01", Region: "cn-hangzhou",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", d.Allowed, "shared:", d.Shared)
	// Output:
	// + create role AliyunECSShareEncryptImageDefaultRole
	// + add folder path rd-3GabcD/r-Root01/fd-Prod01* to the trust of role AliyunECSShareEncryptImageDefaultRole
	// + create custom policy EncryptPerm-ShareImageKeys: policy EncryptPerm-ShareImageKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzimages01
	// + attach custom policy EncryptPerm-ShareImageKeys to role AliyunECSShareEncryptImageDefaultRole
	// + share image m-bp1golden01 in cn-hangzhou with fd-Prod01 through a new resource share EncryptPerm-m-bp1golden01
	// allowed: true shared: true
}
