// This file holds Options and what they carry: retries, the Locker (and
// MemoryLocker) and the Observer.

package encryptperm

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
)

// Options configures an Applier. A nil *Options, and the zero value of every
// field, mean the defaults described on each field.
type Options struct {
	// Limits overrides RAM's limits; zero fields keep DefaultLimits.
	Limits Limits

	// AcceptFindings names the codes of critical findings the caller
	// accepts, such as FindingServiceKeyFullAccess. A grant with a critical
	// finding whose code is not listed is refused before any I/O.
	AcceptFindings []string

	// ForbidVersionDeletion makes Apply and Revoke stop with
	// ErrLimitExceeded, before any write, instead of deleting the oldest
	// non-default version of a custom policy that has reached RAM's version
	// cap.
	ForbidVersionDeletion bool

	// DetachBroaderPolicies makes Apply detach, from a role whose grant
	// names its keys, the system policies that allow key use on every key
	// (AliyunECSDiskEncryptRolePolicy, AliyunKMSFullAccess). Without it they
	// are only reported in the Plan. The broad policy goes last: only once
	// every other write of the role has succeeded, the policy that names
	// the keys holding them and attached. A refused or failed write leaves
	// it attached, so the role never loses the access it had; when other
	// writes come first, this costs one round trip more.
	DetachBroaderPolicies bool

	// Retry bounds retries of throttled and failed calls.
	Retry RetryOptions

	// PropagationWait is how long a call that finds a just-created role or
	// policy missing (EntityNotExist) keeps retrying. Default 10s.
	PropagationWait time.Duration

	// MaxRounds bounds read-plan-write rounds when a write's outcome is
	// unknown (a lost answer) or a concurrent writer intervened. Default 4.
	MaxRounds int

	// VerifyByReading makes Apply and Revoke read the role and its
	// policies again after their last write, as a level of its own, and
	// plan from what they read. By default the engine verifies its writes
	// from RAM's answers (CreateRole and UpdateRole return the trust
	// policy as stored, CreatePolicyVersion the new version), and reads
	// again only what an answer does not carry (a new policy's document),
	// alongside the next level of writes. The extra read sees one more
	// thing: another writer who undid one of this call's changes between
	// its last write and that read; it is reported in Result.Conflicts and
	// the change is made again. A writer who comes after that read is not
	// seen either way: only a Locker rules such a loss out.
	VerifyByReading bool

	// Locker, when set, is held for each role while it is read, written and
	// verified, so that processes sharing a Locker never lose each other's
	// updates. See Locker.
	//
	// Without one, processes (replicas, parallel pipelines) that change one
	// role at once lose each other's updates, with no error and nothing in
	// Result.Conflicts: against one fake endpoint with 40 ms per call, 2
	// processes adding 40 accounts, one Apply per account, lost 16 to 18 of
	// them, and 16 processes adding 80 lost 69 to 70. MemoryLocker covers
	// Appliers in one process; across processes, package etcdlock is a
	// Locker on etcd (none lost in the same runs):
	//
	//	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"etcd-1:2379"}})
	//	locker, err := etcdlock.New(cli, nil) // a 10 s lease
	//	defer locker.Close()
	//	applier, err := encryptperm.NewRAMApplier(&encryptperm.Options{Locker: locker})
	Locker Locker

	// Logger receives one debug line, "call", per call of any service
	// (service, action, target, write, attempt, duration, code, requestId),
	// never a secret. Nil: no logging.
	Logger *slog.Logger

	// Observer is called around every RAM call, for tracing.
	Observer Observer

	// ECS, ResourceSharing and KMS are the clients of the share step (a
	// grant that names images or snapshots), for NewApplier; KMS also
	// reads the keys grants name before Apply writes them (see the
	// package documentation, Applying). Nil means the
	// RAM client given to NewApplier, when it implements the interface
	// (the fake does); NewRAMApplier builds its own.
	ECS             ECS
	ResourceSharing ResourceSharing
	KMS             KMS

	// ShareWait bounds how long a share that ECS refuses with
	// AssumeRoleError or InvalidParameter.KMSKeyId.CMKUnauthorized is
	// retried, when RAM has just taken the grant in the same call (ECS's
	// view of RAM lags). Default 60s.
	ShareWait time.Duration

	// Sleep, when set, replaces the timer between those retries (for
	// tests): it waits d, or returns ctx's error when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error

	// KeyPolicyAccountWide makes Check read acs:ram::<uid>:* in a KMS key
	// policy as every RAM identity of account uid, so that an Allow naming
	// it lets any role of the account use the key by itself. By default it
	// is read as the account itself: such an Allow leaves the decision to
	// the account's RAM policies and allows no role or user by itself,
	// while a Deny naming it denies every identity of the account. KMS
	// does not publish which reading it applies; the default one says
	// "allowed" less often.
	KeyPolicyAccountWide bool

	// The fields below are read only by NewRAMApplier.

	// Credential signs requests; nil means the SDK's default chain:
	// environment variables, OIDC, the CLI profile, the credentials file,
	// the ECS instance role. When no credentials can be obtained, each call
	// fails at once, unsent and unretried, with an error for which
	// errors.Is(err, ErrNoCredentials) is true and whose text is the
	// chain's own, naming the places it looked.
	Credential auth.Credential
	// Endpoint is RAM's host[:port]; empty means ram.aliyuncs.com. A
	// loopback address (the fake's endpoint) serves ECS, Resource Sharing
	// and KMS too, unless their own endpoints below are set.
	Endpoint string
	// ECSEndpoint, ResourceSharingEndpoint and KMSEndpoint are the hosts
	// of the share step's services. Empty means Endpoint when it is a
	// loopback address (the fake serves every service there), else the
	// SDK's regional endpoint for each request's region.
	ECSEndpoint             string
	ResourceSharingEndpoint string
	KMSEndpoint             string
	// Scheme is "HTTPS" (the default) or "HTTP". HTTP is refused unless the
	// endpoint is a loopback address, such as the fake's.
	Scheme string
	// Transport carries the requests (for proxies, tracing and tests); nil
	// means http.DefaultTransport's settings.
	Transport http.RoundTripper
	// CheckCredentials makes NewRAMApplier obtain credentials once, before
	// it returns: when none can be obtained it returns an error for which
	// errors.Is(err, ErrNoCredentials) is true, that names the places the
	// chain looked and says what fixes it, rather than an Applier whose
	// every call fails so. The credentials obtained are not kept: each
	// call asks the provider again, as the SDK does.
	CheckCredentials bool
	// RegionID is the SDK's region; RAM is global. Default "cn-hangzhou".
	RegionID string
	// Clients bounds the pool of SDK clients. The SDK's client makes one
	// call at a time, so the pool grows with the work, one client per call
	// in flight, up to this bound: below it, independent calls (the reads
	// of every role of an Apply, the writes that depend on nothing) all go
	// out at once; beyond it they wait for a client. NewRAMApplier makes
	// four at once (fewer if the bound is lower), the rest when first
	// needed. Default 32.
	Clients int
	// RequestTimeout bounds one request when the context has no deadline.
	// Default 30s.
	RequestTimeout time.Duration
}

// RetryOptions bounds the retries of one call. A write (a call that changes
// RAM, ECS or Resource Sharing) is resent only after an answer that its
// service documents as given before acting: a throttling code (Throttling,
// Throttling.User, Throttling.Api, Rejected.Throttling, ...), or one of
// ResendCodes. Any other failure of a write (ServiceUnavailable, InternalError
// or another 5xx answer, a transport error, a lost answer, a timeout) may
// have been carried out, so it is never resent: the engine reads again and
// plans again, and Result.Unknown lists the write if its outcome is still
// unknown. A read is retried after throttling, a 5xx answer, InternalError,
// ServiceUnavailable and a transport error (a request timeout included). A
// failure to obtain credentials (ErrNoCredentials) is never retried.
//
// A wait that RAM asks for (the x-acs-retry-after header) replaces a shorter
// backoff interval, but only within this budget: when it is longer than
// MaxInterval, or would end after the context's deadline, the call is not
// retried and fails at once with an error for which errors.Is(err,
// ErrThrottled) is true; its text names the wait, and APIError.RetryAfter
// holds it.
type RetryOptions struct {
	// MaxAttempts per call, the first included. Default 6.
	MaxAttempts int
	// InitialInterval before the first retry. Default 200ms.
	InitialInterval time.Duration
	// MaxInterval between retries, and the longest wait RAM may ask for
	// that is honoured. Default 5s.
	MaxInterval time.Duration
	// Disable turns retries off.
	Disable bool
	// ResendCodes lists error codes, besides the throttling codes, that a
	// service documents as refusing a call before acting on it, so that a
	// write refused with one is resent like a throttled one. Empty by
	// default: only throttling is documented so. A code listed here that
	// may answer a write that was carried out makes that write twice.
	ResendCodes []string
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	out.Limits = out.Limits.WithDefaults()
	if out.Retry.MaxAttempts <= 0 {
		out.Retry.MaxAttempts = 6
	}
	if out.Retry.Disable {
		out.Retry.MaxAttempts = 1
	}
	if out.Retry.InitialInterval <= 0 {
		out.Retry.InitialInterval = 200 * time.Millisecond
	}
	if out.Retry.MaxInterval <= 0 {
		out.Retry.MaxInterval = 5 * time.Second
	}
	if out.PropagationWait <= 0 {
		out.PropagationWait = 10 * time.Second
	}
	if out.ShareWait <= 0 {
		out.ShareWait = 60 * time.Second
	}
	if out.MaxRounds <= 0 {
		out.MaxRounds = 4
	}
	if out.Clients <= 0 {
		out.Clients = 32
	}
	if out.RequestTimeout <= 0 {
		out.RequestTimeout = 30 * time.Second
	}
	if out.RegionID == "" {
		out.RegionID = "cn-hangzhou"
	}
	return out
}

// Locker is a lock that callers already run across processes (a database
// row, a lease, a Consul or etcd lock). RAM has no compare-and-swap, so two
// processes that change one role's trust policy at once can lose an update;
// with a shared Locker they take turns.
//
// Without a Locker, the engine verifies its writes from RAM's answers, and
// from reads made beside its next writes for what an answer leaves out (see
// Options.VerifyByReading): a write that RAM did not store as sent is
// reported in Result.Conflicts and made again. For a custom policy, RAM's
// version numbers also show a writer that came between the engine's read and
// its write, and an Apply merges that writer's version back. One loss stays
// invisible: on a trust policy, a write by another process that lands after
// this engine's last write (for instance one planned on an older read and
// still in flight) replaces this engine's content, and neither process sees
// it. No read closes that window, since a write may always land after the
// read; only a shared Locker does.
//
// The engine names the lock of a role "encryptperm/role/" followed by the
// role's name in lower case, and takes the locks of an Apply's roles in the
// order of their names, so that two Applies never wait for each other.
//
// # A lock that can be lost
//
// A lock held through a lease (etcd, Consul, a row with an expiry) can end
// while the engine holds it: the process pauses past the lease, or the lock
// service is cut off. A Locker whose lock can be lost should also have the
// method
//
//	LockContext(ctx context.Context, name string) (context.Context, func(), error)
//
// which takes the lock as Lock does, and returns, with the unlock function,
// a context that ends as soon as the lock may no longer be held (and when
// unlock is called, or ctx ends); context.Cause should say why. The engine
// uses LockContext where the Locker has it, and makes no write after that
// context ends: each write is checked against it just before it is sent,
// and the end of the context cuts short the calls in flight. The Apply,
// ApplyPlan or Revoke then ends with an error for which errors.Is(err,
// ErrLockLost) is true (it wraps the cause too), and its Result lists the
// writes made and those whose outcome is unknown, as for any interrupted
// call. The window that remains is a write already sent when the lock ends:
// it may land after another process has taken the lock. A Locker narrows it
// by ending the context before its lease can expire (package etcdlock ends
// it a tenth of the TTL early). Package etcdlock is such a Locker, on etcd.
type Locker interface {
	// Lock blocks until the named lock is held or ctx ends, and returns the
	// function that releases it.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// MemoryLocker is an in-process Locker, for tests and for several Appliers
// in one process. The zero value is ready to use. It has LockContext (its
// lock is never lost: the context ends only at unlock, or with ctx), so a
// type that embeds it to wrap Lock must wrap LockContext too: the engine
// calls LockContext.
type MemoryLocker struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// Lock implements Locker.
func (l *MemoryLocker) Lock(ctx context.Context, name string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]chan struct{}{}
	}
	ch, ok := l.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[name] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-ch }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Observer is called around every RAM call, so that callers can attach
// tracing without this module depending on a tracing library.
type Observer interface {
	// StartCall is called before the call with its Action, Target, Write
	// and Attempt (Code, RequestID and Duration are not known yet); the
	// function it returns is called after it with the call's RAM error code
	// ("" on success), its RequestId and its error. Result.Calls records
	// the same calls.
	StartCall(ctx context.Context, c Call) (end func(code, requestID string, err error))
}
