// This file holds the Applier: its interface, the engine that implements it,
// the constructors, grant validation before any I/O, and the entry of each
// method (Plan, Apply, ApplyPlan, Revoke and their With forms, Check), which
// hands over to the pipeline (run.go) or to Check's reads (check_read.go),
// and the package's Check.

package encryptperm

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/loopback"
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
	// whose code is not in Options.AcceptFindings. If a key a grant names
	// does not exist in KMS, Apply writes nothing and returns an error for
	// which errors.Is(err, ErrNotFound) is true (the key is read beside
	// RAM's first reads, when the Applier has a KMS client; see the package
	// documentation, Applying). When a RAM limit stands in the way, errors.Is(err,
	// ErrLimitExceeded) is true. When RAM still lacks a change after
	// Options.MaxRounds rounds, errors.Is(err, ErrConflict) is true and the
	// error wraps the last failed write's error too. When ctx ends, Apply
	// returns ctx.Err() and a Result whose Unknown lists the writes in
	// flight, whose outcome is unknown; writes never sent are not listed.
	//
	// A grant that names images or snapshots (WithImage, WithSnapshot) is
	// shared too, after RAM holds it; every check of the share comes first,
	// before any write, and its problems are a *ValidationError with paths
	// (errors.Is(err, ErrNotFound) too for a resource that does not exist).
	// See the package documentation, Sharing, for the calls it makes.
	//
	// Beside its first reads, Apply reads the KMS key policy of each key a
	// grant names (GetKeyPolicy, when the KMS client has it; see KMS). A
	// grant whose key policy explicitly denies its role one of the key-use
	// actions, the role taken as of the key's account, could never take
	// effect: Apply refuses it before any write, with an error naming the
	// key policy's statement for which errors.Is(err, ErrInvalid) is true,
	// and does so even when RAM holds the grant already. A key policy that
	// cannot be read refuses nothing; Check tells what it means.
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
	// RevokeWith says which of the four ways to revoke to reach for.
	Revoke(ctx context.Context, grants ...*Grant) (*Result, error)

	// RevokeWith is Revoke told which grants stay: opts.Keep names them,
	// and what they name is not removed (see RevokeOptions). A nil opts is
	// Revoke.
	//
	// Of the four ways to revoke, reach for RevokeWith when other grants
	// that name the same accounts or keys stay, and for Revoke when none
	// does: RAM records no owner of a principal, so only you can say what
	// stays. RevokePlan and RevokePlanWith are the same two as a Plan to
	// review, or export, before ApplyPlan writes it; reach for them where
	// a person approves the removal.
	RevokeWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Result, error)

	// RevokePlan reads RAM and returns what Revoke would change, without
	// writing; ApplyPlan applies it. RevokeWith says which of the four
	// ways to revoke to reach for.
	RevokePlan(ctx context.Context, grants ...*Grant) (*Plan, error)

	// RevokePlanWith is RevokePlan told which grants stay (see
	// RevokeOptions): the plan marks each removal left out for them with a
	// Note whose Kept is true. A nil opts is RevokePlan. RevokeWith says
	// which of the four ways to revoke to reach for.
	RevokePlanWith(ctx context.Context, opts *RevokeOptions, grants ...*Grant) (*Plan, error)

	// Check answers an Access as the package's Check does, through this
	// Applier's clients, retries and context handling, reading documents
	// within Options.Limits.Read and key policies as
	// Options.KeyPolicyAccountWide says. Reach for it whenever you have an
	// Applier: it retries throttling, honours the context on every call,
	// reads at once what can be read at once, and records its calls. The
	// package's Check exists for a question asked with a bare client and
	// no Applier (one call at a time, each once). When the Applier has
	// several clients (NewRAMApplier), it reads the role, its attachments,
	// the library's own policy for the resource type and the key's
	// DescribeKey and GetKeyPolicy at once, and any other attached policy
	// in one more round trip. It makes no change in RAM.
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

// engine is the one implementation of Applier.
type engine struct {
	c    *caller
	opts Options
	pipe *pipeline
	// shared answers a Check that names an image or a snapshot.
	shared *resourceCheck
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
	b := withBackends(ramClient, &o)
	_, readsKeys := o.KMS.(keyPolicyReader)
	return newEngineOn(newPool([]*client{{ram: b}}), o, readsKeys)
}

// newEngineOn returns the engine over the pool p; readsKeys says whether
// its KMS clients read key policies.
func newEngineOn(p *pool, o Options, readsKeys bool) *engine {
	c := &caller{
		pool: p, opts: o, logger: o.Logger, observer: o.Observer,
		now: time.Now,
	}
	share := newShareTarget(c, o)
	return &engine{
		c: c, opts: o,
		pipe:   &pipeline{ram: newRAMTarget(c, o), share: share, keys: &keyPreflight{c: c, limits: o.Limits.Read, enabled: readsKeys}},
		shared: &resourceCheck{c: c, opts: o, share: share},
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
		if !loopback.Is(o.Endpoint) {
			return nil, invalid("options", "Scheme", o.Scheme, "HTTP is allowed only for a loopback Endpoint such as the fake's, not %q", o.Endpoint)
		}
	default:
		return nil, invalid("options", "Scheme", o.Scheme, "want HTTPS or HTTP")
	}
	base := o.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection for each client the pool may hold, so that a
		// level of parallel calls does not open them again.
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, o.Clients)
		base = t
	}
	if o.CheckCredentials {
		if err := checkCredentials(o.Credential); err != nil {
			return nil, err
		}
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
	return newEngineOn(newGrowingPool(first, o.Clients, mk), o, true), nil
}

// sdkEndpointTable guards the first use of the SDK's endpoint table (see
// NewRAMApplier). It is the one package-level state here, and it guards a
// package-level table of the SDK's, not of this library.
var sdkEndpointTable sync.Once

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
	return e.pipe.plan(ctx, false, grants, nil)
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
	return e.pipe.plan(ctx, true, grants, keep)
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

// Apply implements Applier.
func (e *engine) Apply(ctx context.Context, grants ...*Grant) (*Result, error) {
	if err := validateGrants("grants", grants, e.opts.AcceptFindings, true); err != nil {
		return nil, err
	}
	return e.pipe.run(ctx, false, grants, nil, nil)
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
	return e.pipe.run(ctx, true, grants, keep, nil)
}

// ApplyPlan implements Applier.
func (e *engine) ApplyPlan(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.fingerprints == nil {
		return nil, invalid("plan", "Plan", "", "not a plan made by Plan or RevokePlan")
	}
	if !p.revoke {
		if err := validateGrants("grants", p.grants, e.opts.AcceptFindings, true); err != nil {
			return nil, err
		}
	}
	return e.pipe.run(ctx, p.revoke, p.grants, p.keep, p.fingerprints)
}

// Check answers an Access through the engine (see Applier).
func (e *engine) Check(ctx context.Context, a Access) (*Decision, error) {
	if a.ResourceID != "" {
		return e.shared.checkShared(ctx, a)
	}
	return check(ctx, engineReads{c: e.c, rec: &recorder{}}, e.opts.Limits.Read, a, e.opts.KeyPolicyAccountWide)
}

// Check answers an Access against RAM: it reads the role (GetRole), its
// trust policy, and its attached policies (ListPoliciesForRole; a custom
// policy's default version through GetPolicy, or GetPolicyVersion when
// GetPolicy carries no document; a system policy from the built-in catalog,
// see SystemPolicy, or else from GetPolicy), and evaluates, as Simulate does:
//
//   - whether the trust policy lets <Recipient>@ecs.aliyuncs.com assume the
//     role, with sts:ServiceOwnerRDId and sts:ServiceOwnerRDPath set from
//     RDID and RDPath when they are given;
//   - whether the policies allow every key-use action (keyUseActions) on the
//     key's ARN, and kms:ListKeys (the call kms:List* covers that a key
//     picker needs, and the only list call KMS authorizes on the key
//     container) on the key container's ARN;
//   - with the key's KMS key policy, read beside the role (DescribeKey and
//     GetKeyPolicy, by the key's ARN, on client when it implements KMS and
//     GetKeyPolicy), by KMS's rules on each key-use action: an explicit
//     Deny in the key policy or the role's policies denies; otherwise, for
//     a role of the key's own account an Allow in either suffices, and for
//     a role of another account both must allow. A key in no KMS instance
//     (DescribeKey gives no DKMSInstanceId), or one KMS does not find, has
//     no key policy. A key policy that cannot be read (a client without
//     GetKeyPolicy, a failed read, a document this library cannot read) is
//     a step "key policy" that is not allowed, its reason beginning "key
//     policy not read", and might deny every key-use action. The statement
//     of the key policy that decided a step is its By (StatementRef.Key),
//     and Decision.Access.KeyPolicy holds the key policy read.
//
// A role that does not exist gives a Decision that is not allowed, not an
// error. A system policy neither in the catalog nor readable from RAM, or a
// policy that cannot be parsed, grants nothing and might deny anything: the
// answer is then not allowed, and the policy is named in Decision.Unreadable
// and in the Reason. An invalid Access gives a *ValidationError (ErrInvalid);
// a failed RAM call gives an *APIError that wraps the SDK's error and the
// sentinel that fits. A document larger or deeper than policy.DefaultLimits
// allow (for an Applier's Check, Options.Limits.Read) cannot be read, and so
// fails closed as above. Check makes no change in RAM.
//
// Check makes each call once, on the goroutine that calls it, and looks at ctx
// between calls. Applier.Check answers the same question through the
// Applier's retries, client pool and context handling: reach for it when
// you have an Applier, and for this function for a one-off question over a
// client you hold (a test, a script), where retries and a pool would be
// more than needed.
func Check(ctx context.Context, client RAM, a Access) (*Decision, error) {
	if a.ResourceID != "" {
		return NewApplier(client, nil).Check(ctx, a)
	}
	return check(ctx, directReads{client}, policy.DefaultLimits(), a, false)
}
