// This file holds the planning of one role for an Apply: from what RAM holds
// (ram_read.go) and what the grants want, the writes to make, using the
// merge of merge.go.

package encryptperm

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// roleWant is what the grants want of one role.
type roleWant struct {
	role        string
	description string
	trust       *policy.Document
	keys        map[string][]Key // by base policy name
	descs       map[string]string
	system      []string
	// kept holds, by lower-case policy name, the statements of versions
	// someone else made that our writes replaced as the default (see
	// mergeRaced): the next version written keeps those it lacks.
	kept   map[string][]policy.Statement
	scoped bool // the grants name keys (so broad system policies are broader than needed)
	// stay is what the grants that stay want of the role (revoke only):
	// its content is not removed.
	stay *roleWant
}

// policyNames returns the custom policy names the grants name (read up front).
func (w *roleWant) policyNames(grants []*Grant) []string {
	var out []string
	for _, g := range grants {
		for _, a := range g.Policies {
			if a.Type == Custom {
				out = append(out, a.Name)
			}
		}
	}
	return out
}

func (w *roleWant) bases() []string {
	out := make([]string, 0, len(w.keys))
	for b := range w.keys {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// wants groups grants by role (case-insensitively), in a stable order.
func wants(grants []*Grant) ([]*roleWant, map[string][]*Grant) {
	byRole := map[string]*roleWant{}
	gs := map[string][]*Grant{}
	var order []string
	for _, g := range grants {
		k := strings.ToLower(g.Role.Name)
		w, ok := byRole[k]
		if !ok {
			w = &roleWant{role: g.Role.Name, description: g.Role.Description, keys: map[string][]Key{}, descs: map[string]string{}}
			byRole[k] = w
			order = append(order, k)
		}
		gs[k] = append(gs[k], g)
		w.trust, _ = mergeTrust(w.trust, g.Role.TrustPolicy)
		var base string
		for _, a := range g.Policies {
			switch {
			case a.Type == System:
				if !slices.ContainsFunc(w.system, func(s string) bool { return strings.EqualFold(s, a.Name) }) {
					w.system = append(w.system, a.Name)
				}
			case len(g.Keys) > 0:
				if base == "" {
					base = a.Name
					w.descs[base] = a.Description
				}
			}
		}
		if base != "" {
			w.keys[base] = append(w.keys[base], g.Keys...)
			w.scoped = true
		}
	}
	out := make([]*roleWant, 0, len(order))
	for _, k := range order {
		out = append(out, byRole[k])
	}
	return out, gs
}

// rolePlan is what the engine will write for one role.
type rolePlan struct {
	role        string
	createTrust *policy.Document // create the role with this trust policy
	updateTrust *policy.Document // replace the trust policy
	description string
	policies    []policyWrite
	attach      []attached
	detach      []attached
	// detachLast holds the broader system policies that
	// Options.DetachBroaderPolicies detaches. They go last, once every other
	// write of the round has succeeded: the narrow policy holds the keys and
	// is attached before the broad one goes, so that a refused or failed
	// write never leaves the role without the access it had.
	detachLast []attached
	deleteVers []policyVersionRef // revoke: non-default versions to delete before a policy
	deletePols []string
	deleteRole bool
	changes    []Change
	// expectCustom names the key policies that hold the grants' keys: the
	// role must have them attached after the writes (those it lacks are
	// attached), and a plan's targets list them.
	expectCustom []string
	// raced lists new versions that RAM numbered later than expected:
	// someone else made versions between our read and our write.
	raced []racedWrite
}

// racedWrite says that versions from..to-1 of a policy were made by someone
// else between our read and our write of version to.
type racedWrite struct {
	policy   string
	from, to int
}

type policyWrite struct {
	name   string
	create bool
	doc    *policy.Document
	desc   string
	rotate string // the version the cap forces out ("" when under the cap)
	// nextVer is the number RAM gives the new version unless someone else
	// makes a version first (0 for a new policy).
	nextVer int
}

// nextVersion returns the number of the version RAM makes next: one more
// than the highest it holds.
func nextVersion(vs []ram.PolicyVersion) int {
	n := 0
	for _, v := range vs {
		n = max(n, versionNumber(v.VersionId))
	}
	return n + 1
}

type policyVersionRef struct{ policy, version string }

func (p *rolePlan) writes() int {
	n := len(p.policies) + len(p.attach) + len(p.detach) + len(p.detachLast) + len(p.deleteVers) + len(p.deletePols)
	if p.createTrust != nil || p.updateTrust != nil {
		n++
	}
	if p.deleteRole {
		n++
	}
	return n
}

// planApply works out the writes that make st hold what w wants.
func planApply(st *roleState, w *roleWant, o Options) (*rolePlan, error) {
	p := &rolePlan{role: st.name, description: w.description}
	lim := o.Limits
	// Trust policy.
	if !st.exists {
		p.createTrust = w.trust.Clone()
		p.changes = append(p.changes, Change{Kind: Broadening, Action: "CreateRole", Role: st.name, Summary: fmt.Sprintf("create role %s", st.name)})
		p.changes = append(p.changes, trustChanges(st.name, contentOf(w.trust), Broadening)...)
	} else {
		merged, added := mergeTrust(st.trust, w.trust)
		if !added.empty() {
			p.updateTrust = merged
			p.changes = append(p.changes, trustChanges(st.name, added, Broadening)...)
		}
	}
	trust := p.createTrust
	if trust == nil {
		trust = p.updateTrust
	}
	if trust != nil && trust.Size() > lim.TrustPolicyMaxLen {
		return nil, trustLimitError(st.name, trust, lim)
	}

	// Key policies, family by family.
	customAttached := 0
	systemAttached := 0
	for _, a := range st.attached {
		if a.typ == System {
			systemAttached++
		} else {
			customAttached++
		}
	}
	for _, base := range w.bases() {
		if err := planKeys(p, st, base, w.descs[base], w.keys[base], w.kept, o); err != nil {
			return nil, err
		}
	}
	for _, n := range p.expectCustom {
		if !st.isAttached(n) && !slices.ContainsFunc(p.attach, func(a attached) bool { return strings.EqualFold(a.name, n) }) {
			p.attach = append(p.attach, attached{name: n, typ: Custom})
			p.changes = append(p.changes, Change{Kind: Broadening, Action: "AttachPolicyToRole", Role: st.name, Policy: n, Summary: fmt.Sprintf("attach custom policy %s to role %s", n, st.name)})
			customAttached++
		}
	}
	for _, n := range w.system {
		if !st.isAttached(n) {
			p.attach = append(p.attach, attached{name: n, typ: System})
			p.changes = append(p.changes, Change{Kind: Broadening, Action: "AttachPolicyToRole", Role: st.name, Policy: n, Summary: fmt.Sprintf("attach system policy %s to role %s", n, st.name)})
			systemAttached++
		}
	}
	if customAttached > lim.CustomPoliciesPerRole {
		return nil, &APIError{Action: "AttachPolicyToRole", Target: st.name, Code: "LimitExceeded.Role.Policy",
			Message: fmt.Sprintf("role would hold %d custom policies; RAM allows %d (Limits.CustomPoliciesPerRole)", customAttached, lim.CustomPoliciesPerRole), kind: ErrLimitExceeded}
	}
	if systemAttached > lim.SystemPoliciesPerRole {
		return nil, &APIError{Action: "AttachPolicyToRole", Target: st.name, Code: "LimitExceeded.Role.Policy",
			Message: fmt.Sprintf("role would hold %d system policies; RAM allows %d (Limits.SystemPoliciesPerRole)", systemAttached, lim.SystemPoliciesPerRole), kind: ErrLimitExceeded}
	}
	// Broader system policies beside key-scoped ones.
	if w.scoped {
		for _, broad := range []string{DiskEncryptSystemPolicy, KMSFullAccessPolicy} {
			if !st.isAttached(broad) || slices.ContainsFunc(w.system, func(s string) bool { return strings.EqualFold(s, broad) }) {
				continue
			}
			if o.DetachBroaderPolicies {
				p.detachLast = append(p.detachLast, attached{name: broad, typ: System})
				p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: broad,
					Summary: fmt.Sprintf("detach system policy %s from role %s: it allows every key, the grant names its keys", broad, st.name)})
			} else {
				p.changes = append(p.changes, Change{Kind: Note, Role: st.name, Policy: broad,
					Summary: fmt.Sprintf("role %s also has system policy %s, which allows every key; Options.DetachBroaderPolicies detaches it", st.name, broad)})
			}
		}
	}
	return p, nil
}

// planKeys places the keys RAM lacks into the family's policies (base,
// base-2, ...), filling each before the next, within the size limit. A
// policy first gets back the statements of kept (by lower-case policy name)
// that it lacks.
func planKeys(p *rolePlan, st *roleState, base, desc string, keys []Key, kept map[string][]policy.Statement, o Options) error {
	lim := o.Limits
	docs := map[int]*policy.Document{}
	var covered []string
	for i := 0; i < lim.CustomPoliciesPerRole+8; i++ {
		ps := st.policy(numberedPolicyName(base, i))
		if ps.exists {
			docs[i] = ps.doc
			covered = append(covered, keyContentOf(ps.doc).keys...)
		}
	}
	sorted := slices.Clone(keys)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ARN() < sorted[j].ARN() })
	sorted = slices.CompactFunc(sorted, func(a, b Key) bool { return a == b })
	changed := map[int][]Key{}
	holds := map[int]bool{}
	restored := map[int]int{}
	for i := 0; i < lim.CustomPoliciesPerRole+8 && len(kept) > 0; i++ {
		if ks := kept[strings.ToLower(numberedPolicyName(base, i))]; len(ks) > 0 {
			if d, n := keepStatements(docs[i], ks); n > 0 {
				docs[i], restored[i], holds[i] = d, n, true
			}
		}
	}
	for _, k := range sorted {
		if slices.Contains(covered, k.ARN()) {
			for i, d := range docs {
				if slices.Contains(keyContentOf(d).keys, k.ARN()) {
					holds[i] = true
				}
			}
			continue
		}
		placed := false
		for i := 0; i < lim.CustomPoliciesPerRole; i++ {
			trial := mergeKeys(docs[i], []Key{k})
			if trial.Size() <= lim.PolicyDocumentMaxLen {
				docs[i] = trial
				changed[i] = append(changed[i], k)
				holds[i] = true
				placed = true
				break
			}
		}
		if !placed {
			return &APIError{Action: "CreatePolicy", Target: base, Code: "LimitExceeded.Role.Policy", kind: ErrLimitExceeded,
				Message: fmt.Sprintf("key %s does not fit in %d policies of at most %d bytes (Limits.CustomPoliciesPerRole, Limits.PolicyDocumentMaxLen)", k.ARN(), lim.CustomPoliciesPerRole, lim.PolicyDocumentMaxLen)}
		}
	}
	idx := make([]int, 0, len(holds))
	for i := range holds {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		name := numberedPolicyName(base, i)
		if ks := changed[i]; len(ks) > 0 || restored[i] > 0 {
			ps := st.policy(name)
			var what []string
			if len(ks) > 0 {
				var arns []string
				for _, k := range ks {
					arns = append(arns, k.ARN())
				}
				what = append(what, fmt.Sprintf("policy %s gains key(s) %s", name, strings.Join(arns, ", ")))
			}
			if n := restored[i]; n > 0 {
				what = append(what, fmt.Sprintf("policy %s keeps %d statement(s) of a version made by someone else", name, n))
			}
			if err := addPolicyWrite(p, ps, docs[i], desc, o, strings.Join(what, "; ")); err != nil {
				return err
			}
		}
		p.expectCustom = append(p.expectCustom, name)
	}
	return nil
}

// addPolicyWrite plans a CreatePolicy or a new default version.
func addPolicyWrite(p *rolePlan, ps *policyState, doc *policy.Document, desc string, o Options, what string) error {
	lim := o.Limits
	if doc.Size() > lim.PolicyDocumentMaxLen {
		return &APIError{Action: "CreatePolicyVersion", Target: ps.name, Code: "InvalidParameter.PolicyDocument.Length", kind: ErrLimitExceeded,
			Message: fmt.Sprintf("document would be %d bytes; RAM allows %d", doc.Size(), lim.PolicyDocumentMaxLen)}
	}
	w := policyWrite{name: ps.name, doc: doc, desc: desc, create: !ps.exists}
	if !ps.exists {
		p.changes = append(p.changes, Change{Kind: Broadening, Action: "CreatePolicy", Policy: ps.name, Role: p.role, Summary: fmt.Sprintf("create custom policy %s: %s", ps.name, what)})
	} else {
		w.nextVer = nextVersion(ps.versions)
		if len(ps.versions) >= lim.VersionsPerPolicy {
			oldest := ""
			for _, v := range ps.versions {
				if !v.IsDefaultVersion && !strings.EqualFold(v.VersionId, ps.defaultVersion) {
					oldest = v.VersionId
					break
				}
			}
			if o.ForbidVersionDeletion || oldest == "" {
				return versionCapError(ps, oldest, "applying")
			}
			w.rotate = oldest
			p.changes = append(p.changes, Change{Kind: Destructive, Action: "CreatePolicyVersion", Policy: ps.name, Role: p.role,
				Summary: fmt.Sprintf("delete oldest version %s of policy %s to stay within %d versions", oldest, ps.name, lim.VersionsPerPolicy)})
		}
		p.changes = append(p.changes, Change{Kind: Broadening, Action: "CreatePolicyVersion", Policy: ps.name, Role: p.role, Summary: fmt.Sprintf("new default version of %s: %s", ps.name, what)})
	}
	p.policies = append(p.policies, w)
	return nil
}

func trustChanges(role string, c trustContent, kind ChangeKind) []Change {
	verb := "add"
	prep := "to"
	if kind == Narrowing {
		verb, prep = "remove", "from"
	}
	var out []Change
	for _, pr := range c.principals {
		out = append(out, Change{Kind: kind, Action: "UpdateRole", Role: role, Summary: fmt.Sprintf("%s principal %s %s the trust of role %s", verb, pr, prep, role)})
	}
	for _, rd := range c.rds {
		out = append(out, Change{Kind: kind, Action: "UpdateRole", Role: role, Summary: fmt.Sprintf("%s resource directory %s %s the trust of role %s", verb, rd, prep, role)})
	}
	for _, f := range c.folders {
		out = append(out, Change{Kind: kind, Action: "UpdateRole", Role: role, Summary: fmt.Sprintf("%s folder path %s %s the trust of role %s", verb, f, prep, role)})
	}
	return out
}

func trustLimitError(role string, trust *policy.Document, lim Limits) error {
	return &APIError{Action: "UpdateRole", Target: role, Code: "InvalidParameter.AssumeRolePolicyDocument.Length", kind: ErrLimitExceeded,
		Message: fmt.Sprintf("the merged trust policy would be %d bytes; RAM allows %d (Limits.TrustPolicyMaxLen). Share with a resource directory or folder instead: one statement reaches every member account", trust.Size(), lim.TrustPolicyMaxLen)}
}

// versionCapError says why a new version cannot be made at RAM's version
// cap: Options.ForbidVersionDeletion, or no non-default version to delete.
func versionCapError(ps *policyState, oldest, doing string) error {
	why := fmt.Sprintf("making room means deleting the oldest non-default version %s, which Options.ForbidVersionDeletion forbids", oldest)
	if oldest == "" {
		why = "every version is the default, so none can be deleted to make room"
	}
	return &APIError{Action: "CreatePolicyVersion", Target: ps.name, Code: "LimitExceeded.Policy.Version", kind: ErrLimitExceeded,
		Message: fmt.Sprintf("policy has %d versions, RAM's cap; %s makes a new version, and %s; nothing was changed", len(ps.versions), doing, why)}
}
