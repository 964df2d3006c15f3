// This file holds the scope of a run and the listing of the directory that
// turns it into member accounts, streamed a page at a time.

package fleet

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Member is an account of the directory that a run works in, as Resource
// Manager lists it.
type Member struct {
	// UID is the account's ID, 16 digits.
	UID string `json:"uid"`
	// Name is the account's display name.
	Name string `json:"name,omitempty"`
	// Folder is the ID of the folder that holds the account (r-… for the
	// root, fd-… for a folder).
	Folder string `json:"folder,omitempty"`
	// Path is the account's place in the directory,
	// rd-…/r-…/fd-…/<uid>, when the listing gives it (ListAccounts does;
	// ListAccountsForParent does not).
	Path string `json:"path,omitempty"`
	// Directory is the directory's ID, rd-….
	Directory string `json:"directory,omitempty"`
}

// Scope names the accounts of a run: every account of the directory
// (All), the accounts of folders (Folders, with the folders below them
// unless Direct), or accounts named by UID (Accounts), less those
// Exclude names. Folders and Accounts may be given together; All stands
// alone. The directory's management account is never in a scope: the
// access role that reaches members is not in it (run an Applier with its
// own credentials for it).
type Scope struct {
	// All selects every member of the directory.
	All bool `json:"all,omitempty"`
	// Folders selects the members in these folders, fd-… or the root's
	// r-…, and in every folder below them unless Direct is set.
	Folders []string `json:"folders,omitempty"`
	// Direct leaves out the folders below those Folders names.
	Direct bool `json:"direct,omitempty"`
	// Accounts selects these members by UID. A UID the directory does not
	// hold makes the run stop before any member is worked on.
	Accounts []string `json:"accounts,omitempty"`
	// Exclude leaves these UIDs out of the scope.
	Exclude []string `json:"exclude,omitempty"`
}

var (
	uidFormat    = regexp.MustCompile(`^[0-9]{16}$`)
	folderFormat = regexp.MustCompile(`^(r|fd)-[A-Za-z0-9]{1,64}$`)
)

// validate refuses, before any I/O, a scope that names nothing or holds a
// malformed ID.
func (sc Scope) validate() error {
	var probs []policy.FieldError
	add := func(path, value, reason string) {
		probs = append(probs, policy.FieldError{Path: path, Value: value, Reason: reason})
	}
	switch {
	case !sc.All && len(sc.Folders) == 0 && len(sc.Accounts) == 0:
		add("Scope", "", "names no account: set All, Folders or Accounts")
	case sc.All && (len(sc.Folders) > 0 || len(sc.Accounts) > 0):
		add("Scope.All", "true", "All selects every member already: give Folders and Accounts without it")
	}
	if sc.Direct && len(sc.Folders) == 0 {
		add("Scope.Direct", "true", "Direct applies to Folders, and none is given")
	}
	for i, f := range sc.Folders {
		if !folderFormat.MatchString(f) {
			add(fmt.Sprintf("Scope.Folders[%d]", i), f, "not a folder ID: fd-… or the root's r-…")
		}
	}
	for i, u := range sc.Accounts {
		if !uidFormat.MatchString(u) {
			add(fmt.Sprintf("Scope.Accounts[%d]", i), u, "not an account UID: 16 digits")
		}
	}
	for i, u := range sc.Exclude {
		if !uidFormat.MatchString(u) {
			add(fmt.Sprintf("Scope.Exclude[%d]", i), u, "not an account UID: 16 digits")
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &encryptperm.ValidationError{What: "scope", Problems: probs}
}

// directory is what a run reads of the directory first.
type directory struct {
	id, mgmt, root string
}

// pageSize is the page size of the listings: the largest Resource Manager
// documents.
const pageSize = 100

// maxPages bounds the pages of one listing, as encryptperm's
// Limits.ListMaxPages bounds its own: no service publishes a bound, and a
// server that never ends a listing must not keep a run going.
const maxPages = 1000

func (r *Runner) readDirectory(ctx context.Context) (directory, error) {
	var d directory
	err := r.retry(ctx, func() error {
		return invoke(ctx, r.dir, func(c Directory) error {
			resp, err := c.GetResourceDirectory(resourcemanager.CreateGetResourceDirectoryRequest())
			if err != nil {
				return wrapCall("GetResourceDirectory", "", err)
			}
			rd := resp.ResourceDirectory
			d = directory{id: rd.ResourceDirectoryId, mgmt: rd.MasterAccountId, root: rd.RootFolderId}
			return nil
		})
	})
	if err != nil {
		return directory{}, err
	}
	if !uidFormat.MatchString(d.mgmt) {
		return directory{}, fmt.Errorf("fleet: GetResourceDirectory: the management account %q is not an account UID: %w", d.mgmt, encryptperm.ErrInvalid)
	}
	return d, nil
}

// page is one page of a listing of accounts.
type page struct {
	members []Member
	total   int
}

// accountsPage reads page n of the accounts of folder (every account of
// the directory when folder is empty).
func (r *Runner) accountsPage(ctx context.Context, d directory, folder string, n int) (page, error) {
	var p page
	err := r.retry(ctx, func() error {
		return invoke(ctx, r.dir, func(c Directory) error {
			if folder == "" {
				req := resourcemanager.CreateListAccountsRequest()
				req.PageNumber, req.PageSize = requests.NewInteger(n), requests.NewInteger(pageSize)
				resp, err := c.ListAccounts(req)
				if err != nil {
					return wrapCall("ListAccounts", fmt.Sprintf("page %d", n), err)
				}
				p = page{total: resp.TotalCount}
				for _, a := range resp.Accounts.Account {
					p.members = append(p.members, Member{UID: a.AccountId, Name: a.DisplayName, Folder: a.FolderId,
						Path: a.ResourceDirectoryPath, Directory: a.ResourceDirectoryId})
				}
				return nil
			}
			req := resourcemanager.CreateListAccountsForParentRequest()
			req.ParentFolderId = folder
			req.PageNumber, req.PageSize = requests.NewInteger(n), requests.NewInteger(pageSize)
			resp, err := c.ListAccountsForParent(req)
			if err != nil {
				return wrapCall("ListAccountsForParent", fmt.Sprintf("%s page %d", folder, n), err)
			}
			p = page{total: resp.TotalCount}
			for _, a := range resp.Accounts.Account {
				p.members = append(p.members, Member{UID: a.AccountId, Name: a.DisplayName, Folder: cmpOr(a.FolderId, folder),
					Directory: cmpOr(a.ResourceDirectoryId, d.id)})
			}
			return nil
		})
	})
	if err != nil {
		// A call the context abandoned may still be writing p.
		return page{}, err
	}
	return p, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// subfolders returns the IDs of the folders right below folder, every
// page of them.
func (r *Runner) subfolders(ctx context.Context, folder string) ([]string, error) {
	var out []string
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("fleet: ListFoldersForParent %s: more than %d pages: %w", folder, maxPages, encryptperm.ErrLimitExceeded)
		}
		var total, got int
		err := r.retry(ctx, func() error {
			return invoke(ctx, r.dir, func(c Directory) error {
				req := resourcemanager.CreateListFoldersForParentRequest()
				req.ParentFolderId = folder
				req.PageNumber, req.PageSize = requests.NewInteger(n), requests.NewInteger(pageSize)
				resp, err := c.ListFoldersForParent(req)
				if err != nil {
					return wrapCall("ListFoldersForParent", fmt.Sprintf("%s page %d", folder, n), err)
				}
				total, got = resp.TotalCount, len(resp.Folders.Folder)
				for _, f := range resp.Folders.Folder {
					out = append(out, f.FolderId)
				}
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
		if got == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// lister streams the members of a scope to a channel.
type lister struct {
	r       *Runner
	d       directory
	exclude map[string]bool
	out     chan<- Member
}

// emit sends each member of ms that the scope keeps.
func (l *lister) emit(ctx context.Context, ms []Member) error {
	for _, m := range ms {
		if m.UID == l.d.mgmt || l.exclude[m.UID] {
			continue
		}
		if m.Directory == "" {
			m.Directory = l.d.id
		}
		select {
		case l.out <- m:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// rest emits the members of first, a page of folder's accounts, and of
// the pages after it. The next page is read while the members of the
// current one are handed out, so that members never wait for a page:
// memory holds two pages at most.
func (l *lister) rest(ctx context.Context, folder string, first page) error {
	type next struct {
		p   page
		err error
	}
	seen := len(first.members)
	p := first
	for n := 2; ; n++ {
		more := len(p.members) > 0 && seen < p.total
		if more && n > maxPages {
			return fmt.Errorf("fleet: listing the accounts of %s: more than %d pages: %w", cmpOr(folder, "the directory"), maxPages, encryptperm.ErrLimitExceeded)
		}
		var ahead chan next
		if more {
			ahead = make(chan next, 1)
			go func(n int) {
				np, err := l.r.accountsPage(ctx, l.d, folder, n)
				ahead <- next{np, err}
			}(n)
		}
		if err := l.emit(ctx, p.members); err != nil {
			if ahead != nil {
				<-ahead
			}
			return err
		}
		if !more {
			return nil
		}
		got := <-ahead
		if got.err != nil {
			return got.err
		}
		p = got.p
		seen += len(p.members)
	}
}

// list streams the members of sc to out, a page at a time: memory holds a
// page, not the directory. Before it sends the first member it reads the
// first page of every folder sc names (and, for Accounts, the whole
// directory), so that a folder or account that does not exist stops the
// run before any member is worked on.
func (r *Runner) list(ctx context.Context, d directory, sc Scope, out chan<- Member) error {
	l := &lister{r: r, d: d, exclude: map[string]bool{}, out: out}
	for _, u := range sc.Exclude {
		l.exclude[u] = true
	}
	if slices.Contains(sc.Accounts, d.mgmt) {
		return fmt.Errorf("fleet: scope: %s is the management account of %s, which the access role of members does not reach; apply to it with its own credentials: %w", d.mgmt, d.id, encryptperm.ErrInvalid)
	}
	if sc.All {
		first, err := r.accountsPage(ctx, d, "", 1)
		if err != nil {
			return err
		}
		return l.rest(ctx, "", first)
	}
	// The named accounts come first: every one must be a member.
	if len(sc.Accounts) > 0 {
		if err := l.named(ctx, sc.Accounts); err != nil {
			return err
		}
	}
	if len(sc.Folders) == 0 {
		return nil
	}
	// An account named and in a named folder is worked on once.
	for _, u := range sc.Accounts {
		l.exclude[u] = true
	}
	firsts := make([]page, len(sc.Folders))
	for i, f := range sc.Folders {
		p, err := r.accountsPage(ctx, d, f, 1)
		if err != nil {
			return err
		}
		firsts[i] = p
	}
	visited := map[string]bool{}
	for i, f := range sc.Folders {
		if visited[f] {
			continue
		}
		visited[f] = true
		if err := l.rest(ctx, f, firsts[i]); err != nil {
			return err
		}
		if sc.Direct {
			continue
		}
		queue := []string{f}
		for len(queue) > 0 {
			parent := queue[0]
			queue = queue[1:]
			subs, err := r.subfolders(ctx, parent)
			if err != nil {
				return err
			}
			for _, s := range subs {
				if visited[s] {
					continue
				}
				visited[s] = true
				queue = append(queue, s)
				p, err := r.accountsPage(ctx, d, s, 1)
				if err != nil {
					return err
				}
				if err := l.rest(ctx, s, p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// named reads the whole directory for the accounts uids names, and emits
// them in that order once every one is found.
func (l *lister) named(ctx context.Context, uids []string) error {
	want := map[string]int{}
	for i, u := range uids {
		if _, dup := want[u]; !dup {
			want[u] = i
		}
	}
	found := make([]Member, len(uids))
	have := 0
	seen, total := 0, 1
	for n := 1; seen < total; n++ {
		if n > maxPages {
			return fmt.Errorf("fleet: listing the accounts of the directory: more than %d pages: %w", maxPages, encryptperm.ErrLimitExceeded)
		}
		p, err := l.r.accountsPage(ctx, l.d, "", n)
		if err != nil {
			return err
		}
		total = p.total
		seen += len(p.members)
		for _, m := range p.members {
			if i, ok := want[m.UID]; ok && found[i].UID == "" {
				found[i] = m
				have++
			}
		}
		if len(p.members) == 0 || have == len(want) {
			break
		}
	}
	var missing []string
	var ms []Member
	for i, u := range uids {
		switch {
		case want[u] != i:
			// Named twice: worked on once.
		case found[i].UID == "":
			missing = append(missing, u)
		default:
			ms = append(ms, found[i])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("fleet: scope: not members of the directory %s: %s: %w", l.d.id, strings.Join(missing, ", "), encryptperm.ErrNotFound)
	}
	return l.emit(ctx, ms)
}
