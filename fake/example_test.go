package fake_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/fake"
)

// A fake seeded with a share role that someone else created, and a fault
// rule that throttles the first UpdateRole.
func ExampleNew() {
	f := fake.New(&fake.Options{
		AccountID: "1111222233334444",
		Faults:    []fake.Rule{{Action: "UpdateRole", Nth: 1, Code: "Throttling.User", RetryAfter: 2 * time.Second}},
	})
	const role = "AliyunECSShareEncryptSnapshotDefaultRole"
	err := f.PutRole(fake.Role{
		Name:        role,
		TrustPolicy: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["5555666677778888@ecs.aliyuncs.com"]}}]}`,
	})
	if err != nil {
		log.Fatal(err)
	}

	req := ram.CreateUpdateRoleRequest()
	req.RoleName = role
	req.NewAssumeRolePolicyDocument = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"Service":["5555666677778888@ecs.aliyuncs.com","9999000011112222@ecs.aliyuncs.com"]}}]}`
	_, err = f.UpdateRole(req)
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		fmt.Println(se.ErrorCode(), se.HttpStatus(), se.RespHeaders["X-Acs-Retry-After"])
	}

	resp, err := f.UpdateRole(req) // the second call is served
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Role.Arn)
	principals, _ := f.TrustedPrincipals(role)
	for _, p := range principals {
		fmt.Println(p.Type, p.Value)
	}
	for _, fr := range f.Fired() {
		fmt.Println("fired:", fr.Action, fr.Call, fr.Rule.Code)
	}
	// Output:
	// Throttling.User 400 [2000]
	// acs:ram::1111222233334444:role/AliyunECSShareEncryptSnapshotDefaultRole
	// Service 5555666677778888@ecs.aliyuncs.com
	// Service 9999000011112222@ecs.aliyuncs.com
	// fired: UpdateRole 1 Throttling.User
}

// Two writers race on one role; the hold makes the first writer's update
// land last, whatever the scheduler does.
func ExampleRAM_HoldCall() {
	f := fake.New(nil)
	trust := func(uid string) string {
		return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["` + uid + `@ecs.aliyuncs.com"]}}]}`
	}
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: trust("1111222233334444")}); err != nil {
		log.Fatal(err)
	}
	update := func(uid string) error {
		req := ram.CreateUpdateRoleRequest()
		req.RoleName, req.NewAssumeRolePolicyDocument = "ShareRole", trust(uid)
		_, err := f.UpdateRole(req)
		return err
	}

	h := f.HoldCall("UpdateRole", 1)
	first := make(chan error, 1)
	go func() { first <- update("2222333344445555") }()
	<-h.Held() // the first writer waits before it commits
	if err := update("6666777788889999"); err != nil {
		log.Fatal(err)
	}
	h.Release()
	if err := <-first; err != nil {
		log.Fatal(err)
	}
	principals, _ := f.TrustedPrincipals("ShareRole")
	fmt.Println(principals)
	// Output:
	// [{Service 2222333344445555@ecs.aliyuncs.com}]
}
