package fake_test

import (
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"

	"github.com/ecsperm/ecsperm/fake"
)

// directoryOf returns a fake whose directory has n created members, spread
// over ten folders.
func directoryOf(t *testing.T, n int) *fake.RAM {
	t.Helper()
	f, _ := newFake(t, &fake.Options{MaxCalls: 10})
	rd := fake.ResourceDirectory{ID: dirID, SharingEnabled: true, Root: dirRoot}
	for i := range 10 {
		rd.FolderTree = append(rd.FolderTree, fake.Folder{ID: fmt.Sprintf("fd-Team%02d", i), Parent: dirRoot})
	}
	for i := range n {
		rd.Accounts = append(rd.Accounts, fake.DirectoryAccount{UID: fmt.Sprintf("2%015d", i), Folder: fmt.Sprintf("fd-Team%02d", i%10)})
	}
	if err := f.PutResourceDirectory(rd); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDirectoryCallsCostTheSameWhateverItsSize counts the allocations of
// the calls a run across a directory makes, on a directory of 100 members
// and one of 2,000: listing a page, assuming a member's role, and a call in
// the member allocate as much on both, so their cost does not grow with
// the number of accounts.
func TestDirectoryCallsCostTheSameWhateverItsSize(t *testing.T) {
	calls := map[string]func(f *fake.RAM) error{
		"ListAccounts page 1": func(f *fake.RAM) error {
			req := resourcemanager.CreateListAccountsRequest()
			req.PageSize = requests.NewInteger(10)
			_, err := f.ListAccounts(req)
			return err
		},
		"ListAccountsForParent": func(f *fake.RAM) error {
			req := resourcemanager.CreateListAccountsForParentRequest()
			req.ParentFolderId, req.PageSize = "fd-Team03", requests.NewInteger(10)
			_, err := f.ListAccountsForParent(req)
			return err
		},
		"AssumeRole": func(f *fake.RAM) error {
			_, err := f.AssumeRole(assumeReq(accessRoleARN("2000000000000007"), "fleet", 0))
			return err
		},
		"GetRole in a member": func(f *fake.RAM) error {
			_, err := coreGetRole(f.Account("2000000000000007"), fake.DefaultAccessRoleName)
			return err
		},
	}
	small, large := directoryOf(t, 100), directoryOf(t, 2000)
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			allocs := func(f *fake.RAM) float64 {
				if err := call(f); err != nil {
					t.Fatal(err)
				}
				return testing.AllocsPerRun(50, func() { _ = call(f) })
			}
			s, l := allocs(small), allocs(large)
			if l > s*1.05+2 {
				t.Errorf("allocations per call: %.0f with 100 members, %.0f with 2,000; want the same", s, l)
			}
		})
	}
}
