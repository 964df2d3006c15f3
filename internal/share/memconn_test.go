package share_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecsperm/ecsperm/internal/share"
)

// memCloud is an in-memory ECS, Resource Sharing and KMS behind a
// share.Conn: what the share step's tests run against, as go-cloud's
// drivertest runs a portable type against an in-memory driver. It keeps
// the services' state, pages its listings, records every call, and fails a
// call when a test queues a fault for it.
type memCloud struct {
	mu sync.Mutex

	images   map[string]*memImage     // by region/ID
	snaps    map[string]memSnap       // by region/ID
	keys     map[string]share.KeyMeta // by region/ID
	imgAccts map[string][]string      // by image ID
	shares   []*memShare              // in the order made
	dirOff   bool                     // sharing with the directory is off
	pending  bool                     // targets added join as Associating
	faults   map[string][]fault       // by action, in order
	pageSize int                      // of every listing; 0 means 100
	calls    []string                 // "Action target", in order
	slept    []time.Duration          // the waits of Sleep
	nextID   int                      // of the next share made
	tokens   func(string) string      // when set, the next page token of ListResourceShares
}

type memImage struct {
	owner string
	disks []share.Disk
}

type memSnap struct {
	encrypted bool
	key       string
	image     bool // made for an image (Usage "image")
}

type memShare struct {
	id, name, status string
	external         bool
	resources        map[string]string // "Type/ID" -> status
	targets          map[string]string // target -> status
}

// fault is what one call of an action does wrong: it fails before acting,
// or acts and then fails (a lost answer).
type fault struct {
	err   *codeErr
	after bool
}

// codeErr is a service's error: its code, and whether a write that got it
// may have been carried out.
type codeErr struct {
	code    string
	unknown bool
}

func (e *codeErr) Error() string { return "mem: " + e.code }

// errLost is an answer lost; errServer is a 5xx answer. A write that got
// either may have been carried out.
var (
	errLost   = &codeErr{code: "", unknown: true}
	errServer = &codeErr{code: "InternalError", unknown: true}
)

func newMem() *memCloud {
	return &memCloud{
		images: map[string]*memImage{}, snaps: map[string]memSnap{}, keys: map[string]share.KeyMeta{},
		imgAccts: map[string][]string{}, faults: map[string][]fault{},
	}
}

var _ share.Conn = (*memCloud)(nil)

// call records a call and returns the fault queued for it.
func (m *memCloud) call(action, target string) (fault, bool) {
	m.calls = append(m.calls, action+" "+target)
	q := m.faults[action]
	if len(q) == 0 {
		return fault{}, false
	}
	m.faults[action] = q[1:]
	return q[0], true
}

// fail queues faults for the next calls of action.
func (m *memCloud) fail(action string, fs ...fault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults[action] = append(m.faults[action], fs...)
}

// before records a call and runs its fault that comes before acting: it
// returns the fault that comes after acting, or the error before it.
func (m *memCloud) before(action, target string) (*codeErr, error) {
	f, ok := m.call(action, target)
	switch {
	case !ok:
		return nil, nil
	case f.after:
		return f.err, nil
	}
	return nil, f.err
}

func (m *memCloud) page() int {
	if m.pageSize > 0 {
		return m.pageSize
	}
	return 100
}

// pageOf returns the page of n items that token starts, and the next token.
func pageOf(n, size int, token string) (from, to int, next string) {
	from, _ = strconv.Atoi(token)
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next
}

func (m *memCloud) DescribeImages(_ context.Context, region, imageID string) ([]share.ImageRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("DescribeImages", imageID); err != nil {
		return nil, err
	}
	im, ok := m.images[region+"/"+imageID]
	if !ok {
		return nil, nil
	}
	return []share.ImageRow{{ID: imageID, Owner: im.owner, Disks: slices.Clone(im.disks)}}, nil
}

func (m *memCloud) ImageSharePage(_ context.Context, region, imageID string, page, size int) ([]string, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("DescribeImageSharePermission", imageID); err != nil {
		return nil, 0, err
	}
	if _, ok := m.images[region+"/"+imageID]; !ok {
		return nil, 0, &codeErr{code: "InvalidImageId.NotFound"}
	}
	all := m.imgAccts[imageID]
	from := min((page-1)*size, len(all))
	return slices.Clone(all[from:min(from+size, len(all))]), len(all), nil
}

func (m *memCloud) DescribeSnapshots(_ context.Context, region string, ids []string) ([]share.SnapshotRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("DescribeSnapshots", strings.Join(ids, ",")); err != nil {
		return nil, err
	}
	var out []share.SnapshotRow
	for _, id := range ids {
		if s, ok := m.snaps[region+"/"+id]; ok {
			out = append(out, share.SnapshotRow{ID: id, Encrypted: s.encrypted, KeyID: s.key})
		}
	}
	return out, nil
}

func (m *memCloud) ImageSnapshots(_ context.Context, region, keyID string, size int) ([]share.SnapshotRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("ListImageSnapshots", region+"/"+keyID); err != nil {
		return nil, err
	}
	var ids []string
	for k, s := range m.snaps {
		reg, id, _ := strings.Cut(k, "/")
		if reg == region && s.image && s.encrypted && (keyID == "" || s.key == keyID) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []share.SnapshotRow
	for _, id := range ids[:min(size, len(ids))] {
		s := m.snaps[region+"/"+id]
		out = append(out, share.SnapshotRow{ID: id, Encrypted: s.encrypted, KeyID: s.key})
	}
	return out, nil
}

func (m *memCloud) SharesPage(_ context.Context, region, token string) ([]share.ResourceShare, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("ListResourceShares", region); err != nil {
		return nil, "", err
	}
	from, to, next := pageOf(len(m.shares), m.page(), token)
	if m.tokens != nil {
		from, to, next = 0, len(m.shares), m.tokens(token)
	}
	var out []share.ResourceShare
	for _, sh := range m.shares[from:to] {
		out = append(out, share.ResourceShare{ID: sh.id, Name: sh.name, Status: sh.status, External: sh.external})
	}
	return out, next, nil
}

func (m *memCloud) AssociationsPage(_ context.Context, region, typ string, ids []string, token string) ([]share.Association, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("ListResourceShareAssociations", region+"/"+typ); err != nil {
		return nil, "", err
	}
	var all []share.Association
	for _, sh := range m.shares {
		if ids != nil && !slices.Contains(ids, sh.id) {
			continue
		}
		entities := sh.targets
		if typ == "Resource" {
			entities = sh.resources
		}
		for _, e := range slices.Sorted(mapKeys(entities)) {
			a := share.Association{ShareID: sh.id, EntityID: e, Status: entities[e], Type: typ}
			if typ == "Resource" {
				a.EntityType, a.EntityID, _ = strings.Cut(e, "/")
			}
			all = append(all, a)
		}
	}
	from, to, next := pageOf(len(all), m.page(), token)
	return all[from:to], next, nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (m *memCloud) DirectorySharing(_ context.Context, region string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("CheckSharingWithResourceDirectoryStatus", region); err != nil {
		return false, err
	}
	return !m.dirOff, nil
}

func (m *memCloud) DescribeKey(_ context.Context, region, keyID string) (*share.KeyMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.before("DescribeKey", keyID); err != nil {
		return nil, err
	}
	if k, ok := m.keys[region+"/"+keyID]; ok {
		return &k, nil
	}
	return nil, nil // KMS does not find it
}

func (m *memCloud) ModifyImageShare(_ context.Context, _, imageID string, accounts []string, remove bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	after, err := m.before("ModifyImageSharePermission", imageID)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		have := m.imgAccts[imageID]
		switch {
		case remove:
			m.imgAccts[imageID] = slices.DeleteFunc(have, func(x string) bool { return x == a })
		case !slices.Contains(have, a):
			m.imgAccts[imageID] = append(have, a)
		}
	}
	return errOrNil(after)
}

func errOrNil(e *codeErr) error {
	if e == nil {
		return nil
	}
	return e
}

// status is the status a target added now joins with.
func (m *memCloud) status() string {
	if m.pending {
		return "Associating"
	}
	return "Associated"
}

func (m *memCloud) CreateShare(_ context.Context, _, name, resourceType, resourceID string, targets []string, external bool) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	after, err := m.before("CreateResourceShare", name)
	if err != nil {
		return "", err
	}
	m.nextID++
	sh := &memShare{id: fmt.Sprintf("rs-%d", m.nextID), name: name, status: "Active", external: external,
		resources: map[string]string{resourceType + "/" + resourceID: "Associated"}, targets: map[string]string{}}
	for _, t := range targets {
		sh.targets[t] = m.status()
	}
	m.shares = append(m.shares, sh)
	if after != nil {
		return "", after
	}
	return sh.id, nil
}

func (m *memCloud) shareOf(id string) *memShare {
	for _, sh := range m.shares {
		if sh.id == id {
			return sh
		}
	}
	return nil
}

func (m *memCloud) Associate(_ context.Context, _, shareID string, targets []string) error {
	return m.associate("AssociateResourceShare", shareID, targets, false)
}

func (m *memCloud) Disassociate(_ context.Context, _, shareID string, targets []string) error {
	return m.associate("DisassociateResourceShare", shareID, targets, true)
}

// associate adds targets to a share, or takes them out (remove). Resource
// Sharing refuses a removal whole when one of its targets is not
// associated.
func (m *memCloud) associate(action, shareID string, targets []string, remove bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	after, err := m.before(action, shareID)
	if err != nil {
		return err
	}
	sh := m.shareOf(shareID)
	if sh == nil {
		return &codeErr{code: "EntityNotExists.ResourceShare"}
	}
	for _, t := range targets {
		if _, ok := sh.targets[t]; remove && !ok {
			return &codeErr{code: "EntityNotExists.Target"}
		}
	}
	for _, t := range targets {
		if remove {
			delete(sh.targets, t)
		} else {
			sh.targets[t] = m.status()
		}
	}
	return errOrNil(after)
}

func (m *memCloud) Sleep(ctx context.Context, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.slept = append(m.slept, d)
	return ctx.Err()
}

func (m *memCloud) Code(err error) string {
	var ce *codeErr
	if errors.As(err, &ce) {
		return ce.code
	}
	return ""
}

func (m *memCloud) OutcomeUnknown(err error) bool {
	if unknown, settled := share.Outcome(err); settled {
		return unknown
	}
	var ce *codeErr
	return errors.As(err, &ce) && ce.unknown
}

// byLevel cuts the calls made so far into levels as long as those of want,
// each sorted, and forgets them. The calls of one level go out at once, in
// no fixed order, and all of them before any call of the next level, so
// the log is the levels one after the other.
func (m *memCloud) byLevel(want [][]string) [][]string {
	log := m.log()
	var out [][]string
	for _, l := range want {
		n := min(len(l), len(log))
		level := slices.Clone(log[:n])
		slices.Sort(level)
		out = append(out, level)
		log = log[n:]
	}
	if len(log) > 0 {
		out = append(out, log)
	}
	return out
}

// log returns the calls made so far, and forgets them.
func (m *memCloud) log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.calls
	m.calls = nil
	return out
}

// Fixtures.

const (
	owner  = "1000000000000001"
	acctA  = "2000000000000001"
	acctB  = "2000000000000002"
	region = "cn-hangzhou"
)

var (
	errConflict = errors.New("test: conflict")
	errLimit    = errors.New("test: limit")
	accountRE   = regexp.MustCompile(`^[0-9]{16}$`)
)

// config is a Config as encryptperm gives one, with the test's sentinels.
func config() *share.Config {
	return &share.Config{
		ImageAccounts: 3, SnapshotAccounts: 4, MaxPages: 5, MaxRounds: 3, Wait: 3 * time.Second, NamePrefix: "EncryptPerm-",
		Services:  share.Services{ECS: true, ResourceSharing: true, KMS: true},
		IsAccount: accountRE.MatchString,
		ParseKeyARN: func(arn string) (share.Key, error) {
			parts := strings.Split(arn, ":")
			if len(parts) != 5 || parts[0] != "acs" || parts[1] != "kms" || !strings.HasPrefix(parts[4], "key/") {
				return share.Key{}, fmt.Errorf("not a key ARN: %q", arn)
			}
			return share.Key{Region: parts[2], Owner: parts[3], ID: strings.TrimPrefix(parts[4], "key/")}, nil
		},
		ServiceKeyReason: func(t share.Type) string { return "no service key for a " + string(t) },
		Conflict:         errConflict, LimitExceeded: errLimit,
		Hints: &share.Hints{},
	}
}

func image(id string) share.Resource {
	return share.Resource{Type: share.Image, Region: region, ID: id}
}

func snapshot(id string) share.Resource {
	return share.Resource{Type: share.Snapshot, Region: region, ID: id}
}

func key(id string) share.Key { return share.Key{Region: region, Owner: owner, ID: id} }

// addKey puts an Enabled customer key of owner into KMS.
func (m *memCloud) addKey(id string) {
	m.keys[region+"/"+id] = share.KeyMeta{ARN: key(id).ARN(), Creator: owner, State: "Enabled"}
}

// addImage puts an image whose one disk is made of an encrypted snapshot
// with key keyID, shared through ECS with the accounts.
func (m *memCloud) addImage(id, snap, keyID string, accounts ...string) {
	m.imgAccts[id] = accounts
	m.images[region+"/"+id] = &memImage{owner: owner, disks: []share.Disk{{SnapshotID: snap, Encrypted: true}}}
	m.snaps[region+"/"+snap] = memSnap{encrypted: true, key: keyID, image: true}
	m.addKey(keyID)
}

// addSnapshot puts an encrypted snapshot with key keyID.
func (m *memCloud) addSnapshot(id, keyID string) {
	m.snaps[region+"/"+id] = memSnap{encrypted: true, key: keyID}
	m.addKey(keyID)
}

// addShare puts a resource share holding resources with targets.
func (m *memCloud) addShare(id, name string, external bool, resources []string, targets map[string]string) {
	sh := &memShare{id: id, name: name, status: "Active", external: external, resources: map[string]string{}, targets: map[string]string{}}
	for _, r := range resources {
		sh.resources[r] = "Associated"
	}
	for t, st := range targets {
		sh.targets[t] = st
	}
	m.shares = append(m.shares, sh)
}

// The grants of a revoke of image m-img1 from acctA, acctB and rd-abc,
// and the grant that stays: acctB's.
var (
	revokeImage = []share.Grant{{Accounts: []string{acctA, acctB}, Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1")}}}
	keepB       = []share.Grant{{Accounts: []string{acctB}, Resources: []share.Resource{image("m-img1")}}}
)

// summaries are the summaries of changes.
func summaries(cs []share.Change) []string {
	var out []string
	for _, c := range cs {
		mark := map[share.ChangeKind]string{share.Broadening: "+", share.Narrowing: "-", share.Note: "~"}[c.Kind]
		if c.Kept {
			mark = "="
		}
		out = append(out, mark+" "+c.Action+": "+c.Summary)
	}
	return out
}

// problems are a refusal's problems, one line each.
func problems(err error) []string {
	var r *share.Refusal
	if !errors.As(err, &r) {
		return []string{"not a refusal: " + fmt.Sprint(err)}
	}
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Path+" ("+p.Value+"): "+p.Reason)
	}
	return out
}
