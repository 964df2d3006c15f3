// This file holds the Auditor, its Options and trust zone, and the
// report's types.

package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Finding codes of an audit. Codes are stable: callers may match on them.
const (
	// FindingOutsideTrustZone: a principal outside the trust zone (another
	// account, a directory or folder not the zone's, a pattern no
	// directory bounds) can make a service use the key.
	FindingOutsideTrustZone = "EP201-OutsideTrustZone"
	// FindingOpensEveryKey: a statement that lets a path use the key opens
	// every key (kms:*, or a Resource that matches any key).
	FindingOpensEveryKey = "EP202-OpensEveryKey"
	// FindingCannotJudge: part of a path could not be judged (a document
	// that cannot be read, a condition the audit cannot answer, a principal
	// whose own policies it does not read): the path may exist.
	FindingCannotJudge = "EP203-CannotJudge"
	// FindingKeyPolicyAccountPrincipal: the key policy names a whole
	// account (acs:ram::<uid>:*), which KMS may read as the account itself
	// or as every identity of it (Options.KeyPolicyAccountWide).
	FindingKeyPolicyAccountPrincipal = "EP204-KeyPolicyAccountPrincipal"
	// FindingKeyPolicyForeignPrincipal: the key policy names a principal of
	// another account, which needs its own account's RAM policy too.
	FindingKeyPolicyForeignPrincipal = "EP205-KeyPolicyForeignPrincipal"
)

// TrustZone is what the caller trusts: the audited account, and a resource
// directory with its member accounts.
type TrustZone struct {
	// Account is the audited account's UID. Empty means the account of
	// the roles' ARNs (or of the key).
	Account string `json:"account,omitempty"`
	// RDID is the resource directory of the zone, rd-...; empty for the
	// account alone.
	RDID string `json:"rdId,omitempty"`
	// Members are the directory's member accounts, each with its directory
	// path (rd-.../r-.../fd-.../<uid>) as ECS judges it. The audit names,
	// for each principal, which of them it lets in; an account not listed
	// is outside the zone.
	Members []Member `json:"members,omitempty"`
}

// Member is an account of a resource directory.
type Member struct {
	UID  string `json:"uid"`
	Path string `json:"path,omitempty"`
}

// Options configures an Auditor. The zero value is usable.
type Options struct {
	// TrustZone is what the caller trusts; paths that reach outside it get
	// FindingOutsideTrustZone.
	TrustZone TrustZone
	// Clients bounds the requests in flight at once. Zero means 32.
	Clients int
	// NewClients makes one more pair of clients, so that independent reads
	// go out together, up to Clients. The SDK's clients are not safe for
	// concurrent calls, so each pair serves one call at a time; a client
	// that is safe (the in-process fake) may be returned every time. Nil
	// means only the clients given to New, one call at a time.
	NewClients func() (RAM, KMS, error)
	// Actions are the KMS actions on a key that the audit looks for. Nil
	// means the key-use actions ECS needs (encryptperm.KeyUseActions). The
	// audit also looks for kms:ListKeys on the key container, which ECS
	// needs to pick a key.
	Actions []string
	// KeyPolicyAccountWide reads acs:ram::<uid>:* in a key policy as every
	// RAM identity of account uid, as encryptperm.Options does.
	KeyPolicyAccountWide bool
	// Limits bounds the documents read; zero means policy.DefaultLimits.
	Limits policy.Limits
	// MaxAttempts bounds the tries of one read, retries of throttling,
	// server and transport errors included. Zero means 5.
	MaxAttempts int
	// PageSize is the MaxItems of the listings of roles and policies. Zero
	// means 1000, RAM's most.
	PageSize int
	// Sleep, when set, replaces the timer between retries (for tests).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Auditor reads an account's roles, policies and keys and reports every
// path by which a principal can make a service use a key.
type Auditor struct {
	ram  RAM
	kms  KMS
	opts Options
}

// New returns an Auditor that reads RAM through ramClient and KMS through
// kmsClient (the fake's *fake.RAM is both), and more clients as
// Options.NewClients makes them. A nil opts is the zero Options.
func New(ramClient RAM, kmsClient KMS, opts *Options) *Auditor {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Clients <= 0 {
		o.Clients = 32
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Limits == (policy.Limits{}) {
		o.Limits = policy.DefaultLimits()
	}
	if o.Sleep == nil {
		o.Sleep = sleepTimer
	}
	if o.Actions == nil {
		o.Actions = encryptperm.KeyUseActions()
	}
	return &Auditor{ram: ramClient, kms: kmsClient, opts: o}
}

// Key reports every path to one key. Errors are *Error values of the reads
// that failed, or ctx's error, or ErrInvalid for a malformed key.
func (a *Auditor) Key(ctx context.Context, key encryptperm.Key) (*Report, error) {
	if _, err := encryptperm.ParseKeyARN(key.ARN()); err != nil || key.Region == "" || key.Owner == "" || key.ID == "" {
		return nil, fmt.Errorf("audit: key %q: not a key ARN: %w", key.ARN(), encryptperm.ErrInvalid)
	}
	return a.run(ctx, func(context.Context, *reader) ([]encryptperm.Key, error) { return []encryptperm.Key{key}, nil })
}

// Region reports every path to every key of the region (ListKeys).
func (a *Auditor) Region(ctx context.Context, region string) (*Report, error) {
	if region == "" {
		return nil, fmt.Errorf("audit: region: empty: %w", encryptperm.ErrInvalid)
	}
	return a.run(ctx, func(ctx context.Context, r *reader) ([]encryptperm.Key, error) { return r.listRegionKeys(ctx, region) })
}

func (a *Auditor) run(ctx context.Context, keys func(context.Context, *reader) ([]encryptperm.Key, error)) (*Report, error) {
	c := &caller{pool: newPool(clients{a.ram, a.kms}, a.opts.Clients, a.opts.NewClients), maxAttempts: a.opts.MaxAttempts, sleep: a.opts.Sleep}
	r := &reader{c: c, limits: a.opts.Limits, pageSize: a.opts.PageSize}
	w, err := r.readWorld(ctx, func(ctx context.Context) ([]encryptperm.Key, error) { return keys(ctx, r) })
	if err != nil {
		return nil, err
	}
	rep := a.judge(w)
	rep.Calls = c.count()
	return rep, nil
}

// Report is what an audit found: for each key, every path to it.
type Report struct {
	// Account is the audited account.
	Account string `json:"account"`
	// TrustZone is the zone the paths were judged against.
	TrustZone TrustZone `json:"trustZone"`
	// Keys are the keys audited, by ARN.
	Keys []KeyReport `json:"keys"`
	// Findings are every key's and every path's findings, in order.
	Findings []encryptperm.Finding `json:"findings"`
	// Calls counts the requests the audit sent, retries included.
	Calls int `json:"calls"`
}

// LeavesTrustZone reports whether a path, certain or not, reaches outside
// the trust zone.
func (r *Report) LeavesTrustZone() bool {
	for _, f := range r.Findings {
		if f.Code == FindingOutsideTrustZone {
			return true
		}
	}
	return false
}

// KeyReport is the paths to one key.
type KeyReport struct {
	// Key is the key, by ARN.
	Key string `json:"key"`
	// Instance is the KMS instance that holds the key; empty for a key of
	// the default kind.
	Instance string `json:"instance,omitempty"`
	// KeyPolicy is the key's KMS key policy; nil when it has none or it
	// could not be read.
	KeyPolicy *policy.Document `json:"keyPolicy,omitempty"`
	// KeyPolicyNote says why the key policy could not be read.
	KeyPolicyNote string `json:"keyPolicyNote,omitempty"`
	// Paths are the paths to the key.
	Paths []Path `json:"paths"`
	// Findings are the key's own findings, such as a key policy that names
	// a whole account.
	Findings []encryptperm.Finding `json:"findings,omitempty"`
}

// Kind says what a path's principal is.
type Kind string

// The kinds of principal.
const (
	// KindAccount is a service of one named account: <uid>@<service>.
	KindAccount Kind = "account"
	// KindService is a service of the role's own account:
	// ecs.aliyuncs.com.
	KindService Kind = "service"
	// KindDirectory is every account of a resource directory: a pattern
	// such as *@ecs.aliyuncs.com with an sts:ServiceOwnerRDId condition.
	KindDirectory Kind = "directory"
	// KindFolder is every account below a folder of a resource directory:
	// a pattern with an sts:ServiceOwnerRDPath condition.
	KindFolder Kind = "folder"
	// KindAny is a pattern that no directory condition bounds: any account.
	KindAny Kind = "any"
	// KindRAM is a RAM identity: acs:ram::<uid>:root (every identity of
	// the account), :user/<name>, :role/<name>.
	KindRAM Kind = "ram"
	// KindFederated is an identity provider's users.
	KindFederated Kind = "federated"
	// KindUnknown is a principal the audit could not read.
	KindUnknown Kind = "unknown"
)

// Principal is who can start a path.
type Principal struct {
	// Kind says what the principal is.
	Kind Kind `json:"kind"`
	// Value is the principal as the document names it.
	Value string `json:"value"`
	// Account is the principal's account, when it is one.
	Account string `json:"account,omitempty"`
	// Directory and Folder are the resource directory ID or the folder path
	// pattern that bound a pattern principal.
	Directory string `json:"directory,omitempty"`
	Folder    string `json:"folder,omitempty"`
	// Accounts are the accounts it lets in for certain, of those the audit
	// can name: the account it names, or the trust zone's members.
	Accounts []string `json:"accounts,omitempty"`
	// MayAccounts are those it might let in: the answer hangs on what the
	// audit cannot judge.
	MayAccounts []string `json:"mayAccounts,omitempty"`
}

// Path is one way to a key: principal → assumes Role (Trust) → policies and
// key policy (By) → Actions.
type Path struct {
	// Principal is who starts the path.
	Principal Principal `json:"principal"`
	// Role is the role the principal assumes; empty when a key policy names
	// the principal itself.
	Role    string `json:"role,omitempty"`
	RoleARN string `json:"roleArn,omitempty"`
	// Trust is the trust policy's statement that lets the principal in.
	Trust *encryptperm.StatementRef `json:"trust,omitempty"`
	// Condition is that statement's condition.
	Condition policy.Condition `json:"condition,omitempty"`
	// Actions are the KMS actions the path allows for certain; MayActions
	// those it might allow.
	Actions    []string `json:"actions"`
	MayActions []string `json:"mayActions,omitempty"`
	// By are the statements that allow the actions: the role's policies'
	// and the key policy's.
	By []encryptperm.StatementRef `json:"by"`
	// Certain is true when the principal is let in and the actions allowed
	// for certain; otherwise the path may exist ("may").
	Certain bool `json:"certain"`
	// Why says what could not be judged.
	Why []string `json:"why,omitempty"`
	// Findings are what a reviewer should know of the path.
	Findings []encryptperm.Finding `json:"findings,omitempty"`
}

// Allows reports whether the path allows every action of want for certain.
func (p Path) Allows(want ...string) bool {
	if !p.Certain {
		return false
	}
	for _, w := range want {
		if !containsFold(p.Actions, w) {
			return false
		}
	}
	return true
}

// MayAllow reports whether the path allows or might allow every action of
// want.
func (p Path) MayAllow(want ...string) bool {
	for _, w := range want {
		if !containsFold(p.Actions, w) && !containsFold(p.MayActions, w) {
			return false
		}
	}
	return true
}
