// This file holds one role's way to RAM: read its state, plan, write, and
// read again to verify, round after round until RAM holds what the grants
// say; and the writes themselves. The batch (batch.go) calls convergeRole;
// it calls down into plan.go, state.go and caller.go.

package encryptperm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// convergeRole runs the read-plan-write-verify loop of one role for the
// grants of a batch, until RAM holds them or Options.MaxRounds runs out.
func (e *engine) convergeRole(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string) (*Result, error) {
	res := &Result{}
	unlock, err := e.lockRole(ctx, w.role)
	if err != nil {
		return res, err
	}
	defer unlock()
	names, bases := w.policyNames(grants), w.bases()
	st, err := e.readRole(ctx, rec, w.role, names, bases)
	if err != nil {
		return res, err
	}
	if stale != nil {
		if fp, ok := stale[strings.ToLower(w.role)]; !ok || fp != st.fingerprint() {
			return res, fmt.Errorf("encryptperm: apply plan for role %q: RAM changed since the plan was made: %w", w.role, ErrStale)
		}
	}
	// Each round reads, plans and writes; the read that follows the writes
	// verifies them. A round whose writes all succeeded but whose next plan
	// is not empty saw someone else's change: it is reported and merged.
	wroteClean := false
	// pending holds the changes of writes whose outcome was unknown until
	// RAM was read again: the next plan tells which of them took effect.
	var pending []Change
	var lastErr error
	for round := 1; ; round++ {
		rp, err := e.planRole(st, w, revoke)
		if err != nil {
			res.Unknown = append(res.Unknown, pending...)
			return res, err
		}
		res.Changes = append(res.Changes, tookEffect(pending, rp.changes)...)
		pending = nil
		if rp.writes() == 0 {
			return res, nil
		}
		if wroteClean {
			res.Conflicts = append(res.Conflicts, fmt.Sprintf("role %s: after our writes RAM still lacked: %s; merged again", st.name, summaries(rp.changes)))
		}
		if round > e.opts.MaxRounds {
			err := fmt.Errorf("encryptperm: converge role %q: still %d change(s) to make after %d rounds (%s): %w", w.role, len(rp.changes), e.opts.MaxRounds, summaries(rp.changes), ErrConflict)
			if lastErr != nil {
				err = fmt.Errorf("%w; last error: %w", err, lastErr)
			}
			return res, err
		}
		unknown, err := e.execute(ctx, rec, rp, res)
		if err != nil && !unknown {
			return res, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return res, ctxErr
		}
		wroteClean = err == nil
		if err != nil {
			lastErr = err
		}
		// Read again every policy this round wrote to, named by the grants
		// or not (a spread can reach a numbered policy that exists but is
		// attached nowhere, left by an earlier run that stopped half-way).
		for _, pw := range rp.policies {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, pw.name) }) {
				names = append(names, pw.name)
			}
		}
		if st, err = e.readRole(ctx, rec, w.role, names, bases); err != nil {
			return res, err
		}
		pending, res.Unknown = res.Unknown, nil
		if len(rp.raced) > 0 {
			var notes []string
			w, notes, err = e.mergeRaced(ctx, rec, w, rp.raced, revoke)
			if err != nil {
				return res, err
			}
			res.Conflicts = append(res.Conflicts, notes...)
			if len(notes) > 0 {
				wroteClean = false // reported already
			}
		}
	}
}

// mergeRaced reads the versions that someone else made between our read of
// a policy and our write of it, which our write replaced as the default.
// For an Apply it returns w wanting their keys and statements too, so that
// the next round writes them back; for a Revoke it only reports them.
func (e *engine) mergeRaced(ctx context.Context, rec *recorder, w *roleWant, raced []racedWrite, revoke bool) (*roleWant, []string, error) {
	type found struct {
		policy, version string
		doc             *policy.Document
	}
	var mu sync.Mutex
	var docs []found
	var fns []func() error
	for _, r := range raced {
		// RAM keeps only the newest few versions; older numbers are gone.
		for n := max(r.from, r.to-e.opts.Limits.VersionsPerPolicy); n < r.to; n++ {
			version := "v" + strconv.Itoa(n)
			fns = append(fns, func() error {
				resp, err := invoke(ctx, e.c, op{action: "GetPolicyVersion", target: r.policy + "/" + version, rec: rec}, func(c RAM, t time.Duration) (*ram.GetPolicyVersionResponse, error) {
					req := ram.CreateGetPolicyVersionRequest()
					setTimeout(req, t)
					req.PolicyName, req.PolicyType, req.VersionId = r.policy, string(Custom), version
					return c.GetPolicyVersion(req)
				})
				if errors.Is(err, ErrNotFound) {
					return nil // deleted since: nothing left to merge
				}
				if err != nil {
					return err
				}
				d, err := policy.Read([]byte(resp.PolicyVersion.PolicyDocument))
				if err != nil {
					return fmt.Errorf("encryptperm: read version %s of policy %q: %w", version, r.policy, err)
				}
				mu.Lock()
				docs = append(docs, found{r.policy, version, d})
				mu.Unlock()
				return nil
			})
		}
	}
	if err := firstErr(parallel(fns...)); err != nil {
		return w, nil, err
	}
	if len(docs) == 0 {
		return w, nil, nil
	}
	slices.SortFunc(docs, func(a, b found) int {
		return strings.Compare(a.policy+"/"+a.version, b.policy+"/"+b.version)
	})
	out := *w
	out.keys = maps.Clone(w.keys)
	out.generic = slices.Clone(w.generic)
	var notes []string
	for _, d := range docs {
		what := "what it added is merged again"
		if revoke {
			what = "what it added may be lost: apply that grant again"
		}
		notes = append(notes, fmt.Sprintf("policy %s: version %s was made by someone else between our read and our write, which replaced it as the default; %s", d.policy, d.version, what))
		if revoke {
			continue
		}
		for _, base := range w.bases() {
			if !inFamily(d.policy, []string{base}) {
				continue
			}
			for _, arn := range keyContentOf(d.doc).keys {
				if k, err := ParseKeyARN(arn); err == nil {
					out.keys[base] = append(slices.Clone(out.keys[base]), k)
				}
			}
		}
		for i, a := range out.generic {
			if strings.EqualFold(a.Name, d.policy) {
				a.Document = mergeStatements(a.Document, d.doc)
				out.generic[i] = a
			}
		}
	}
	return &out, notes, nil
}

// tookEffect returns the changes of pending, whose outcome was unknown, that
// the next plan no longer lists: RAM holds them now.
func tookEffect(pending, next []Change) []Change {
	var out []Change
	for _, c := range pending {
		if !slices.ContainsFunc(next, func(n Change) bool { return n.Action == c.Action && n.Summary == c.Summary }) {
			out = append(out, c)
		}
	}
	return out
}

func summaries(cs []Change) string {
	var s []string
	for _, c := range cs {
		if c.Kind != Note {
			s = append(s, c.Summary)
		}
	}
	return strings.Join(s, "; ")
}

// execute makes a role plan's writes, in as few sequential levels as their
// dependencies allow. It returns unknown=true with the error when a write's
// outcome is unknown (its answer was lost, or it conflicted with something
// that appeared meanwhile): the caller then reads again and plans again.
func (e *engine) execute(ctx context.Context, rec *recorder, rp *rolePlan, res *Result) (unknown bool, err error) {
	var mu sync.Mutex
	var unknownErr error
	// The plan's changes are reported in the plan's order: each write marks
	// the changes it makes as done, or as unknown.
	status := make([]int, len(rp.changes)) // 0 pending, 1 done, 2 unknown
	mark := func(action, policy string, st int) {
		for i, c := range rp.changes {
			if c.Kind == Note || !strings.EqualFold(c.Policy, policy) && policy != "*" {
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
	changeFor := func(action, policy string) key { return key{action, policy} }
	level := func(fns []func() error) error {
		if len(fns) == 0 {
			return nil
		}
		return firstErr(parallel(fns...))
	}
	// Level 1: the role and the policies' contents.
	var l1 []func() error
	switch {
	case rp.createTrust != nil:
		l1 = append(l1, func() error {
			_, err := invoke(ctx, e.c, op{action: "CreateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreateRoleResponse, error) {
				req := ram.CreateCreateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.AssumeRolePolicyDocument, req.Description = rp.role, rp.createTrust.String(), rp.description
				return r.CreateRole(req)
			})
			return fail(changeFor("CreateRole", ""), err)
		})
	case rp.updateTrust != nil:
		l1 = append(l1, func() error {
			_, err := invoke(ctx, e.c, op{action: "UpdateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.UpdateRoleResponse, error) {
				req := ram.CreateUpdateRoleRequest()
				setTimeout(req, t)
				req.RoleName, req.NewAssumeRolePolicyDocument = rp.role, rp.updateTrust.String()
				return r.UpdateRole(req)
			})
			return fail(changeFor("UpdateRole", ""), err)
		})
	}
	for _, pw := range rp.policies {
		l1 = append(l1, func() error {
			if pw.create {
				_, err := invoke(ctx, e.c, op{action: "CreatePolicy", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyResponse, error) {
					req := ram.CreateCreatePolicyRequest()
					setTimeout(req, t)
					req.PolicyName, req.PolicyDocument, req.Description = pw.name, pw.doc.String(), pw.desc
					return r.CreatePolicy(req)
				})
				return fail(changeFor("CreatePolicy", pw.name), err)
			}
			resp, err := invoke(ctx, e.c, op{action: "CreatePolicyVersion", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyVersionResponse, error) {
				req := ram.CreateCreatePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.PolicyDocument = pw.name, pw.doc.String()
				req.SetAsDefault = requests.NewBoolean(true)
				if pw.rotate != "" {
					req.RotateStrategy = "DeleteOldestNonDefaultVersionWhenLimitExceeded"
				}
				return r.CreatePolicyVersion(req)
			})
			if err == nil && pw.nextVer > 0 {
				// RAM numbers versions in sequence: a number past the one
				// expected means someone else made versions meanwhile.
				if got := versionNumber(resp.PolicyVersion.VersionId); got > pw.nextVer {
					mu.Lock()
					rp.raced = append(rp.raced, racedWrite{policy: pw.name, from: pw.nextVer, to: got})
					mu.Unlock()
				}
			}
			return fail(changeFor("CreatePolicyVersion", pw.name), err)
		})
	}
	for _, a := range rp.detach {
		l1 = append(l1, e.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error { return fail(key(k), err) }))
	}
	if err := level(l1); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	// Level 2: attachments (they need the role and the policies).
	var l2 []func() error
	for _, a := range rp.attach {
		l2 = append(l2, func() error {
			err := e.attach(ctx, rec, rp.role, a)
			return fail(changeFor("AttachPolicyToRole", a.name), err)
		})
	}
	for _, v := range rp.deleteVers {
		l2 = append(l2, func() error {
			_, err := invoke(ctx, e.c, op{action: "DeletePolicyVersion", target: v.policy + "/" + v.version, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyVersionResponse, error) {
				req := ram.CreateDeletePolicyVersionRequest()
				setTimeout(req, t)
				req.PolicyName, req.VersionId = v.policy, v.version
				return r.DeletePolicyVersion(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			return fail(key{"DeletePolicyVersion", v.policy}, err)
		})
	}
	if err := level(l2); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	// Level 3 and 4 (revoke): policies, then the role.
	var l3 []func() error
	for _, n := range rp.deletePols {
		l3 = append(l3, func() error {
			_, err := invoke(ctx, e.c, op{action: "DeletePolicy", target: n, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyResponse, error) {
				req := ram.CreateDeletePolicyRequest()
				setTimeout(req, t)
				req.PolicyName = n
				return r.DeletePolicy(req)
			})
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
			return fail(changeFor("DeletePolicy", n), err)
		})
	}
	if err := level(l3); err != nil {
		return false, err
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	if rp.deleteRole {
		_, err := invoke(ctx, e.c, op{action: "DeleteRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeleteRoleResponse, error) {
			req := ram.CreateDeleteRoleRequest()
			setTimeout(req, t)
			req.RoleName = rp.role
			return r.DeleteRole(req)
		})
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err := fail(changeFor("DeleteRole", ""), err); err != nil {
			return false, err
		}
	}
	if unknownErr != nil {
		return true, unknownErr
	}
	return false, nil
}

func (e *engine) detachFn(ctx context.Context, rec *recorder, rp *rolePlan, a attached, fail func(k struct{ action, policy string }, err error) error) func() error {
	return func() error {
		_, err := invoke(ctx, e.c, op{action: "DetachPolicyFromRole", target: rp.role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DetachPolicyFromRoleResponse, error) {
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
func (e *engine) attach(ctx context.Context, rec *recorder, role string, a attached) error {
	deadline := time.Now().Add(e.opts.PropagationWait)
	wait := 100 * time.Millisecond
	for {
		_, err := invoke(ctx, e.c, op{action: "AttachPolicyToRole", target: role + "/" + a.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.AttachPolicyToRoleResponse, error) {
			req := ram.CreateAttachPolicyToRoleRequest()
			setTimeout(req, t)
			req.RoleName, req.PolicyName, req.PolicyType = role, a.name, string(a.typ)
			return r.AttachPolicyToRole(req)
		})
		if codeOf(err) == "EntityAlreadyExists.Role.Policy" {
			return nil
		}
		if !errors.Is(err, ErrNotFound) || time.Now().Add(wait).After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(wait*2, time.Second)
	}
}

// roleLock serializes work on one role within this Applier.
func (e *engine) roleLock(role string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := strings.ToLower(role)
	m, ok := e.roles[k]
	if !ok {
		m = &sync.Mutex{}
		e.roles[k] = m
	}
	return m
}

// lockRole takes the in-process lock and, when configured, the Locker.
func (e *engine) lockRole(ctx context.Context, role string) (func(), error) {
	m := e.roleLock(role)
	got := make(chan struct{})
	go func() { m.Lock(); close(got) }()
	select {
	case <-got:
	case <-ctx.Done():
		go func() { <-got; m.Unlock() }()
		return nil, ctx.Err()
	}
	if e.opts.Locker == nil {
		return m.Unlock, nil
	}
	unlock, err := e.opts.Locker.Lock(ctx, "encryptperm/role/"+strings.ToLower(role))
	if err != nil {
		m.Unlock()
		return nil, err
	}
	return func() { unlock(); m.Unlock() }, nil
}
