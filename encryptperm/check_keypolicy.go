// This file holds KMS key policies in Check and Simulate: reading a key's
// policy (DescribeKey and GetKeyPolicy, side by side), and joining it with
// the role's policies by KMS's rules on each key-use step.

package encryptperm

import (
	"context"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// keyPolicyName is the name of a key's one key policy.
const keyPolicyName = "default"

// keyPolicyRead is what Check knows of a key's KMS key policy.
type keyPolicyRead struct {
	key string           // the key's ARN
	doc *policy.Document // the key policy; nil when the key has none, or it was not read
	// notRead, when not empty, says why the key policy could not be read:
	// the decision then has a step "key policy" that is not allowed, and
	// the key policy might deny any key-use step.
	notRead string
}

// keyPolicyOf returns what Simulate knows of the key policy of a: the
// document a.KeyPolicy gives, or none.
func keyPolicyOf(a Access) keyPolicyRead {
	return keyPolicyRead{key: a.Key.ARN(), doc: a.KeyPolicy}
}

// keyPolicyFrom reads the answers of DescribeKey and GetKeyPolicy for key.
// A key policy KMS gave is read faithfully within rl. When GetKeyPolicy
// failed, the key has none only if DescribeKey says it is in no KMS
// instance, or that KMS does not find it; otherwise the key policy is not
// read, and the reason says why.
func keyPolicyFrom(key Key, rl policy.Limits, desc *kms.DescribeKeyResponse, descErr error, get *kms.GetKeyPolicyResponse, getErr error) keyPolicyRead {
	kp := keyPolicyRead{key: key.ARN()}
	if getErr == nil {
		doc, err := rl.Read([]byte(get.Policy))
		if err != nil {
			kp.notRead = fmt.Sprintf("key policy not read: KMS's key policy of %s cannot be read: %v", kp.key, err)
			return kp
		}
		kp.doc = doc
		return kp
	}
	switch {
	case descErr == nil && desc != nil && desc.KeyMetadata.DKMSInstanceId == "":
		// A key of the default kind: it has no key policy.
	case descErr != nil && keyMissing(descErr):
		// No key, no key policy; whether ECS can use a key that is not
		// there is the key's state, not its policy.
	default:
		kp.notRead = fmt.Sprintf("key policy not read: %v", getErr)
	}
	return kp
}

// noKeyPolicyReader is the error of a KMS client without GetKeyPolicy.
func noKeyPolicyReader(key string) error {
	return &clientError{"GetKeyPolicy", key, "has no GetKeyPolicy method (see KMS)"}
}

// describeKeyRequest and getKeyPolicyRequest name key by its ARN, which KMS
// takes for a key of any account.
func describeKeyRequest(key Key) *kms.DescribeKeyRequest {
	req := kms.CreateDescribeKeyRequest()
	req.RegionId, req.KeyId = key.Region, key.ARN()
	return req
}

func getKeyPolicyRequest(region, keyID string) *kms.GetKeyPolicyRequest {
	req := kms.CreateGetKeyPolicyRequest()
	req.RegionId, req.KeyId, req.PolicyName = region, keyID, keyPolicyName
	return req
}

// readKeyPolicy reads key's policy through client: DescribeKey and
// GetKeyPolicy together when it runs reads at once. Only the end of ctx is
// an error; a failed read is a key policy not read.
func readKeyPolicy(ctx context.Context, client checkReads, rl policy.Limits, key Key) (keyPolicyRead, error) {
	var (
		desc    *kms.DescribeKeyResponse
		get     *kms.GetKeyPolicyResponse
		descErr error
		getErr  error
	)
	client.together(
		func() error { desc, descErr = client.describeKey(ctx, describeKeyRequest(key)); return nil },
		func() error {
			get, getErr = client.getKeyPolicy(ctx, getKeyPolicyRequest(key.Region, key.ARN()))
			return nil
		},
	)
	if err := ctx.Err(); err != nil {
		return keyPolicyRead{}, err
	}
	return keyPolicyFrom(key, rl, desc, descErr, get, getErr), nil
}

func (d directReads) describeKey(_ context.Context, req *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	c, ok := d.c.(KMS)
	if !ok {
		return nil, &clientError{"DescribeKey", req.KeyId, "has no DescribeKey method (see KMS)"}
	}
	resp, err := c.DescribeKey(req)
	return resp, wrapError("DescribeKey", req.KeyId, err)
}

func (d directReads) getKeyPolicy(_ context.Context, req *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	c, ok := d.c.(keyPolicyReader)
	if !ok {
		return nil, noKeyPolicyReader(req.KeyId)
	}
	resp, err := c.GetKeyPolicy(req)
	return resp, wrapError("GetKeyPolicy", req.KeyId, err)
}

func (r engineReads) describeKey(ctx context.Context, req *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	return svcCall(ctx, r.c, r.rec, "DescribeKey", req.KeyId, false, func(b *backends, t time.Duration) (*kms.DescribeKeyResponse, error) {
		if b.kms == nil {
			return nil, &clientError{"DescribeKey", req.KeyId, "has no KMS backend"}
		}
		setTimeout(req, t)
		return b.kms.DescribeKey(req)
	})
}

func (r engineReads) getKeyPolicy(ctx context.Context, req *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	return svcCall(ctx, r.c, r.rec, "GetKeyPolicy", req.KeyId, false, func(b *backends, t time.Duration) (*kms.GetKeyPolicyResponse, error) {
		kc, ok := b.kms.(keyPolicyReader)
		if !ok {
			return nil, noKeyPolicyReader(req.KeyId)
		}
		setTimeout(req, t)
		return kc.GetKeyPolicy(req)
	})
}

// keyPolicyEval joins a key policy with the role's policies on the key-use
// steps of one decision.
type keyPolicyEval struct {
	read        keyPolicyRead
	ps          *policy.PolicySet // the key policy as KMS reads it
	raw         *policy.PolicySet // as written, when acs:ram::<uid>:* was read as the account
	rewritten   map[int]string    // statement index -> the account's principal read so
	names       []checkPolicy     // what the key policy's statements are called
	role        string            // the role's ARN, the principal KMS sees
	keyOwner    string
	sameAccount bool
	wide        bool
}

// newKeyPolicyEval returns the evaluation of kp on the key-use steps of a,
// whose role is roleARN; nil when the key has no key policy.
func newKeyPolicyEval(kp keyPolicyRead, a Access, roleARN string, wide bool) *keyPolicyEval {
	doc := kp.doc
	note := ""
	if kp.notRead != "" {
		doc, note = unreadablePolicy(), kp.notRead
	}
	if doc == nil {
		return nil
	}
	e := &keyPolicyEval{
		read: kp, role: roleARN, keyOwner: a.Key.Owner, sameAccount: a.Key.Owner == a.Owner, wide: wide,
		names: []checkPolicy{{key: kp.key, note: note}},
	}
	evalDoc := doc
	if !wide && kp.notRead == "" {
		evalDoc, e.rewritten = policy.AccountsAsThemselves(doc)
		if len(e.rewritten) > 0 {
			e.raw = policy.Compile(doc)
		}
	}
	e.ps = policy.Compile(evalDoc)
	return e
}

// join joins the key policy with the role's policies on st, a key-use step
// whose request to the role's policies was req, answered res by ps. KMS's
// rules: an explicit Deny in either denies; otherwise, for a role of the
// key's own account, an Allow in either allows, and for a role of another
// account both must allow; a Deny either might hold leaves it uncertain.
func (e *keyPolicyEval) join(st *Step, ps *policy.PolicySet, req *policy.Request, res policy.EvalResult, d *Decision) {
	kreq := &policy.Request{Action: req.Action, Resource: req.Resource, Principal: policy.RequestPrincipal{RAM: e.role}, Owner: e.keyOwner}
	kres := e.ps.Eval(kreq)
	var ks Step
	explainStep(&ks, e.ps, kreq, kres, e.names, d)
	st.Notes = append(st.Notes, ks.Notes...)
	for _, k := range ks.Uncertain {
		st.Uncertain = appendUnique(st.Uncertain, k)
	}
	e.noteAccountReading(st, kreq)
	switch {
	case res.Verdict == policy.VerdictExplicitDeny:
		return
	case kres.Verdict == policy.VerdictExplicitDeny:
		st.Verdict, st.Allowed, st.By = policy.VerdictExplicitDeny, false, ks.By
		st.Reason = fmt.Sprintf("explicitly denied by %s", ks.By)
		return
	}
	ramAllow, keyAllow := res.Verdict == policy.VerdictAllow, kres.Verdict == policy.VerdictAllow
	ramMayDeny := ramAllow && res.Doubt.Valid() || !ramAllow && ps.MayDeny(req)
	keyMayDeny := keyAllow && kres.Doubt.Valid() || !keyAllow && e.ps.MayDeny(kreq)
	allow := ramAllow || keyAllow
	if !e.sameAccount {
		allow = ramAllow && keyAllow
	}
	st.Verdict = policy.VerdictImplicitDeny
	if allow {
		st.Verdict = policy.VerdictAllow
	}
	st.Allowed = allow && !ramMayDeny && !keyMayDeny
	switch {
	case ramAllow && keyAllow:
		st.Reason = fmt.Sprintf("allowed by %s and by %s", st.By, ks.By)
	case ramAllow && e.sameAccount:
		// The role's policy suffices in the key's own account.
	case keyAllow && e.sameAccount:
		st.By = ks.By
		st.Reason = fmt.Sprintf("allowed by %s; no attached policy allows it, and a role of the key's own account needs none", ks.By)
	case ramAllow:
		st.Reason = fmt.Sprintf("%s allows it, but key %s is of account %s, whose key policy must allow a role of another account too, and no statement of it does", st.By, e.read.key, e.keyOwner)
		st.By = nil
	case keyAllow:
		st.Reason = fmt.Sprintf("%s allows it, but a role of another account (%s) also needs an attached policy that allows it, and none does", ks.By, d.Access.Owner)
	default:
		st.Reason += ", nor does the key policy of " + e.read.key
	}
}

// noteAccountReading notes on st each Allow of the key policy that names
// the role's account as acs:ram::<uid>:* and would apply were it read as
// every identity of the account.
func (e *keyPolicyEval) noteAccountReading(st *Step, kreq *policy.Request) {
	if e.raw == nil {
		return
	}
	for _, o := range e.raw.Explain(kreq) {
		v, ok := e.rewritten[o.Ref.Statement]
		if !ok || o.Applies == policy.MatchNo {
			continue
		}
		ref := StatementRef{Key: e.read.key, Index: o.Ref.Statement}
		st.Notes = append(st.Notes, fmt.Sprintf("%s names %s, read as the account itself: it leaves the decision to the account's RAM policies and allows no role by itself (Options.KeyPolicyAccountWide reads it as every identity of the account)", ref, v))
	}
}

// addKeyPolicyStep adds to d the step of a key policy that could not be
// read.
func addKeyPolicyStep(d *Decision, kp keyPolicyRead) {
	if kp.notRead == "" {
		return
	}
	d.Steps = append(d.Steps, Step{Action: "key policy", Resource: kp.key, Verdict: policy.VerdictImplicitDeny, Reason: kp.notRead})
	d.Unreadable = appendUnique(d.Unreadable, "key policy of "+kp.key)
}

// isKeyPolicyDenial reports whether a step was denied by a key policy.
func isKeyPolicyDenial(s Step) bool {
	return s.Verdict == policy.VerdictExplicitDeny && s.By != nil && s.By.Key != ""
}
