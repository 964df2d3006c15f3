// This file holds Check of a named image or snapshot: its keys, found and
// read, judged as Check judges a key, and whether it is shared with the
// recipient.

package encryptperm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/parallel"
	"github.com/ecsperm/ecsperm/internal/share"
)

// resourceCheck answers an Access that names an image or a snapshot.
type resourceCheck struct {
	c     *caller
	opts  Options
	share *shareTarget
}

// checkShared answers an Access that names a resource: the key's steps as
// Check answers them (the key found when not given), then the share.
func (rc *resourceCheck) checkShared(ctx context.Context, a Access) (*Decision, error) {
	var p problems
	if a.Region == "" {
		a.Region = a.Key.Region
	}
	r := Resource{Type: a.Resource, Region: a.Region, ID: a.ResourceID}
	kind := KindShareImage
	if a.Resource == ResourceSnapshot {
		kind = KindShareSnapshot
	} else if a.Resource != ResourceImage {
		p.add("Resource", string(a.Resource), "a named resource is an image or a snapshot")
	}
	checkResources(&p, kind, []Resource{r})
	checkAccount(&p, "Recipient", a.Recipient)
	if err := p.err("access"); err != nil {
		return nil, err
	}
	g := share.Grant{Resources: []share.Resource{shareResource(r)}}
	if a.RDID != "" {
		g.Directories = []string{a.RDID}
	}
	rec := &recorder{}
	step := rc.share.step(rec)
	w, err := step.Inspect(ctx, "access", g, a.Key.ID)
	if _, refused := err.(*share.Refusal); refused {
		return nil, shareError(err)
	}
	if err != nil {
		return nil, ctxOr(ctx, err)
	}
	if !w.Found {
		return nil, accessRefusal("ResourceID", r.ID, true, "no %s with this ID in %s (Describe%ss found none)", r.Type, r.Region, strings.ToUpper(string(r.Type[:1]))+string(r.Type[1:]))
	}
	if w.ServiceKey {
		return nil, accessRefusal("ResourceID", r.ID, false, "%s", serviceKeyReason(kind))
	}
	if w.KeyUnknown {
		return nil, accessRefusal("ResourceID", r.ID, false, "%s; Check cannot judge a key nobody can name", w.UnknownKeyReason())
	}
	if a.Key.ID != "" && w.Encrypted && !slices.Contains(w.KeyIDs, a.Key.ID) {
		return nil, accessRefusal("Key", a.Key.ARN(), false, "the %s %s is encrypted with key %s, not %s", r.Type, r.ID, strings.Join(w.KeyIDs, ", "), a.Key.ID)
	}
	var d *Decision
	if w.Encrypted {
		var err error
		if d, a, err = rc.checkKeys(ctx, rec, step, r, a, w); err != nil {
			return nil, err
		}
	} else {
		a = a.withDefaults()
		d = &Decision{Access: a, Principal: a.principal(), Allowed: true, Reason: fmt.Sprintf("the %s is not encrypted: no role and no key are needed", r)}
	}
	reach := w.ReachOf(a.Recipient, a.RDID, a.RDPath)
	st := Step{Action: "share", Resource: r.String(), Allowed: reach.Shared, Reason: reach.Reason}
	addStep(d, st, "share")
	d.Shared, d.SharePending, d.ResourceShareID = reach.Shared, reach.Pending, reach.ShareID
	return d, nil
}

// accessRefusal is a Check that what the account holds refuses, in the
// terms of Apply's pre-flight: a *ValidationError of the access with the
// problem's path (ResourceID or Key), which wraps ErrNotFound too when
// something the question names does not exist.
func accessRefusal(path, value string, notFound bool, reason string, args ...any) error {
	verr := invalid("access", path, value, reason, args...).(*ValidationError)
	if notFound {
		return &preflightError{verr, []error{ErrNotFound}}
	}
	return &preflightError{ValidationError: verr}
}

// checkKeys answers a for each key of an encrypted resource (an image's
// data disks may have keys of their own): allowed only if every key is,
// and only if KMS holds every key, Enabled. Each key is judged as KMS names
// it (DescribeKey's ARN), not as the question does: a Key or Owner in a
// that names it otherwise (another region or account) is a step "key ARN"
// that is not allowed, with both ARNs in its reason. It returns the
// decision and the access of its first question.
func (rc *resourceCheck) checkKeys(ctx context.Context, rec *recorder, step *share.Step, r Resource, a Access, w *share.Inspection) (*Decision, Access, error) {
	kr, err := rc.readKeys(ctx, rec, step, r, a, w)
	if err != nil {
		return nil, a, err
	}
	var d *Decision
	first := a
	for i := range w.KeyIDs {
		q := a
		q.Key = kr.named[i]
		q = q.withDefaults()
		if err := q.validate(); err != nil {
			return nil, a, err
		}
		di := kr.role.decide(q, kr.keyPolicy(i, q.Key), rc.opts.KeyPolicyAccountWide)
		if len(w.KeyIDs) > 1 && !di.Allowed && di.Reason != "" {
			// Say which disk key the answer is about.
			di.Reason = fmt.Sprintf("For key %s, one of the keys of the %s's disks: %s%s", q.Key.ARN(), r.Type, strings.ToLower(di.Reason[:1]), di.Reason[1:])
		}
		if i == 0 {
			d, first = di, q
		} else {
			mergeDecision(d, di)
		}
	}
	for i, id := range w.KeyIDs {
		m, k := kr.metas[i], kr.named[i]
		if m != nil && rc.share.cfg.ServiceManaged(m.Creator) {
			return nil, a, accessRefusal("ResourceID", r.ID, false, "the %s is encrypted with key %s, which %s manages: %s", r.Type, id, m.Creator, serviceKeyReason(shareKind(r.Type)))
		}
		st := Step{Action: "key state", Resource: k.ARN()}
		switch {
		case m == nil:
			st.Reason = fmt.Sprintf("KMS does not find key %s in %s", id, r.Region)
		case m.State != "Enabled":
			st.Reason = fmt.Sprintf("key %s is %s, not Enabled: ECS cannot use it", id, m.State)
		default:
			st.Allowed, st.Reason = true, fmt.Sprintf("key %s is Enabled", id)
		}
		if !st.Allowed {
			addStep(d, st, "key state")
		}
		if m == nil {
			continue // no ARN to hold the question's to
		}
		if why := keyMismatch(a, r, k); why != "" {
			addStep(d, Step{Action: "key ARN", Resource: k.ARN(), Reason: why}, "key ARN")
		}
	}
	return d, first, nil
}

// keyReading is what Check read of a resource's keys and of the role.
type keyReading struct {
	metas []*share.KeyMeta // by key of w.KeyIDs; nil: KMS does not find it
	named []Key            // as KMS names them
	role  *roleRead
	// The answers of GetKeyPolicy, by key of w.KeyIDs.
	policies  []*kms.GetKeyPolicyResponse
	policyErr []error
	limits    policy.Limits
}

// keyPolicy returns what was read of the policy of the i-th key, named k.
func (kr *keyReading) keyPolicy(i int, k Key) keyPolicyRead {
	var desc *kms.DescribeKeyResponse
	var descErr error
	if m := kr.metas[i]; m != nil {
		desc = &kms.DescribeKeyResponse{KeyMetadata: kms.KeyMetadata{Arn: m.ARN, DKMSInstanceId: m.Instance}}
	} else {
		descErr = &APIError{Action: "DescribeKey", Target: k.ID, Code: "Forbidden.KeyNotFound", kind: ErrNotFound}
	}
	return keyPolicyFrom(k, kr.limits, desc, descErr, kr.policies[i], kr.policyErr[i])
}

// readKeys reads the keys' metadata and the role: beside each other when
// the keys' owner is known, the keys first otherwise (the owner comes from
// a key's ARN).
func (rc *resourceCheck) readKeys(ctx context.Context, rec *recorder, step *share.Step, r Resource, a Access, w *share.Inspection) (*keyReading, error) {
	owner := cmp.Or(a.Owner, w.Owner)
	n := len(w.KeyIDs)
	kr := &keyReading{named: make([]Key, n), policies: make([]*kms.GetKeyPolicyResponse, n), policyErr: make([]error, n), limits: rc.opts.Limits.Read}
	reads := engineReads{c: rc.c, rec: rec}
	// Each key's policy is read beside its metadata: the key's ID and the
	// resource's region name it.
	describe := func() error {
		fns := []func() error{func() error {
			var err error
			kr.metas, err = step.DescribeKeys(ctx, r.Region, w.KeyIDs)
			return err
		}}
		for i, id := range w.KeyIDs {
			fns = append(fns, func() error {
				kr.policies[i], kr.policyErr[i] = reads.getKeyPolicy(ctx, getKeyPolicyRequest(r.Region, id))
				return nil
			})
		}
		return parallel.All(fns...)
	}
	// parse reads the ARNs KMS gave; a key KMS does not find keeps the
	// name the resource's region and the owner give it (its state step
	// says why it fails).
	parse := func() error {
		for i, m := range kr.metas {
			if m == nil {
				kr.named[i] = Key{Region: r.Region, Owner: owner, ID: w.KeyIDs[i]}
				continue
			}
			k, err := ParseKeyARN(m.ARN)
			if err != nil || k.ID != w.KeyIDs[i] {
				return accessRefusal("ResourceID", r.ID, false, "KMS answered the ARN %q for key %s, which is not that key's ARN", m.ARN, w.KeyIDs[i])
			}
			kr.named[i] = k
		}
		return nil
	}
	// The role's reads depend on the role's name only, not on the key.
	readFirst := func() error {
		q := a.withDefaults()
		q.Key = Key{Region: r.Region, Owner: cmp.Or(owner, kr.named[0].Owner), ID: w.KeyIDs[0]}
		if err := q.validate(); err != nil {
			return err
		}
		var err error
		kr.role, err = readRole(ctx, reads, rc.opts.Limits.Read, q)
		return err
	}
	if owner != "" {
		if err := parallel.All(describe, readFirst); err != nil {
			return nil, ctxOr(ctx, err)
		}
		return kr, parse()
	}
	if err := describe(); err != nil {
		return nil, ctxOr(ctx, err)
	}
	for _, m := range kr.metas {
		if m == nil {
			continue
		}
		if k, err := ParseKeyARN(m.ARN); err == nil {
			owner = k.Owner
			break
		}
	}
	if owner == "" && !slices.ContainsFunc(kr.metas, func(m *share.KeyMeta) bool { return m != nil }) {
		return nil, accessRefusal("ResourceID", r.ID, true, "the %s is encrypted with key %s, which KMS does not find in %s", r.Type, strings.Join(w.KeyIDs, ", "), r.Region)
	}
	if err := parse(); err != nil {
		return nil, err
	}
	if err := readFirst(); err != nil {
		return nil, err
	}
	return kr, nil
}

// keyMismatch says how the question a names the key k of resource r other
// than KMS does (k is KMS's ARN), or "". The question's Key counts when it
// names k's ID, its Owner when it is given; KMS's key must be in r's
// region, where ECS looks for it.
func keyMismatch(a Access, r Resource, k Key) string {
	var why []string
	if a.Key.ID == k.ID && (a.Key.Region != "" && a.Key.Region != k.Region || a.Key.Owner != "" && a.Key.Owner != k.Owner) {
		why = append(why, fmt.Sprintf("the question names key %s, but KMS names the %s's key %s", a.Key.ARN(), r.Type, k.ARN()))
	}
	if a.Owner != "" && a.Owner != k.Owner {
		why = append(why, fmt.Sprintf("the question's owner %s makes the key %s, but KMS names the %s's key %s", a.Owner, Key{Region: k.Region, Owner: a.Owner, ID: k.ID}.ARN(), r.Type, k.ARN()))
	}
	if k.Region != r.Region {
		why = append(why, fmt.Sprintf("KMS names the %s's key %s, in %s, but the %s is in %s: ECS uses a key of the resource's own region", r.Type, k.ARN(), k.Region, r.Type, r.Region))
	}
	return strings.Join(why, "; ")
}

// addStep adds st to d; a step not allowed makes d not allowed, says why,
// and adds missing to d.Missing.
func addStep(d *Decision, st Step, missing string) {
	d.Steps = append(d.Steps, st)
	if st.Allowed && d.Allowed {
		d.Reason = strings.TrimSuffix(d.Reason, ".") + "; " + st.Reason + "."
	}
	if !st.Allowed {
		if d.Allowed {
			d.Reason = st.Reason
		} else {
			d.Reason = strings.TrimSuffix(d.Reason, ".") + "; and " + st.Reason
		}
		d.Allowed = false
		d.Missing = append(d.Missing, missing)
	}
}

// mergeDecision adds to d the key steps of another key's decision (its
// assume-role step is d's own).
func mergeDecision(d, o *Decision) {
	for _, st := range o.Steps {
		if st.Action != "sts:AssumeRole" {
			d.Steps = append(d.Steps, st)
		}
	}
	for _, m := range o.Missing {
		if !slices.Contains(d.Missing, m) {
			d.Missing = append(d.Missing, m)
		}
	}
	d.Uncertain = append(d.Uncertain, o.Uncertain...)
	d.Unreadable = append(d.Unreadable, o.Unreadable...)
	if d.Allowed && !o.Allowed {
		d.Allowed, d.Reason = false, o.Reason
	}
}
