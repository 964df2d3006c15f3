// This file holds Resource Manager's listings of the resource directory:
// GetResourceDirectory, ListAccounts, ListAccountsForParent and
// ListFoldersForParent.

package fake

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ResourceManagerAPIVersion is the Resource Manager API version the
// endpoint serves.
const ResourceManagerAPIVersion = "2020-03-31"

// acceptedService lists, per action of the services added beside RAM's
// first ones, the API parameters the fake implements besides RegionId;
// every other one is refused with InvalidParameter.NotSupported, so that a
// filter the fake cannot apply (Tag.N.Key, say) never lists more than was
// asked.
var acceptedService = map[string][]string{
	"ListResourceShareInvitations":  {"ResourceShareInvitationIds.N", "ResourceShareIds.N", "MaxResults", "NextToken"},
	"AcceptResourceShareInvitation": {"ResourceShareInvitationId"},
	"AssumeRole":                    {"RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "ExternalId"},
	"GetResourceDirectory":          {},
	"ListAccounts":                  {"PageNumber", "PageSize", "IncludeTags", "QueryKeyword"},
	"ListAccountsForParent":         {"ParentFolderId", "PageNumber", "PageSize", "IncludeTags", "QueryKeyword"},
	"ListFoldersForParent":          {"ParentFolderId", "PageNumber", "PageSize", "QueryKeyword"},
}

// checkAcceptedService refuses the first parameter, in name order, that an
// action of acceptedService does not implement. A name ending in ".N"
// stands for Name.1, Name.2 and so on.
func checkAcceptedService(action string, p params) *apiError {
	names, ok := acceptedService[action]
	if !ok {
		return nil
	}
	implemented := func(k string) bool {
		for _, n := range names {
			if base, ok := strings.CutSuffix(n, ".N"); ok {
				if i, ok := strings.CutPrefix(k, base+"."); ok && i != "" && strings.Trim(i, "0123456789") == "" {
					return true
				}
			} else if k == n {
				return true
			}
		}
		return false
	}
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if k != "RegionId" && !implemented(k) && !sdkCommonParams[k] {
			return errorf("InvalidParameter.NotSupported",
				"The parameter - %q is not supported by this endpoint for %s; it is refused rather than ignored.", clip(k), action)
		}
	}
	return nil
}

// rmDirectoryLocked returns the directory of r's account, refusing a call
// of an account in none; with mgmtOnly, it refuses a member that is not
// the management account too.
func (r *RAM) rmDirectoryLocked(mgmtOnly bool) (*directory, *apiError) {
	d := r.dirLocked()
	if d == nil {
		return nil, newServiceError("EntityNotExists.ResourceDirectory")
	}
	if mgmtOnly && d.mgmt != r.opts.AccountID {
		return nil, errorf("NoPermission", "Only the management account of the resource directory %s may list its folders and members.", d.rd.ID)
	}
	return d, nil
}

type rmDirectory struct {
	ResourceDirectoryID  string `json:"ResourceDirectoryId"`
	MasterAccountID      string `json:"MasterAccountId"`
	MasterAccountName    string `json:"MasterAccountName"`
	RootFolderID         string `json:"RootFolderId"`
	CreateTime           string `json:"CreateTime"`
	ControlPolicyStatus  string `json:"ControlPolicyStatus"`
	MemberDeletionStatus string `json:"MemberDeletionStatus"`
}

type bodyDirectory struct {
	RequestID         string      `json:"RequestId"`
	ResourceDirectory rmDirectory `json:"ResourceDirectory"`
}

func (r *RAM) getResourceDirectory(_ params, rid string, _ time.Time) (any, *apiError) {
	d, e := r.rmDirectoryLocked(false)
	if e != nil {
		return nil, e
	}
	return bodyDirectory{rid, rmDirectory{
		ResourceDirectoryID: d.rd.ID, MasterAccountID: d.mgmt, MasterAccountName: d.members[d.mgmt].name,
		RootFolderID: d.root, CreateTime: formatDate(d.created),
		ControlPolicyStatus: "Disabled", MemberDeletionStatus: "Disabled",
	}}, nil
}

// rmAccount is a member as ListAccounts lists it; ListAccountsForParent
// leaves out ResourceDirectoryPath.
type rmAccount struct {
	AccountID             string `json:"AccountId"`
	DisplayName           string `json:"DisplayName"`
	FolderID              string `json:"FolderId"`
	ResourceDirectoryID   string `json:"ResourceDirectoryId"`
	ResourceDirectoryPath string `json:"ResourceDirectoryPath,omitempty"`
	JoinMethod            string `json:"JoinMethod"`
	JoinTime              string `json:"JoinTime"`
	ModifyTime            string `json:"ModifyTime"`
	Status                string `json:"Status"`
	Type                  string `json:"Type"`
}

func (d *directory) account(uid string, withPath bool) rmAccount {
	m := d.members[uid]
	a := rmAccount{
		AccountID: uid, DisplayName: m.name, FolderID: m.folder, ResourceDirectoryID: d.rd.ID,
		JoinMethod: "invited", JoinTime: formatDate(d.created), ModifyTime: formatDate(d.created),
		Status: "InviteSuccess", Type: "CloudAccount",
	}
	if m.created {
		a.JoinMethod, a.Status, a.Type = "created", "CreateSuccess", "ResourceAccount"
	}
	if withPath {
		a.ResourceDirectoryPath = d.accountPath(uid)
	}
	return a
}

type bodyAccounts struct {
	RequestID  string `json:"RequestId"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
	Accounts   struct {
		Account []rmAccount `json:"Account"`
	} `json:"Accounts"`
}

// rmBool checks a Boolean parameter of Resource Manager.
func rmBool(p params, name string) *apiError {
	if v, ok := p[name]; ok && v != "true" && v != "false" {
		return errorf("InvalidParameter."+name, "The %s is invalid.", name)
	}
	return nil
}

// matchKeyword filters uids by a QueryKeyword: a display name or UID that
// holds it, without regard to case.
func (d *directory) matchKeyword(uids []string, kw string) []string {
	if kw == "" {
		return uids
	}
	kw = strings.ToLower(kw)
	var out []string
	for _, uid := range uids {
		if strings.Contains(strings.ToLower(d.members[uid].name), kw) || strings.Contains(uid, kw) {
			out = append(out, uid)
		}
	}
	return out
}

// accountsPage answers a listing of uids, one page of them.
func (r *RAM) accountsPage(d *directory, p params, rid string, uids []string, withPath bool) (any, *apiError) {
	if e := rmBool(p, "IncludeTags"); e != nil {
		return nil, e
	}
	uids = d.matchKeyword(uids, p["QueryKeyword"])
	num, size, page, e := pageOf(r.paging, p, uids)
	if e != nil {
		return nil, e
	}
	b := bodyAccounts{RequestID: rid, PageNumber: num, PageSize: size, TotalCount: len(uids)}
	b.Accounts.Account = make([]rmAccount, 0, len(page))
	for _, uid := range page {
		b.Accounts.Account = append(b.Accounts.Account, d.account(uid, withPath))
	}
	return b, nil
}

func (r *RAM) listAccounts(p params, rid string, _ time.Time) (any, *apiError) {
	d, e := r.rmDirectoryLocked(true)
	if e != nil {
		return nil, e
	}
	return r.accountsPage(d, p, rid, d.sorted, true)
}

// parentFolder reads ParentFolderId: required, or empty for the root when
// optional.
func (d *directory) parentFolder(p params, required bool) (*dirFolder, *apiError) {
	id, ok := p["ParentFolderId"]
	if !ok || id == "" {
		if required {
			return nil, missing("ParentFolderId")
		}
		id = d.root
	} else if !folderIDFormat.MatchString(id) {
		return nil, errorf("InvalidParameter.ParentFolderId", "The ParentFolderId %q is invalid.", clip(id))
	}
	f, ok := d.folders[id]
	if !ok {
		return nil, errorf("EntityNotExists.Folder", "The resource directory folder %q does not exist.", clip(id))
	}
	return f, nil
}

func (r *RAM) listAccountsForParent(p params, rid string, _ time.Time) (any, *apiError) {
	d, e := r.rmDirectoryLocked(true)
	if e != nil {
		return nil, e
	}
	f, e := d.parentFolder(p, true)
	if e != nil {
		return nil, e
	}
	return r.accountsPage(d, p, rid, f.accounts, false)
}

type rmFolder struct {
	FolderID   string `json:"FolderId"`
	FolderName string `json:"FolderName"`
	CreateTime string `json:"CreateTime"`
}

type bodyFolders struct {
	RequestID  string `json:"RequestId"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
	Folders    struct {
		Folder []rmFolder `json:"Folder"`
	} `json:"Folders"`
}

func (r *RAM) listFoldersForParent(p params, rid string, _ time.Time) (any, *apiError) {
	d, e := r.rmDirectoryLocked(true)
	if e != nil {
		return nil, e
	}
	f, e := d.parentFolder(p, false)
	if e != nil {
		return nil, e
	}
	ids := f.children
	if kw := strings.ToLower(p["QueryKeyword"]); kw != "" {
		ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
			return !strings.Contains(strings.ToLower(d.folders[id].name), kw) && !strings.Contains(strings.ToLower(id), kw)
		})
	}
	num, size, page, e := pageOf(r.paging, p, ids)
	if e != nil {
		return nil, e
	}
	b := bodyFolders{RequestID: rid, PageNumber: num, PageSize: size, TotalCount: len(ids)}
	b.Folders.Folder = make([]rmFolder, 0, len(page))
	for _, id := range page {
		b.Folders.Folder = append(b.Folders.Folder, rmFolder{FolderID: id, FolderName: d.folders[id].name, CreateTime: formatDate(d.created)})
	}
	return b, nil
}
