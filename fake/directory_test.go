package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// The directory of the tests: the fake's own account manages it.
//
//	r-Root01           (the management account, 3000000000000001 invited)
//	├── fd-Prod01 prod (2000000000000001 prod-a)
//	│   └── fd-Web001  (2000000000000002)
//	└── fd-Test01 test (2000000000000003)
const (
	dirID     = "rd-3GabcD"
	dirRoot   = "r-Root01"
	fdProd    = "fd-Prod01"
	fdWeb     = "fd-Web001"
	fdTest    = "fd-Test01"
	memProd   = "2000000000000001"
	memWeb    = "2000000000000002"
	memTest   = "2000000000000003"
	memInvite = "3000000000000001"
)

// testDirectory is the directory above.
func testDirectory() fake.ResourceDirectory {
	return fake.ResourceDirectory{
		ID: dirID, SharingEnabled: true, Root: dirRoot,
		FolderTree: []fake.Folder{
			{ID: fdProd, Parent: dirRoot, Name: "prod"},
			{ID: fdWeb, Parent: fdProd},
			{ID: fdTest, Parent: dirRoot, Name: "test"},
		},
		Accounts: []fake.DirectoryAccount{
			{UID: memProd, Folder: fdProd, Name: "prod-a"},
			{UID: memWeb, Folder: fdWeb},
			{UID: memTest, Folder: fdTest},
		},
		Members: []string{memInvite},
	}
}

// newDirectoryFake returns a fake at t0 that manages testDirectory.
func newDirectoryFake(t *testing.T, opts *fake.Options) (*fake.RAM, *testClock) {
	t.Helper()
	f, c := newFake(t, opts)
	if err := f.PutResourceDirectory(testDirectory()); err != nil {
		t.Fatalf("PutResourceDirectory: %v", err)
	}
	return f, c
}

func TestDirectoryCreatesMembersWithTheAccessRole(t *testing.T) {
	f, _ := newDirectoryFake(t, nil)
	if diff := cmp.Diff([]string{fake.DefaultAccountID, memProd, memWeb, memTest}, f.Accounts()); diff != "" {
		t.Errorf("Accounts() (-want +got):\n%s", diff)
	}
	want := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}],"Version":"1"}`
	for _, uid := range []string{memProd, memWeb, memTest} {
		role, ok := f.Account(uid).Role("ResourceDirectoryAccountAccessRole")
		if !ok {
			t.Errorf("member %s has no access role", uid)
			continue
		}
		if role.TrustPolicy != want || role.ARN != "acs:ram::"+uid+":role/ResourceDirectoryAccountAccessRole" || role.MaxSessionDuration != 3600 {
			t.Errorf("member %s's access role = %+v, want the trust %s", uid, role, want)
		}
	}
	if _, ok := f.Role("ResourceDirectoryAccountAccessRole"); ok {
		t.Error("the management account has an access role")
	}
	if f.Account(memInvite) != nil {
		t.Error("an invited member, listed only in members, is held as an account")
	}
	rd, ok := f.ResourceDirectory()
	if !ok || !cmp.Equal(testDirectory(), rd) {
		t.Errorf("ResourceDirectory() = %+v, %v, want what was put", rd, ok)
	}
}

func TestDirectoryAccessRoleNameIsAnOption(t *testing.T) {
	f, _ := newDirectoryFake(t, &fake.Options{AccessRoleName: "OrgAccess"})
	if _, ok := f.Account(memProd).Role("OrgAccess"); !ok {
		t.Error("the member has no role OrgAccess")
	}
	if _, ok := f.Account(memProd).Role(fake.DefaultAccessRoleName); ok {
		t.Errorf("the member has %s although Options.AccessRoleName names another", fake.DefaultAccessRoleName)
	}
}

func TestDirectoryKeepsAMembersOwnRoles(t *testing.T) {
	f, _ := newFake(t, nil)
	m := addAccount(t, f, memProd)
	own := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::9000000000000009:root"]}}],"Version":"1"}`
	if err := m.PutRole(fake.Role{Name: fake.DefaultAccessRoleName, TrustPolicy: own}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutResourceDirectory(testDirectory()); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.TrustPolicy(fake.DefaultAccessRoleName); got != own {
		t.Errorf("trust policy = %s, want the member's own %s", got, own)
	}
}

func TestPutResourceDirectoryRefusesBadTrees(t *testing.T) {
	tests := []struct {
		name string
		give func(*fake.ResourceDirectory)
		want string
	}{
		{"no root", func(d *fake.ResourceDirectory) { d.Root = "" }, "root: empty, but the directory has folderTree or accounts"},
		{"malformed root", func(d *fake.ResourceDirectory) { d.Root = "fd-Root01" }, `root: "fd-Root01" is not a root folder ID`},
		{"unknown parent", func(d *fake.ResourceDirectory) { d.FolderTree[1].Parent = "fd-Nope01" }, `folderTree[1].parent: "fd-Nope01" is neither the root r-Root01 nor a folder of folderTree`},
		{"cycle", func(d *fake.ResourceDirectory) { d.FolderTree[0].Parent = fdWeb }, "folderTree[0].parent: the folder fd-Prod01 is its own ancestor"},
		{"folder twice", func(d *fake.ResourceDirectory) { d.FolderTree[2].ID = fdProd }, "folderTree[2].id: the folder fd-Prod01 is given twice (folderTree[0])"},
		{"account folder unknown", func(d *fake.ResourceDirectory) { d.Accounts[1].Folder = "fd-Nope01" }, `accounts[1].folder: "fd-Nope01" is neither the root`},
		{"account twice", func(d *fake.ResourceDirectory) { d.Accounts[2].UID = memProd }, "accounts[2].uid: the account 2000000000000001 is given twice (accounts[0])"},
		{"account malformed", func(d *fake.ResourceDirectory) { d.Accounts[0].UID = "12" }, `accounts[0].uid: "12" is not an account UID`},
		{"listed folder outside the tree", func(d *fake.ResourceDirectory) { d.Folders = []string{dirRoot, "fd-Else01"} }, `folders[1]: "fd-Else01" is neither the root`},
		{"six levels", func(d *fake.ResourceDirectory) {
			parent := dirRoot
			d.FolderTree = nil
			for _, id := range []string{"fd-L1", "fd-L2", "fd-L3", "fd-L4", "fd-L5", "fd-L6"} {
				d.FolderTree = append(d.FolderTree, fake.Folder{ID: id, Parent: parent})
				parent = id
			}
			d.Accounts = nil
		}, "folderTree[5].parent: the folder fd-L6 is 6 levels below the root; a directory has at most 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			d := testDirectory()
			tt.give(&d)
			err := f.PutResourceDirectory(d)
			if !errors.Is(err, fake.ErrInvalidSeed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PutResourceDirectory = %v, want ErrInvalidSeed with %q", err, tt.want)
			}
			if _, ok := f.ResourceDirectory(); ok || len(f.Accounts()) != 1 {
				t.Errorf("a refused directory changed the fake: %v accounts", f.Accounts())
			}
		})
	}
}

func TestPutResourceDirectoryOnlyInTheOwnAccount(t *testing.T) {
	f, _ := newFake(t, nil)
	m := addAccount(t, f, memProd)
	if err := m.PutResourceDirectory(testDirectory()); err == nil {
		t.Fatal("a member's *RAM took the directory")
	}
	if _, ok := f.ResourceDirectory(); ok {
		t.Error("the refused directory was put")
	}
}

// rmClient is what *fake.RAM and *resourcemanager.Client both offer.
type rmClient interface {
	GetResourceDirectory(*resourcemanager.GetResourceDirectoryRequest) (*resourcemanager.GetResourceDirectoryResponse, error)
	ListAccounts(*resourcemanager.ListAccountsRequest) (*resourcemanager.ListAccountsResponse, error)
	ListAccountsForParent(*resourcemanager.ListAccountsForParentRequest) (*resourcemanager.ListAccountsForParentResponse, error)
	ListFoldersForParent(*resourcemanager.ListFoldersForParentRequest) (*resourcemanager.ListFoldersForParentResponse, error)
}

// rmClients returns the management account's Resource Manager in process
// and through the endpoint, and a member's.
func rmClients(t *testing.T, f *fake.RAM) (clients map[string]rmClient, member map[string]rmClient) {
	t.Helper()
	ep := start(t, f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		{AccessKeyID: keyA, AccessKeySecret: secretA, Account: memProd},
	}})
	mgmt, err := ep.ResourceManagerClient(testKeyID, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := ep.ResourceManagerClient(keyA, secretA)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]rmClient{"in process": f, "endpoint": mgmt},
		map[string]rmClient{"in process": f.Account(memProd), "endpoint": mem}
}

// accountRow is what a listed account says, on one line.
func accountRow(a resourcemanager.AccountInListAccounts) string {
	return strings.Join([]string{a.AccountId, a.DisplayName, a.FolderId, a.ResourceDirectoryId, a.ResourceDirectoryPath,
		a.JoinMethod, a.JoinTime, a.ModifyTime, a.Status, a.Type}, " ")
}

func TestResourceManagerListsTheDirectory(t *testing.T) {
	f, _ := newDirectoryFake(t, nil)
	clients, _ := rmClients(t, f)
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			gr, err := c.GetResourceDirectory(resourcemanager.CreateGetResourceDirectoryRequest())
			if err != nil {
				t.Fatal(err)
			}
			wantRD := resourcemanager.ResourceDirectory{
				ResourceDirectoryId: dirID, MasterAccountId: fake.DefaultAccountID, MasterAccountName: fake.DefaultAccountID,
				RootFolderId: dirRoot, CreateTime: t0Date, ControlPolicyStatus: "Disabled", MemberDeletionStatus: "Disabled",
			}
			if diff := cmp.Diff(wantRD, gr.ResourceDirectory); diff != "" {
				t.Errorf("GetResourceDirectory (-want +got):\n%s", diff)
			}

			var pages [][]string
			var totals []int
			for n := 1; n <= 3; n++ {
				req := resourcemanager.CreateListAccountsRequest()
				req.PageNumber, req.PageSize = requests.NewInteger(n), requests.NewInteger(2)
				resp, err := c.ListAccounts(req)
				if err != nil {
					t.Fatal(err)
				}
				var rows []string
				for _, a := range resp.Accounts.Account {
					rows = append(rows, accountRow(a))
				}
				pages = append(pages, rows)
				totals = append(totals, resp.TotalCount, resp.PageNumber, resp.PageSize)
			}
			wantPages := [][]string{
				{
					"1234567890123456 1234567890123456 r-Root01 rd-3GabcD rd-3GabcD/r-Root01/1234567890123456 invited " + t0Date + " " + t0Date + " InviteSuccess CloudAccount",
					"2000000000000001 prod-a fd-Prod01 rd-3GabcD rd-3GabcD/r-Root01/fd-Prod01/2000000000000001 created " + t0Date + " " + t0Date + " CreateSuccess ResourceAccount",
				},
				{
					"2000000000000002 2000000000000002 fd-Web001 rd-3GabcD rd-3GabcD/r-Root01/fd-Prod01/fd-Web001/2000000000000002 created " + t0Date + " " + t0Date + " CreateSuccess ResourceAccount",
					"2000000000000003 2000000000000003 fd-Test01 rd-3GabcD rd-3GabcD/r-Root01/fd-Test01/2000000000000003 created " + t0Date + " " + t0Date + " CreateSuccess ResourceAccount",
				},
				{
					"3000000000000001 3000000000000001 r-Root01 rd-3GabcD rd-3GabcD/r-Root01/3000000000000001 invited " + t0Date + " " + t0Date + " InviteSuccess CloudAccount",
				},
			}
			if diff := cmp.Diff(wantPages, pages); diff != "" {
				t.Errorf("ListAccounts pages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int{5, 1, 2, 5, 2, 2, 5, 3, 2}, totals); diff != "" {
				t.Errorf("TotalCount, PageNumber, PageSize of each page (-want +got):\n%s", diff)
			}

			forParent := map[string][]string{}
			for _, parent := range []string{dirRoot, fdProd, fdWeb, fdTest} {
				req := resourcemanager.CreateListAccountsForParentRequest()
				req.ParentFolderId = parent
				resp, err := c.ListAccountsForParent(req)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range resp.Accounts.Account {
					forParent[parent] = append(forParent[parent], a.AccountId+" "+a.FolderId+" "+a.Type)
				}
			}
			wantForParent := map[string][]string{
				dirRoot: {"1234567890123456 r-Root01 CloudAccount", "3000000000000001 r-Root01 CloudAccount"},
				fdProd:  {"2000000000000001 fd-Prod01 ResourceAccount"},
				fdWeb:   {"2000000000000002 fd-Web001 ResourceAccount"},
				fdTest:  {"2000000000000003 fd-Test01 ResourceAccount"},
			}
			if diff := cmp.Diff(wantForParent, forParent); diff != "" {
				t.Errorf("ListAccountsForParent (-want +got):\n%s", diff)
			}

			folders := map[string][]string{}
			for _, parent := range []string{"", fdProd, fdWeb} {
				req := resourcemanager.CreateListFoldersForParentRequest()
				req.ParentFolderId = parent
				resp, err := c.ListFoldersForParent(req)
				if err != nil {
					t.Fatal(err)
				}
				folders[parent] = []string{}
				for _, fd := range resp.Folders.Folder {
					folders[parent] = append(folders[parent], fd.FolderId+" "+fd.FolderName+" "+fd.CreateTime)
				}
			}
			wantFolders := map[string][]string{
				"":     {"fd-Prod01 prod " + t0Date, "fd-Test01 test " + t0Date},
				fdProd: {"fd-Web001 fd-Web001 " + t0Date},
				fdWeb:  {},
			}
			if diff := cmp.Diff(wantFolders, folders); diff != "" {
				t.Errorf("ListFoldersForParent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceManagerRefusals(t *testing.T) {
	f, _ := newDirectoryFake(t, nil)
	clients, members := rmClients(t, f)
	outsider := addAccount(t, f, "9000000000000009")
	type call func(c rmClient) error
	listAccounts := func(set func(*resourcemanager.ListAccountsRequest)) call {
		return func(c rmClient) error {
			req := resourcemanager.CreateListAccountsRequest()
			set(req)
			_, err := c.ListAccounts(req)
			return err
		}
	}
	forParent := func(parent string) call {
		return func(c rmClient) error {
			req := resourcemanager.CreateListAccountsForParentRequest()
			req.ParentFolderId = parent
			_, err := c.ListAccountsForParent(req)
			return err
		}
	}
	tests := []struct {
		name       string
		member     bool
		call       call
		wantCode   string
		wantStatus int
	}{
		{"a member lists the accounts", true, listAccounts(func(*resourcemanager.ListAccountsRequest) {}), "NoPermission", 403},
		{"page size over 100", false, listAccounts(func(r *resourcemanager.ListAccountsRequest) { r.PageSize = "101" }), "InvalidParameter.PageSize", 400},
		{"page number zero", false, listAccounts(func(r *resourcemanager.ListAccountsRequest) { r.PageNumber = "0" }), "InvalidParameter.PageNumber", 400},
		{"a tag filter", false, listAccounts(func(r *resourcemanager.ListAccountsRequest) {
			r.Tag = &[]resourcemanager.ListAccountsTag{{Key: "team", Value: "a"}}
		}), "InvalidParameter.NotSupported", 400},
		{"IncludeTags not a boolean", false, listAccounts(func(r *resourcemanager.ListAccountsRequest) { r.IncludeTags = "yes" }), "InvalidParameter.IncludeTags", 400},
		{"no parent", false, forParent(""), "MissingParentFolderId", 400},
		{"malformed parent", false, forParent("folder-1"), "InvalidParameter.ParentFolderId", 400},
		{"unknown parent", false, forParent("fd-Nope01"), "EntityNotExists.Folder", 404},
	}
	for _, tt := range tests {
		for name := range clients {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				c := clients[name]
				if tt.member {
					c = members[name]
				}
				se := serverError(t, tt.call(c))
				if se.ErrorCode() != tt.wantCode || se.HttpStatus() != tt.wantStatus {
					t.Errorf("answer = %d %s, want %d %s", se.HttpStatus(), se.ErrorCode(), tt.wantStatus, tt.wantCode)
				}
			})
		}
	}
	_, err := outsider.GetResourceDirectory(resourcemanager.CreateGetResourceDirectoryRequest())
	if se := serverError(t, err); se.ErrorCode() != "EntityNotExists.ResourceDirectory" || se.HttpStatus() != 404 {
		t.Errorf("an account outside the directory: %d %s, want 404 EntityNotExists.ResourceDirectory", se.HttpStatus(), se.ErrorCode())
	}
	resp, err := f.Account(memWeb).GetResourceDirectory(resourcemanager.CreateGetResourceDirectoryRequest())
	if err != nil || resp.ResourceDirectory.MasterAccountId != fake.DefaultAccountID {
		t.Errorf("a member reads its directory: %v, %+v; want the management account named", err, resp.ResourceDirectory)
	}
}
