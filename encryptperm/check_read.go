// This file holds the reads of Check: the role, its attachments and their
// documents, read directly from a client or through an Applier.

package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/parallel"
)

// checkReads are the RAM reads Check makes. Errors come back as *APIError.
type checkReads interface {
	// together runs independent reads: at once when the reads go through
	// a pool of clients, in order on one client. It returns their errors.
	together(fns ...func() error) []error
	// concurrent reports whether together runs reads at once, so that a
	// read that may prove needless costs no round trip.
	concurrent() bool
	getRole(ctx context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error)
	listPoliciesForRole(ctx context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error)
	getPolicy(ctx context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error)
	getPolicyVersion(ctx context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error)
	describeKey(ctx context.Context, req *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error)
	getKeyPolicy(ctx context.Context, req *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
}

// directReads calls a client once per read.
type directReads struct{ c RAM }

// together runs fns one after another: the client may not be safe for
// concurrent calls.
func (directReads) together(fns ...func() error) []error {
	errs := make([]error, len(fns))
	for i, fn := range fns {
		errs[i] = fn()
	}
	return errs
}

func (directReads) concurrent() bool { return false }

func (d directReads) getRole(_ context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	resp, err := d.c.GetRole(req)
	return resp, wrapError("GetRole", req.RoleName, err)
}

func (d directReads) listPoliciesForRole(_ context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	resp, err := d.c.ListPoliciesForRole(req)
	return resp, wrapError("ListPoliciesForRole", req.RoleName, err)
}

func (d directReads) getPolicy(_ context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	resp, err := d.c.GetPolicy(req)
	return resp, wrapError("GetPolicy", req.PolicyName, err)
}

func (d directReads) getPolicyVersion(_ context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	resp, err := d.c.GetPolicyVersion(req)
	return resp, wrapError("GetPolicyVersion", req.PolicyName+"@"+req.VersionId, err)
}

// engineReads makes Check's reads through an Applier's caller.
type engineReads struct {
	c   *caller
	rec *recorder
}

// together runs fns at once, on the Applier's pool of clients.
func (engineReads) together(fns ...func() error) []error { return parallel.Do(fns...) }

// concurrent reports whether the Applier may run reads at once: a pool of
// one client (NewApplier's) runs them one after another.
func (r engineReads) concurrent() bool { return r.c.pool.max > 1 }

func (r engineReads) getRole(ctx context.Context, req *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	return invoke(ctx, r.c, op{action: "GetRole", target: req.RoleName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetRoleResponse, error) {
		setTimeout(req, t)
		return c.GetRole(req)
	})
}

func (r engineReads) listPoliciesForRole(ctx context.Context, req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	return invoke(ctx, r.c, op{action: "ListPoliciesForRole", target: req.RoleName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.ListPoliciesForRoleResponse, error) {
		setTimeout(req, t)
		return c.ListPoliciesForRole(req)
	})
}

func (r engineReads) getPolicy(ctx context.Context, req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	return invoke(ctx, r.c, op{action: "GetPolicy", target: req.PolicyName, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetPolicyResponse, error) {
		setTimeout(req, t)
		return c.GetPolicy(req)
	})
}

func (r engineReads) getPolicyVersion(ctx context.Context, req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	return invoke(ctx, r.c, op{action: "GetPolicyVersion", target: req.PolicyName + "@" + req.VersionId, rec: r.rec}, func(c RAM, t time.Duration) (*ram.GetPolicyVersionResponse, error) {
		setTimeout(req, t)
		return c.GetPolicyVersion(req)
	})
}

// check reads with the bounds rl: a document beyond them cannot be read.
// The key's policy is read beside the role's first reads; wide is
// Options.KeyPolicyAccountWide.
func check(ctx context.Context, client checkReads, rl policy.Limits, a Access, wide bool) (*Decision, error) {
	a = a.withDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	var (
		rr      *roleRead
		kp      keyPolicyRead
		roleErr error
		kpErr   error
	)
	readRoleFn := func() error { rr, roleErr = readRole(ctx, client, rl, a); return nil }
	readKeyFn := func() error { kp, kpErr = readKeyPolicy(ctx, client, rl, a.Key); return nil }
	if client.concurrent() {
		client.together(readRoleFn, readKeyFn)
	} else if readRoleFn(); roleErr == nil {
		readKeyFn()
	}
	if roleErr != nil {
		return nil, roleErr
	}
	if kpErr != nil {
		return nil, kpErr
	}
	return rr.decide(a, kp, wide), nil
}

// roleRead is what Check reads of an Access's role: enough to decide any
// Access about the same role, whatever its key.
type roleRead struct {
	missing   bool   // the role does not exist
	arn       string // as GetRole gave it, perhaps empty
	trust     *policy.Document
	trustNote string
	policies  []checkPolicy
}

// decide answers a (with defaults, valid) from what was read of its role
// and of its key's policy (kp); wide is Options.KeyPolicyAccountWide.
func (rr *roleRead) decide(a Access, kp keyPolicyRead, wide bool) *Decision {
	if rr.missing {
		return decide(a, "", nil, "", nil, kp, wide)
	}
	if owner := roleOwner(rr.arn); owner != "" {
		a.Owner = owner
	}
	arn := rr.arn
	if arn == "" {
		arn = roleARN(a.Owner, a.Role)
	}
	return decide(a, arn, rr.trust, rr.trustNote, rr.policies, kp, wide)
}

// readRole reads the role of a (with defaults, valid), its attachments and
// their documents, with the bounds rl.
func readRole(ctx context.Context, client checkReads, rl policy.Limits, a Access) (*roleRead, error) {
	if err := ctx.Err(); err != nil {
		return nil, checkEnded(a.Role, err)
	}
	// Through an Applier, the role, its attachments and the library's own
	// policy for the resource type are read at once: in the common case
	// that is all there is to read, the other attachments being system
	// policies of the built-in catalog. On a single client the reads go one
	// after another, and the policy is read only if it is attached.
	var (
		role     *ram.GetRoleResponse
		attached *ram.ListPoliciesForRoleResponse
		roleErr  error
		listErr  error
		own      ram.Policy
		ownRead  *checkPolicy
		ownErr   error
	)
	fns := []func() error{
		func() error {
			getRole := ram.CreateGetRoleRequest()
			getRole.RoleName = a.Role
			role, roleErr = client.getRole(ctx, getRole)
			return nil
		},
		func() error {
			list := ram.CreateListPoliciesForRoleRequest()
			list.RoleName = a.Role
			attached, listErr = client.listPoliciesForRole(ctx, list)
			return nil
		},
	}
	if name := a.ownPolicy(); name != "" && client.concurrent() {
		own = ram.Policy{PolicyName: name, PolicyType: string(Custom)}
		fns = append(fns, func() error {
			cp, err := readCheckPolicy(ctx, client, rl, own)
			ownRead, ownErr = &cp, err
			return nil
		})
	}
	if client.concurrent() {
		client.together(fns...)
	} else if fns[0](); roleErr == nil && ctx.Err() == nil {
		fns[1]()
	}
	if err := ctx.Err(); err != nil {
		return nil, checkEnded(a.Role, err, roleErr, listErr, ownErr)
	}
	if roleErr != nil {
		if errors.Is(roleErr, ErrNotFound) {
			return &roleRead{missing: true}, nil
		}
		return nil, roleErr
	}
	trust, terr := rl.Read([]byte(role.Role.AssumeRolePolicyDocument))
	trustNote := ""
	if terr != nil {
		trust, trustNote = nil, fmt.Sprintf("the trust policy of role %s cannot be read: %v", a.Role, terr)
	}
	if listErr != nil {
		return nil, listErr
	}
	// The attached policies not read yet are read at once, in one more
	// round trip.
	policies := make([]checkPolicy, len(attached.Policies.Policy))
	errs := make([]error, len(policies))
	var rest []func() error
	for i, p := range attached.Policies.Policy {
		if ownRead != nil && PolicyType(p.PolicyType) == Custom && strings.EqualFold(p.PolicyName, own.PolicyName) {
			if ownErr != nil {
				return nil, ownErr
			}
			policies[i] = *ownRead
			policies[i].name = p.PolicyName
			continue
		}
		rest = append(rest, func() error {
			if errs[i] = ctx.Err(); errs[i] == nil {
				policies[i], errs[i] = readCheckPolicy(ctx, client, rl, p)
			}
			return nil
		})
	}
	if len(rest) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, checkEnded(a.Role, err)
		}
		client.together(rest...)
	}
	if err := ctx.Err(); err != nil {
		return nil, checkEnded(a.Role, err)
	}
	if err := parallel.First(errs); err != nil {
		if isContextError(err) {
			return nil, checkEnded(a.Role, err)
		}
		return nil, err
	}
	return &roleRead{arn: role.Role.Arn, trust: trust, trustNote: trustNote, policies: policies}, nil
}

// checkEnded names what Check was doing when the context ended: the call
// it cut off or did not send, when one of calls says, else the role it was
// reading.
func checkEnded(role string, err error, calls ...error) error {
	for _, e := range append([]error{err}, calls...) {
		if e == nil {
			continue
		}
		var ce *callContextError
		var ns *notSentError
		if errors.As(e, &ce) || errors.As(e, &ns) {
			return namedByCall(err, e)
		}
	}
	return &namedContextError{what: fmt.Sprintf("check: read role %q", role), err: err}
}

// ownPolicy returns the name of the custom policy the library gives the
// role of the Access, when the role is the one its resource type implies;
// otherwise "".
func (a Access) ownPolicy() string {
	if !strings.EqualFold(a.Role, a.Resource.RoleName()) {
		return ""
	}
	switch a.Resource {
	case ResourceSnapshot:
		return ShareSnapshotPolicyName
	case ResourceImage:
		return ShareImagePolicyName
	case ResourceDisk:
		return DiskEncryptPolicyName
	}
	return ""
}

// readCheckPolicy reads one attached policy's document.
func readCheckPolicy(ctx context.Context, client checkReads, rl policy.Limits, p ram.Policy) (checkPolicy, error) {
	cp := checkPolicy{name: p.PolicyName, typ: PolicyType(p.PolicyType)}
	if cp.typ == System {
		if d, ok := systemPolicy(p.PolicyName); ok {
			cp.doc = d
			return cp, nil
		}
	}
	get := ram.CreateGetPolicyRequest()
	get.PolicyName = p.PolicyName
	get.PolicyType = p.PolicyType
	resp, err := client.getPolicy(ctx, get)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s: RAM does not know it", cp.typ, p.PolicyName)
			if cp.typ == System {
				cp.note = fmt.Sprintf("system policy %s is neither in the built-in catalog nor readable from RAM", p.PolicyName)
			}
			return cp, nil
		}
		return cp, err
	}
	text := resp.DefaultPolicyVersion.PolicyDocument
	if text == "" {
		version := resp.Policy.DefaultVersion
		if version == "" {
			version = p.DefaultVersion
		}
		gv := ram.CreateGetPolicyVersionRequest()
		gv.PolicyName = p.PolicyName
		gv.PolicyType = p.PolicyType
		gv.VersionId = version
		v, err := client.getPolicyVersion(ctx, gv)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s: its default version %s cannot be read", cp.typ, p.PolicyName, version)
				return cp, nil
			}
			return cp, err
		}
		text = v.PolicyVersion.PolicyDocument
	}
	d, err := rl.Read([]byte(text))
	if err != nil {
		cp.doc, cp.note = unreadablePolicy(), fmt.Sprintf("%s policy %s cannot be read: %v", cp.typ, p.PolicyName, err)
		return cp, nil
	}
	cp.doc = d
	return cp, nil
}
