// This file holds one role's way to RAM: read its state, plan, write, and
// verify the writes from their answers (reading again only what an answer
// leaves out), round after round until RAM holds what the grants say; and
// the writes themselves. The batch (batch.go) calls convergeRole;
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
	locked, unlock, err := e.lockRole(ctx, w.role)
	if err != nil {
		return &Result{}, err
	}
	defer unlock()
	res, err := e.convergeLocked(locked, rec, w, grants, revoke, stale, nil)
	return res, lockErr(ctx, locked, w.role, err)
}

// convergeLocked is convergeRole once the role's locks are held. st, when
// not nil, is the role's state read under those locks with the policy
// names and families of w and grants (see prefetch); nil reads it.
func (e *engine) convergeLocked(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string, st *roleState) (*Result, error) {
	res := &Result{}
	names, bases := w.policyNames(grants), w.bases()
	if st == nil {
		var err error
		if st, err = e.readRole(ctx, rec, w.role, names, bases); err != nil {
			return res, err
		}
	}
	if stale != nil {
		if fp, ok := stale[strings.ToLower(w.role)]; !ok || fp != st.fingerprint() {
			return res, fmt.Errorf("encryptperm: apply plan for role %q: RAM changed since the plan was made: %w", w.role, ErrStale)
		}
	}
	// Each round plans and writes. The writes' answers, with the reads
	// made beside them for what the answers leave out, verify them and
	// give the next round's state; RAM is read again in full only when
	// they cannot (an unknown outcome, a raced version, VerifyByReading).
	// A round whose writes all succeeded but whose next plan is not empty
	// saw someone else's change: it is reported and merged.
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
		proven, unknown, err := e.execute(ctx, rec, rp, res, st)
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
		if proven != nil {
			// The answers (and the reads made beside the writes) prove
			// what RAM holds now: no read of its own is needed.
			st = proven
			continue
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
// For an Apply it returns w wanting their keys too, and keeping their other
// statements (see racedContent), so that the next round writes them back;
// for a Revoke it only reports them.
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
	out.kept = maps.Clone(w.kept)
	if out.kept == nil {
		out.kept = map[string][]policy.Statement{}
	}
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
			keys, rest := racedContent(d.doc)
			out.keys[base] = append(slices.Clone(out.keys[base]), keys...)
			if len(rest) > 0 {
				k := strings.ToLower(d.policy)
				out.kept[k] = append(slices.Clone(out.kept[k]), rest...)
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
//
// It also returns what RAM holds after the writes, as far as their answers
// prove it (see proof): st, the state the plan was made from, with the
// writes' answers applied. What an answer does not carry is read again
// alongside the next level of writes, or in a level of its own when no
// write follows. next is nil when the caller must read RAM again in full:
// an outcome is unknown, a version was numbered past the one expected, a
// read again failed or showed other than what was written, or
// Options.VerifyByReading is set.
func (e *engine) execute(ctx context.Context, rec *recorder, rp *rolePlan, res *Result, st *roleState) (next *roleState, unknown bool, err error) {
	var mu sync.Mutex
	var unknownErr error
	pf := &proof{e: e, ctx: ctx, rec: rec, next: st.clone(), doubt: e.opts.VerifyByReading}
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
		errs := parallel(append(fns, pf.takeReads()...)...)
		return firstErr(errs[:len(fns)])
	}
	// Level 1: the role and the policies' contents.
	var l1 []func() error
	switch {
	case rp.createTrust != nil:
		l1 = append(l1, func() error {
			resp, err := invoke(ctx, e.c, op{action: "CreateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreateRoleResponse, error) {
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
			resp, err := invoke(ctx, e.c, op{action: "UpdateRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.UpdateRoleResponse, error) {
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
				resp, err := invoke(ctx, e.c, op{action: "CreatePolicy", target: pw.name, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.CreatePolicyResponse, error) {
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
		l1 = append(l1, e.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error {
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
			err := e.attach(ctx, rec, rp.role, a)
			if err == nil {
				pf.attached(a)
			}
			return fail(key{"AttachPolicyToRole", a.name}, err)
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
		lDetach = append(lDetach, e.detachFn(ctx, rec, rp, a, func(k struct{ action, policy string }, err error) error {
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
			_, err := invoke(ctx, e.c, op{action: "DeletePolicy", target: n, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeletePolicyResponse, error) {
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
			_, err := invoke(ctx, e.c, op{action: "DeleteRole", target: rp.role, write: true, rec: rec}, func(r RAM, t time.Duration) (*ram.DeleteRoleResponse, error) {
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
		parallel(reads...)
	}
	return pf.result(), false, nil
}

// proof is what a role's writes proved of RAM's state: the state the plan
// was made from, with the writes applied as their answers show them.
// CreateRole and UpdateRole answer with the role and its trust policy as
// stored; CreatePolicyVersion with the version, and its document as stored
// (RAM's API reference lists PolicyVersion.PolicyDocument among its answer's
// elements; an older example leaves it out, so an answer without it is read
// again);
// Attach, Detach and the deletions succeed or fail. CreatePolicy answers
// without the document, so the policy is read again (GetPolicy), as is
// whatever an answer left out: those reads wait in reads for the next level.
//
// A writer who comes after the last write is not seen, with or without the
// reads: only Options.Locker rules that out.
type proof struct {
	e   *engine
	ctx context.Context
	rec *recorder

	mu    sync.Mutex
	next  *roleState
	reads []func() error
	// doubt is set when the state cannot be told from the answers: the
	// caller reads RAM again in full.
	doubt bool
}

// takeReads returns the reads waiting for a level, and forgets them. In
// doubt there are none: the caller reads RAM again in full anyway.
func (p *proof) takeReads() []func() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.reads
	p.reads = nil
	if p.doubt {
		return nil
	}
	return out
}

// doubtAll puts the proof in doubt, and drops the reads waiting for a
// level: what they would show is read again in full.
func (p *proof) doubtAll() {
	p.mu.Lock()
	p.doubt = true
	p.reads = nil
	p.mu.Unlock()
}

// result returns the proven state, or nil when in doubt.
func (p *proof) result() *roleState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.doubt {
		return nil
	}
	return p.next
}

// createdRole records a new role: its trust policy, and nothing attached.
func (p *proof) createdRole(asked, name, trust string) {
	p.mu.Lock()
	p.next.attached = nil
	p.mu.Unlock()
	p.trust(asked, name, trust)
}

// trust records the trust policy a CreateRole or UpdateRole answer carries,
// or has it read again when the answer has none.
func (p *proof) trust(asked, name, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.exists = true
	if name != "" {
		p.next.name = name
	}
	if text != "" {
		if d, err := policy.Read([]byte(text)); err == nil {
			p.next.trust = d
			return
		}
	}
	if p.doubt {
		return // RAM is read again in full
	}
	p.reads = append(p.reads, func() error {
		name, d, exists, err := p.e.readTrust(p.ctx, p.rec, asked)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || !exists {
			p.doubt = true
			return nil
		}
		p.next.name, p.next.trust = name, d
		return nil
	})
}

// policy returns the proven state of a policy, added to next if missing.
// The caller holds p.mu.
func (p *proof) policy(name string) *policyState {
	k := strings.ToLower(name)
	ps, ok := p.next.policies[k]
	if !ok {
		ps = &policyState{name: name}
		p.next.policies[k] = ps
	}
	return ps
}

// createdPolicy records a new policy, whose document CreatePolicy's answer
// does not carry: it is read again, and must be the version the answer
// names.
func (p *proof) createdPolicy(asked, name, version string) {
	if version == "" {
		version = "v1"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.policy(asked)
	if name != "" {
		ps.name = name
	}
	ps.exists, ps.doc, ps.defaultVersion = true, nil, version
	ps.versions = []ram.PolicyVersion{{VersionId: version, IsDefaultVersion: true}}
	p.readDefault(asked, version)
}

// newVersion records a new default version: the one the cap forced out is
// gone, and the document is the answer's, or read again when the answer has
// none.
func (p *proof) newVersion(pw policyWrite, version, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version == "" {
		p.doubt = true
		return
	}
	ps := p.policy(pw.name)
	vs := make([]ram.PolicyVersion, 0, len(ps.versions)+1)
	for _, v := range ps.versions {
		if pw.rotate != "" && strings.EqualFold(v.VersionId, pw.rotate) {
			continue
		}
		v.IsDefaultVersion = false
		vs = append(vs, v)
	}
	ps.versions = append(vs, ram.PolicyVersion{VersionId: version, IsDefaultVersion: true})
	ps.exists, ps.defaultVersion, ps.doc = true, version, nil
	if text != "" {
		if d, err := policy.Read([]byte(text)); err == nil {
			ps.doc = d
			return
		}
	}
	p.readDefault(pw.name, version)
}

// readDefault queues a read of a policy's default version, which must be
// version. The caller holds p.mu.
func (p *proof) readDefault(name, version string) {
	if p.doubt {
		return // RAM is read again in full
	}
	p.reads = append(p.reads, func() error {
		d, err := p.e.readDefault(p.ctx, p.rec, name)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || !d.exists || !strings.EqualFold(d.defaultVersion, version) {
			p.doubt = true
			return nil
		}
		p.policy(name).doc = d.doc
		return nil
	})
}

func (p *proof) attached(a attached) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.next.isAttached(a.name) {
		p.next.attached = append(p.next.attached, a)
	}
}

func (p *proof) detached(a attached) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.attached = slices.DeleteFunc(p.next.attached, func(x attached) bool { return strings.EqualFold(x.name, a.name) && x.typ == a.typ })
}

func (p *proof) deletedVersion(v policyVersionRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.policy(v.policy)
	ps.versions = slices.DeleteFunc(ps.versions, func(x ram.PolicyVersion) bool { return strings.EqualFold(x.VersionId, v.version) })
}

func (p *proof) deletedPolicy(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.policies[strings.ToLower(name)] = &policyState{name: name}
}

func (p *proof) deletedRole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.exists, p.next.trust, p.next.attached = false, nil, nil
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
	// waited bounds the loop too when a test's pause does not take time.
	var waited time.Duration
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
		if !errors.Is(err, ErrNotFound) || time.Now().Add(wait).After(deadline) || waited+wait > e.opts.PropagationWait {
			return err
		}
		if err := e.c.pause(ctx, wait); err != nil {
			return err
		}
		waited += wait
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

// lockRole takes the in-process lock and, when configured, the Locker. The
// context it returns ends when a lock that can be lost is (see takeLock).
func (e *engine) lockRole(ctx context.Context, role string) (context.Context, func(), error) {
	m := e.roleLock(role)
	got := make(chan struct{})
	go func() { m.Lock(); close(got) }()
	select {
	case <-got:
	case <-ctx.Done():
		go func() { <-got; m.Unlock() }()
		return nil, nil, ctx.Err()
	}
	if e.opts.Locker == nil {
		return ctx, m.Unlock, nil
	}
	locked, unlock, err := takeLock(ctx, e.opts.Locker, "encryptperm/role/"+strings.ToLower(role))
	if err != nil {
		m.Unlock()
		return nil, nil, err
	}
	return locked, func() { unlock(); m.Unlock() }, nil
}
