package fake_test

import (
	"errors"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/fake"
)

// Accounts of one fake, beside its own (fake.DefaultAccountID).
const (
	acctA = "2000000000000001"
	acctB = "2000000000000002"
)

// addAccount adds uid to f and returns its *RAM.
func addAccount(t *testing.T, f *fake.RAM, uid string) *fake.RAM {
	t.Helper()
	a, err := f.AddAccount(uid)
	if err != nil {
		t.Fatalf("AddAccount(%s): %v", uid, err)
	}
	return a
}

func TestAccountsHoldStateOfTheirOwn(t *testing.T) {
	f, _ := newFake(t, nil)
	a := addAccount(t, f, acctA)
	b := addAccount(t, f, acctB)
	mustCreateRole(t, a, "OnlyInA", ecsTrust)

	got := map[string][]string{}
	for _, acct := range []*fake.RAM{f, a, b} {
		var names []string
		for _, r := range acct.Roles() {
			names = append(names, r.Name+" "+r.ARN)
		}
		got[acct.AccountID()] = names
	}
	want := map[string][]string{
		fake.DefaultAccountID: nil,
		acctA:                 {"OnlyInA acs:ram::2000000000000001:role/OnlyInA"},
		acctB:                 nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles per account (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fake.DefaultAccountID, acctA, acctB}, f.Accounts()); diff != "" {
		t.Errorf("Accounts() (-want +got):\n%s", diff)
	}
	if f.Account(acctA) != a || b.Account(acctA) != a {
		t.Error("Account(acctA) is not the *RAM AddAccount returned, from every account")
	}
	if again := addAccount(t, f, acctA); again != a {
		t.Error("AddAccount of a held account made another *RAM")
	}
	if got := f.Account("2000000000000009"); got != nil {
		t.Errorf("Account of an unknown UID = %v, want nil", got)
	}
}

func TestAddAccountRefusesMalformedUID(t *testing.T) {
	f, _ := newFake(t, nil)
	for _, uid := range []string{"", "123", "20000000000000011", "200000000000000a"} {
		if _, err := f.AddAccount(uid); !errors.Is(err, fake.ErrInvalidSeed) {
			t.Errorf("AddAccount(%q) = %v, want ErrInvalidSeed", uid, err)
		}
	}
	if diff := cmp.Diff([]string{fake.DefaultAccountID}, f.Accounts()); diff != "" {
		t.Errorf("Accounts() after refusals (-want +got):\n%s", diff)
	}
}

func TestCallLogAndFaultsPerAccount(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{
		{Account: acctB, Action: "GetRole", Nth: 2, Code: "Throttling.User"},
	}})
	a := addAccount(t, f, acctA)
	b := addAccount(t, f, acctB)
	var codes []string
	for _, acct := range []*fake.RAM{f, a, b, f, a, b, b} {
		_, err := coreGetRole(acct, "ShareRole")
		codes = append(codes, acct.AccountID()[12:]+" "+errCode(t, err))
	}
	// Nth counts calls in the rule's account only: the second GetRole in
	// B is the sixth GetRole of the fake.
	want := []string{
		"3456 EntityNotExist.Role", "0001 EntityNotExist.Role", "0002 EntityNotExist.Role",
		"3456 EntityNotExist.Role", "0001 EntityNotExist.Role", "0002 Throttling.User", "0002 EntityNotExist.Role",
	}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	perAccount := map[string][]string{}
	for _, acct := range []*fake.RAM{f, a, b} {
		var got []string
		for _, c := range acct.Calls() {
			got = append(got, c.Account+" "+c.Action+" "+c.Code)
		}
		perAccount[acct.AccountID()] = got
	}
	wantLog := map[string][]string{
		fake.DefaultAccountID: {" GetRole EntityNotExist.Role", " GetRole EntityNotExist.Role"},
		acctA:                 {acctA + " GetRole EntityNotExist.Role", acctA + " GetRole EntityNotExist.Role"},
		acctB:                 {acctB + " GetRole EntityNotExist.Role", acctB + " GetRole Throttling.User", acctB + " GetRole EntityNotExist.Role"},
	}
	if diff := cmp.Diff(wantLog, perAccount); diff != "" {
		t.Errorf("Calls() per account (-want +got):\n%s", diff)
	}
	wantFired := []fake.FiredRule{{Index: 0, Rule: fake.Rule{Account: acctB, Action: "GetRole", Nth: 2, Code: "Throttling.User"}, Action: "GetRole", Account: acctB, Call: 2}}
	if diff := cmp.Diff(wantFired, b.Fired(), cmpopts.IgnoreFields(fake.FiredRule{}, "RequestID")); diff != "" {
		t.Errorf("B's Fired() (-want +got):\n%s", diff)
	}
	if got := f.Fired(); len(got) != 0 {
		t.Errorf("own Fired() = %v, want none", got)
	}
}

func TestResetDropsAddedAccounts(t *testing.T) {
	f, _ := newFake(t, nil)
	a := addAccount(t, f, acctA)
	mustCreateRole(t, a, "R", ecsTrust)
	mustCreateRole(t, f, "R", ecsTrust)
	a.Reset()
	if diff := cmp.Diff([]string{fake.DefaultAccountID}, f.Accounts()); diff != "" {
		t.Errorf("Accounts() after Reset (-want +got):\n%s", diff)
	}
	if n := len(f.Roles()) + len(a.Roles()); n != 0 {
		t.Errorf("%d roles after Reset, want 0", n)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls logged after Reset, want 0", n)
	}
}

// Keys of the accounts beside the fake's own, for endpoint tests.
const (
	keyA    = "LTAI-key-of-a"
	secretA = "secret-of-a"
	keyB    = "LTAI-key-of-b"
	secretB = "secret-of-b"
)

func TestEndpointServesEachKeyFromItsAccount(t *testing.T) {
	f, _ := newFake(t, nil)
	a := addAccount(t, f, acctA)
	ep := start(t, f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		{AccessKeyID: keyA, AccessKeySecret: secretA, Account: acctA, User: "admin"},
		// acctB is not held yet: the endpoint adds it on first use.
		{AccessKeyID: keyB, AccessKeySecret: secretB, Account: acctB},
		{AccessKeyID: "LTAI-bad-account", AccessKeySecret: "s", Account: "12"},
	}})
	for _, k := range []struct{ id, secret, role string }{
		{testKeyID, testSecret, "OwnRole"}, {keyA, secretA, "RoleOfA"}, {keyB, secretB, "RoleOfB"},
	} {
		c, err := ep.Client(k.id, k.secret)
		if err != nil {
			t.Fatal(err)
		}
		req := ram.CreateCreateRoleRequest()
		req.RoleName, req.AssumeRolePolicyDocument = k.role, ecsTrust
		if _, err := c.CreateRole(req); err != nil {
			t.Fatalf("CreateRole %s with %s: %v", k.role, k.id, err)
		}
	}
	b := f.Account(acctB)
	if b == nil {
		t.Fatal("the endpoint did not add the account of keyB")
	}
	got := map[string][]string{}
	for _, acct := range []*fake.RAM{f, a, b} {
		for _, r := range acct.Roles() {
			got[acct.AccountID()] = append(got[acct.AccountID()], r.ARN)
		}
	}
	want := map[string][]string{
		fake.DefaultAccountID: {"acs:ram::1234567890123456:role/OwnRole"},
		acctA:                 {"acs:ram::2000000000000001:role/RoleOfA"},
		acctB:                 {"acs:ram::2000000000000002:role/RoleOfB"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles per account (-want +got):\n%s", diff)
	}
	// A fault rule of one account meets only the calls signed with its key.
	f.AddFault(fake.Rule{Account: acctB, Action: "GetRole", Code: "Throttling.User"})
	codes := map[string]string{}
	for _, k := range []struct{ id, secret, role string }{
		{testKeyID, testSecret, "OwnRole"}, {keyA, secretA, "RoleOfA"}, {keyB, secretB, "RoleOfB"},
	} {
		c, err := ep.Client(k.id, k.secret)
		if err != nil {
			t.Fatal(err)
		}
		req := ram.CreateGetRoleRequest()
		req.RoleName = k.role
		_, err = c.GetRole(req)
		codes[k.id] = errCode(t, err)
	}
	if diff := cmp.Diff(map[string]string{testKeyID: "", keyA: "", keyB: "Throttling.User"}, codes); diff != "" {
		t.Errorf("GetRole codes per key (-want +got):\n%s", diff)
	}

	c, err := ep.Client("LTAI-bad-account", "s")
	if err != nil {
		t.Fatal(err)
	}
	req := ram.CreateGetRoleRequest()
	req.RoleName = "OwnRole"
	_, err = c.GetRole(req)
	if code := errCode(t, err); code != "InvalidAccessKeyId.NotFound" {
		t.Errorf("a key whose Account is malformed: code %q, want InvalidAccessKeyId.NotFound", code)
	}
}
