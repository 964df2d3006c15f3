package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
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
	Apply(ctx context.Context, grants ...*Grant) (*Result, error)

	// ApplyPlan applies a Plan made by Plan (or RevokePlan, see Revoker). If
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
	// are validated as Apply validates them, before any I/O.
	Revoke(ctx context.Context, grants ...*Grant) (*Result, error)

	// RevokeWith is Revoke with per-call options: opts.Keep names the
	// grants that stay, whose content is not removed. A nil opts is
	// Revoke.
	RevokeWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Result, error)
}

// RevokeOptions tunes one revoke (RevokeWith, RevokePlanWith).
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

// Revoker is implemented by the Applier this package returns: it plans a
// Revoke without writing.
type Revoker interface {
	// RevokePlan reads RAM and returns what Revoke would change.
	RevokePlan(ctx context.Context, grants ...*Grant) (*Plan, error)

	// RevokePlanWith is RevokePlan with per-call options (see
	// RevokeOptions): the plan marks each removal a staying grant needs.
	RevokePlanWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Plan, error)
}

// Result reports what an Apply, ApplyPlan or Revoke did.
type Result struct {
	// Changes lists the changes made, in order.
	Changes []Change `json:"changes"`
	// Unknown lists writes whose outcome is unknown: the context ended, or
	// the answer was lost, before the engine could read RAM again.
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
	c     *caller
	opts  Options
	owned bool

	mu     sync.Mutex
	roles  map[string]*sync.Mutex
	queues map[string]*roleQueue
	// enqueued, when set (by tests), is called when a caller waits in a
	// role's queue behind a running batch.
	enqueued func(role string)
}

var _ Applier = (*engine)(nil)
var _ Revoker = (*engine)(nil)
var _ Checker = (*engine)(nil)

// NewApplier returns an Applier over a RAM client you give it: the SDK's
// *ram.Client, the fake's *fake.RAM, or a mock. Calls on the client are
// serialized, since the SDK's client is not safe for concurrent calls. When a
// context ends during a call, the engine stops waiting for it and returns;
// the call itself runs to its end in the background (this engine cannot
// abort a request on a client it does not own), and the client is used again
// only after that. Use NewRAMApplier to have requests aborted.
func NewApplier(ramClient RAM, opts *Options) Applier {
	o := opts.withDefaults()
	return newEngine([]*client{{ram: withBackends(ramClient, &o)}}, o, false)
}

func newEngine(clients []*client, o Options, owned bool) *engine {
	return &engine{
		c: &caller{
			pool: newPool(clients), opts: o, logger: o.Logger, observer: o.Observer,
			now: time.Now,
		},
		opts:  o,
		owned: owned,
		roles: map[string]*sync.Mutex{},
	}
}

// NewRAMApplier returns an Applier that builds its own SDK clients, a small
// pool of them (Options.Clients) so that independent reads run in parallel,
// from Options.Credential, Endpoint, Scheme, Transport and RegionID. The SDK's
// own auto-retry is off; the engine retries. When a context ends, the request
// in flight is aborted.
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
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	// The SDK fills its package-level endpoint table on first use without a
	// lock, so two clients built at once race; build it once, first.
	sdkEndpointTable.Do(buildSDKEndpointTables)
	clients := make([]*client, 0, o.Clients)
	for range o.Clients {
		ct := &ctxTransport{base: base}
		cfg := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false)
		cfg.Transport = ct
		c, err := newSDKClients(&o, scheme, cfg, credentialSource(o.Credential))
		if err != nil {
			return nil, err
		}
		clients = append(clients, &client{ram: c, ctxt: ct})
	}
	return newEngine(clients, o, true), nil
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

// roleLock serializes work on one role within this Applier.
func (e *engine) roleLock(role string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := strings.ToLower(role)
	m, ok := e.roles[k]
	if !ok {
		m = &sync.Mutex{}
		e.roles[k] = m
	}
	return m
}

// lockRole takes the in-process lock and, when configured, the Locker.
func (e *engine) lockRole(ctx context.Context, role string) (func(), error) {
	m := e.roleLock(role)
	got := make(chan struct{})
	go func() { m.Lock(); close(got) }()
	select {
	case <-got:
	case <-ctx.Done():
		go func() { <-got; m.Unlock() }()
		return nil, ctx.Err()
	}
	if e.opts.Locker == nil {
		return m.Unlock, nil
	}
	unlock, err := e.opts.Locker.Lock(ctx, "encryptperm/role/"+strings.ToLower(role))
	if err != nil {
		m.Unlock()
		return nil, err
	}
	return func() { unlock(); m.Unlock() }, nil
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
		lint := func(at string, d *Document) {
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

// RevokePlan implements Revoker.
func (e *engine) RevokePlan(ctx context.Context, grants ...*Grant) (*Plan, error) {
	return e.RevokePlanWith(ctx, nil, grants...)
}

// RevokePlanWith implements Revoker.
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
	pl := &Plan{revoke: revoke, grants: grants, keep: keep, fingerprints: map[string]string{}, steps: map[string]*rolePlan{}}
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
		if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, ctxErr
		}
		return nil, err
	}
	for i, rp := range results {
		k := strings.ToLower(ws[i].role)
		pl.Changes = append(pl.Changes, rp.changes...)
		pl.fingerprints[k] = states[i].fingerprint()
		pl.steps[k] = rp
	}
	pl.Calls = rec.list()
	return pl, nil
}

func (e *engine) planRole(st *roleState, w *roleWant, revoke bool) (*rolePlan, error) {
	if revoke {
		return planRevoke(st, w, e.opts)
	}
	return planApply(st, w, e.opts)
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
func (e *engine) converge(ctx context.Context, revoke bool, grants, keep []*Grant, stale map[string]string) (*Result, error) {
	rec := &recorder{}
	ws, gs := wants(grants)
	withStay(ws, keep)
	res := &Result{}
	// Roles run in parallel; their changes are reported in the grants'
	// order of roles, whichever finishes first.
	per := make([]*Result, len(ws))
	fns := make([]func() error, len(ws))
	for i, w := range ws {
		fns[i] = func() error {
			r, err := e.submit(ctx, rec, w, gs[strings.ToLower(w.role)], revoke, stale)
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
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return res, ctxErr
		}
	}
	return res, err
}

func (e *engine) convergeRole(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string) (*Result, error) {
	res := &Result{}
	unlock, err := e.lockRole(ctx, w.role)
	if err != nil {
		return res, err
	}
	defer unlock()
	names, bases := w.policyNames(grants), w.bases()
	st, err := e.readRole(ctx, rec, w.role, names, bases)
	if err != nil {
		return res, err
	}
	if stale != nil {
		if fp, ok := stale[strings.ToLower(w.role)]; !ok || fp != st.fingerprint() {
			return res, fmt.Errorf("encryptperm: apply plan for role %q: RAM changed since the plan was made: %w", w.role, ErrStale)
		}
	}
	// Each round reads, plans and writes; the read that follows the writes
	// verifies them. A round whose writes all succeeded but whose next plan
	// is not empty saw someone else's change: it is reported and merged.
	wroteClean := false
	// pending holds the changes of writes whose outcome was unknown until
	// RAM was read again: the next plan tells which of them took effect.
	var pending []Change
	var lastErr error
	for round := 1; ; round++ {
		rp, err := e.planRole(st, w, revoke)
		if err != nil {
			res.Unknown = append(res.Unknown, pending...)
			return res, err
		}
		res.Changes = append(res.Changes, tookEffect(pending, rp.changes)...)
		pending = nil
		if rp.writes() == 0 {
			return res, nil
		}
		if wroteClean {
			res.Conflicts = append(res.Conflicts, fmt.Sprintf("role %s: after our writes RAM still lacked: %s; merged again", st.name, summaries(rp.changes)))
		}
		if round > e.opts.MaxRounds {
			err := fmt.Errorf("encryptperm: converge role %q: still %d change(s) to make after %d rounds (%s): %w", w.role, len(rp.changes), e.opts.MaxRounds, summaries(rp.changes), ErrConflict)
			if lastErr != nil {
				err = fmt.Errorf("%w; last error: %w", err, lastErr)
			}
			return res, err
		}
		unknown, err := e.execute(ctx, rec, rp, res)
		if err != nil && !unknown {
			return res, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return res, ctxErr
		}
		wroteClean = err == nil
		if err != nil {
			lastErr = err
		}
		// Read again every policy this round wrote to, named by the grants
		// or not (a spread can reach a numbered policy that exists but is
		// attached nowhere, left by an earlier run that stopped half-way).
		for _, pw := range rp.policies {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, pw.name) }) {
				names = append(names, pw.name)
			}
		}
		if st, err = e.readRole(ctx, rec, w.role, names, bases); err != nil {
			return res, err
		}
		pending, res.Unknown = res.Unknown, nil
		if len(rp.raced) > 0 {
			var notes []string
			w, notes, err = e.mergeRaced(ctx, rec, w, rp.raced, revoke)
			if err != nil {
				return res, err
			}
			res.Conflicts = append(res.Conflicts, notes...)
			if len(notes) > 0 {
				wroteClean = false // reported already
			}
		}
	}
}

// mergeRaced reads the versions that someone else made between our read of
// a policy and our write of it, which our write replaced as the default.
// For an Apply it returns w wanting their keys and statements too, so that
// the next round writes them back; for a Revoke it only reports them.
func (e *engine) mergeRaced(ctx context.Context, rec *recorder, w *roleWant, raced []racedWrite, revoke bool) (*roleWant, []string, error) {
	type found struct {
		policy, version string
		doc             *Document
	}
	var mu sync.Mutex
	var docs []found
	var fns []func() error
	for _, r := range raced {
		// RAM keeps only the newest few versions; older numbers are gone.
		for n := max(r.from, r.to-e.opts.Limits.VersionsPerPolicy); n < r.to; n++ {
			version := "v" + strconv.Itoa(n)
			fns = append(fns, func() error {
				resp, err := invoke(ctx, e.c, op{action: "GetPolicyVersion", target: r.policy + "/" + version, rec: rec}, func(c RAM, t time.Duration) (*ram.GetPolicyVersionResponse, error) {
					req := ram.CreateGetPolicyVersionRequest()
					setTimeout(req, t)
					req.PolicyName, req.PolicyType, req.VersionId = r.policy, string(Custom), version
					return c.GetPolicyVersion(req)
				})
				if errors.Is(err, ErrNotFound) {
					return nil // deleted since: nothing left to merge
				}
				if err != nil {
					return err
				}
				d, err := ReadDocument([]byte(resp.PolicyVersion.PolicyDocument))
				if err != nil {
					return fmt.Errorf("encryptperm: read version %s of policy %q: %w", version, r.policy, err)
				}
				mu.Lock()
				docs = append(docs, found{r.policy, version, d})
				mu.Unlock()
				return nil
			})
		}
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return w, nil, err
	}
	if len(docs) == 0 {
		return w, nil, nil
	}
	slices.SortFunc(docs, func(a, b found) int {
		return strings.Compare(a.policy+"/"+a.version, b.policy+"/"+b.version)
	})
	out := *w
	out.keys = maps.Clone(w.keys)
	out.generic = slices.Clone(w.generic)
	var notes []string
	for _, d := range docs {
		what := "what it added is merged again"
		if revoke {
			what = "what it added may be lost: apply that grant again"
		}
		notes = append(notes, fmt.Sprintf("policy %s: version %s was made by someone else between our read and our write, which replaced it as the default; %s", d.policy, d.version, what))
		if revoke {
			continue
		}
		for _, base := range w.bases() {
			if !inFamily(d.policy, []string{base}) {
				continue
			}
			for _, arn := range keyContentOf(d.doc).keys {
				if k, err := ParseKeyARN(arn); err == nil {
					out.keys[base] = append(slices.Clone(out.keys[base]), k)
				}
			}
		}
		for i, a := range out.generic {
			if strings.EqualFold(a.Name, d.policy) {
				a.Document = mergeStatements(a.Document, d.doc)
				out.generic[i] = a
			}
		}
	}
	return &out, notes, nil
}

// tookEffect returns the changes of pending, whose outcome was unknown, that
// the next plan no longer lists: RAM holds them now.
func tookEffect(pending, next []Change) []Change {
	var out []Change
	for _, c := range pending {
		if !slices.ContainsFunc(next, func(n Change) bool { return n.Action == c.Action && n.Summary == c.Summary }) {
			out = append(out, c)
		}
	}
	return out
}

func summaries(cs []Change) string {
	var s []string
	for _, c := range cs {
		if c.Kind != Note {
			s = append(s, c.Summary)
		}
	}
	return strings.Join(s, "; ")
}

// execute makes a role plan's writes, in as few sequential levels as their
// dependencies allow. It returns unknown=true with the error when a write's
// outcome is unknown (its answer was lost, or it conflicted with something
// that appeared meanwhile): the caller then reads again and plans again.
func (e *engine) execute(ctx context.Context, rec *recorder, rp *rolePlan, res *Result) (unknown bool, err error) {
	var mu sync.Mutex
	var unknownErr error
	// The plan's changes are reported in the plan's order: each write marks
	// the changes it makes as done, or as unknown.
	status := make([]int, len(rp.changes)) // 0 pending, 1 done, 2 unknown
	mark := func(action, policy string, st int) {
		for i, c := range rp.changes {
			if c.Kind == Note || !strings.EqualFold(c.Policy, policy) && policy != "*" {
				continue
			}
			if c.Action == action || action == "CreateRole" && c.Action == "UpdateRole" || action == "DeleteRole" && c.Action == "UpdateRole" {
				status[i] = st
			}
		}
	}
	defer func() {
		for i, c := range rp.changes {
			switch status[i] {
			case 1:
				res.Changes = append(res.Changes, c)
			case 2:
				res.Unknown = append(res.Unknown, c)
			}
		}
	}()
	type key struct{ action, policy string }
	fail := func(k key, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			mark(k.action, k.policy, 1)
			return nil
		}
		if outcomeUnknown(err) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			mark(k.action, k.policy, 2)
			if unknownErr == nil {
				unknownErr = err
			}
			return nil
		}
		return err
	}
	changeFor := func(action, policy string) key { return key{action, policy} }
	level := func(fns []func() error) error {
		if len(fns) == 0 {
			return nil
		}
		return firstErr(parallel(fns...))
	}
	// Level 1: the role and the policies' contents.
	var l1 []func() error
	switch {
	case rp.createTrust != nil:
		l1 = append(l1, func() error {
			_, err := invoke(ctx, e.c, op{action: "CreateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreateRoleResponse, error) {
				req := ram.CreateCreateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.AssumeRolePolicyDocument, req.Description = rp.role, rp.createTrust.String(), rp.description
				return r.CreateRole(req)
			})
			return fail(changeFor("CreateRole", ""), err)
		})
	case rp.updateTrust != nil:
		l1 = append(l1, func() error {
			_, err := invoke(ctx, e.c, op{action: "UpdateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.UpdateRoleResponse, error) {
				req := ram.CreateUpdateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.NewAssumeRolePolicyDocument = rp.role, rp.updateTrust.String()
				return r.UpdateRole(req)
			})
			return fail(changeFor("UpdateRole", ""), err)
		})
	}
	for _, pw := range rp.policies {
		l1 = append(l1, func() error {
			if pw.create {
				_, err := invoke(ctx, e.c, op{action: "CreatePolicy", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyResponse, error) {
					req := ram.CreateCreatePolicyRequest()
					setTimeout(req, t)
					req.PolicyName, req.PolicyDocument, req.Description = pw.name, pw.doc.String(), pw.desc
					return r.CreatePolicy(req)
				})
				return fail(changeFor("CreatePolicy", pw.name), err)
			}
			resp, err := invoke(ctx, e.c, op{action: "CreatePolicyVersion", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyVersionResponse, error) {
				req := ram.CreateCreatePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.PolicyDocument = pw.name, pw.doc.String()
				req.SetAsDefault = requests.NewBoolean(true)
				if pw.rotate != "" {
					req.RotateStrategy = "DeleteOldestNonDefaultVersionWhenLimitExceeded"
				}
				return r.CreatePolicyVersion(req)
			})
			if err == nil && pw.nextVer > 0 {
				// RAM numbers versions in sequence: a number past the one
				// expected means someone else made versions meanwhile.
				if got := versionNumber(resp.PolicyVersion.VersionId); got > pw.nextVer {
					mu.Lock()
					rp.raced = append(rp.raced, racedWrite{policy: pw.name, from: pw.nextVer, to: got})
					mu.Unlock()
				}
			}
			return fail(changeFor("CreatePolicyVersion", pw.name), err)
		})
	}
	for _, a := range rp.detach {
		l1 = append(l1, e.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error { return fail(key(k), err) }))
	}
	if err := level(l1); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	// Level 2: attachments (they need the role and the policies).
	var l2 []func() error
	for _, a := range rp.attach {
		l2 = append(l2, func() error {
			err := e.attach(ctx, rec, rp.role, a)
			return fail(changeFor("AttachPolicyToRole", a.name), err)
		})
	}
	for _, v := range rp.deleteVers {
		l2 = append(l2, func() error {
			_, err := invoke(ctx, e.c, op{action: "DeletePolicyVersion", target: v.policy + "/" + v.version, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyVersionResponse, error) {
				req := ram.CreateDeletePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.VersionId = v.policy, v.version
				return r.DeletePolicyVersion(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			return fail(key{"DeletePolicyVersion", v.policy}, err)
		})
	}
	if err := level(l2); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	// Level 3 and 4 (revoke): policies, then the role.
	var l3 []func() error
	for _, n := range rp.deletePols {
		l3 = append(l3, func() error {
			_, err := invoke(ctx, e.c, op{action: "DeletePolicy", target: n, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyResponse, error) {
				req := ram.CreateDeletePolicyRequest()
				setTimeout(req, t)
				req.PolicyName = n
				return r.DeletePolicy(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			return fail(changeFor("DeletePolicy", n), err)
		})
	}
	if err := level(l3); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	if rp.deleteRole {
		_, err := invoke(ctx, e.c, op{action: "DeleteRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeleteRoleResponse, error) {
			req := ram.CreateDeleteRoleRequest()
			setTimeout(req, t)
			req.RoleName = rp.role
			return r.DeleteRole(req)
		})
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err := fail(changeFor("DeleteRole", ""), err); err != nil {
			return false, err
		}
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	return false, nil
}

func (e *engine) detachFn(ctx context.Context, rec *recorder, rp *rolePlan, a attached, fail func(k struct{ action, policy string }, err error) error) func() error {
	return func() error {
		_, err := invoke(ctx, e.c, op{action: "DetachPolicyFromRole", target: rp.role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DetachPolicyFromRoleResponse, error) {
			req := ram.CreateDetachPolicyFromRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = rp.role, a.name, string(a.typ)
			return r.DetachPolicyFromRole(req)
		})
		if errors.Is(err, ErrNotFound) {
			err = nil // already detached
		}
		return fail(struct{ action, policy string }{"DetachPolicyFromRole", a.name}, err)
	}
}

// attach attaches a policy, retrying briefly while a just-created role or
// policy is not yet visible; "already attached" is what was meant, so it
// counts as done.
func (e *engine) attach(ctx context.Context, rec *recorder, role string, a attached) error {
	deadline := time.Now().Add(e.opts.PropagationWait)
	wait := 100 * time.Millisecond
	for {
		_, err := invoke(ctx, e.c, op{action: "AttachPolicyToRole", target: role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.AttachPolicyToRoleResponse, error) {
			req := ram.CreateAttachPolicyToRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = role, a.name, string(a.typ)
			return r.AttachPolicyToRole(req)
		})
		if codeOf(err) == "EntityAlreadyExists.Role.Policy" {
			return nil
		}
		if !errors.Is(err, ErrNotFound) || time.Now().Add(wait).After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(wait*2, time.Second)
	}
}
