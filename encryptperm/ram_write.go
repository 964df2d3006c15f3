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
	w := &roleWrite{wr: wr, ctx: ctx, rec: rec, rp: rp, status: make([]int, len(rp.changes)),
		pf: &proof{read: wr.read, ctx: ctx, rec: rec, next: st.clone(), doubt: wr.opts.VerifyByReading}}
	defer w.report(res)
	levels := [][]func() error{
		// The role and the policies' contents.
		w.contents(),
		// Attachments (they need the role and the policies), and the
		// versions a revoke deletes before their policy.
		w.attachments(),
		// Then (apply) the broader policies Options.DetachBroaderPolicies
		// detaches: only now that every write before has succeeded, the
		// narrow policy holding the keys and attached (its answer said so,
		// or the read this round was planned from showed it). A failed or
		// refused write returned before, and leaves the broad policy
		// attached.
		w.detachments(w.rp.detachLast),
		// Revoke: the policies, then the role.
		w.policyDeletions(),
		w.roleDeletion(),
	}
	for _, fns := range levels {
		if err := w.level(fns); err != nil {
			return nil, false, err
		}
		if w.unknownErr != nil {
			return nil, true, w.unknownErr
		}
	}
	// What no later write could carry is read in a level of its own.
	if reads := w.pf.takeReads(); len(reads) > 0 {
		parallel.Do(reads...)
	}
	return w.pf.result(), false, nil
}

// roleWrite is one execute of a role plan's writes.
type roleWrite struct {
	wr  *roleWriter
	ctx context.Context
	rec *recorder
	rp  *rolePlan
	pf  *proof

	mu sync.Mutex
	// status says, for each of the plan's changes, whether its write is
	// pending (0), done (1) or of unknown outcome (2): the changes are
	// reported in the plan's order.
	status     []int
	unknownErr error // the first write whose outcome is unknown
}

// report adds the plan's changes that were made to res.Changes, and those
// of unknown outcome to res.Unknown, in the plan's order.
func (w *roleWrite) report(res *Result) {
	for i, c := range w.rp.changes {
		switch w.status[i] {
		case 1:
			res.Changes = append(res.Changes, c)
		case 2:
			res.Unknown = append(res.Unknown, c)
		}
	}
}

// mark sets the status of the changes a write of action makes to policy.
// The caller holds w.mu.
func (w *roleWrite) mark(action, policy string, st int) {
	for i, c := range w.rp.changes {
		if c.Kind == Note || !strings.EqualFold(c.Policy, policy) {
			continue
		}
		if c.Action == action || action == "CreateRole" && c.Action == "UpdateRole" || action == "DeleteRole" && c.Action == "UpdateRole" {
			w.status[i] = st
		}
	}
}

// done records the outcome of a write of action to policy: done when err
// is nil; unknown, and no error for its level, when the write may have
// been carried out or met a conflict or a missing entity (the caller reads
// again); else err.
func (w *roleWrite) done(action, policy string, err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.mark(action, policy, 1)
		return nil
	}
	if outcomeUnknown(err) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		w.mark(action, policy, 2)
		if w.unknownErr == nil {
			w.unknownErr = err
		}
		return nil
	}
	return err
}

// level runs one level of writes, and with them the reads again that the
// answers of the level before left to make.
func (w *roleWrite) level(fns []func() error) error {
	if len(fns) == 0 {
		return nil
	}
	errs := parallel.Do(append(fns, w.pf.takeReads()...)...)
	return parallel.First(errs[:len(fns)])
}

// roleCall makes one write of the plan.
func roleCall[Resp any](w *roleWrite, action, target string, fn func(r RAM, t time.Duration) (Resp, error)) (Resp, error) {
	return invoke(w.ctx, w.wr.c, op{action: action, target: target, write: true, rec: w.rec}, fn)
}

// contents are the writes of the first level: the role, and the policies'
// contents, and (revoke) the detachments.
func (w *roleWrite) contents() []func() error {
	rp, pf := w.rp, w.pf
	var fns []func() error
	switch {
	case rp.createTrust != nil:
		fns = append(fns, func() error {
			resp, err := roleCall(w, "CreateRole", rp.role, func(r RAM, t time.Duration) (*ram.CreateRoleResponse, error) {
				req := ram.CreateCreateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.AssumeRolePolicyDocument, req.Description = rp.role, rp.createTrust.String(), rp.description
				return r.CreateRole(req)
			})
			if err == nil {
				pf.createdRole(rp.role, resp.Role.RoleName, resp.Role.AssumeRolePolicyDocument)
			}
			return w.done("CreateRole", "", err)
		})
	case rp.updateTrust != nil:
		fns = append(fns, func() error {
			resp, err := roleCall(w, "UpdateRole", rp.role, func(r RAM, t time.Duration) (*ram.UpdateRoleResponse, error) {
				req := ram.CreateUpdateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.NewAssumeRolePolicyDocument = rp.role, rp.updateTrust.String()
				return r.UpdateRole(req)
			})
			if err == nil {
				pf.trust(rp.role, resp.Role.RoleName, resp.Role.AssumeRolePolicyDocument)
			}
			return w.done("UpdateRole", "", err)
		})
	}
	for _, pw := range rp.policies {
		fns = append(fns, func() error { return w.policyWrite(pw) })
	}
	return append(fns, w.detachments(rp.detach)...)
}

// policyWrite makes a new policy, or a new default version of one.
func (w *roleWrite) policyWrite(pw policyWrite) error {
	pf := w.pf
	if pw.create {
		resp, err := roleCall(w, "CreatePolicy", pw.name, func(r RAM, t time.Duration) (*ram.CreatePolicyResponse, error) {
			req := ram.CreateCreatePolicyRequest()
			setTimeout(req, t)
			req.PolicyName, req.PolicyDocument, req.Description = pw.name, pw.doc.String(), pw.desc
			return r.CreatePolicy(req)
		})
		if err == nil {
			pf.createdPolicy(pw.name, resp.Policy.PolicyName, resp.Policy.DefaultVersion)
		}
		return w.done("CreatePolicy", pw.name, err)
	}
	resp, err := roleCall(w, "CreatePolicyVersion", pw.name, func(r RAM, t time.Duration) (*ram.CreatePolicyVersionResponse, error) {
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
			w.mu.Lock()
			w.rp.raced = append(w.rp.raced, racedWrite{policy: pw.name, from: pw.nextVer, to: got})
			w.mu.Unlock()
			pf.doubtAll()
		} else {
			pf.newVersion(pw, resp.PolicyVersion.VersionId, resp.PolicyVersion.PolicyDocument)
		}
	}
	return w.done("CreatePolicyVersion", pw.name, err)
}

// detachments detach the policies as; one already detached counts as done.
func (w *roleWrite) detachments(as []attached) []func() error {
	var fns []func() error
	for _, a := range as {
		fns = append(fns, removal(w, "DetachPolicyFromRole", w.rp.role+"/"+a.name, a.name, func(r RAM, t time.Duration) (*ram.DetachPolicyFromRoleResponse, error) {
			req := ram.CreateDetachPolicyFromRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = w.rp.role, a.name, string(a.typ)
			return r.DetachPolicyFromRole(req)
		}, func() { w.pf.detached(a) }))
	}
	return fns
}

// attachments are the writes of the second level: the attachments, and
// the non-default versions a revoke deletes before their policy.
func (w *roleWrite) attachments() []func() error {
	var fns []func() error
	for _, a := range w.rp.attach {
		fns = append(fns, func() error {
			err := w.wr.attach(w.ctx, w.rec, w.rp.role, a)
			if err == nil {
				w.pf.attached(a)
			}
			return w.done("AttachPolicyToRole", a.name, err)
		})
	}
	for _, v := range w.rp.deleteVers {
		fns = append(fns, removal(w, "DeletePolicyVersion", v.policy+"/"+v.version, v.policy, func(r RAM, t time.Duration) (*ram.DeletePolicyVersionResponse, error) {
			req := ram.CreateDeletePolicyVersionRequest()
			setTimeout(req, t)
			req.PolicyName, req.VersionId = v.policy, v.version
			return r.DeletePolicyVersion(req)
		}, func() { w.pf.deletedVersion(v) }))
	}
	return fns
}

// policyDeletions delete the policies a revoke empties.
func (w *roleWrite) policyDeletions() []func() error {
	var fns []func() error
	for _, n := range w.rp.deletePols {
		fns = append(fns, removal(w, "DeletePolicy", n, n, func(r RAM, t time.Duration) (*ram.DeletePolicyResponse, error) {
			req := ram.CreateDeletePolicyRequest()
			setTimeout(req, t)
			req.PolicyName = n
			return r.DeletePolicy(req)
		}, func() { w.pf.deletedPolicy(n) }))
	}
	return fns
}

// roleDeletion deletes the role a revoke empties, last.
func (w *roleWrite) roleDeletion() []func() error {
	if !w.rp.deleteRole {
		return nil
	}
	return []func() error{removal(w, "DeleteRole", w.rp.role, "", func(r RAM, t time.Duration) (*ram.DeleteRoleResponse, error) {
		req := ram.CreateDeleteRoleRequest()
		setTimeout(req, t)
		req.RoleName = w.rp.role
		return r.DeleteRole(req)
	}, w.pf.deletedRole)}
}

// removal is a write that takes something away: a detachment or a
// deletion, of policy ("" for the role). What is gone already (RAM answers
// that it does not exist) counts as taken away; gone records it in the
// proof.
func removal[Resp any](w *roleWrite, action, target, policy string, call func(r RAM, t time.Duration) (Resp, error), gone func()) func() error {
	return func() error {
		_, err := roleCall(w, action, target, call)
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err == nil {
			gone()
		}
		return w.done(action, policy, err)
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
