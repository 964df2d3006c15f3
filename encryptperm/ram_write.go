// This file holds the writes of one role's plan, level by level as their
// dependencies allow.

package encryptperm

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/internal/parallel"
)

// roleWriter makes the writes of a role's plan.
type roleWriter struct {
	c    *caller
	opts Options
	read *ramReader
}

// execute makes a role plan's writes, in as few sequential levels as their
// dependencies allow. It returns unknown=true with the error when a write's
// outcome is unknown (its answer was lost, or it conflicted with something
// that appeared meanwhile): the caller then reads again and plans again.
//
// It also returns what RAM holds after the writes, as far as their answers
// prove it (see proof): st, the state the plan was made from, with the
// writes' answers applied. What an answer does not carry is read again
// alongside the next level of writes, or in a level of its own when no
// write follows. next is nil when the caller must read RAM again in full:
// an outcome is unknown, a version was numbered past the one expected, a
// read again failed or showed other than what was written, or
// Options.VerifyByReading is set.
func (wr *roleWriter) execute(ctx context.Context, rec *recorder, rp *rolePlan, res *Result, st *roleState) (next *roleState, unknown bool, err error) {
	var mu sync.Mutex
	var unknownErr error
	pf := &proof{read: wr.read, ctx: ctx, rec: rec, next: st.clone(), doubt: wr.opts.VerifyByReading}
	// The plan's changes are reported in the plan's order: each write marks
	// the changes it makes as done, or as unknown.
	status := make([]int, len(rp.changes)) // 0 pending, 1 done, 2 unknown
	mark := func(action, policy string, st int) {
		for i, c := range rp.changes {
			if c.Kind == Note || !strings.EqualFold(c.Policy, policy) {
				continue
			}
			if c.Action == action || action == "CreateRole" && c.Action == "UpdateRole" || action == "DeleteRole" && c.Action == "UpdateRole" {
				status[i] = st
			}
		}
	}
	defer func() {
		for i, c := range rp.changes {
			switch status[i] {
			case 1:
				res.Changes = append(res.Changes, c)
			case 2:
				res.Unknown = append(res.Unknown, c)
			}
		}
	}()
	type key struct{ action, policy string }
	fail := func(k key, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			mark(k.action, k.policy, 1)
			return nil
		}
		if outcomeUnknown(err) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			mark(k.action, k.policy, 2)
			if unknownErr == nil {
				unknownErr = err
			}
			return nil
		}
		return err
	}
	// level runs one level of writes, and with them the reads again that
	// the answers of the level before left to make.
	level := func(fns []func() error) error {
		if len(fns) == 0 {
			return nil
		}
		errs := parallel.Do(append(fns, pf.takeReads()...)...)
		return parallel.First(errs[:len(fns)])
	}
	// Level 1: the role and the policies' contents.
	var l1 []func() error
	switch {
	case rp.createTrust != nil:
		l1 = append(l1, func() error {
			resp, err := invoke(ctx, wr.c, op{action: "CreateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreateRoleResponse, error) {
				req := ram.CreateCreateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.AssumeRolePolicyDocument, req.Description = rp.role, rp.createTrust.String(), rp.description
				return r.CreateRole(req)
			})
			if err == nil {
				pf.createdRole(rp.role, resp.Role.RoleName, resp.Role.AssumeRolePolicyDocument)
			}
			return fail(key{"CreateRole", ""}, err)
		})
	case rp.updateTrust != nil:
		l1 = append(l1, func() error {
			resp, err := invoke(ctx, wr.c, op{action: "UpdateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.UpdateRoleResponse, error) {
				req := ram.CreateUpdateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.NewAssumeRolePolicyDocument = rp.role, rp.updateTrust.String()
				return r.UpdateRole(req)
			})
			if err == nil {
				pf.trust(rp.role, resp.Role.RoleName, resp.Role.AssumeRolePolicyDocument)
			}
			return fail(key{"UpdateRole", ""}, err)
		})
	}
	for _, pw := range rp.policies {
		l1 = append(l1, func() error {
			if pw.create {
				resp, err := invoke(ctx, wr.c, op{action: "CreatePolicy", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyResponse, error) {
					req := ram.CreateCreatePolicyRequest()
					setTimeout(req, t)
					req.PolicyName, req.PolicyDocument, req.Description = pw.name, pw.doc.String(), pw.desc
					return r.CreatePolicy(req)
				})
				if err == nil {
					pf.createdPolicy(pw.name, resp.Policy.PolicyName, resp.Policy.DefaultVersion)
				}
				return fail(key{"CreatePolicy", pw.name}, err)
			}
			resp, err := invoke(ctx, wr.c, op{action: "CreatePolicyVersion", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyVersionResponse, error) {
				req := ram.CreateCreatePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.PolicyDocument = pw.name, pw.doc.String()
				req.SetAsDefault = requests.NewBoolean(true)
				if pw.rotate != "" {
					req.RotateStrategy = "DeleteOldestNonDefaultVersionWhenLimitExceeded"
				}
				return r.CreatePolicyVersion(req)
			})
			if err == nil {
				// RAM numbers versions in sequence: a number past the one
				// expected means someone else made versions meanwhile.
				got := versionNumber(resp.PolicyVersion.VersionId)
				if pw.nextVer > 0 && got > pw.nextVer {
					mu.Lock()
					rp.raced = append(rp.raced, racedWrite{policy: pw.name, from: pw.nextVer, to: got})
					mu.Unlock()
					pf.doubtAll()
				} else {
					pf.newVersion(pw, resp.PolicyVersion.VersionId, resp.PolicyVersion.PolicyDocument)
				}
			}
			return fail(key{"CreatePolicyVersion", pw.name}, err)
		})
	}
	for _, a := range rp.detach {
		l1 = append(l1, wr.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error {
			if err == nil {
				pf.detached(a)
			}
			return fail(key(k), err)
		}))
	}
	if err := level(l1); err != nil {
		return nil, false, err
	}
	if unknownErr != nil {
		return nil, true, unknownErr
	}
	// Level 2: attachments (they need the role and the policies).
	var l2 []func() error
	for _, a := range rp.attach {
		l2 = append(l2, func() error {
			err := wr.attach(ctx, rec, rp.role, a)
			if err == nil {
				pf.attached(a)
			}
			return fail(key{"AttachPolicyToRole", a.name}, err)
		})
	}
	for _, v := range rp.deleteVers {
		l2 = append(l2, func() error {
			_, err := invoke(ctx, wr.c, op{action: "DeletePolicyVersion", target: v.policy + "/" + v.version, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyVersionResponse, error) {
				req := ram.CreateDeletePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.VersionId = v.policy, v.version
				return r.DeletePolicyVersion(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			if err == nil {
				pf.deletedVersion(v)
			}
			return fail(key{"DeletePolicyVersion", v.policy}, err)
		})
	}
	if err := level(l2); err != nil {
		return nil, false, err
	}
	if unknownErr != nil {
		return nil, true, unknownErr
	}
	// Then (apply) the broader policies Options.DetachBroaderPolicies
	// detaches: only now that every write before has succeeded, the narrow
	// policy holding the keys and attached (its answer said so, or the read
	// this round was planned from showed it). A failed or refused write
	// returned above, and leaves the broad policy attached.
	var lDetach []func() error
	for _, a := range rp.detachLast {
		lDetach = append(lDetach, wr.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error {
			if err == nil {
				pf.detached(a)
			}
			return fail(key(k), err)
		}))
	}
	if err := level(lDetach); err != nil {
		return nil, false, err
	}
	if unknownErr != nil {
		return nil, true, unknownErr
	}
	// Level 3 and 4 (revoke): policies, then the role.
	var l3 []func() error
	for _, n := range rp.deletePols {
		l3 = append(l3, func() error {
			_, err := invoke(ctx, wr.c, op{action: "DeletePolicy", target: n, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyResponse, error) {
				req := ram.CreateDeletePolicyRequest()
				setTimeout(req, t)
				req.PolicyName = n
				return r.DeletePolicy(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			if err == nil {
				pf.deletedPolicy(n)
			}
			return fail(key{"DeletePolicy", n}, err)
		})
	}
	if err := level(l3); err != nil {
		return nil, false, err
	}
	if unknownErr != nil {
		return nil, true, unknownErr
	}
	if rp.deleteRole {
		err := level([]func() error{func() error {
			_, err := invoke(ctx, wr.c, op{action: "DeleteRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeleteRoleResponse, error) {
				req := ram.CreateDeleteRoleRequest()
				setTimeout(req, t)
				req.RoleName = rp.role
				return r.DeleteRole(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			if err == nil {
				pf.deletedRole()
			}
			return fail(key{"DeleteRole", ""}, err)
		}})
		if err != nil {
			return nil, false, err
		}
	}
	if unknownErr != nil {
		return nil, true, unknownErr
	}
	// What no later write could carry is read in a level of its own.
	if reads := pf.takeReads(); len(reads) > 0 {
		parallel.Do(reads...)
	}
	return pf.result(), false, nil
}

func (wr *roleWriter) detachFn(ctx context.Context, rec *recorder, rp *rolePlan, a attached, fail func(k struct{ action, policy string }, err error) error) func() error {
	return func() error {
		_, err := invoke(ctx, wr.c, op{action: "DetachPolicyFromRole", target: rp.role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DetachPolicyFromRoleResponse, error) {
			req := ram.CreateDetachPolicyFromRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = rp.role, a.name, string(a.typ)
			return r.DetachPolicyFromRole(req)
		})
		if errors.Is(err, ErrNotFound) {
			err = nil // already detached
		}
		return fail(struct{ action, policy string }{"DetachPolicyFromRole", a.name}, err)
	}
}

// attach attaches a policy, retrying briefly while a just-created role or
// policy is not yet visible; "already attached" is what was meant, so it
// counts as done.
func (wr *roleWriter) attach(ctx context.Context, rec *recorder, role string, a attached) error {
	deadline := time.Now().Add(wr.opts.PropagationWait)
	wait := 100 * time.Millisecond
	// waited bounds the loop too when a test's pause does not take time.
	var waited time.Duration
	for {
		_, err := invoke(ctx, wr.c, op{action: "AttachPolicyToRole", target: role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.AttachPolicyToRoleResponse, error) {
			req := ram.CreateAttachPolicyToRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = role, a.name, string(a.typ)
			return r.AttachPolicyToRole(req)
		})
		if codeOf(err) == "EntityAlreadyExists.Role.Policy" {
			return nil
		}
		if !errors.Is(err, ErrNotFound) || time.Now().Add(wait).After(deadline) || waited+wait > wr.opts.PropagationWait {
			return err
		}
		if err := wr.c.pause(ctx, wait); err != nil {
			return err
		}
		waited += wait
		wait = min(wait*2, time.Second)
	}
}
