package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// NewRAMApplier builds its own SDK clients. Here they talk HTTP to the
// fake's endpoint on the loopback interface, signed with the fake's access
// key; against RAM, leave Endpoint and Scheme empty and Credential nil for
// the SDK's default chain.
func ExampleNewRAMApplier() {
	ep, err := fake.Start(fake.New(nil), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ep.Close()

	applier, err := encryptperm.NewRAMApplier(&encryptperm.Options{
		Endpoint:   ep.Addr(),
		Scheme:     "HTTP",
		Credential: credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret),
	})
	if err != nil {
		log.Fatal(err)
	}
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		log.Fatal(err)
	}
	res, err := applier.Apply(context.Background(), g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c)
	}
	// Output:
	// + create role AliyunECSDiskEncryptDefaultRole
	// + add principal ecs.aliyuncs.com to the trust of role AliyunECSDiskEncryptDefaultRole
	// + attach system policy AliyunECSDiskEncryptRolePolicy to role AliyunECSDiskEncryptDefaultRole
}

// Applier.Check answers whether a recipient's ECS can use a key, through
// the Applier's retries; the Decision explains each step.
func ExampleApplier_Check() {
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "key-hzexample01"}
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(key).Build()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	applier := encryptperm.NewApplier(fake.New(nil), nil)
	access := encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceSnapshot, Key: key}

	before, err := applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := applier.Apply(ctx, g); err != nil {
		log.Fatal(err)
	}
	after, err := applier.Check(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before:", before.Allowed)
	fmt.Println("after:", after.Allowed)
	// Output:
	// before: false
	// after: true
}

// Errors wrap sentinels: test them with errors.Is, and reach the details
// with errors.As. A builder lists every problem at once; a failed RAM call
// is an *APIError that keeps the SDK's error.
func Example_errors() {
	_, err := encryptperm.ShareSnapshot().WithAccounts("*").Build()
	var ve *encryptperm.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Path)
		}
	}
	fmt.Println("invalid:", errors.Is(err, encryptperm.ErrInvalid))

	f := fake.New(nil)
	f.SetFaults(fake.Rule{Action: "GetRole", Code: "NoPermission"})
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		log.Fatal(err)
	}
	_, err = encryptperm.NewApplier(f, nil).Plan(context.Background(), g)
	var apiErr *encryptperm.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("RAM said:", apiErr.Code)
	}
	fmt.Println("access denied:", errors.Is(err, encryptperm.ErrAccessDenied))
	// Output:
	// Accounts[0]
	// Keys
	// invalid: true
	// RAM said: NoPermission
	// access denied: true
}
