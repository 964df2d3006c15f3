// This file holds what the share step is told by the caller: its limits,
// the services it has clients for, the caller's rules for names and keys,
// and the errors its own errors wrap.

package share

import (
	"fmt"
	"strings"
	"time"
)

// Config is what the caller tells the share step: its limits, the services
// it has clients for, the caller's rules for accounts and keys, and the
// errors that the step's own errors wrap. Every field is required but
// Hints.
type Config struct {
	// ImageAccounts and SnapshotAccounts are how many accounts ECS shares
	// one image, or one snapshot, with.
	ImageAccounts, SnapshotAccounts int
	// MaxPages bounds every listing: a listing with more pages ends with
	// an error that wraps LimitExceeded.
	MaxPages int
	// MaxRounds bounds the attempts of a write whose outcome was unknown,
	// and the calls that take targets out of a resource share.
	MaxRounds int
	// Wait bounds how long a share that ECS refuses for want of a grant
	// RAM has just taken is tried again.
	Wait time.Duration
	// NamePrefix starts the name of every resource share the step makes.
	NamePrefix string
	// Services says which services the step has clients for.
	Services Services
	// IsAccount reports whether a value is an account UID.
	IsAccount func(string) bool
	// ParseKeyARN reads a key ARN as KMS answers it; it fails for what is
	// not a key ARN.
	ParseKeyARN func(arn string) (Key, error)
	// ServiceKeyReason says why a resource of the type encrypted with the
	// service key cannot be shared, and the way out.
	ServiceKeyReason func(Type) string
	// Conflict and LimitExceeded are the errors that the step's own errors
	// of a conflict and of a limit wrap.
	Conflict, LimitExceeded error
	// Hints, when set, are the keys found for resources before, read in
	// the first level of a later pre-flight.
	Hints *Hints
}

// Services says which services the share step has clients for.
type Services struct {
	ECS, ResourceSharing, KMS bool
}

// shareCap is how many accounts ECS shares one resource of the type with.
func (c *Config) shareCap(t Type) int {
	if t == Image {
		return c.ImageAccounts
	}
	return c.SnapshotAccounts
}

// ServiceManaged reports whether a key's Creator names a cloud service
// rather than an account.
func (c *Config) ServiceManaged(creator string) bool {
	return creator != "" && !c.IsAccount(creator)
}

// checkServices refuses, before any I/O, resources whose services the step
// has no client for. A revoke needs Resource Sharing for every resource, to
// read the shares a recipient may hold it through.
func (c *Config) checkServices(wants []*want, revoke bool) error {
	var p problems
	for _, w := range wants {
		if len(w.paths) == 0 {
			continue
		}
		need := []string{}
		if !c.Services.ECS {
			need = append(need, "ECS (Options.ECS)")
		}
		if !c.Services.KMS {
			need = append(need, "KMS (Options.KMS)")
		}
		if !c.Services.ResourceSharing && (w.res.Type == Snapshot || len(w.targets) > 0 || revoke) {
			need = append(need, "Resource Sharing (Options.ResourceSharing)")
		}
		if len(need) > 0 {
			p.add(w.paths[0], w.res.ID, "sharing the %s needs a client for %s: the RAM client given to NewApplier does not implement it", w.res, strings.Join(need, ", "))
		}
	}
	return p.refusal(false, false, false)
}

// Problem is one problem the share step found, with the path of what it
// is about.
type Problem struct {
	// Path names what the problem is about, such as grants[0].Resources[1].
	Path string
	// Value is the value at fault, when there is one.
	Value string
	// Reason says what is wrong, for people.
	Reason string
}

// problems collects problems.
type problems struct {
	list  []Problem
	limit bool
}

// add adds a problem; its reason is formatted with args, when there are
// any.
func (p *problems) add(path, value, reason string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Value: value, Reason: sprintf(reason, args)})
}

// addLimit adds a problem that is a limit.
func (p *problems) addLimit(path, value, reason string, args ...any) {
	p.limit = true
	p.add(path, value, reason, args...)
}

// sprintf formats reason with args, or returns it as it is without any.
func sprintf(reason string, args []any) string {
	if len(args) == 0 {
		return reason
	}
	return fmt.Sprintf(reason, args...)
}

// refusal returns the problems as an error, or nil when there are none.
func (p *problems) refusal(read, notFound, conflict bool) error {
	if len(p.list) == 0 {
		return nil
	}
	return &Refusal{Problems: p.list, Limit: p.limit, Read: read, NotFound: notFound, Conflict: conflict}
}

// Refusal lists every problem the share step found before any write:
// Prepare and Inspect return it, nothing written. Paths name the grants as
// the caller's grants, "grants[i]" (or the what given to Inspect).
type Refusal struct {
	// Problems lists every problem, in the order found.
	Problems []Problem
	// Limit is set when a problem is a limit.
	Limit bool
	// Read is set when the problems were found by the pre-flight's reads,
	// not before any I/O.
	Read bool
	// NotFound is set when a resource does not exist; Conflict when a
	// resource share stands in the way.
	NotFound, Conflict bool
}

// Error lists the problems on one line.
func (r *Refusal) Error() string {
	lines := make([]string, 0, len(r.Problems))
	for _, p := range r.Problems {
		lines = append(lines, p.Path+": "+p.Reason)
	}
	return "share: " + strings.Join(lines, "; ")
}
