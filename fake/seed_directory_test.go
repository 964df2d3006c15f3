package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// treeSeed is the directory of testDirectory as a seed, with a key and a
// snapshot in the management account, and a key, an image and a snapshot
// in the member of fd-Prod01.
const treeSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
   "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "prod"},
                  {"id": "fd-Web001", "parent": "fd-Prod01"},
                  {"id": "fd-Test01", "parent": "r-Root01", "name": "test"}],
   "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01", "name": "prod-a"},
                {"uid": "2000000000000002", "folder": "fd-Web001"},
                {"uid": "2000000000000003", "folder": "fd-Test01"}],
   "members": ["3000000000000001"]},
 "keys": [{"region": "cn-hangzhou", "id": "` + seedKeyA + `"},
          {"account": "2000000000000001", "region": "cn-hangzhou", "id": "` + seedKeyB + `"}],
 "images": [{"account": "2000000000000001", "region": "cn-hangzhou", "id": "m-bp1prod01", "kmsKeyId": "` + seedKeyB + `"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1mgmt01", "kmsKeyId": "` + seedKeyA + `"},
               {"account": "2000000000000001", "region": "cn-hangzhou", "id": "s-bp1prod01", "kmsKeyId": "` + seedKeyB + `"}]}`

func TestLoadSeedWithADirectoryTree(t *testing.T) {
	f, _ := newFake(t, nil)
	if err := fake.LoadSeedBytes(f, []byte(treeSeed)); err != nil {
		t.Fatalf("LoadSeed: %v", err)
	}
	rd, _ := f.ResourceDirectory()
	if diff := cmp.Diff(testDirectory(), rd); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fake.DefaultAccountID, memProd, memWeb, memTest}, f.Accounts()); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	prod := f.Account(memProd)
	got := map[string]any{
		"own keys":       f.Keys(),
		"own snapshots":  f.Snapshots(),
		"prod keys":      prod.Keys(),
		"prod snapshots": prod.Snapshots(),
		"prod images":    len(prod.Images()),
		"own images":     len(f.Images()),
	}
	want := map[string]any{
		"own keys":      []fake.Key{{Region: "cn-hangzhou", ID: seedKeyA, State: "Enabled"}},
		"own snapshots": []fake.Snapshot{{Region: "cn-hangzhou", ID: "s-bp1mgmt01", KMSKeyID: seedKeyA}},
		"prod keys":     []fake.Key{{Region: "cn-hangzhou", ID: seedKeyB, State: "Enabled", Account: memProd}},
		"prod snapshots": []fake.Snapshot{
			{Region: "cn-hangzhou", ID: "s-bp1prod01", KMSKeyID: seedKeyB, Account: memProd},
			{Region: "cn-hangzhou", ID: "s-imgbp1prod01", KMSKeyID: seedKeyB, Account: memProd},
		},
		"prod images": 1,
		"own images":  0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what each account holds (-want +got):\n%s", diff)
	}
	if _, ok := prod.Role(fake.DefaultAccessRoleName); !ok {
		t.Error("the member has no access role")
	}
}

// TestLoadSeedRefusesBadDirectories gives LoadSeed directories and member
// entries it must refuse, with the field's path and nothing loaded.
func TestLoadSeedRefusesBadDirectories(t *testing.T) {
	dir := func(inner string) string {
		return `{"resourceDirectory": {"id": "rd-3GabcD", "root": "r-Root01", ` + inner + `}}`
	}
	long := strings.Repeat("y", 4096)
	tests := []struct {
		name string
		give string
		want string
	}{
		{"null root", `{"resourceDirectory": {"id": "rd-3GabcD", "root": null}}`,
			`fake: load seed: resourceDirectory.root: null: give a string, or leave the field out: invalid seed`},
		{"null folder tree", dir(`"folderTree": null`),
			`fake: load seed: resourceDirectory.folderTree: null: give an array, or leave the field out: invalid seed`},
		{"null account", dir(`"accounts": [null]`),
			`fake: load seed: resourceDirectory.accounts[0]: null: want an object: invalid seed`},
		{"null parent", dir(`"folderTree": [{"id": "fd-A1", "parent": null}]`),
			`fake: load seed: resourceDirectory.folderTree[0].parent: null: give a string, or leave the field out: invalid seed`},
		{"field in another case", dir(`"folderTREE": []`),
			`fake: load seed: resourceDirectory.folderTREE: the field is spelled folderTree: names are matched exactly: invalid seed`},
		{"nested field in another case", dir(`"accounts": [{"UID": "2000000000000001", "folder": "r-Root01"}]`),
			`fake: load seed: resourceDirectory.accounts[0].UID: the field is spelled uid: names are matched exactly: invalid seed`},
		{"unknown field of an account", dir(`"accounts": [{"uid": "2000000000000001", "folder": "r-Root01", "email": "a@b"}]`),
			`fake: load seed: resourceDirectory.accounts[0]: unknown field "email"; want one of folder, name, uid: invalid seed`},
		{"account field given twice", dir(`"accounts": [{"uid": "2000000000000001", "uid": "2000000000000002", "folder": "r-Root01"}]`),
			`fake: load seed: resourceDirectory.accounts[0].uid: given twice in one object: invalid seed`},
		{"wrong type", dir(`"folderTree": [{"id": "fd-A1", "parent": 1}]`),
			`fake: load seed: resourceDirectory.folderTree[0].parent: wrong type: a number, where the seed takes a string: invalid seed`},
		{"a tree without a root", `{"resourceDirectory": {"id": "rd-3GabcD", "accounts": [{"uid": "2000000000000001", "folder": "r-Root01"}]}}`,
			`fake: load seed: resourceDirectory.root: empty, but the directory has folderTree or accounts: they hang from the root: invalid seed`},
		{"a root without a directory", `{"resourceDirectory": {"root": "r-Root01"}}`,
			`fake: load seed: resourceDirectory.id: empty, but the directory has a root: invalid seed`},
		{"an unknown parent", dir(`"folderTree": [{"id": "fd-A1", "parent": "fd-B1"}]`),
			`fake: load seed: resourceDirectory.folderTree[0].parent: "fd-B1" is neither the root r-Root01 nor a folder of folderTree: invalid seed`},
		{"a cycle", dir(`"folderTree": [{"id": "fd-A1", "parent": "fd-B1"}, {"id": "fd-B1", "parent": "fd-A1"}]`),
			`fake: load seed: resourceDirectory.folderTree[0].parent: the folder fd-A1 is its own ancestor: the parents form a cycle: invalid seed`},
		{"an account in no folder of the tree", dir(`"accounts": [{"uid": "2000000000000001", "folder": "fd-A1"}]`),
			`fake: load seed: resourceDirectory.accounts[0].folder: "fd-A1" is neither the root r-Root01 nor a folder of folderTree: invalid seed`},
		{"a 4 KiB folder ID", dir(`"folderTree": [{"id": "` + long + `", "parent": "r-Root01"}]`),
			`fake: load seed: resourceDirectory.folderTree[0].id: "` + strings.Repeat("y", 100) + `"… (4096 bytes) is not a folder ID (fd-…): invalid seed`},
		{"an entry of an account outside the directory",
			`{"resourceDirectory": {"id": "rd-3GabcD"}, "keys": [{"account": "9000000000000009", "region": "cn-hangzhou", "id": "` + seedKeyA + `"}]}`,
			`fake: load seed: keys[0].account: "9000000000000009" is neither the fake's account 1234567890123456, an account it holds, nor a member of the resource directory: invalid seed`},
		{"a malformed account", `{"snapshots": [{"account": "20", "region": "cn-hangzhou", "id": "s-bp1x0001"}]}`,
			`fake: load seed: snapshots[0].account: "20" is not an account UID (16 digits): invalid seed`},
		{"a key of another account",
			`{"resourceDirectory": {"id": "rd-3GabcD", "members": ["2000000000000001"]}, "keys": [{"region": "cn-hangzhou", "id": "` + seedKeyA + `"}],
			  "snapshots": [{"account": "2000000000000001", "region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + seedKeyA + `"}]}`,
			`fake: load seed: snapshots[0].kmsKeyId: the key 0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b is in account 1234567890123456, not 2000000000000001: a resource uses a key of its own account: invalid seed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			err := fake.LoadSeedBytes(f, []byte(tt.give))
			if !errors.Is(err, fake.ErrInvalidSeed) {
				t.Fatalf("LoadSeed = %.300v; want ErrInvalidSeed", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%.2000s", diff)
			}
			if _, ok := f.ResourceDirectory(); ok || len(f.Accounts()) != 1 || len(f.Keys()) != 0 || len(f.Snapshots()) != 0 {
				t.Errorf("a refused seed changed the fake: accounts %v", f.Accounts())
			}
		})
	}
}

// TestLoadSeedSnapshotsOfTwoAccountsMayShareAnID: IDs are per account.
func TestLoadSeedSnapshotsOfTwoAccountsMayShareAnID(t *testing.T) {
	f, _ := newFake(t, nil)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "members": ["2000000000000001"]},
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001"}, {"account": "2000000000000001", "region": "cn-hangzhou", "id": "s-bp1x0001", "serviceKey": true}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	m := f.Account("2000000000000001")
	if m == nil || len(m.Snapshots()) != 1 || !m.Snapshots()[0].ServiceKey || len(f.Snapshots()) != 1 || f.Snapshots()[0].ServiceKey {
		t.Errorf("snapshots: own %v, member %v", f.Snapshots(), m)
	}
	if _, ok := m.Role(fake.DefaultAccessRoleName); ok {
		t.Error("a member listed only in members got the access role")
	}
}
