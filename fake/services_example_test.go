package fake_test

import (
	"errors"
	"fmt"
	"log"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// ExampleRAM_ModifyImageSharePermission shares an encrypted image: ECS
// refuses until RAM holds the share role, with a trust policy for the
// recipient's ECS and a policy that covers the image's key.
func ExampleRAM_ModifyImageSharePermission() {
	f := fake.New(nil)
	const seed = `{"keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		log.Fatal(err)
	}
	share := func() error {
		req := ecs.CreateModifyImageSharePermissionRequest()
		req.RegionId, req.ImageId = "cn-hangzhou", "m-bp1shared01"
		req.AddAccount = &[]string{"2234567890123456"}
		_, err := f.ModifyImageSharePermission(req)
		return err
	}
	var se *sdkerrors.ServerError
	if err := share(); errors.As(err, &se) {
		fmt.Println(se.ErrorCode())
	}

	// The recipient's ECS may assume the role, and the role may use the key.
	const trust = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"Service":["2234567890123456@ecs.aliyuncs.com"]}}]}`
	const policy = `{"Version":"1","Statement":[` +
		`{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},` +
		`{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt",` +
		`"kms:Decrypt","kms:GenerateDataKey"],` +
		`"Resource":"acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`
	role := encryptperm.ShareImageRoleName
	if err := f.PutRole(fake.Role{Name: role, TrustPolicy: trust}); err != nil {
		log.Fatal(err)
	}
	if err := f.PutPolicy(fake.Policy{Name: "ShareKey", Type: string(encryptperm.Custom), DefaultVersion: "v1",
		Versions: []fake.PolicyVersion{{ID: "v1", Document: policy}}}); err != nil {
		log.Fatal(err)
	}
	if err := f.PutAttachment(role, string(encryptperm.Custom), "ShareKey"); err != nil {
		log.Fatal(err)
	}
	if err := share(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.ImageSharedWith("cn-hangzhou", "m-bp1shared01"))
	// Output:
	// AssumeRoleError
	// [2234567890123456] true
}
