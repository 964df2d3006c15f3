// This file holds RAM, the fake's state holder, its Options and its
// constructor.

package fake

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// DefaultAccountID is the account UID of a fake RAM whose Options leave
// AccountID empty.
const DefaultAccountID = "1234567890123456"

// DefaultThrottleRetryAfter is the x-acs-retry-after value of a random
// throttle when Options.ThrottleRetryAfter is zero.
const DefaultThrottleRetryAfter = time.Second

// Options configures a fake RAM. A nil *Options, and the zero value of every
// field, give a sane default: account DefaultAccountID, RAM's limits, the real
// clock, RAM's HTTP statuses, and no faults, throttling, delay or latency.
type Options struct {
	// AccountID is the account UID used in ARNs. Empty means DefaultAccountID.
	AccountID string

	// Limits overrides RAM's limits. Zero fields take the values of
	// encryptperm.DefaultLimits, the table the rest of the module enforces.
	Limits encryptperm.Limits

	// Clock returns the current time. It stamps CreateDate, UpdateDate and
	// AttachDate and drives PropagationDelay. Nil means time.Now. The fake
	// calls it with its lock held, so it must not call the fake.
	Clock func() time.Time

	// Statuses overrides the HTTP status of error codes, for example
	// {"MalformedPolicyDocument": 409} or {"Throttling.User": 503}. RAM does
	// not publish some statuses; see the package documentation.
	Statuses map[string]int

	// Faults are the fault rules in force after New and after Reset. The
	// first rule that matches a call wins.
	Faults []Rule

	// ThrottleRate is the probability, from 0 to 1, that a call no rule
	// matched is refused with Throttling.User. Draws come from a generator
	// seeded with Seed, so a run is repeatable.
	ThrottleRate float64
	// ThrottleRetryAfter is the x-acs-retry-after value sent with a random
	// throttle. Zero means DefaultThrottleRetryAfter.
	ThrottleRetryAfter time.Duration
	// Seed seeds the random throttle.
	Seed int64

	// PropagationDelay hides a role or custom policy from AttachPolicyToRole
	// until this long (by Clock) after it was created, as an eventually
	// consistent service might.
	PropagationDelay time.Duration

	// Latency delays every call by a fixed time before it is served, to
	// imitate a network. Rules can add more.
	Latency time.Duration

	// MaxCalls caps the call log: Calls returns only the last MaxCalls
	// calls, and the fake holds at most twice that many. Zero means no cap.
	MaxCalls int

	// MaxCallValueBytes bounds what the call log keeps of each parameter's
	// name and value (see RecordedCall.Params). Zero means
	// DefaultMaxCallValueBytes.
	MaxCallValueBytes int

	// Paging bounds the paging parameters of the list calls. Its zero
	// fields take the defaults its documentation gives.
	Paging Paging

	// AccessRoleName is the name of the role a resource directory gives
	// each account it lists in ResourceDirectory.Accounts, through which
	// the management account reaches the member. Empty means
	// DefaultAccessRoleName.
	AccessRoleName string

	// RDPathOmitsAccount makes ECS judge a member of the resource
	// directory with the path of its folder alone (rd-…/r-…/fd-…) as
	// sts:ServiceOwnerRDPath. By default the path ends with the member's
	// UID, as Resource Manager reports an account's ResourceDirectoryPath
	// (rd-…/r-…/fd-…/<uid>). Which of the two RAM sets is not published.
	RDPathOmitsAccount bool

	// KeyPolicyAccountWide makes KMS read acs:ram::<uid>:* in a key
	// policy as every RAM identity of account uid, so that an Allow naming
	// it lets any role of the account use the key by itself. By default it
	// is read as the account itself: an Allow naming it leaves the decision
	// to the account's RAM policies, and a Deny naming it denies every
	// identity of the account. Which of the two KMS applies is not
	// published.
	KeyPolicyAccountWide bool
}

// DefaultAccessRoleName is the role Alibaba Cloud's Resource Directory
// creates in the member accounts created in a directory, trusting the
// management account, when Options.AccessRoleName is empty.
const DefaultAccessRoleName = "ResourceDirectoryAccountAccessRole"

// Paging bounds the paging parameters the fake's list calls accept. A value
// outside its bound is refused with the parameter's own code
// (InvalidParameter.PageNumber, .PageSize, .MaxResults, .NextToken,
// .MaxItems, .Marker) before anything is listed. Some bounds are published
// and some are not, so each is data; a zero field takes its default.
type Paging struct {
	// MaxItems is the largest MaxItems of RAM's ListRoles and ListPolicies.
	// RAM does not publish it; the default is 1000, the common value.
	MaxItems int
	// MaxPageNumber is the largest PageNumber of ECS's DescribeImages,
	// DescribeSnapshots and DescribeImageSharePermission. ECS publishes
	// none; its API types PageNumber as a 32-bit integer, so the default is
	// 2147483647. A page past the last one is empty.
	MaxPageNumber int
	// MaxPageSize is the largest PageSize of those calls: 100 by default,
	// as ECS documents.
	MaxPageSize int
	// MaxResults is the largest MaxResults of Resource Sharing's list
	// calls: 100 by default (inferred).
	MaxResults int
	// MaxTokenBytes is the longest Marker (RAM) or NextToken (Resource
	// Sharing) the fake reads; its own are far shorter. The services publish
	// no bound; the default is 256 bytes.
	MaxTokenBytes int
}

// withDefaults fills the zero fields of p.
func (p Paging) withDefaults() Paging {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.MaxItems, 1000)
	def(&p.MaxPageNumber, 1<<31-1)
	def(&p.MaxPageSize, 100)
	def(&p.MaxResults, 100)
	def(&p.MaxTokenBytes, 256)
	return p
}

// RAM is one account's RAM held in memory. It behaves as RAM does for the
// roles, custom and system policies, policy versions and role attachments
// that this module uses, and answers with RAM's codes and HTTP statuses.
// Its methods are safe for concurrent use.
//
// One fake can hold several accounts (see Account and AddAccount); each
// has a *RAM of its own, and all of them share one lock, one set of fault
// rules and one call log.
//
// The zero value is not usable; call New.
type RAM struct {
	opts   Options // normalized copy; Faults and Statuses are copies
	limits encryptperm.Limits
	paging Paging // opts.Paging with its defaults
	// maxCallValue is opts.MaxCallValueBytes with its default.
	maxCallValue int
	clock        func() time.Time

	// mu is the fake's one lock, w.mu: every account's state, and what the
	// accounts share, is read and written under it.
	mu  *sync.Mutex
	w   *world
	st  *state    // the account's RAM; Reset empties it in place
	svc *services // the account's ECS, Resource Sharing and KMS

	// judgments counts the recipients judged by ECS's side of a share, so
	// that tests can see what a call costs without timing it.
	judgments *atomic.Int64

	// sess is set on a *RAM that Session returned: its calls act as the
	// role's session, until the session expires.
	sess *session
}

// world is what the accounts of one fake share: the lock, the fault rules
// and what they count, the call log and the request IDs, and the accounts
// themselves. Its fields are guarded by mu.
type world struct {
	mu sync.Mutex

	// own is the account New made: the endpoint's own account, and the
	// management account of a resource directory.
	own *RAM

	// accounts holds every account of the fake by UID, own included.
	accounts map[string]*RAM

	rules      []Rule
	counts     map[string]int // calls per action, in every account
	acctCounts map[string]int // calls per account and action, "uid/action"
	rng        *rand.Rand
	calls      []RecordedCall
	fired      []FiredRule
	reqSeq     uint64 // request IDs issued

	// dir is the resource directory; nil when there is none.
	dir *directory

	// sessions holds the temporary credentials AssumeRole issued, by
	// AccessKeyId; expiring orders them by expiry, to forget them.
	sessions map[string]*session
	expiring sessionHeap
	textSeq  uint64 // characters of credentials drawn with a Seed

	// invitations holds Resource Sharing's invitations by ID; received
	// holds them by recipient, in the order they were sent.
	invitations map[string]*invitation
	received    map[string][]*invitation

	// caller is who makes the call being served: set, with the lock held,
	// for as long as its handler runs.
	caller caller
}

var _ encryptperm.RAM = (*RAM)(nil)

// New returns a fake RAM configured by opts (nil means defaults). It holds the
// system policies AliyunKMSFullAccess and AliyunECSDiskEncryptRolePolicy and
// no roles or custom policies.
func New(opts *Options) *RAM {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.ThrottleRetryAfter <= 0 {
		o.ThrottleRetryAfter = DefaultThrottleRetryAfter
	}
	if o.AccessRoleName == "" {
		o.AccessRoleName = DefaultAccessRoleName
	}
	o.Statuses = maps.Clone(o.Statuses)
	o.Faults = append([]Rule(nil), o.Faults...)
	r := &RAM{
		opts:         o,
		limits:       o.Limits.WithDefaults(),
		paging:       o.Paging.withDefaults(),
		maxCallValue: cmp.Or(max(o.MaxCallValueBytes, 0), DefaultMaxCallValueBytes),
		clock:        o.Clock,
		w:            &world{},
		st:           newState(),
		svc:          newServices(),
		judgments:    new(atomic.Int64),
	}
	if r.clock == nil {
		r.clock = time.Now
	}
	r.mu = &r.w.mu
	r.w.own = r
	r.resetLocked()
	return r
}

// Reset returns the fake to the state New gave it: no roles, custom policies
// or attachments, an empty call log and fired-rule record, call counts at
// zero, the fault rules of Options.Faults and a reseeded random throttle.
// Calls held by a Hold stay held until it is released. It resets the whole
// fake, whichever of its accounts' *RAM it is called on.
func (r *RAM) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resetLocked()
}

func (r *RAM) resetLocked() {
	w := r.w
	own := w.own
	*own.st = *newState()
	*own.svc = *newServices()
	w.rules = append([]Rule(nil), own.opts.Faults...)
	w.counts = make(map[string]int)
	w.acctCounts = make(map[string]int)
	for uid, a := range w.accounts {
		if a != own {
			*a.st = *newState()
			*a.svc = *newServices()
			delete(w.accounts, uid)
		}
	}
	w.accounts = map[string]*RAM{own.opts.AccountID: own}
	w.dir = nil
	w.sessions = map[string]*session{}
	w.expiring = nil
	w.invitations = map[string]*invitation{}
	w.received = map[string][]*invitation{}
	seed := uint64(own.opts.Seed)
	w.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w.calls = nil
	w.fired = nil
	w.reqSeq = 0
}

// AccountID returns the account UID the fake uses in ARNs.
func (r *RAM) AccountID() string { return r.opts.AccountID }

// Limits returns the limits the fake enforces.
func (r *RAM) Limits() encryptperm.Limits { return r.limits }

// now returns the clock's time in UTC.
func (r *RAM) now() time.Time { return r.clock().UTC() }
