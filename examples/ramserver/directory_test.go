package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// aim points an SDK client at ramserver's address.
func aim(c *sdk.Client, addr string) {
	c.Domain = addr
	c.SetNoProxy(addr)
}

func config() *sdk.Config { return sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false) }

// TestRunServesADirectory runs ramserver with the directory example seed,
// the main key of a RAM user, and a key of an account outside the
// directory: Resource Manager lists the members, STS lets the user into a
// member, and the outside account accepts a share's invitation itself.
func TestRunServesADirectory(t *testing.T) {
	addr := startRun(t, "-seed", "testdata/directory.json", "-user", "ops",
		"-account-key", "9000000000000009:OUTSIDE:OUTSIDE-SECRET")
	key := credentials.NewAccessKeyCredential("ID", "SECRET")

	rm, err := resourcemanager.NewClientWithOptions(fake.ClientRegion, config(), key)
	if err != nil {
		t.Fatal(err)
	}
	aim(&rm.Client, addr)
	list := resourcemanager.CreateListAccountsRequest()
	list.PageSize = requests.NewInteger(100)
	accounts, err := rm.ListAccounts(list)
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	var got []string
	for _, a := range accounts.Accounts.Account {
		got = append(got, a.AccountId+" "+a.DisplayName+" "+a.ResourceDirectoryPath)
	}
	want := []string{
		"1234567890123456 1234567890123456 rd-3GabcD/r-Root01/1234567890123456",
		"2000000000000001 prod-shared rd-3GabcD/r-Root01/fd-Prod01/2000000000000001",
		"2000000000000002 prod-web rd-3GabcD/r-Root01/fd-Prod01/fd-Web001/2000000000000002",
		"2000000000000003 test rd-3GabcD/r-Root01/fd-Test01/2000000000000003",
		"3000000000000001 3000000000000001 rd-3GabcD/r-Root01/3000000000000001",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListAccounts (-want +got):\n%s", diff)
	}

	stsc, err := sts.NewClientWithOptions(fake.ClientRegion, config(), key)
	if err != nil {
		t.Fatal(err)
	}
	aim(&stsc.Client, addr)
	assume := sts.CreateAssumeRoleRequest()
	assume.RoleArn, assume.RoleSessionName = "acs:ram::2000000000000002:role/ResourceDirectoryAccountAccessRole", "ramserver-test"
	ar, err := stsc.AssumeRole(assume)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	getRole := func(cred auth.Credential) error {
		c, err := ram.NewClientWithOptions(fake.ClientRegion, config(), cred)
		if err != nil {
			t.Fatal(err)
		}
		aim(&c.Client, addr)
		req := ram.CreateGetRoleRequest()
		req.RoleName = "ResourceDirectoryAccountAccessRole"
		_, err = c.GetRole(req)
		return err
	}
	member := credentials.NewStsTokenCredential(ar.Credentials.AccessKeyId, ar.Credentials.AccessKeySecret, ar.Credentials.SecurityToken)
	if err := getRole(member); err != nil {
		t.Errorf("the member's access role, read with its temporary key: %v", err)
	}
	if err := getRole(key); err == nil || !strings.Contains(err.Error(), "EntityNotExist.Role") {
		t.Errorf("the access role read with the management key: %v, want EntityNotExist.Role", err)
	}

	share := func(cred auth.Credential) *resourcesharing.Client {
		c, err := resourcesharing.NewClientWithOptions(fake.ClientRegion, config(), cred)
		if err != nil {
			t.Fatal(err)
		}
		aim(&c.Client, addr)
		return c
	}
	create := resourcesharing.CreateCreateResourceShareRequest()
	create.ResourceShareName, create.AllowExternalTargets = "outside", requests.NewBoolean(true)
	create.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: "s-bp1plain01", ResourceType: "Snapshot"}}
	create.Targets = &[]string{"9000000000000009"}
	if _, err := share(key).CreateResourceShare(create); err != nil {
		t.Fatalf("CreateResourceShare: %v", err)
	}
	outside := share(credentials.NewAccessKeyCredential("OUTSIDE", "OUTSIDE-SECRET"))
	invs, err := outside.ListResourceShareInvitations(resourcesharing.CreateListResourceShareInvitationsRequest())
	if err != nil || len(invs.ResourceShareInvitations) != 1 {
		t.Fatalf("ListResourceShareInvitations: %v, %+v; want one invitation", err, invs)
	}
	accept := resourcesharing.CreateAcceptResourceShareInvitationRequest()
	accept.ResourceShareInvitationId = invs.ResourceShareInvitations[0].ResourceShareInvitationId
	if _, err := outside.AcceptResourceShareInvitation(accept); err != nil {
		t.Fatalf("AcceptResourceShareInvitation: %v", err)
	}
	assoc := resourcesharing.CreateListResourceShareAssociationsRequest()
	assoc.AssociationType = "Target"
	as, err := share(key).ListResourceShareAssociations(assoc)
	if err != nil || len(as.ResourceShareAssociations) != 1 || as.ResourceShareAssociations[0].AssociationStatus != "Associated" {
		t.Errorf("the target after acceptance: %v, %+v; want Associated", err, as)
	}
}

func TestRunRefusesBadAccountKeys(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{"12:ID:hush42", "-account-key (the 1st): the first field is not an account UID (16 digits)"},
		{"2000000000000001:ID", "-account-key (the 1st): want UID:ID:SECRET or UID:ID:SECRET:USER"},
		{"2000000000000001::hush42", "-account-key (the 1st): the key ID and secret may not be empty"},
		{"2000000000000001:ID:hush:42:more", "-account-key (the 1st): want UID:ID:SECRET or UID:ID:SECRET:USER"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-access-key-id", "ID", "-access-key-secret", "S",
				"-account-key", tt.give}, new(strings.Builder))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("run() = %v, want %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "hush") {
				t.Errorf("the error %q quotes the secret", err)
			}
		})
	}
}

// TestRunServesTheAuditExample runs ramserver with the audit example seed:
// the key's policy and a share role's trust policy are served as the seed
// gives them, so that the README's audit can be tried end to end.
func TestRunServesTheAuditExample(t *testing.T) {
	addr := startRun(t, "-seed", "testdata/audit.json")
	key := credentials.NewAccessKeyCredential("ID", "SECRET")
	kc, err := kms.NewClientWithOptions(fake.ClientRegion, config(), key)
	if err != nil {
		t.Fatal(err)
	}
	aim(&kc.Client, addr)
	get := kms.CreateGetKeyPolicyRequest()
	get.RegionId, get.KeyId, get.PolicyName = "cn-hangzhou", "key-hzzinstance0001", "default"
	kp, err := kc.GetKeyPolicy(get)
	if err != nil || !strings.Contains(kp.Policy, "acs:ram::9000000000000009:role/Backup") {
		t.Errorf("GetKeyPolicy: %v, %+v", err, kp)
	}
	rc, err := ram.NewClientWithOptions(fake.ClientRegion, config(), key)
	if err != nil {
		t.Fatal(err)
	}
	aim(&rc.Client, addr)
	list := ram.CreateListPoliciesForRoleRequest()
	list.RoleName = "AliyunECSDiskEncryptDefaultRole"
	attached, err := rc.ListPoliciesForRole(list)
	if err != nil || len(attached.Policies.Policy) != 1 || attached.Policies.Policy[0].PolicyName != "AliyunKMSFullAccess" {
		t.Errorf("ListPoliciesForRole: %v, %+v", err, attached)
	}
}
