// This file holds the Runner: its options, its clients, and a run over the
// members of a scope with bounded concurrency.

package fleet

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/internal/loopback"
)

// DefaultAccessRole is the role that Resource Directory creates in each
// member account, trusting the directory's management account: the role a
// run assumes in each member unless Options.Role names another. Alibaba
// Cloud's Resource Directory documentation names it ("Access a member";
// "RAM roles of a resource directory").
const DefaultAccessRole = "ResourceDirectoryAccountAccessRole"

// DefaultConcurrency is how many members a run works on at once unless
// Options.Concurrency says otherwise.
//
// RAM's rate limits are per account (Alibaba's quota pages give each API's
// limit "per ParentUid": reads such as GetRole 100 a second, writes such as
// CreatePolicyVersion 20 and AttachPolicyToRole 10 a second), and the
// calls made in a member, signed with the member's session, count against
// the member's own limits. The engine makes at most a few calls at once in
// one account, so working on more members at once does not bring any
// account nearer its RAM limits. What all members share is the management
// account's STS quota: every AssumeRole of a run counts against its 100 a
// second. A member's work is at least two round trips (AssumeRole, then
// the engine's reads), so ten at once make at most 100 AssumeRole calls a
// second only when a round trip to Alibaba Cloud takes 50 ms or less;
// over the Internet it takes longer. Throttling beyond that is retried.
// Ten also bounds memory (each member holds one engine and its clients)
// and the connections open at once.
const DefaultConcurrency = 10

// DefaultSessionName is the RoleSessionName of a run's AssumeRole calls
// unless Options.SessionName names another; the member's ActionTrail
// records it.
const DefaultSessionName = "encryptperm-fleet"

// Options configures a Runner. A nil *Options, and the zero value of every
// field, mean the defaults described on each field.
type Options struct {
	// Grants returns the grants of a member, for Plan, Apply, RevokePlan
	// and Revoke. An error fails that member alone (Stage grants),
	// before anything is called in it.
	Grants func(m Member) ([]*encryptperm.Grant, error)
	// Checks returns the questions Check asks in a member. The zero Owner
	// of an Access is the member.
	Checks func(m Member) ([]encryptperm.Access, error)
	// Audit audits a member, for an audit (OpAudit): it is given the
	// member and the Session that signs in to it, which is the Credential
	// of the member's RAM and KMS clients (the SDK's clients take it as
	// their credentials provider), and returns the member's report, from
	// audit.New(ramClient, kmsClient, opts).Region or .Key. Its error
	// fails that member alone (Stage engine).
	Audit func(ctx context.Context, m Member, s *Session) (*audit.Report, error)

	// Role is the role assumed in each member. Default DefaultAccessRole.
	Role string
	// SessionName is the RoleSessionName of each AssumeRole. Default
	// DefaultSessionName.
	SessionName string
	// ExternalID, when set, is sent as AssumeRole's ExternalId.
	ExternalID string
	// SessionDuration is how long a member's credentials last (AssumeRole's
	// DurationSeconds, from 15 minutes to the role's MaxSessionDuration).
	// Default one hour, STS's own default.
	SessionDuration time.Duration
	// RenewBefore is how long before they expire a member's credentials
	// are renewed, with another AssumeRole, when the member's work needs
	// them again. Default 10 minutes.
	RenewBefore time.Duration

	// Concurrency bounds the members worked on at once. Default
	// DefaultConcurrency.
	Concurrency int

	// Engine holds the options of the engine in each member: limits,
	// accepted findings, retries, locker, logger, observer, and for the
	// Applier NewRAMApplier builds in each member, the endpoints, scheme,
	// transport and region. Its Credential is replaced by the member's
	// Session. When its Transport is nil, the Runner gives every member's
	// engine one transport of its own, so that members share connections
	// rather than each keeping idle ones. A Locker given here is shared by
	// every member's engine, each lock name prefixed with the member's
	// account ("account/<uid>/"): the engine names its locks by role, and
	// the same role in two accounts is two roles, so members never wait for
	// each other, while two runs that converge one member's role take turns.
	Engine encryptperm.Options
	// NewApplier, when set, builds the Applier of each member in place of
	// encryptperm.NewRAMApplier(&Engine with the Session as Credential):
	// for tests (the fake in process), or to wrap the Applier.
	NewApplier func(ctx context.Context, m Member, s *Session) (encryptperm.Applier, error)

	// Observer follows the run, a member at a time. Nil: none.
	Observer Observer

	// Retry bounds the retries of the Runner's own calls (the listings and
	// AssumeRole): throttling, server errors and transport errors are
	// retried, since none of these calls changes anything. Engine.Retry
	// bounds the engine's. Defaults as encryptperm's.
	Retry encryptperm.RetryOptions
	// Clock returns the time against which credentials are renewed.
	// Default time.Now.
	Clock func() time.Time
	// Sleep, when set, replaces the timer between retries (for tests): it
	// waits d, or returns ctx's error when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error

	// ConcurrentSTS says that the STS client given to New is safe for
	// concurrent calls (the fake's is; the SDK's is not), so that members
	// assume their roles at once rather than one after another.
	ConcurrentSTS bool

	// The fields below are read only by NewSDKRunner.

	// Credential signs the management account's calls (Resource Manager,
	// STS); nil means the SDK's default chain. STS does not let an
	// account's root identity assume roles: use a RAM user's or a role's.
	Credential auth.Credential
	// STSEndpoint and ResourceManagerEndpoint are the services' hosts.
	// Empty means Engine.Endpoint when it is a loopback address (the fake
	// serves every service there), else the SDK's endpoint for the region.
	STSEndpoint             string
	ResourceManagerEndpoint string
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Role == "" {
		out.Role = DefaultAccessRole
	}
	if out.SessionName == "" {
		out.SessionName = DefaultSessionName
	}
	if out.SessionDuration <= 0 {
		out.SessionDuration = time.Hour
	}
	if out.RenewBefore <= 0 {
		out.RenewBefore = 10 * time.Minute
	}
	if out.Concurrency <= 0 {
		out.Concurrency = DefaultConcurrency
	}
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
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Sleep == nil {
		out.Sleep = sleep
	}
	return out
}

// Runner runs the engine in every member of a resource directory, from the
// management account. It is safe for concurrent use.
type Runner struct {
	opts Options
	dir  *pool[Directory]
	sts  *pool[STS]
	// transport, when the Runner made it, carries every member engine's
	// requests; its idle connections are closed after each run.
	transport *http.Transport
}

// New returns a Runner over the management account's clients you give it:
// dir lists the directory, sts assumes the access role in each member.
// Calls on dir are made one at a time; so are calls on sts unless
// Options.ConcurrentSTS says it is safe for concurrent calls. Each member's
// engine is encryptperm.NewRAMApplier with Options.Engine and the member's
// Session, or what Options.NewApplier builds. When a context ends during a
// call on a client you gave, the Runner stops waiting for it; the call
// runs to its end in the background.
func New(dir Directory, sts STS, opts *Options) *Runner {
	o := opts.withDefaults()
	r := &Runner{opts: o}
	r.dir = fixedPool(dir, false, 1)
	r.sts = fixedPool(sts, o.ConcurrentSTS, o.Concurrency)
	r.ownTransport()
	return r
}

// ownTransport gives the members' engines a shared transport when
// Options.Engine names none.
func (r *Runner) ownTransport() {
	if r.opts.Engine.Transport != nil || r.opts.NewApplier != nil {
		return
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, 8*r.opts.Concurrency)
	r.transport = t
	r.opts.Engine.Transport = t
}

// NewSDKRunner returns a Runner that builds its own SDK clients for the
// management account, from Options.Credential and Options.Engine's
// Endpoint, Scheme, Transport and RegionID: one Resource Manager client,
// and one STS client per member worked on at once, so that members assume
// their roles in parallel. When a context ends, the request in flight is
// aborted. HTTP is refused unless every endpoint is a loopback address,
// such as the fake's.
func NewSDKRunner(opts *Options) (*Runner, error) {
	o := opts.withDefaults()
	scheme := strings.ToUpper(o.Engine.Scheme)
	if scheme == "" {
		scheme = "HTTPS"
	}
	pick := func(own string) string {
		if own != "" {
			return own
		}
		if loopback.Is(o.Engine.Endpoint) {
			return o.Engine.Endpoint
		}
		return ""
	}
	stsEP, rmEP := pick(o.STSEndpoint), pick(o.ResourceManagerEndpoint)
	switch scheme {
	case "HTTPS":
	case "HTTP":
		for _, ep := range []struct{ name, v string }{{"STSEndpoint", stsEP}, {"ResourceManagerEndpoint", rmEP}, {"Engine.Endpoint", o.Engine.Endpoint}} {
			if !loopback.Is(ep.v) {
				return nil, fmt.Errorf("fleet: new SDK runner: HTTP is allowed only for a loopback endpoint such as the fake's, not %s %q: %w", ep.name, ep.v, encryptperm.ErrInvalid)
			}
		}
	default:
		return nil, fmt.Errorf("fleet: new SDK runner: scheme %q: want HTTPS or HTTP: %w", o.Engine.Scheme, encryptperm.ErrInvalid)
	}
	region := o.Engine.RegionID
	if region == "" {
		region = "cn-hangzhou"
	}
	r := &Runner{opts: o}
	r.ownTransport()
	base := r.opts.Engine.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	sdkTables.Do(func() {
		sts.GetEndpointMap()
		resourcemanager.GetEndpointMap()
	})
	config := func() (*sdk.Config, *ctxTransport) {
		ct := &ctxTransport{base: base}
		cfg := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false)
		cfg.Transport = ct
		return cfg, ct
	}
	fail := func(err error) (*Runner, error) {
		return nil, fmt.Errorf("fleet: new SDK runner: %s", encryptperm.Redact(err.Error()))
	}
	cred, err := credentialSource(o.Credential)
	if err != nil {
		return fail(err)
	}
	cfg, ct := config()
	rm, err := resourcemanager.NewClientWithOptions(region, cfg, cred)
	if err != nil {
		return fail(err)
	}
	if rmEP != "" {
		rm.Domain = rmEP
	}
	r.dir = &pool[Directory]{idle: make(chan *slot[Directory], 1), made: 1, max: 1}
	r.dir.put(&slot[Directory]{c: rm, ctxt: ct})
	mk := func() (*slot[STS], error) {
		cfg, ct := config()
		c, err := sts.NewClientWithOptions(region, cfg, cred)
		if err != nil {
			return nil, fmt.Errorf("fleet: new STS client: %s", encryptperm.Redact(err.Error()))
		}
		if stsEP != "" {
			c.Domain = stsEP
		}
		return &slot[STS]{c: c, ctxt: ct}, nil
	}
	first, err := mk()
	if err != nil {
		return nil, err
	}
	r.sts = growingPool(o.Concurrency, mk)
	r.sts.made = 1
	r.sts.put(first)
	return r, nil
}

// sdkTables guards the first use of the SDK's endpoint tables of STS and
// Resource Manager, which the SDK fills without a lock.
var sdkTables sync.Once

// Plan reads every member of sc and reports what Apply would change in
// each: a plan across the directory, naming exactly the members that
// would change (Report.Changed). It writes nothing.
//
// Like every run, it reads the directory (GetResourceDirectory), lists the
// scope a page at a time (ListAccounts, or ListAccountsForParent and
// ListFoldersForParent), and works on Options.Concurrency members at once:
// Options.Grants, AssumeRole of the access role, then the engine. A member
// whose role cannot be assumed, or whose engine fails, is one failed row;
// the others go on. The error is nil when every member was worked on
// without failing; it is the listing's or the context's error when the
// run stopped (Report.Complete is then false), and otherwise an error that
// counts the failed members and wraps the first one's error. A scope that
// names nothing or a malformed ID is refused before any I/O with a
// *encryptperm.ValidationError; a folder or account it names that the
// directory does not hold stops the run before any member is worked on
// (errors.Is(err, encryptperm.ErrNotFound)).
func (r *Runner) Plan(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpPlan, sc)
}

// Apply converges every member of sc to hold its grants (see Plan for the
// run). Run again after a partial failure, it converges only what is
// left: members already done are read and left unchanged.
func (r *Runner) Apply(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpApply, sc)
}

// RevokePlan reads every member of sc and reports what Revoke would
// change in each, writing nothing.
func (r *Runner) RevokePlan(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpRevokePlan, sc)
}

// Revoke removes what its grants name from every member of sc (see Plan
// for the run, and encryptperm.Applier.Revoke for what is removed).
func (r *Runner) Revoke(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpRevoke, sc)
}

// Check asks, in every member of sc, the questions Options.Checks gives,
// through the member's engine (encryptperm.Applier.Check). A member where
// any answer is not allowed is denied.
func (r *Runner) Check(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpCheck, sc)
}

// Audit audits every member of sc with Options.Audit, with the member's
// Session. A member whose report has a path that reaches outside its trust
// zone is exposed (Report.Exposed); the others are contained. An audit
// writes nothing.
func (r *Runner) Audit(ctx context.Context, sc Scope) (*Report, error) {
	return r.run(ctx, OpAudit, sc)
}

// Run runs op over sc: Plan, Apply, RevokePlan, Revoke, Check or Audit.
func (r *Runner) Run(ctx context.Context, op Op, sc Scope) (*Report, error) {
	return r.run(ctx, op, sc)
}

func (r *Runner) run(ctx context.Context, op Op, sc Scope) (*Report, error) {
	switch op {
	case OpPlan, OpApply, OpRevokePlan, OpRevoke:
		if r.opts.Grants == nil {
			return nil, fmt.Errorf("fleet: %s: Options.Grants is not set: %w", op, encryptperm.ErrInvalid)
		}
	case OpCheck:
		if r.opts.Checks == nil {
			return nil, fmt.Errorf("fleet: %s: Options.Checks is not set: %w", op, encryptperm.ErrInvalid)
		}
	case OpAudit:
		if r.opts.Audit == nil {
			return nil, fmt.Errorf("fleet: %s: Options.Audit is not set: %w", op, encryptperm.ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("fleet: unknown operation %q: %w", op, encryptperm.ErrInvalid)
	}
	if err := sc.validate(); err != nil {
		return nil, err
	}
	if r.transport != nil {
		defer r.transport.CloseIdleConnections()
	}
	rep := &Report{Op: op}
	d, err := r.readDirectory(ctx)
	if err != nil {
		return rep, err
	}
	rep.Directory = d.id

	members := make(chan Member)
	listed := make(chan error, 1)
	go func() {
		err := r.list(ctx, d, sc, members)
		close(members)
		listed <- err
	}()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range r.opts.Concurrency {
		wg.Go(func() {
			for m := range members {
				row := r.member(ctx, op, m)
				mu.Lock()
				rep.add(row)
				if row.Status == StatusFailed && first == nil {
					first = fmt.Errorf("%s: %w", m.UID, row.Err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	err = <-listed
	if err == nil {
		err = ctx.Err()
	}
	rep.Complete = err == nil
	if err != nil {
		return rep, err
	}
	if first != nil {
		return rep, fmt.Errorf("fleet: %s: %d of %d members failed; the first: %w", op, rep.Totals.Failed, rep.Totals.Members, first)
	}
	return rep, nil
}

// member does op in m and returns its row, after the Observer has seen it.
// The member's Session, engine, plan and result are not kept.
func (r *Runner) member(ctx context.Context, op Op, m Member) *Row {
	row := &Row{Member: m}
	if r.opts.Observer != nil {
		end := r.opts.Observer.StartMember(ctx, m)
		defer func() {
			end(row)
			row.Plan, row.Result, row.Audit = nil, nil, nil
		}()
	} else {
		defer func() { row.Plan, row.Result, row.Audit = nil, nil, nil }()
	}
	if ctx.Err() != nil {
		row.Status = StatusSkipped
		return row
	}
	fail := func(stage Stage, err error) *Row {
		row.Status, row.Stage, row.Err = StatusFailed, stage, err
		row.Code = codeOf(err)
		row.Error = encryptperm.Redact(err.Error())
		return row
	}
	var grants []*encryptperm.Grant
	var checks []encryptperm.Access
	var err error
	switch op {
	case OpCheck:
		checks, err = r.opts.Checks(m)
	case OpAudit:
	default:
		grants, err = r.opts.Grants(m)
	}
	if err != nil {
		return fail(StageGrants, err)
	}
	s, err := r.assume(ctx, m)
	if err != nil {
		return fail(StageAssume, err)
	}
	defer func() { row.Assumed = s.Assumed() }()
	if op == OpAudit {
		rep, err := r.opts.Audit(ctx, m, s)
		if err != nil {
			return fail(StageEngine, err)
		}
		row.Audit, row.Status = rep, StatusContained
		if rep.LeavesTrustZone() {
			row.Status = StatusExposed
		}
		return row
	}
	var a encryptperm.Applier
	if r.opts.NewApplier != nil {
		a, err = r.opts.NewApplier(ctx, m, s)
	} else {
		o := r.opts.Engine
		o.Credential = s
		o.Locker = memberLocker(o.Locker, m.UID)
		a, err = encryptperm.NewRAMApplier(&o)
	}
	if err != nil {
		return fail(StageEngine, err)
	}
	switch op {
	case OpPlan, OpRevokePlan:
		var p *encryptperm.Plan
		if op == OpPlan {
			p, err = a.Plan(ctx, grants...)
		} else {
			p, err = a.RevokePlan(ctx, grants...)
		}
		if err != nil {
			return fail(StageEngine, err)
		}
		row.Plan, row.Changes, row.Findings = p, p.Changes, p.Findings
		row.Status = StatusUnchanged
		if !p.Empty() {
			row.Status = StatusPending
		}
	case OpApply, OpRevoke:
		var res *encryptperm.Result
		if op == OpApply {
			res, err = a.Apply(ctx, grants...)
		} else {
			res, err = a.Revoke(ctx, grants...)
		}
		if res != nil {
			row.Result, row.Changes, row.Unknown, row.Conflicts, row.Writes = res, res.Changes, res.Unknown, res.Conflicts, res.Writes
		}
		if err != nil {
			return fail(StageEngine, err)
		}
		row.Status = StatusUnchanged
		if res.Writes > 0 {
			row.Status = StatusChanged
		}
	case OpCheck:
		row.Status = StatusAllowed
		for _, acc := range checks {
			if acc.Owner == "" {
				acc.Owner = m.UID
			}
			d, err := a.Check(ctx, acc)
			if err != nil {
				return fail(StageEngine, err)
			}
			ans := Answer{Recipient: d.Access.Recipient, Resource: d.Access.Resource, Allowed: d.Allowed, Missing: d.Missing, Reason: d.Reason}
			if d.Access.Key.ID != "" {
				ans.Key = fmt.Sprintf("acs:kms:%s:%s:key/%s", d.Access.Key.Region, d.Access.Key.Owner, d.Access.Key.ID)
			}
			row.Checks = append(row.Checks, ans)
			if !d.Allowed {
				row.Status = StatusDenied
			}
		}
	}
	return row
}
