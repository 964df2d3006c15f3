package fake_test

import (
	"fmt"
	"log"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/ecsperm/ecsperm/fake"
)

// A directory with a member in a folder: the management account lists the
// members, assumes the member's access role and works in the member with
// the temporary credentials until they expire.
func ExampleRAM_AssumeRole() {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := fake.New(&fake.Options{Clock: func() time.Time { return now }})
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	  "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "production"}],
	  "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01", "name": "prod"}]}}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		log.Fatal(err)
	}

	list, err := f.ListAccounts(resourcemanager.CreateListAccountsRequest())
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range list.Accounts.Account {
		fmt.Println(a.AccountId, a.ResourceDirectoryPath)
	}

	req := sts.CreateAssumeRoleRequest()
	req.RoleArn = "acs:ram::2000000000000001:role/" + fake.DefaultAccessRoleName
	req.RoleSessionName = "fleet"
	resp, err := f.AssumeRole(req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.AssumedRoleUser.Arn, resp.Credentials.Expiration)
	member, err := f.Session(fake.Credential{
		AccessKeyID: resp.Credentials.AccessKeyId, AccessKeySecret: resp.Credentials.AccessKeySecret,
		SecurityToken: resp.Credentials.SecurityToken,
	})
	if err != nil {
		log.Fatal(err)
	}
	get := ram.CreateGetRoleRequest()
	get.RoleName = fake.DefaultAccessRoleName
	role, err := member.GetRole(get)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(role.Role.Arn)

	now = now.Add(time.Hour)
	_, err = member.GetRole(get)
	fmt.Println(err != nil)
	// Output:
	// 1234567890123456 rd-3GabcD/r-Root01/1234567890123456
	// 2000000000000001 rd-3GabcD/r-Root01/fd-Prod01/2000000000000001
	// acs:ram::2000000000000001:role/ResourceDirectoryAccountAccessRole/fleet 2026-01-02T04:04:05Z
	// acs:ram::2000000000000001:role/ResourceDirectoryAccountAccessRole
	// true
}
