package fleet_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// The directory of the tests: the fake's own account manages it.
//
//	r-Root01           (the management account; 3000000000000001 invited, without the access role)
//	├── fd-Prod01      (2000000000000001)
//	│   └── fd-Web001  (2000000000000002, 2000000000000004)
//	└── fd-Test01      (2000000000000003)
const (
	dirID     = "rd-3GabcD"
	dirRoot   = "r-Root01"
	fdProd    = "fd-Prod01"
	fdWeb     = "fd-Web001"
	fdTest    = "fd-Test01"
	memProd   = "2000000000000001"
	memWeb    = "2000000000000002"
	memTest   = "2000000000000003"
	memWeb2   = "2000000000000004"
	memInvite = "3000000000000001"
	mgmt      = fake.DefaultAccountID
	diskRole  = encryptperm.DiskEncryptRoleName
)

func testDirectory() fake.ResourceDirectory {
	return fake.ResourceDirectory{
		ID: dirID, SharingEnabled: true, Root: dirRoot,
		FolderTree: []fake.Folder{
			{ID: fdProd, Parent: dirRoot, Name: "prod"},
			{ID: fdWeb, Parent: fdProd, Name: "web"},
			{ID: fdTest, Parent: dirRoot, Name: "test"},
		},
		Accounts: []fake.DirectoryAccount{
			{UID: memProd, Folder: fdProd, Name: "prod"},
			{UID: memWeb, Folder: fdWeb, Name: "web"},
			{UID: memTest, Folder: fdTest, Name: "test"},
			{UID: memWeb2, Folder: fdWeb, Name: "web-2"},
		},
		Members: []string{memInvite},
	}
}

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newWorld returns a fake that manages testDirectory, on clock c.
func newWorld(t testing.TB, c *clock, opts *fake.Options) *fake.RAM {
	t.Helper()
	var o fake.Options
	if opts != nil {
		o = *opts
	}
	o.Clock = c.Now
	f := fake.New(&o)
	if err := f.PutResourceDirectory(testDirectory()); err != nil {
		t.Fatal(err)
	}
	return f
}

// diskGrants gives every member the disk-encryption role with the
// console's system policy.
func diskGrants(fleet.Member) ([]*encryptperm.Grant, error) {
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		return nil, err
	}
	return []*encryptperm.Grant{g}, nil
}

// inProcess returns the options of a Runner over f in process, on f's
// clock c: each member's engine signs in to the fake with the member's
// session.
func inProcess(f *fake.RAM, c *clock, set func(o *fleet.Options)) *fleet.Options {
	o := &fleet.Options{
		Grants:        diskGrants,
		ConcurrentSTS: true,
		Clock:         c.Now,
		Sleep:         func(context.Context, time.Duration) error { return nil },
		NewApplier:    sessionApplier(f),
	}
	if set != nil {
		set(o)
	}
	return o
}

// sessionApplier builds a member's Applier on the fake, signed in with the
// member's temporary credentials, so that expired or wrong ones fail as
// they would over the wire.
func sessionApplier(f *fake.RAM) func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
	return func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
		member, err := memberOf(f, s)
		if err != nil {
			return nil, err
		}
		return encryptperm.NewApplier(member, &encryptperm.Options{Retry: encryptperm.RetryOptions{Disable: true}}), nil
	}
}

// memberOf returns the member account of f that s signs in to, with s's
// temporary credentials.
func memberOf(f *fake.RAM, s *fleet.Session) (*fake.RAM, error) {
	c, err := s.GetCredentials()
	if err != nil {
		return nil, err
	}
	return f.Session(fake.Credential{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
}

// recorder is an Observer that keeps every row and the most members in
// flight at once.
type recorder struct {
	mu       sync.Mutex
	rows     []fleet.Row
	inFlight int
	busiest  int
	started  []string
}

func (r *recorder) StartMember(_ context.Context, m fleet.Member) func(*fleet.Row) {
	r.mu.Lock()
	r.inFlight++
	r.busiest = max(r.busiest, r.inFlight)
	r.started = append(r.started, m.UID)
	r.mu.Unlock()
	return func(row *fleet.Row) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.inFlight--
		r.rows = append(r.rows, *row)
	}
}

// byUID returns the rows sorted by UID.
func (r *recorder) byUID() []fleet.Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.rows)
	slices.SortFunc(out, func(a, b fleet.Row) int {
		if a.Member.UID < b.Member.UID {
			return -1
		}
		if a.Member.UID > b.Member.UID {
			return 1
		}
		return 0
	})
	return out
}

// statuses returns "uid status" for each row, sorted by UID.
func (r *recorder) statuses() []string {
	var out []string
	for _, row := range r.byUID() {
		out = append(out, row.Member.UID+" "+string(row.Status))
	}
	return out
}

// hasRole reports whether the account of uid holds the role.
func hasRole(t testing.TB, f *fake.RAM, uid, role string) bool {
	t.Helper()
	a := f.Account(uid)
	if a == nil {
		t.Fatalf("the fake holds no account %s", uid)
	}
	return slices.ContainsFunc(a.Roles(), func(r fake.Role) bool { return r.Name == role })
}

// countCalls counts the calls of action the fake logged, in every account.
func countCalls(f *fake.RAM, action string) map[string]int {
	out := map[string]int{}
	for _, uid := range f.Accounts() {
		for _, c := range f.Account(uid).Calls() {
			if c.Action == action {
				out[uid]++
			}
		}
	}
	return out
}

// writesByAccount counts the successful writes each account took.
func writesByAccount(f *fake.RAM) map[string]int {
	out := map[string]int{}
	for _, uid := range f.Accounts() {
		for _, c := range f.Account(uid).Calls() {
			if c.Code == "" && isWrite(c.Action) {
				out[uid]++
			}
		}
	}
	return out
}

func isWrite(action string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Attach", "Detach", "SetDefault", "Modify", "Associate", "Disassociate"} {
		if len(action) >= len(p) && action[:len(p)] == p {
			return true
		}
	}
	return false
}

// endpointWorld serves f on a loopback port with the management account's
// key, which belongs to the RAM user ops (STS does not let an account's
// root identity assume roles).
func endpointWorld(t testing.TB, f *fake.RAM, latency time.Duration) *fake.Endpoint {
	t.Helper()
	ep, err := fake.Start(f, &fake.ServerOptions{Latency: latency, Credentials: []fake.Credential{
		{AccessKeyID: mgmtKeyID, AccessKeySecret: mgmtSecret, User: "ops"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ep
}

const (
	mgmtKeyID  = "LTAIfleetMgmtKey01"
	mgmtSecret = "fleetMgmtSecretValue01"
)

// sdkOptions returns the options of a Runner that builds its own SDK
// clients against ep, every request through rt (nil: a transport of the
// Runner's own).
func sdkOptions(ep *fake.Endpoint, rt http.RoundTripper, set func(o *fleet.Options)) *fleet.Options {
	o := &fleet.Options{
		Grants:     diskGrants,
		Credential: credentials.NewAccessKeyCredential(mgmtKeyID, mgmtSecret),
		Engine:     encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP", Transport: rt},
		Sleep:      func(context.Context, time.Duration) error { return nil },
	}
	if set != nil {
		set(o)
	}
	return o
}

// uids returns n member UIDs, 2100000000000000 + i.
func uids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("21%014d", i)
	}
	return out
}

// bigDirectory is a directory of n members: the first half in fd-A0001,
// the rest in fd-B0001, below it.
func bigDirectory(n int) fake.ResourceDirectory {
	rd := fake.ResourceDirectory{ID: dirID, SharingEnabled: true, Root: dirRoot, FolderTree: []fake.Folder{
		{ID: "fd-A0001", Parent: dirRoot}, {ID: "fd-B0001", Parent: "fd-A0001"},
	}}
	for i, u := range uids(n) {
		folder := "fd-A0001"
		if i >= n/2 {
			folder = "fd-B0001"
		}
		rd.Accounts = append(rd.Accounts, fake.DirectoryAccount{UID: u, Folder: folder})
	}
	return rd
}
