package mock_test

import (
	"context"
	"fmt"
	"log"

	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
)

// ExpectEmptyAccount answers the reads of a Plan for roles and policies that
// do not exist yet, so a first mock test needs no other expectation.
func ExampleExpectEmptyAccount() {
	ctrl := gomock.NewController(reporter{}) // in a test: gomock.NewController(t)
	m := mock.NewMockRAM(ctrl)
	mock.ExpectEmptyAccount(m)

	g, err := encryptperm.ShareSnapshot().
		WithAccounts("2000000000000001").
		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-hzabc"}).
		Build()
	if err != nil {
		log.Fatal(err)
	}
	plan, err := encryptperm.NewApplier(m, nil).Plan(context.Background(), g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Changes {
		fmt.Println(c)
	}
	// Output:
	// + create role AliyunECSShareEncryptSnapshotDefaultRole
	// + add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// + create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzabc
	// + attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
}

// ExpectShareReads answers the share step's reads (ECS, Resource Sharing,
// KMS) for an account that holds the snapshot: a Plan finds the snapshot's
// key and plans RAM's grant and the share.
func ExampleExpectShareReads() {
	ctrl := gomock.NewController(reporter{}) // in a test: gomock.NewController(t)
	ram, ecs, rs, kms := mock.NewMockRAM(ctrl), mock.NewMockECS(ctrl), mock.NewMockResourceSharing(ctrl), mock.NewMockKMS(ctrl)
	mock.ExpectEmptyAccount(ram)
	mock.ExpectShareReads(ecs, rs, kms, mock.Resource{
		Region: "cn-hangzhou", ID: "s-bp1backup01", Owner: "1234567890123456", KeyID: "key-hzbackup01",
	})

	g, err := encryptperm.ShareSnapshot().
		WithSnapshot("cn-hangzhou", "s-bp1backup01").
		WithAccounts("2000000000000001").
		Build()
	if err != nil {
		log.Fatal(err)
	}
	a := encryptperm.NewApplier(ram, &encryptperm.Options{ECS: ecs, ResourceSharing: rs, KMS: kms})
	plan, err := a.Plan(context.Background(), g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Changes {
		fmt.Println(c)
	}
	// Output:
	// + create role AliyunECSShareEncryptSnapshotDefaultRole
	// + add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
	// + create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzbackup01
	// + attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
	// + share snapshot s-bp1backup01 in cn-hangzhou with 2000000000000001 through a new resource share EncryptPerm-s-bp1backup01
}

// reporter lets an example stand where a test has its *testing.T.
type reporter struct{}

func (reporter) Errorf(format string, args ...any) { log.Printf(format, args...) }
func (reporter) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
