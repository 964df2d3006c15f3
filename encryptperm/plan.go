// This file holds Plan and Change, and the planning of one role: from what RAM
// holds (state.go) and what the grants want, the writes an Apply or a Revoke
// makes, using the merge of merge.go.

package encryptperm

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// ChangeKind classifies a change by what it does to access.
type ChangeKind string

// The kinds of change.
const (
	// Broadening changes give someone more access.
	Broadening ChangeKind = "broadening"
	// Narrowing changes take access away.
	Narrowing ChangeKind = "narrowing"
	// Destructive changes delete something RAM cannot give back (a policy
	// version, a policy, a role).
	Destructive ChangeKind = "destructive"
	// Note is not a change: something a reviewer should know.
	Note ChangeKind = "note"
)

// Change is one step of a Plan or a Result.
type Change struct {
	// Kind says what the change does to access.
	Kind ChangeKind `json:"kind"`
	// Action is the RAM action that makes the change ("" for a Note).
	Action string `json:"action,omitempty"`
	// Role names the role concerned.
	Role string `json:"role,omitempty"`
	// Policy names the policy concerned.
	Policy string `json:"policy,omitempty"`
	// Summary says what changes, for people.
	Summary string `json:"summary"`
	// Kept marks, in a revoke's plan, a removal left out because a grant
	// the caller says stays (RevokeOptions.Keep) also names what it would
	// remove. Such a change is a Note: nothing is written for it.
	Kept bool `json:"kept,omitempty"`
}

// String returns the change on one line, marked + (broadening), - (narrowing),
// ! (destructive), = (a removal kept for a grant that stays) or ~ (other
// notes).
func (c Change) String() string {
	mark := map[ChangeKind]string{Broadening: "+", Narrowing: "-", Destructive: "!", Note: "~"}[c.Kind]
	if c.Kept {
		mark = "="
	}
	return mark + " " + c.Summary
}

// Plan is what Apply or Revoke would change, read from RAM without writing.
// Review it, then pass it to ApplyPlan.
type Plan struct {
	// Changes lists every change, in the order they would be made.
	Changes []Change `json:"changes"`
	// Findings are the grants' findings.
	Findings []Finding `json:"findings,omitempty"`
	// Calls are the reads the Plan made.
	Calls []Call `json:"calls,omitempty"`

	revoke       bool
	grants       []*Grant
	keep         []*Grant
	fingerprints map[string]string
	steps        map[string]*rolePlan
	states       map[string]*roleState // what the plan read, by lower-case role name
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	for _, c := range p.Changes {
		if c.Kind != Note {
			return false
		}
	}
	return true
}

// String returns the plan as a readable diff, one change per line.
func (p *Plan) String() string {
	if p.Empty() && len(p.Changes) == 0 {
		return "no changes\n"
	}
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// JSON returns the plan as indented JSON.
func (p *Plan) JSON() []byte {
	b, _ := json.MarshalIndent(p, "", "  ")
	return b
}

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

// planRevoke works out the writes that take what w names out of st, except
// what w.stay (the grants the caller says stay) names too: each such removal
// is left out and marked in the plan.
func planRevoke(st *roleState, w *roleWant, o Options) (*rolePlan, error) {
	p := &rolePlan{role: st.name}
	if !st.exists {
		return p, nil
	}
	stay := w.stay
	if stay == nil {
		stay = &roleWant{keys: map[string][]Key{}}
	}
	// Trust: what the revoked grants name, less what a staying grant names.
	named, staying, held := contentOf(w.trust), contentOf(stay.trust), contentOf(st.trust)
	drop := trustContent{
		principals: minus(named.principals, staying.principals),
		rds:        minus(named.rds, staying.rds),
		folders:    minus(named.folders, staying.folders),
	}
	kept := trustContent{
		principals: both(both(named.principals, staying.principals), held.principals),
		rds:        both(both(named.rds, staying.rds), held.rds),
		folders:    both(both(named.folders, staying.folders), held.folders),
	}
	newTrust, removed := subtractTrust(st.trust, drop)
	p.changes = append(p.changes, keptChanges(st.name, kept)...)
	lim := o.Limits
	// Policies.
	gone := map[string]bool{}
	for _, base := range w.bases() {
		var keys []Key
		for _, k := range w.keys[base] {
			if slices.Contains(stay.keys[base], k) {
				continue
			}
			keys = append(keys, k)
		}
		for i := 0; i < lim.CustomPoliciesPerRole+8; i++ {
			name := numberedPolicyName(base, i)
			ps := st.policy(name)
			if !ps.exists {
				continue
			}
			held := keyContentOf(ps.doc).keys
			for _, k := range sortedKeys(w.keys[base]) {
				if slices.Contains(stay.keys[base], k) && slices.Contains(held, k.ARN()) {
					p.changes = append(p.changes, Change{Kind: Note, Kept: true, Role: st.name, Policy: name,
						Summary: fmt.Sprintf("keep key %s in policy %s: a grant that stays names it", k.ARN(), name)})
				}
			}
			nd := subtractKeys(ps.doc, keys)
			if nd.Equal(ps.doc) {
				continue
			}
			if err := revokePolicy(p, st, ps, nd, o, gone); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range w.system {
		if !st.isAttached(n) {
			continue
		}
		if slices.ContainsFunc(stay.system, func(s string) bool { return strings.EqualFold(s, n) }) {
			p.changes = append(p.changes, Change{Kind: Note, Kept: true, Role: st.name, Policy: n,
				Summary: fmt.Sprintf("keep system policy %s attached to role %s: a grant that stays names it", n, st.name)})
			continue
		}
		p.detach = append(p.detach, attached{name: n, typ: System})
		gone[strings.ToLower(n)] = true
		p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: n, Summary: fmt.Sprintf("detach system policy %s from role %s", n, st.name)})
	}
	// Trust.
	if len(newTrust.Statement) == 0 {
		// RAM holds no role with an empty trust policy, so the role must
		// go; it may only when nothing but the library's own policies is
		// attached. A policy of the library's that keeps content it did not
		// write (a foreign statement) is detached and kept, with that
		// content.
		var foreign []string
		var own []attached
		for _, a := range st.attached {
			switch {
			case gone[strings.ToLower(a.name)]:
			case a.typ == Custom && strings.HasPrefix(a.name, ManagedPolicyPrefix) && st.policies[strings.ToLower(a.name)] != nil:
				own = append(own, a)
			case slices.ContainsFunc(stay.system, func(s string) bool { return strings.EqualFold(s, a.name) }):
				foreign = append(foreign, fmt.Sprintf("%s policy %s (a grant that stays names it)", a.typ, a.name))
			default:
				foreign = append(foreign, fmt.Sprintf("%s policy %s (the revoked grants do not name it)", a.typ, a.name))
			}
		}
		if len(foreign) > 0 {
			return nil, &APIError{Action: "DeleteRole", Target: st.name, Code: "DeleteConflict.Role.Policy", kind: ErrConflict,
				Message: fmt.Sprintf("revoking would leave the trust policy of role %s empty, and RAM holds no role with an empty trust policy, so the role would have to be deleted; "+
					"but it must stay for what is attached to it: %s; nothing was changed. Detach those policies first, or keep a principal in the trust policy", st.name, strings.Join(foreign, ", "))}
		}
		for _, a := range own {
			p.detach = append(p.detach, a)
			p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: a.name,
				Summary: fmt.Sprintf("detach custom policy %s from role %s; the policy is kept: content the revoked grants do not name is left in it", a.name, st.name)})
		}
		p.changes = append(p.changes, trustChanges(st.name, removed, Narrowing)...)
		p.deleteRole = true
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "DeleteRole", Role: st.name, Summary: fmt.Sprintf("delete role %s: nothing is left in its trust policy", st.name)})
	} else if !removed.empty() {
		p.updateTrust = newTrust
		p.changes = append(p.changes, trustChanges(st.name, removed, Narrowing)...)
	}
	return p, nil
}

// both returns the values of a that are also in b.
func both(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys(keys []Key) []Key {
	out := slices.Clone(keys)
	sort.Slice(out, func(i, j int) bool { return out[i].ARN() < out[j].ARN() })
	return slices.CompactFunc(out, func(a, b Key) bool { return a == b })
}

// keptChanges marks the trust content a revoke leaves in place because a
// grant that stays names it.
func keptChanges(role string, c trustContent) []Change {
	var out []Change
	note := func(what string) {
		out = append(out, Change{Kind: Note, Kept: true, Role: role,
			Summary: fmt.Sprintf("keep %s in the trust of role %s: a grant that stays names it", what, role)})
	}
	for _, pr := range c.principals {
		note("principal " + pr)
	}
	for _, rd := range c.rds {
		note("resource directory " + rd)
	}
	for _, f := range c.folders {
		note("folder path " + f)
	}
	return out
}

// revokePolicy plans narrowing one policy to nd: a new version, or, when
// nothing is left and the name is the library's, detaching and deleting it.
func revokePolicy(p *rolePlan, st *roleState, ps *policyState, nd *policy.Document, o Options, gone map[string]bool) error {
	if len(nd.Statement) == 0 && strings.HasPrefix(ps.name, ManagedPolicyPrefix) {
		if st.isAttached(ps.name) {
			p.detach = append(p.detach, attached{name: ps.name, typ: Custom})
			p.changes = append(p.changes, Change{Kind: Narrowing, Action: "DetachPolicyFromRole", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("detach custom policy %s from role %s", ps.name, st.name)})
		}
		for _, v := range ps.versions {
			if !v.IsDefaultVersion && !strings.EqualFold(v.VersionId, ps.defaultVersion) {
				p.deleteVers = append(p.deleteVers, policyVersionRef{policy: ps.name, version: v.VersionId})
			}
		}
		p.deletePols = append(p.deletePols, ps.name)
		gone[strings.ToLower(ps.name)] = true
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "DeletePolicy", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("delete custom policy %s: nothing is left in it", ps.name)})
		return nil
	}
	if len(nd.Statement) == 0 {
		p.changes = append(p.changes, Change{Kind: Note, Role: st.name, Policy: ps.name,
			Summary: fmt.Sprintf("policy %s would be empty, but its name is not one this library gives; it is left as it is", ps.name)})
		return nil
	}
	w := policyWrite{name: ps.name, doc: nd, nextVer: nextVersion(ps.versions)}
	if len(ps.versions) >= o.Limits.VersionsPerPolicy {
		for _, v := range ps.versions {
			if !v.IsDefaultVersion && !strings.EqualFold(v.VersionId, ps.defaultVersion) {
				w.rotate = v.VersionId
				break
			}
		}
		if o.ForbidVersionDeletion || w.rotate == "" {
			return versionCapError(ps, w.rotate, "revoking")
		}
		p.changes = append(p.changes, Change{Kind: Destructive, Action: "CreatePolicyVersion", Policy: ps.name, Role: st.name,
			Summary: fmt.Sprintf("delete oldest version %s of policy %s to stay within %d versions", w.rotate, ps.name, o.Limits.VersionsPerPolicy)})
	}
	p.policies = append(p.policies, w)
	p.changes = append(p.changes, Change{Kind: Narrowing, Action: "CreatePolicyVersion", Role: st.name, Policy: ps.name, Summary: fmt.Sprintf("new default version of %s without the revoked keys", ps.name)})
	return nil
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

func (e *engine) planRole(st *roleState, w *roleWant, revoke bool) (*rolePlan, error) {
	if revoke {
		return planRevoke(st, w, e.opts)
	}
	return planApply(st, w, e.opts)
}
