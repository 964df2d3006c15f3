// This file holds what the share step is told by the caller: its limits,
// the services it has clients for, the caller's rules for names and keys,
// and the errors its own errors wrap.

package encryptperm

import (
	"fmt"
	"strings"
	"time"
)

// shareConfig configures the share step.
type shareConfig struct {
	// imageAccounts and snapshotAccounts are how many accounts ECS shares
	// one image, or one snapshot, with.
	imageAccounts, snapshotAccounts int
	// maxPages bounds every listing.
	maxPages int
	// maxRounds bounds the attempts of a write whose outcome was unknown.
	maxRounds int
	// wait bounds how long a share that ECS refuses for want of a grant
	// RAM has just taken is tried again.
	wait time.Duration
	// prefix starts the name of every resource share the step makes.
	prefix string
	// ecs, rs and kms say which services the step has clients for.
	ecs, rs, kms bool
	// isAccount reports whether a value is an account UID.
	isAccount func(string) bool
	// parseKeyARN reads a key ARN as KMS answers it.
	parseKeyARN func(string) (Key, error)
	// serviceKeyReason says why a resource encrypted with the service key
	// cannot be shared.
	serviceKeyReason func(ResourceType) string
	// conflict and limit are the errors that the step's own errors of a
	// conflict and of a limit wrap.
	conflict, limit error
	// hints are the keys found for resources before.
	hints *keyHints
}

// shareCap is how many accounts ECS shares one resource of the type with.
func (c *shareConfig) shareCap(t ResourceType) int {
	if t == ResourceImage {
		return c.imageAccounts
	}
	return c.snapshotAccounts
}

// serviceManaged reports whether a key's Creator names a cloud service
// rather than an account.
func (c *shareConfig) serviceManaged(creator string) bool {
	return creator != "" && !c.isAccount(creator)
}

// checkServices refuses, before any I/O, resources whose services the step
// has no client for. A revoke needs Resource Sharing for every resource, to
// read the shares a recipient may hold it through.
func (c *shareConfig) checkServices(wants []*resWant, revoke bool) error {
	var p shareProblems
	for _, w := range wants {
		if len(w.paths) == 0 {
			continue
		}
		need := []string{}
		if !c.ecs {
			need = append(need, "ECS (Options.ECS)")
		}
		if !c.kms {
			need = append(need, "KMS (Options.KMS)")
		}
		if !c.rs && (w.res.Type == ResourceSnapshot || len(w.targets) > 0 || revoke) {
			need = append(need, "Resource Sharing (Options.ResourceSharing)")
		}
		if len(need) > 0 {
			p.add(w.paths[0], w.res.ID, "sharing the %s needs a client for %s: the RAM client given to NewApplier does not implement it", w.res, strings.Join(need, ", "))
		}
	}
	return p.refusal(false, false, false)
}

// shareProblem is one problem the share step found, with the path of what
// it is about.
type shareProblem struct {
	Path, Value, Reason string
}

// shareProblems collects problems.
type shareProblems struct {
	list  []shareProblem
	limit bool
}

func (p *shareProblems) add(path, value, reason string, args ...any) {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	p.list = append(p.list, shareProblem{Path: path, Value: value, Reason: reason})
}

func (p *shareProblems) addLimit(path, value, reason string, args ...any) {
	p.add(path, value, reason, args...)
	p.limit = true
}

// refusal returns the problems as an error, or nil when there are none.
func (p *shareProblems) refusal(read, notFound, conflict bool) error {
	if len(p.list) == 0 {
		return nil
	}
	return &shareRefusal{Problems: p.list, Limit: p.limit, Read: read, NotFound: notFound, Conflict: conflict}
}

// shareRefusal lists every problem the share step found before any write.
type shareRefusal struct {
	Problems []shareProblem
	// Limit is set when a problem is a limit.
	Limit bool
	// Read is set when the problems were found by the pre-flight's reads,
	// not before any I/O.
	Read bool
	// NotFound is set when a resource does not exist; Conflict when a
	// resource share stands in the way.
	NotFound, Conflict bool
}

func (r *shareRefusal) Error() string {
	var b strings.Builder
	b.WriteString("share:")
	for i, p := range r.Problems {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s: %s", p.Path, p.Reason)
	}
	return b.String()
}
