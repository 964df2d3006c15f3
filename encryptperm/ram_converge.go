// This file holds one role's way to RAM: read its state, plan, write and
// verify, round after round until RAM holds what the grants say, and the
// merge of versions another writer made meanwhile.

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

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/parallel"
)

// converger runs the read-plan-write-verify loop of one role.
type converger struct {
	c     *caller
	opts  Options
	read  *ramReader
	write *roleWriter
	locks *roleLocks
}

// convergeRole runs the read-plan-write-verify loop of one role for the
// grants of a batch, until RAM holds them or Options.MaxRounds runs out.
// gate, when not nil, is asked before the first write (see convergeLocked).
func (cv *converger) convergeRole(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string, gate func() error) (*Result, error) {
	locked, unlock, err := cv.locks.lockRole(ctx, w.role)
	if err != nil {
		return &Result{}, lockError(w.role, err)
	}
	defer unlock()
	res, err := cv.convergeLocked(locked, rec, w, grants, revoke, stale, nil, gate)
	return res, lockErr(ctx, locked, w.role, err)
}

// lockError names the role whose lock a context ended the wait for; any
// other error of a lock is the Locker's own.
func lockError(role string, err error) error {
	if isContextError(err) {
		return &namedContextError{what: fmt.Sprintf("lock role %q", role), err: err}
	}
	return err
}

// convergeLocked is convergeRole once the role's locks are held. st, when
// not nil, is the role's state read under those locks with the policy
// names and families of w and grants (see prefetch); nil reads it. gate,
// when not nil, holds the checks made beside the first read (the keys the
// grants name, see keyCheck, and their key policies, see keyPreflight): it
// is waited for before the first write, and its error stops the role with
// nothing written.
func (cv *converger) convergeLocked(ctx context.Context, rec *recorder, w *roleWant, grants []*Grant, revoke bool, stale map[string]string, st *roleState, gate func() error) (*Result, error) {
	res := &Result{}
	names, bases := w.policyNames(grants), w.bases()
	if st == nil {
		var err error
		if st, err = cv.read.readRole(ctx, rec, w.role, names, bases); err != nil {
			return res, err
		}
	}
	if stale != nil {
		if fp, ok := stale[strings.ToLower(w.role)]; !ok || fp != st.fingerprint() {
			return res, errorOf(ErrStale, "encryptperm: apply plan for role %q: RAM changed since the plan was made; plan again", w.role)
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
		rp, err := planRole(st, w, revoke, cv.opts)
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
		if gate != nil {
			if err := gate(); err != nil {
				res.Unknown = append(res.Unknown, pending...)
				return res, err
			}
			gate = nil
		}
		if round > cv.opts.MaxRounds {
			err := &kindError{msg: fmt.Sprintf("encryptperm: converge role %q: still %d change(s) to make after %d rounds (%s)", w.role, len(rp.changes), cv.opts.MaxRounds, summaries(rp.changes)), kinds: []error{ErrConflict}}
			if lastErr != nil {
				err.msg += "; last error: " + lastErr.Error()
				err.kinds = append(err.kinds, lastErr)
			}
			return res, err
		}
		proven, unknown, err := cv.write.execute(ctx, rec, rp, res, st)
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
		if st, err = cv.read.readRole(ctx, rec, w.role, names, bases); err != nil {
			return res, err
		}
		pending, res.Unknown = res.Unknown, nil
		if len(rp.raced) > 0 {
			var notes []string
			w, notes, err = cv.mergeRaced(ctx, rec, w, rp.raced, revoke)
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
func (cv *converger) mergeRaced(ctx context.Context, rec *recorder, w *roleWant, raced []racedWrite, revoke bool) (*roleWant, []string, error) {
	type found struct {
		policy, version string
		doc             *policy.Document
	}
	var mu sync.Mutex
	var docs []found
	var fns []func() error
	for _, r := range raced {
		// RAM keeps only the newest few versions; older numbers are gone.
		for n := max(r.from, r.to-cv.opts.Limits.VersionsPerPolicy); n < r.to; n++ {
			version := "v" + strconv.Itoa(n)
			fns = append(fns, func() error {
				resp, err := invoke(ctx, cv.c, op{action: "GetPolicyVersion", target: r.policy + "/" + version, rec: rec}, func(c RAM, t time.Duration) (*ram.GetPolicyVersionResponse, error) {
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
	if err := parallel.All(fns...); err != nil {
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

// planRole plans a role for an Apply or a Revoke.
func planRole(st *roleState, w *roleWant, revoke bool, o Options) (*rolePlan, error) {
	if revoke {
		return planRevoke(st, w, o)
	}
	return planApply(st, w, o)
}
