// This file holds the resource directory: its folders and member accounts,
// where each sits, and the access role it gives the accounts it creates.

package fake

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	rootIDFormat = regexp.MustCompile(`^r-[A-Za-z0-9]{2,40}$`)
	fdIDFormat   = regexp.MustCompile(`^fd-[A-Za-z0-9]{2,40}$`)
)

// maxDirectoryName is the longest folder or account name the fake keeps,
// in bytes.
const maxDirectoryName = 128

// directory is a resource directory as the fake serves it: the directory
// as it was put, and indexes that answer each question by map lookups.
type directory struct {
	rd      ResourceDirectory // as put, with its slices copied
	mgmt    string            // the management account: the fake's own
	created time.Time
	// root is the root folder's ID; empty when the directory names none,
	// and then no account's folder is known.
	root    string
	folders map[string]*dirFolder // the root and every folder, by ID
	members map[string]*dirMember // every account, mgmt included, by UID
	sorted  []string              // the UIDs of members, sorted
}

// dirFolder is a folder of the directory, the root included.
type dirFolder struct {
	id, parent, name string
	path             string   // rd-…/r-…/fd-…; empty without a root
	children         []string // the IDs of the folders it holds, sorted
	accounts         []string // the UIDs of the accounts it holds, sorted
}

// dirMember is an account of the directory.
type dirMember struct {
	uid, name string
	folder    string // "" when not known (no root)
	created   bool   // listed in Accounts: created in the directory
}

// directoryProblem checks the tree of rd (Root, FolderTree, Accounts) and
// how Folders and Members fit it. It returns the path of the field at
// fault, as a seed names it below resourceDirectory, and what is wrong, or
// "", "". levels is the deepest folder level below the root.
func directoryProblem(rd ResourceDirectory, levels int) (field, msg string) {
	tree := len(rd.FolderTree) > 0 || len(rd.Accounts) > 0
	switch {
	case rd.Root != "" && !rootIDFormat.MatchString(rd.Root):
		return "root", fmt.Sprintf("%s is not a root folder ID (r-…)", quoted(rd.Root))
	case rd.Root == "" && tree:
		return "root", "empty, but the directory has folderTree or accounts: they hang from the root"
	case rd.Root != "" && rd.ID == "":
		return "id", "empty, but the directory has a root"
	}
	parent := map[string]string{}
	at := map[string]int{}
	for i, f := range rd.FolderTree {
		p := fmt.Sprintf("folderTree[%d]", i)
		switch {
		case !fdIDFormat.MatchString(f.ID):
			return p + ".id", fmt.Sprintf("%s is not a folder ID (fd-…)", quoted(f.ID))
		case len(f.Name) > maxDirectoryName:
			return p + ".name", fmt.Sprintf("longer than %d bytes", maxDirectoryName)
		}
		if j, dup := at[f.ID]; dup {
			return p + ".id", fmt.Sprintf("the folder %s is given twice (folderTree[%d])", f.ID, j)
		}
		at[f.ID], parent[f.ID] = i, f.Parent
	}
	for i, f := range rd.FolderTree {
		p := fmt.Sprintf("folderTree[%d].parent", i)
		if _, ok := at[f.Parent]; !ok && f.Parent != rd.Root {
			return p, fmt.Sprintf("%s is neither the root %s nor a folder of folderTree", quoted(f.Parent), rd.Root)
		}
		// Walk up to the root: a folder that does not reach it within as
		// many steps as there are folders is in a cycle.
		depth, id := 0, f.ID
		for id != rd.Root {
			depth++
			if depth > len(rd.FolderTree) {
				return p, fmt.Sprintf("the folder %s is its own ancestor: the parents form a cycle", f.ID)
			}
			id = parent[id]
		}
		if depth > levels {
			return p, fmt.Sprintf("the folder %s is %d levels below the root; a directory has at most %d", f.ID, depth, levels)
		}
	}
	inTree := func(id string) bool {
		_, ok := at[id]
		return ok || id == rd.Root
	}
	seen := map[string]int{}
	for i, a := range rd.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		switch {
		case !accountIDFormat.MatchString(a.UID):
			return p + ".uid", fmt.Sprintf("%s is not an account UID (16 digits)", quoted(a.UID))
		case !inTree(a.Folder):
			return p + ".folder", fmt.Sprintf("%s is neither the root %s nor a folder of folderTree", quoted(a.Folder), rd.Root)
		case len(a.Name) > maxDirectoryName:
			return p + ".name", fmt.Sprintf("longer than %d bytes", maxDirectoryName)
		}
		if j, dup := seen[a.UID]; dup {
			return p + ".uid", fmt.Sprintf("the account %s is given twice (accounts[%d])", a.UID, j)
		}
		seen[a.UID] = i
	}
	if rd.Root != "" {
		for i, f := range rd.Folders {
			if !inTree(f) {
				return fmt.Sprintf("folders[%d]", i), fmt.Sprintf("%s is neither the root %s nor a folder of folderTree", quoted(f), rd.Root)
			}
		}
	}
	return "", ""
}

// newDirectory indexes rd, which directoryProblem found sound, with mgmt as
// its management account.
func newDirectory(rd ResourceDirectory, mgmt string, now time.Time) *directory {
	d := &directory{
		rd:      rd,
		mgmt:    mgmt,
		created: now,
		root:    rd.Root,
		folders: map[string]*dirFolder{},
		members: map[string]*dirMember{},
	}
	// Without a tree, the first root listed is the root, the folders
	// listed hang from it, and the members sit in the first of them.
	home := ""
	if d.root == "" {
		for _, f := range rd.Folders {
			switch {
			case d.root == "" && strings.HasPrefix(f, "r-"):
				d.root = f
			case home == "" && strings.HasPrefix(f, "fd-"):
				home = f
			}
		}
	}
	if d.root != "" {
		d.folders[d.root] = &dirFolder{id: d.root, name: "Root", path: rd.ID + "/" + d.root}
		if home == "" {
			home = d.root
		}
	}
	if rd.Root != "" {
		for _, f := range rd.FolderTree {
			d.folders[f.ID] = &dirFolder{id: f.ID, parent: f.Parent, name: cmp.Or(f.Name, f.ID)}
		}
	} else {
		for _, f := range rd.Folders {
			if _, ok := d.folders[f]; !ok && strings.HasPrefix(f, "fd-") {
				d.folders[f] = &dirFolder{id: f, parent: d.root, name: f}
			}
		}
	}
	// Paths, and each folder in its parent, from the root down.
	var walk func(id string)
	children := map[string][]string{}
	for _, f := range d.folders {
		if f.parent != "" {
			children[f.parent] = append(children[f.parent], f.id)
		}
	}
	walk = func(id string) {
		f := d.folders[id]
		f.children = slices.Sorted(slices.Values(children[id]))
		for _, c := range f.children {
			d.folders[c].path = f.path + "/" + c
			walk(c)
		}
	}
	if d.root != "" {
		walk(d.root)
	}
	add := func(uid, folder, name string, created bool) {
		if folder == "" && d.root != "" {
			folder = home
		}
		d.members[uid] = &dirMember{uid: uid, folder: folder, name: cmp.Or(name, uid), created: created && uid != mgmt}
	}
	for _, a := range rd.Accounts {
		add(a.UID, a.Folder, a.Name, true)
	}
	for _, m := range rd.Members {
		if _, ok := d.members[m]; !ok {
			add(m, "", "", false)
		}
	}
	if _, ok := d.members[mgmt]; !ok {
		// The management account sits in the root.
		d.members[mgmt] = &dirMember{uid: mgmt, folder: d.root, name: mgmt}
	}
	for uid, m := range d.members {
		d.sorted = append(d.sorted, uid)
		if f, ok := d.folders[m.folder]; ok {
			f.accounts = append(f.accounts, uid)
		}
	}
	slices.Sort(d.sorted)
	for _, f := range d.folders {
		slices.Sort(f.accounts)
	}
	return d
}

// has reports whether the account of UID uid is in the directory.
func (d *directory) has(uid string) bool {
	_, ok := d.members[uid]
	return ok
}

// hasFolder reports whether id is the root or a folder of the directory, or
// a folder it lists as a share target.
func (d *directory) hasFolder(id string) bool {
	if _, ok := d.folders[id]; ok {
		return true
	}
	return slices.Contains(d.rd.Folders, id)
}

// accountPath is the resource directory path of the account uid, as
// Resource Manager reports it: the path of its folder and the UID, such as
// rd-…/r-…/fd-…/1234567890123456. It is empty when the folder is not known.
func (d *directory) accountPath(uid string) string {
	m, ok := d.members[uid]
	if !ok {
		return ""
	}
	f, ok := d.folders[m.folder]
	if !ok {
		return ""
	}
	return f.path + "/" + uid
}

// placed reports whether the directory knows which accounts the folder id
// holds: id is the root or a folder of its tree, and it has a root.
func (d *directory) placed(id string) bool {
	_, ok := d.folders[id]
	return ok && d.root != ""
}

// appendUnder appends to out the accounts in the folder id and in every
// folder below it.
func (d *directory) appendUnder(out []string, id string) []string {
	f := d.folders[id]
	out = append(out, f.accounts...)
	for _, c := range f.children {
		out = d.appendUnder(out, c)
	}
	return out
}

// ecsPath is the value of sts:ServiceOwnerRDPath when ECS in the account
// uid assumes a role: its account path, or with omitAccount the path of
// its folder; empty when its folder is not known.
func (d *directory) ecsPath(uid string, omitAccount bool) string {
	p := d.accountPath(uid)
	if omitAccount && p != "" {
		p = p[:len(p)-len(uid)-1]
	}
	return p
}

// dirLocked returns the resource directory r's account is in, or nil.
func (r *RAM) dirLocked() *directory {
	d := r.w.dir
	if d == nil || !d.has(r.opts.AccountID) {
		return nil
	}
	return d
}

// accessTrust is the trust policy of a directory's access role in a member:
// the management account may assume it.
func accessTrust(mgmt string) string {
	return `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::` +
		mgmt + `:root"]}}],"Version":"1"}`
}

// PutResourceDirectory sets the resource directory of the fake's own
// account, which is its management account; the zero ResourceDirectory
// means there is none. Each account listed in rd.Accounts is added to the
// fake (as AddAccount adds it) and, unless it is the management account or
// has a role of that name already, gets the access role
// (Options.AccessRoleName) trusting the management account. Accounts stay
// in the fake when a later directory leaves them out. Only the *RAM of the
// fake's own account holds the directory.
func (r *RAM) PutResourceDirectory(rd ResourceDirectory) error {
	if rd.ID != "" && !rdIDFormat.MatchString(rd.ID) {
		return fmt.Errorf("fake: put resource directory: id %q is malformed: %w", rd.ID, ErrInvalidSeed)
	}
	if rd.ID == "" && (rd.SharingEnabled || len(rd.Members) > 0 || len(rd.Folders) > 0) {
		return fmt.Errorf("fake: put resource directory: id is empty: %w", ErrInvalidSeed)
	}
	for _, m := range rd.Members {
		if !accountIDFormat.MatchString(m) {
			return fmt.Errorf("fake: put resource directory: members: %q is not an account UID: %w", m, ErrInvalidSeed)
		}
	}
	for _, f := range rd.Folders {
		if !folderIDFormat.MatchString(f) {
			return fmt.Errorf("fake: put resource directory: folders: %q is not a folder ID: %w", f, ErrInvalidSeed)
		}
	}
	if field, msg := directoryProblem(rd, r.limits.FolderLevels); field != "" {
		return fmt.Errorf("fake: put resource directory: %s: %s: %w", field, msg, ErrInvalidSeed)
	}
	rd.Members = slices.Clone(rd.Members)
	rd.Folders = slices.Clone(rd.Folders)
	rd.FolderTree = slices.Clone(rd.FolderTree)
	rd.Accounts = slices.Clone(rd.Accounts)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r != r.w.own {
		return fmt.Errorf("fake: put resource directory in %s: only the fake's own account %s, the management account, holds the directory",
			r.opts.AccountID, r.w.own.opts.AccountID)
	}
	if rd.ID == "" {
		r.w.dir = nil
		return nil
	}
	if e := r.checkRoleName(r.opts.AccessRoleName); e != nil {
		return fmt.Errorf("fake: put resource directory: the access role's name %q: %s: %w", r.opts.AccessRoleName, e.Code, ErrInvalidSeed)
	}
	now := r.now()
	trust := accessTrust(r.opts.AccountID)
	for _, a := range rd.Accounts {
		if a.UID == r.opts.AccountID {
			continue
		}
		m := r.accountLocked(a.UID)
		if _, ok := m.st.roles[roleKey(m.opts.AccessRoleName)]; ok {
			continue
		}
		err := m.putRoleLocked(Role{
			Name:        m.opts.AccessRoleName,
			Description: "The role through which the resource directory's management account reaches this member.",
			TrustPolicy: trust,
		})
		if err != nil {
			return fmt.Errorf("fake: put resource directory: access role of %s: %w", a.UID, err)
		}
	}
	r.w.dir = newDirectory(rd, r.opts.AccountID, now)
	return nil
}

// ResourceDirectory returns the fake's resource directory as it was put,
// and whether there is one.
func (r *RAM) ResourceDirectory() (ResourceDirectory, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.w.dir
	if d == nil {
		return ResourceDirectory{}, false
	}
	rd := d.rd
	rd.Members = slices.Clone(rd.Members)
	rd.Folders = slices.Clone(rd.Folders)
	rd.FolderTree = slices.Clone(rd.FolderTree)
	rd.Accounts = slices.Clone(rd.Accounts)
	return rd, true
}
