// This file holds the content arithmetic under the plans: a grant's
// principals, conditions and keys added to (merge) or taken from (subtract)
// what RAM holds, leaving foreign statements as they are.

package encryptperm

import (
	"slices"
	"sort"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// This file holds the pure part of the engine: how a grant's content is added
// to, and removed from, documents that RAM already holds. Statements the
// library did not write are never changed; statements of the shapes it writes
// (whoever wrote them) are extended or narrowed in place.

// trustShape names the three statement shapes of a share trust policy.
type trustShape int

const (
	shapeOther    trustShape = iota
	shapeAccounts            // Allow sts:AssumeRole to <uid>@ecs.aliyuncs.com, no condition
	shapeRD                  // Allow sts:AssumeRole to *@ecs.aliyuncs.com, StringEquals sts:ServiceOwnerRDId
	shapeFolder              // Allow sts:AssumeRole to *@ecs.aliyuncs.com, StringLike sts:ServiceOwnerRDPath
	shapeService             // Allow sts:AssumeRole to services of the own account (ecs.aliyuncs.com), no condition
)

// isAssume reports whether s is a plain Allow sts:AssumeRole statement with
// nothing this library does not model.
func isAssume(s policy.Statement) bool {
	return s.Effect == policy.Allow && s.Opaque == nil && len(s.Extra) == 0 && len(s.NotAction) == 0 && len(s.Resource) == 0 &&
		len(s.NotResource) == 0 && len(s.Action.Set()) == 1 && s.Action.Set()[0] == assumeRoleAction &&
		s.Principal != nil && len(s.Principal.RAM) == 0 && len(s.Principal.Federated) == 0 &&
		len(s.Principal.Extra) == 0 && len(s.Principal.Service) > 0
}

func shapeOf(s policy.Statement) trustShape {
	if !isAssume(s) {
		return shapeOther
	}
	svc := s.Principal.Service.Set()
	if len(s.Condition) == 0 {
		acct, own := true, true
		for _, p := range svc {
			uid, ok := strings.CutSuffix(p, "@"+ecsService)
			if !ok || !accountRE.MatchString(uid) {
				acct = false
			}
			if strings.ContainsAny(p, "@*?") {
				own = false
			}
		}
		switch {
		case acct:
			return shapeAccounts
		case own:
			return shapeService
		}
		return shapeOther
	}
	if len(svc) != 1 || svc[0] != wildcardECSPrincipal || len(s.Condition) != 1 {
		return shapeOther
	}
	if m, ok := s.Condition["StringEquals"]; ok && len(m) == 1 && len(m[conditionRDID]) > 0 {
		return shapeRD
	}
	if m, ok := s.Condition["StringLike"]; ok && len(m) == 1 && len(m[conditionRDPath]) > 0 {
		return shapeFolder
	}
	return shapeOther
}

// trustContent is what a trust policy grants, in the shapes the builders
// write.
type trustContent struct {
	principals []string // service principals without condition: uid@ecs..., ecs.aliyuncs.com
	rds        []string
	folders    []string // with the trailing *
}

func (c trustContent) empty() bool {
	return len(c.principals) == 0 && len(c.rds) == 0 && len(c.folders) == 0
}

// contentOf returns the content of the builder-shaped statements of d.
func contentOf(d *policy.Document) trustContent {
	var c trustContent
	if d == nil {
		return c
	}
	for _, s := range d.Statement {
		switch shapeOf(s) {
		case shapeAccounts, shapeService:
			c.principals = append(c.principals, s.Principal.Service...)
		case shapeRD:
			c.rds = append(c.rds, s.Condition["StringEquals"][conditionRDID]...)
		case shapeFolder:
			c.folders = append(c.folders, s.Condition["StringLike"][conditionRDPath]...)
		}
	}
	c.principals = sortedSet(c.principals)
	c.rds = sortedSet(c.rds)
	c.folders = sortedSet(c.folders)
	return c
}

func sortedSet(v []string) []string {
	out := slices.Clone(v)
	sort.Strings(out)
	return slices.Compact(out)
}

// minus returns the values of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// mergeTrust returns have with the content of want added: principals join the
// first statement of their shape (or a new one), and nothing is removed. It
// also returns what was added.
func mergeTrust(have, want *policy.Document) (*policy.Document, trustContent) {
	hc, wc := contentOf(have), contentOf(want)
	add := trustContent{
		principals: minus(wc.principals, hc.principals),
		rds:        minus(wc.rds, hc.rds),
		folders:    minus(wc.folders, hc.folders),
	}
	out := have.Clone()
	if out == nil {
		out = policy.New()
	}
	if out.Version == "" {
		out.Version = policy.Version
	}
	var acct, svc []string
	for _, p := range add.principals {
		if strings.Contains(p, "@") {
			acct = append(acct, p)
		} else {
			svc = append(svc, p)
		}
	}
	extend := func(shape trustShape, vals []string, addTo func(*policy.Statement), fresh func() policy.Statement) {
		if len(vals) == 0 {
			return
		}
		for i := range out.Statement {
			if shapeOf(out.Statement[i]) == shape {
				addTo(&out.Statement[i])
				return
			}
		}
		out.Statement = append(out.Statement, fresh())
	}
	assume := func(p *policy.Principal, c policy.Condition) policy.Statement {
		return policy.Statement{Effect: policy.Allow, Action: policy.Values{assumeRoleAction}, Principal: p, Condition: c}
	}
	extend(shapeAccounts, acct,
		func(s *policy.Statement) { s.Principal.Service = append(s.Principal.Service, acct...) },
		func() policy.Statement { return assume(&policy.Principal{Service: policy.Values(acct)}, nil) })
	extend(shapeService, svc,
		func(s *policy.Statement) { s.Principal.Service = append(s.Principal.Service, svc...) },
		func() policy.Statement { return assume(&policy.Principal{Service: policy.Values(svc)}, nil) })
	extend(shapeRD, add.rds,
		func(s *policy.Statement) {
			m := s.Condition["StringEquals"]
			m[conditionRDID] = append(m[conditionRDID], add.rds...)
		},
		func() policy.Statement {
			return assume(&policy.Principal{Service: policy.Values{wildcardECSPrincipal}}, policy.Condition{"StringEquals": {conditionRDID: policy.Values(add.rds)}})
		})
	extend(shapeFolder, add.folders,
		func(s *policy.Statement) {
			m := s.Condition["StringLike"]
			m[conditionRDPath] = append(m[conditionRDPath], add.folders...)
		},
		func() policy.Statement {
			return assume(&policy.Principal{Service: policy.Values{wildcardECSPrincipal}}, policy.Condition{"StringLike": {conditionRDPath: policy.Values(add.folders)}})
		})
	return out, add
}

// subtractTrust returns have without the content dc, and what was removed.
// Statements of the builders' shapes lose the named principals, directories
// and folders, and go when nothing is left in them; other statements stay as
// they are.
func subtractTrust(have *policy.Document, dc trustContent) (*policy.Document, trustContent) {
	var removed trustContent
	out := have.Clone()
	if out == nil {
		return nil, removed
	}
	kept := out.Statement[:0]
	for _, s := range out.Statement {
		switch shapeOf(s) {
		case shapeAccounts, shapeService:
			rest := minus(s.Principal.Service, dc.principals)
			removed.principals = append(removed.principals, minus(s.Principal.Service, rest)...)
			if len(rest) == 0 {
				continue
			}
			s.Principal.Service = rest
		case shapeRD:
			v := s.Condition["StringEquals"][conditionRDID]
			rest := minus(v, dc.rds)
			removed.rds = append(removed.rds, minus(v, rest)...)
			if len(rest) == 0 {
				continue
			}
			s.Condition["StringEquals"][conditionRDID] = rest
		case shapeFolder:
			v := s.Condition["StringLike"][conditionRDPath]
			rest := minus(v, dc.folders)
			removed.folders = append(removed.folders, minus(v, rest)...)
			if len(rest) == 0 {
				continue
			}
			s.Condition["StringLike"][conditionRDPath] = rest
		}
		kept = append(kept, s)
	}
	out.Statement = kept
	removed.principals = sortedSet(removed.principals)
	removed.rds = sortedSet(removed.rds)
	removed.folders = sortedSet(removed.folders)
	return out, removed
}

// keyShape names the statement shapes of a key policy.
type keyShape int

const (
	keyOther keyShape = iota
	keyList           // Allow kms:List* on key containers
	keyUse            // Allow the key-use actions on key ARNs
)

func keyShapeOf(s policy.Statement) keyShape {
	if s.Effect != policy.Allow || s.Opaque != nil || len(s.Extra) > 0 || len(s.NotAction) > 0 || len(s.NotResource) > 0 ||
		s.Principal != nil || len(s.Condition) > 0 || len(s.Resource) == 0 {
		return keyOther
	}
	acts := s.Action.Set()
	switch {
	case slices.Equal(acts, []string{listKeysAction}):
		return keyList
	case slices.Equal(acts, sortedSet(keyUseActions)):
		return keyUse
	}
	return keyOther
}

// keyContent is what a key policy grants, in the shapes KeyPolicy writes.
type keyContent struct {
	containers []string
	keys       []string // key ARNs
}

func keyContentOf(d *policy.Document) keyContent {
	var c keyContent
	if d == nil {
		return c
	}
	for _, s := range d.Statement {
		switch keyShapeOf(s) {
		case keyList:
			c.containers = append(c.containers, s.Resource...)
		case keyUse:
			c.keys = append(c.keys, s.Resource...)
		}
	}
	c.containers = sortedSet(c.containers)
	c.keys = sortedSet(c.keys)
	return c
}

// mergeKeys returns have with keys added: each missing key ARN joins the
// first key-use statement (or a new one), and each missing container gets a
// kms:List* statement of its own.
func mergeKeys(have *policy.Document, keys []Key) *policy.Document {
	out := have.Clone()
	if out == nil {
		out = policy.New()
	}
	if out.Version == "" {
		out.Version = policy.Version
	}
	c := keyContentOf(out)
	var arns, containers []string
	for _, k := range keys {
		if !slices.Contains(c.keys, k.ARN()) && !slices.Contains(arns, k.ARN()) {
			arns = append(arns, k.ARN())
		}
		if !slices.Contains(c.containers, k.ContainerARN()) && !slices.Contains(containers, k.ContainerARN()) {
			containers = append(containers, k.ContainerARN())
		}
	}
	sort.Strings(containers)
	for _, ct := range containers {
		// Keep kms:List* statements ahead of the key-use statement, as the
		// ECS page "Encryption-related permissions" writes them.
		at := len(out.Statement)
		for i, s := range out.Statement {
			if keyShapeOf(s) == keyUse {
				at = i
				break
			}
		}
		out.Statement = slices.Insert(out.Statement, at, policy.Statement{Effect: policy.Allow, Action: policy.Values{listKeysAction}, Resource: policy.Values{ct}})
	}
	if len(arns) > 0 {
		done := false
		for i := range out.Statement {
			if keyShapeOf(out.Statement[i]) == keyUse {
				out.Statement[i].Resource = append(out.Statement[i].Resource, arns...)
				done = true
				break
			}
		}
		if !done {
			out.Statement = append(out.Statement, policy.Statement{Effect: policy.Allow, Action: slices.Clone(policy.Values(keyUseActions)), Resource: policy.Values(arns)})
		}
	}
	return out
}

// subtractKeys returns have without the keys: their ARNs leave the key-use
// statements, and a container's kms:List* goes when no key of that container
// is left. Statements left empty go; others stay.
func subtractKeys(have *policy.Document, keys []Key) *policy.Document {
	out := have.Clone()
	if out == nil {
		return nil
	}
	drop := make([]string, 0, len(keys))
	for _, k := range keys {
		drop = append(drop, k.ARN())
	}
	out.Statement = dropResources(out.Statement, keyUse, drop)
	// Containers still in use by a remaining key.
	used := map[string]bool{}
	for _, arn := range keyContentOf(out).keys {
		if i := strings.LastIndex(arn, "/"); i > 0 {
			used[arn[:i]] = true
		}
	}
	var dropContainers []string
	for _, k := range keys {
		if !used[k.ContainerARN()] {
			dropContainers = append(dropContainers, k.ContainerARN())
		}
	}
	out.Statement = dropResources(out.Statement, keyList, dropContainers)
	return out
}

// dropResources removes the drop resources from the statements of one key
// shape, and those statements when no resource is left; other statements
// stay as they are.
func dropResources(stmts []policy.Statement, shape keyShape, drop []string) []policy.Statement {
	kept := stmts[:0]
	for _, s := range stmts {
		if keyShapeOf(s) == shape {
			s.Resource = minus(s.Resource, drop)
			if len(s.Resource) == 0 {
				continue
			}
		}
		kept = append(kept, s)
	}
	return kept
}

// racedContent splits a version of a key policy that someone else made into
// what its keys carry back (the key ARNs of its key-use statements, and the
// kms:List* on their containers, which mergeKeys writes again) and the rest:
// every other statement, and of the key-shaped ones the resources that are
// not such a key or container. The rest is kept as it is (see keepStatements).
func racedContent(d *policy.Document) ([]Key, []policy.Statement) {
	if d == nil {
		return nil, nil
	}
	var keys []Key
	parsed := map[string]bool{}
	containers := map[string]bool{}
	for _, s := range d.Statement {
		if keyShapeOf(s) != keyUse {
			continue
		}
		for _, arn := range s.Resource {
			if k, err := ParseKeyARN(arn); err == nil {
				keys = append(keys, k)
				parsed[arn] = true
				containers[k.ContainerARN()] = true
			}
		}
	}
	var rest []policy.Statement
	for _, s := range d.Statement {
		var carried map[string]bool
		switch keyShapeOf(s) {
		case keyUse:
			carried = parsed
		case keyList:
			carried = containers
		default:
			rest = append(rest, s.Clone())
			continue
		}
		var left policy.Values
		for _, r := range s.Resource {
			if !carried[r] {
				left = append(left, r)
			}
		}
		if len(left) > 0 {
			c := s.Clone()
			c.Resource = left
			rest = append(rest, c)
		}
	}
	return keys, rest
}

// keepStatements returns have with each statement of keep appended that it
// does not hold yet, and how many were appended. A statement is held when
// one of have's statements means the same, or, for the key shapes, when
// have's statements of that shape already name all its resources.
func keepStatements(have *policy.Document, keep []policy.Statement) (*policy.Document, int) {
	out := have.Clone()
	if out == nil {
		out = policy.New()
	}
	if out.Version == "" {
		out.Version = policy.Version
	}
	n := 0
	for _, s := range keep {
		c := keyContentOf(out)
		var named []string
		switch keyShapeOf(s) {
		case keyUse:
			named = c.keys
		case keyList:
			named = c.containers
		}
		if named != nil && !slices.ContainsFunc(s.Resource, func(r string) bool { return !slices.Contains(named, r) }) {
			continue
		}
		if slices.ContainsFunc(out.Statement, s.Equal) {
			continue
		}
		out.Statement = append(out.Statement, s.Clone())
		n++
	}
	return out, n
}
