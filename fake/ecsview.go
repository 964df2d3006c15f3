// This file holds the view ECS has of RAM, which lags behind it for a while
// after a change, as RAM's propagation does.

package fake

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// ramView is the share roles' RAM state as it was until a change.
type ramView struct {
	until time.Time // when the change that ended this state was served
	st    *state
}

// shareRoles are the roles ECS consults when it shares.
var shareRoles = []string{encryptperm.ShareImageRoleName, encryptperm.ShareSnapshotRoleName}

// shareView copies the share roles of st and the policies attached to them:
// all that ECS reads to judge a share.
func shareView(st *state) *state {
	v := &state{roles: make(map[string]*roleRec), policies: make(map[string]*policyRec)}
	for _, name := range shareRoles {
		rr, ok := st.roles[roleKey(name)]
		if !ok {
			continue
		}
		rc := *rr
		rc.attached = maps.Clone(rr.attached)
		v.roles[roleKey(name)] = &rc
		for k := range rr.attached {
			pr, ok := st.policies[k]
			if !ok {
				continue
			}
			pc := *pr
			pc.versions = slices.Clone(pr.versions) // a version is never changed once made
			pc.attached = maps.Clone(pr.attached)
			v.policies[k] = &pc
		}
	}
	return v
}

// maxViewLagLocked is the longest ECSViewLag among the fault rules.
func (r *RAM) maxViewLagLocked() time.Duration {
	var lag time.Duration
	for _, ru := range r.w.rules {
		lag = max(lag, ru.ECSViewLag)
	}
	return lag
}

// noteRAMChangeLocked runs before each action is served. Before a RAM call
// that may change state, and only while a rule lags ECS's view, it keeps the
// share roles' state as it is, to be seen until the longest lag has passed.
func (r *RAM) noteRAMChangeLocked(action string, now time.Time) {
	if _, ok := handlers[action]; !ok || strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") {
		return
	}
	lag := r.maxViewLagLocked()
	if lag <= 0 {
		r.svc.views = nil
		return
	}
	views := append(r.svc.views, ramView{until: now, st: shareView(r.st)})
	cut := now.Add(-lag)
	i := 0
	for i < len(views)-1 && !views[i].until.After(cut) {
		i++
	}
	r.svc.views = views[i:]
}

// viewLagLocked returns the ECSViewLag of the rule that fired for the call
// with request ID rid, if any.
func (r *RAM) viewLagLocked(rid string) time.Duration {
	for i := len(r.w.fired) - 1; i >= 0; i-- {
		if f := r.w.fired[i]; f.RequestID == rid {
			return f.Rule.ECSViewLag
		}
	}
	return 0
}

// ecsViewLocked returns the share roles' state as ECS sees it at now,
// lag behind RAM.
func (r *RAM) ecsViewLocked(lag time.Duration, now time.Time) *state {
	if lag > 0 {
		at := now.Add(-lag)
		for _, v := range r.svc.views {
			if v.until.After(at) {
				return v.st
			}
		}
	}
	return shareView(r.st)
}

// judgeShareLocked plays ECS consulting RAM before it shares a resource
// encrypted with key with recipient: through SimulateECS, on the share
// roles as ECS sees them for the call rid. It returns ECS's refusal, or nil.
func (r *RAM) judgeShareLocked(rid string, res encryptperm.ResourceType, key Key, recipient string, now time.Time) *apiError {
	r.judgments.Add(1)
	view := New(&Options{AccountID: r.opts.AccountID, Clock: func() time.Time { return now }})
	view.st = r.ecsViewLocked(r.viewLagLocked(rid), now)
	a := encryptperm.Access{
		Recipient: recipient,
		Resource:  res,
		Key:       encryptperm.Key{Region: key.Region, Owner: r.opts.AccountID, ID: key.ID},
	}
	if d := r.dirLocked(); d != nil && d.has(recipient) {
		a.RDID, a.RDPath = d.rd.ID, d.ecsPath(recipient, r.opts.RDPathOmitsAccount)
	}
	var kp *string
	if key.Instance != "" {
		kp = &key.Policy
	}
	d := view.simulateECS(a, kp, r.opts.KeyPolicyAccountWide)
	if d.Allowed {
		return nil
	}
	noun := "image"
	if res == encryptperm.ResourceSnapshot {
		noun = "snapshot"
	}
	if len(d.Steps) == 0 || (d.Steps[0].Action == "sts:AssumeRole" && !d.Steps[0].Allowed) {
		return errorf("AssumeRoleError", "Requires a RAM role of %s before sharing encrypted %s.", res.RoleName(), noun)
	}
	return errorf("InvalidParameter.KMSKeyId.CMKUnauthorized",
		"The role %s is not authorized to use the KMS key %s for account %s.", res.RoleName(), key.ID, recipient)
}
