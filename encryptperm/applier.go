// This file holds the Applier: its interface, the engine that implements it,
// the constructors, grant validation before any I/O, and the entry of each
// method (Plan, Apply, ApplyPlan, Revoke and their With forms). Below it:
// batch.go, converge.go, plan.go, merge.go, state.go, caller.go.

package encryptperm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Applier makes RAM hold what grants say. Every method takes a context: the
// SDK takes none, so the engine honours it (see NewApplier and NewRAMApplier
// for what happens to a call in flight when the context ends).
//
// An Applier is safe for concurrent use. Grants for one role are serialized
// inside an Applier; across processes use Options.Locker.
type Applier interface {
	// Plan reads RAM and returns what Apply would change, without writing.
	// It refuses, before any I/O, a grant the builders could not have made,
	// as Apply does; it does not refuse grants with unaccepted critical
	// findings, but lists them in Plan.Findings.
	Plan(ctx context.Context, grants ...*Grant) (*Plan, error)

	// Apply converges RAM to include every grant: it creates what is
	// missing and adds to what exists, never removing anything, and writes
	// nothing when RAM already holds the grants by meaning. Each grant is
	// first validated with the rules of the builder of its kind: it is built
	// again from its kind, audience, keys, service key, limits and policy
	// name, and a grant that differs from what the builder makes (a wildcard
	// key, a trust statement its audience does not call for, a policy of its
	// own) is refused before any I/O with a *ValidationError, for which
	// errors.Is(err, ErrInvalid) is true. So is a grant with a critical
	// finding (its own, its builder's, or one Lint finds in its documents)
	// whose code is not in Options.AcceptFindings. When a RAM limit stands in the way, errors.Is(err,
	// ErrLimitExceeded) is true. When RAM still lacks a change after
	// Options.MaxRounds rounds, errors.Is(err, ErrConflict) is true and the
	// error wraps the last failed write's error too. When ctx ends, Apply
	// returns ctx.Err() and a Result whose Unknown lists the writes in
	// flight, whose outcome is unknown; writes never sent are not listed.
	// When a lock of Options.Locker is lost (see Locker), Apply sends no
	// write after that and returns, with such a Result, an error for which
	// errors.Is(err, ErrLockLost) is true.
	//
	// A grant that names images or snapshots (WithImage, WithSnapshot) is
	// shared too, after RAM holds it; every check of the share comes first,
	// before any write, and its problems are a *ValidationError with paths
	// (errors.Is(err, ErrNotFound) too for a resource that does not exist).
	// See the package documentation, Sharing, for the calls it makes.
	Apply(ctx context.Context, grants ...*Grant) (*Result, error)

	// ApplyPlan applies a Plan made by Plan or RevokePlan. If
	// RAM has changed since, it writes nothing and returns an error for
	// which errors.Is(err, ErrStale) is true.
	ApplyPlan(ctx context.Context, p *Plan) (*Result, error)

	// Revoke removes what the grants name: their principals, resource
	// directories, folders and keys. RAM records no owner of a principal, so
	// two grants that name the same account share it, and revoking either
	// removes it, unless the other is named as staying (see RevokeWith).
	// Statements the grants do not name are left as they are, in the
	// library's own policies too: a policy that keeps such a statement gets
	// a new default version without the grants' keys. A custom policy is
	// deleted only when nothing is left in it and its name starts with
	// ManagedPolicyPrefix. A role is deleted only when nothing is left in
	// its trust policy (RAM holds no role with an empty one); the library's
	// own policies that keep foreign statements are then detached and kept,
	// and when any other policy is attached, Revoke changes nothing and
	// returns an error for which errors.Is(err, ErrConflict) is true. At a
	// policy's version cap with Options.ForbidVersionDeletion set, Revoke
	// changes nothing and errors.Is(err, ErrLimitExceeded) is true. Grants
	// are validated as Apply validates them, before any I/O. The images and
	// snapshots a grant names are unshared first, then the grant goes, so
	// that no recipient keeps a resource it can no longer use: the grant's
	// accounts, directories and folders lose the resource on every path by
	// which they hold it, ECS's share permission of an image (RemoveAccount.N)
	// and every resource share whose only resource it is, whoever made the
	// share and whatever its name (Resource Sharing DisassociateResourceShare;
	// a call refused because a target left meanwhile is read again and made
	// for the targets still there). A resource share that holds other
	// resources too is never changed: when it holds the resource for a
	// recipient of the grant, Revoke writes nothing and returns an error
	// that names the share, for which errors.Is(err, ErrConflict) is true.
	Revoke(ctx context.Context, grants ...*Grant) (*Result, error)

	// RevokeWith is Revoke told which grants stay: opts.Keep names them,
	// and what they name is not removed (see RevokeOptions). A nil opts is
	// Revoke.
	RevokeWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Result, error)

	// RevokePlan reads RAM and returns what Revoke would change, without
	// writing; ApplyPlan applies it.
	RevokePlan(ctx context.Context, grants ...*Grant) (*Plan, error)

	// RevokePlanWith is RevokePlan told which grants stay (see
	// RevokeOptions): the plan marks each removal left out for them with a
	// Note whose Kept is true. A nil opts is RevokePlan.
	RevokePlanWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Plan, error)

	// Check answers an Access as the package's Check does, through this
	// Applier's clients, retries and context handling, reading documents
	// within Options.Limits.Read. When the Applier has several clients
	// (NewRAMApplier), it reads the role, its attachments and the library's
	// own policy for the resource type at once, and any other attached
	// policy in one more round trip. It makes no change in RAM.
	Check(ctx context.Context, a Access) (*Decision, error)
}

// RevokeOptions tells one revoke (RevokeWith, RevokePlanWith) which grants
// stay.
type RevokeOptions struct {
	// Keep lists the grants that stay. RAM records no owner of a principal
	// or a key, so the engine cannot know that another grant needs what a
	// revoked grant names unless it is told: what a grant in Keep names
	// (a principal, resource directory, folder, key of the same policy, or
	// system policy) is not removed, and the plan marks each removal left
	// out for it with a Note whose Kept is true. Keep grants are validated
	// like the grants revoked.
	Keep []*Grant
}

// Result reports what an Apply, ApplyPlan or Revoke did.
type Result struct {
	// Changes lists the changes made, in order.
	Changes []Change `json:"changes"`
	// Unknown lists writes whose outcome is unknown: they may have been
	// carried out or not. A write whose answer was lost, or was a server
	// error (ServiceUnavailable, InternalError, another 5xx), is never
	// resent blindly: the engine reads again and, once the read tells, lists
	// the write in Changes if it took effect, or makes it again if not. A
	// write is listed here when the context ended, or a read again failed,
	// before the engine could tell.
	Unknown []Change `json:"unknown,omitempty"`
	// Calls lists every RAM call made, with its RequestId.
	Calls []Call `json:"calls"`
	// Writes counts the calls that change RAM, retries included.
	Writes int `json:"writes"`
	// Conflicts describes changes by someone else that the engine saw while
	// verifying its own: its changes that another writer undid, which it
	// made again, and policy versions another writer made between its read
	// and its write, whose content an Apply merges again (a Revoke only
	// reports them). See Locker for the loss no verification can see.
	Conflicts []string `json:"conflicts,omitempty"`
}

// engine is the one implementation of Applier.
type engine struct {
	c    *caller
	opts Options

	mu     sync.Mutex
	roles  map[string]*sync.Mutex
	queues map[string]*roleQueue
	// enqueued, when set (by tests), is called when a caller waits in a
	// role's queue behind a running batch.
	enqueued func(role string)
	// hints are the key IDs the share step found for each resource (see
	// keyHints).
	hints map[Resource][]string
}

var _ Applier = (*engine)(nil)

// NewApplier returns an Applier over a RAM client you give it: the SDK's
// *ram.Client, the fake's *fake.RAM, or a mock. Calls on the client are
// serialized, since the SDK's client is not safe for concurrent calls. When a
// context ends during a call, the engine stops waiting for it and returns;
// the call itself runs to its end in the background (this engine cannot
// abort a request on a client it does not own), and the client is used again
// only after that. Use NewRAMApplier to have requests aborted.
func NewApplier(ramClient RAM, opts *Options) Applier {
	o := opts.withDefaults()
	return newEngineOn(newPool([]*client{{ram: withBackends(ramClient, &o)}}), o)
}

func newEngineOn(p *pool, o Options) *engine {
	return &engine{
		c: &caller{
			pool: p, opts: o, logger: o.Logger, observer: o.Observer,
			now: time.Now,
		},
		opts:  o,
		roles: map[string]*sync.Mutex{},
	}
}

// NewRAMApplier returns an Applier that builds its own SDK clients from
// Options.Credential, Endpoint, Scheme, Transport and RegionID: one at once,
// and more as the work needs them, up to Options.Clients, so that
// independent calls (the reads of every role of an Apply, a Check's reads)
// go out together. The SDK's own auto-retry is off; the engine retries. When
// a context ends, the request in flight is aborted.
func NewRAMApplier(opts *Options) (Applier, error) {
	o := opts.withDefaults()
	scheme := strings.ToUpper(o.Scheme)
	if scheme == "" {
		scheme = "HTTPS"
	}
	switch scheme {
	case "HTTPS":
	case "HTTP":
		if !isLoopback(o.Endpoint) {
			return nil, fmt.Errorf("encryptperm: new RAM applier: HTTP is allowed only for a loopback endpoint such as the fake's, not %q: %w", o.Endpoint, ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("encryptperm: new RAM applier: scheme %q: want HTTPS or HTTP: %w", o.Scheme, ErrInvalid)
	}
	base := o.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection for each client the pool may hold, so that a
		// level of parallel calls does not open them again.
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, o.Clients)
		base = t
	}
	// The SDK fills its package-level endpoint table on first use without a
	// lock, so two clients built at once race; build it once, first.
	sdkEndpointTable.Do(buildSDKEndpointTables)
	mk := func() (*client, error) {
		ct := &ctxTransport{base: base}
		cfg := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false)
		cfg.Transport = ct
		c, err := newSDKClients(&o, scheme, cfg, credentialSource(o.Credential))
		if err != nil {
			return nil, err
		}
		return &client{ram: c, ctxt: ct}, nil
	}
	// A few clients are made at once, as many as the reads of one role
	// need; the pool makes more when more calls go out together.
	first := make([]*client, 0, min(o.Clients, 4))
	for range cap(first) {
		c, err := mk()
		if err != nil {
			return nil, err
		}
		first = append(first, c)
	}
	return newEngineOn(newGrowingPool(first, o.Clients, mk), o), nil
}

// sdkEndpointTable guards the first use of the SDK's endpoint table (see
// NewRAMApplier). It is the one package-level state here, and it guards a
// package-level table of the SDK's, not of this library.
var sdkEndpointTable sync.Once

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateGrants refuses, before any I/O, grants the builders could not have
// made (see checkGrant) and, when accepting is set, grants with a critical
// finding whose code is not in accept. what names the argument in paths.
//
// Besides the findings a grant carries and those its builder gives, its
// documents are linted here: a Grant assembled by hand cannot slip an
// unconditioned wildcard principal (or another critical finding) past the
// caller.
func validateGrants(what string, grants []*Grant, accept []string, accepting bool) error {
	var p problems
	if len(grants) == 0 && what == "grants" {
		p.add(what, "", "no grant given")
	}
	for i, g := range grants {
		path := fmt.Sprintf("%s[%d]", what, i)
		if g == nil {
			p.add(path, "", "nil grant")
			continue
		}
		built := checkGrant(&p, path, g)
		if !accepting {
			continue
		}
		var critical []Finding
		if built != nil {
			critical = built.Critical()
		}
		for _, f := range g.Critical() {
			if !slices.ContainsFunc(critical, func(c Finding) bool { return c.Code == f.Code }) {
				critical = append(critical, f)
			}
		}
		for _, f := range critical {
			if !slices.Contains(accept, f.Code) {
				p.add(path+".Findings", f.Code, "critical finding not accepted: %s; to apply anyway, list %q in Options.AcceptFindings", f.Message, f.Code)
			}
		}
		lint := func(at string, d *policy.Document) {
			for _, f := range Lint(d) {
				if f.Severity == SeverityCritical && !slices.Contains(accept, f.Code) {
					p.add(at+"."+f.Path, f.Code, "critical finding not accepted: %s; to apply anyway, list %q in Options.AcceptFindings", f.Message, f.Code)
				}
			}
		}
		if g.Role.TrustPolicy != nil {
			lint(path+".Role.TrustPolicy", g.Role.TrustPolicy)
		}
		for j, a := range g.Policies {
			if a.Document != nil {
				lint(fmt.Sprintf("%s.Policies[%d].Document", path, j), a.Document)
			}
		}
	}
	return p.err(what)
}

// Plan implements Applier.
func (e *engine) Plan(ctx context.Context, grants ...*Grant) (*Plan, error) {
	if err := validateGrants("grants", grants, nil, false); err != nil {
		return nil, err
	}
	return e.planAll(ctx, false, grants, nil)
}

// RevokePlan implements Applier.
func (e *engine) RevokePlan(ctx context.Context, grants ...*Grant) (*Plan, error) {
	return e.RevokePlanWith(ctx, nil, grants...)
}

// RevokePlanWith implements Applier.
func (e *engine) RevokePlanWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Plan, error) {
	keep, err := revokeArgs(grants, opts)
	if err != nil {
		return nil, err
	}
	return e.planAll(ctx, true, grants, keep)
}

// revokeArgs validates a revoke's grants and the grants that stay.
func revokeArgs(grants []*Grant, opts *RevokeOptions) ([]*Grant, error) {
	if err := validateGrants("grants", grants, nil, false); err != nil {
		return nil, err
	}
	if opts == nil || len(opts.Keep) == 0 {
		return nil, nil
	}
	if err := validateGrants("keep", opts.Keep, nil, false); err != nil {
		return nil, err
	}
	return opts.Keep, nil
}

// withStay sets on each role's want what the staying grants want of it.
func withStay(ws []*roleWant, keep []*Grant) {
	if len(keep) == 0 {
		return
	}
	ks, _ := wants(keep)
	for _, w := range ws {
		w.stay = &roleWant{keys: map[string][]Key{}}
		for _, k := range ks {
			if strings.EqualFold(k.role, w.role) {
				w.stay = k
			}
		}
	}
}

func (e *engine) plan(ctx context.Context, revoke bool, grants, keep []*Grant) (*Plan, error) {
	rec := &recorder{}
	ws, gs := wants(grants)
	withStay(ws, keep)
	pl := &Plan{revoke: revoke, grants: grants, keep: keep, fingerprints: map[string]string{}, steps: map[string]*rolePlan{}, states: map[string]*roleState{}}
	for _, g := range grants {
		pl.Findings = append(pl.Findings, g.Findings...)
	}
	results := make([]*rolePlan, len(ws))
	states := make([]*roleState, len(ws))
	fns := make([]func() error, len(ws))
	for i, w := range ws {
		fns[i] = func() error {
			st, err := e.readRole(ctx, rec, w.role, w.policyNames(gs[strings.ToLower(w.role)]), w.bases())
			if err != nil {
				return err
			}
			rp, err := e.planRole(st, w, revoke)
			if err != nil {
				return err
			}
			results[i], states[i] = rp, st
			return nil
		}
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return nil, ctxOr(ctx, err)
	}
	for i, rp := range results {
		k := strings.ToLower(ws[i].role)
		pl.Changes = append(pl.Changes, rp.changes...)
		pl.fingerprints[k] = states[i].fingerprint()
		pl.steps[k] = rp
		pl.states[k] = states[i]
	}
	pl.Calls = rec.list()
	return pl, nil
}

// Apply implements Applier.
func (e *engine) Apply(ctx context.Context, grants ...*Grant) (*Result, error) {
	if err := validateGrants("grants", grants, e.opts.AcceptFindings, true); err != nil {
		return nil, err
	}
	return e.convergeAll(ctx, false, grants, nil, nil)
}

// Revoke implements Applier.
func (e *engine) Revoke(ctx context.Context, grants ...*Grant) (*Result, error) {
	return e.RevokeWith(ctx, nil, grants...)
}

// RevokeWith implements Applier.
func (e *engine) RevokeWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Result, error) {
	keep, err := revokeArgs(grants, opts)
	if err != nil {
		return nil, err
	}
	return e.convergeAll(ctx, true, grants, keep, nil)
}

// ApplyPlan implements Applier.
func (e *engine) ApplyPlan(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.fingerprints == nil {
		return nil, fmt.Errorf("encryptperm: apply plan: not a plan made by Plan: %w", ErrInvalid)
	}
	if !p.revoke {
		if err := validateGrants("grants", p.grants, e.opts.AcceptFindings, true); err != nil {
			return nil, err
		}
	}
	return e.convergeAll(ctx, p.revoke, p.grants, p.keep, p.fingerprints)
}

// converge runs each role's read-plan-write-verify loop, roles in parallel.
//
// pre, when not nil, holds the locks of some roles and their state, read
// beside the share step's reads: those roles are converged from it, under
// its locks, without a batch. parent, when not nil, records the calls too
// (the share step's recorder).
func (e *engine) converge(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string, pre *prefetch, parent *recorder) (*Result, error) {
	rec := &recorder{parent: parent}
	ws, gs := wants(grants)
	withStay(ws, keep)
	res := &Result{}
	// Roles run in parallel; their changes are reported in the grants'
	// order of roles, whichever finishes first.
	per := make([]*Result, len(ws))
	fns := make([]func() error, len(ws))
	for i, w := range ws {
		fns[i] = func() error {
			var r *Result
			var err error
			if pre.holds(w.role) {
				locked := pre.lockedCtx(ctx, w.role)
				r, err = e.convergeLocked(locked, rec, w, gs[strings.ToLower(w.role)], revoke, stale, pre.stateFor(w, gs[strings.ToLower(w.role)]))
				err = lockErr(ctx, locked, w.role, err)
			} else {
				r, err = e.submit(ctx, rec, w, gs[strings.ToLower(w.role)], revoke, stale)
			}
			per[i] = r
			return err
		}
	}
	err := firstErr(parallel(fns...))
	for _, r := range per {
		if r == nil {
			continue
		}
		res.Changes = append(res.Changes, r.Changes...)
		res.Unknown = append(res.Unknown, r.Unknown...)
		res.Conflicts = append(res.Conflicts, r.Conflicts...)
	}
	res.Calls = rec.list()
	for _, c := range res.Calls {
		if c.Write {
			res.Writes++
		}
	}
	return res, ctxOr(ctx, err)
}
