// This file holds the share step's judgment: every problem of what the
// pre-flight read, found at once, before any write, and the keys of each
// resource as KMS names them.

package share

import (
	"fmt"
	"slices"
	"strings"
)

// judge judges what one pre-flight read.
type judge struct {
	rd  *reading
	cfg *Config
	p   problems
	// notFound and conflict say that a resource does not exist, and that
	// a resource share stands in the way.
	notFound, conflict bool
	// keyed are the grants whose own keys are judged once every resource
	// is (judgeGrantKeys).
	keyed map[int]bool
}

// judgeAll judges, all at once, once every key has been read: a resource
// that does not exist, one encrypted with the service key or a key nobody
// can name, a key that KMS does not find, that a service manages, that is
// not Enabled, that is not the one the grant names or not in the resource's
// region; for a revoke, a resource share that holds other resources too;
// for an apply, the owner's own account, ECS's caps and a directory whose
// sharing is off. It sets the keys of each resource (want.keys) as KMS
// names them, and returns a *Refusal that lists every problem.
func judgeAll(rd *reading, cfg *Config) error {
	j := &judge{rd: rd, cfg: cfg, keyed: map[int]bool{}}
	for i, w := range rd.wants {
		w.keys, w.owner = nil, rd.owners[i]
	}
	for _, w := range rd.wants {
		j.judgeResource(w)
	}
	j.judgeGrantKeys()
	return j.p.refusal(true, j.notFound, j.conflict)
}

// judgeResource judges one resource.
func (j *judge) judgeResource(w *want) {
	revoke := j.rd.revoke
	if len(w.paths) == 0 {
		return // named only by grants that stay
	}
	at := w.paths[0]
	if !w.found && revoke {
		return // nothing is shared; the grant's own keys still go
	}
	if !w.found {
		j.p.add(at, w.res.ID, "no %s with this ID in %s (Describe%ss found none)", w.res.Type, w.res.Region, rsType(w.res))
		j.notFound = true
		return
	}
	if (w.serviceKey || w.keyUnknown) && !revoke {
		if w.serviceKey {
			j.p.add(at, w.res.ID, "%s", j.cfg.ServiceKeyReason(w.res.Type))
		} else {
			j.p.add(at, w.res.ID, "%s; nothing is shared with a key nobody can name", w.unknownKeyReason())
		}
		return
	}
	for _, id := range w.keyIDs {
		j.judgeDiskKey(w, at, id)
	}
	j.judgeNamedKeys(w)
	if revoke {
		j.judgeRevokeShares(w, at)
		return
	}
	j.judgeAudience(w, at)
}

// judgeDiskKey judges the key id of one of a resource's disks, and adds it,
// as KMS names it, to the resource's keys.
func (j *judge) judgeDiskKey(w *want, at, id string) {
	revoke := j.rd.revoke
	ka := keyAt{w.res.Region, id}
	switch m := j.rd.keys[ka]; {
	case j.rd.missing[ka] && revoke:
		// A key deleted since: what the grant gave for it still goes,
		// when the owner is known.
		if w.owner != "" {
			w.keys = append(w.keys, Key{Region: w.res.Region, Owner: w.owner, ID: id})
		}
	case j.rd.missing[ka]:
		j.p.add(at, w.res.ID, "the %s is encrypted with key %s, which KMS does not find in %s", w.res.Type, id, w.res.Region)
		j.notFound = true
	case m != nil:
		k, err := j.cfg.ParseKeyARN(m.ARN)
		if err != nil {
			j.p.add(at, w.res.ID, "KMS answered the ARN %q for key %s, which is not a key ARN", m.ARN, id)
			break
		}
		if j.cfg.ServiceManaged(m.Creator) && !revoke {
			// A key a cloud service created for itself, such as ECS's
			// default key, is the service key by another name (inferred:
			// KMS names such a key's Creator by the service, a customer
			// key's by the account UID).
			j.p.add(at, w.res.ID, "the %s is encrypted with key %s, which %s manages: %s", w.res.Type, id, m.Creator, j.cfg.ServiceKeyReason(w.res.Type))
			break
		}
		w.keys = append(w.keys, k)
		if w.owner == "" {
			w.owner = k.Owner
		}
		if m.State != "Enabled" && !revoke {
			j.p.add(at, w.res.ID, "the %s's key %s is %s, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first", w.res.Type, k.ARN(), m.State)
		}
	}
}

// judgeNamedKeys holds the keys found to the keys the grants that name the
// resource name.
func (j *judge) judgeNamedKeys(w *want) {
	for _, gi := range w.grants {
		g := j.rd.grants[gi]
		given := make([]string, 0, len(g.Keys))
		for _, k := range g.Keys {
			given = append(given, k.ARN())
		}
		for _, k := range w.keys {
			if len(g.Keys) > 0 && !slices.Contains(g.Keys, k) {
				j.p.add(fmt.Sprintf("grants[%d].Keys", gi), strings.Join(given, ","), "the %s is encrypted with key %s, not with the key the grant names (%s): drop WithKey to let the Applier find the key, or name that key", w.res, k.ARN(), strings.Join(given, ", "))
			}
		}
		j.keyed[gi] = true
		for ki, k := range g.Keys {
			if k.Region != w.res.Region && !j.rd.revoke {
				j.p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "the key is in %s, but the %s %s is in %s: ECS uses a key of the resource's own region", k.Region, w.res.Type, w.res.ID, w.res.Region)
			}
		}
	}
}

// judgeRevokeShares refuses, for a revoke, to take a recipient out of a
// resource share that holds other resources too: that would unshare them
// as well.
func (j *judge) judgeRevokeShares(w *want, at string) {
	for _, sh := range w.shares {
		if len(sh.resources) < 2 {
			continue
		}
		for _, t := range w.holders() {
			if live(sh.targets[t]) && !w.keep[t] {
				j.p.add(at, w.res.ID, "resource share %s (%s) holds other resources too: removing target %s from it would unshare them as well; remove the target yourself, or move the %s to a share of its own", sh.id, sh.name, t, w.res.Type)
				j.conflict = true
			}
		}
	}
}

// judgeAudience judges, for an apply, the audience: the owner's own
// account, ECS's caps, the directory's sharing status.
func (j *judge) judgeAudience(w *want, at string) {
	owner := w.owner
	for _, gi := range w.grants {
		for ai, a := range j.rd.grants[gi].Accounts {
			if owner != "" && a == owner {
				j.p.add(fmt.Sprintf("grants[%d].Audience.Accounts[%d]", gi, ai), a, "account %s owns the %s; ECS does not share a resource with its own owner (InvalidAccount.Forbbiden)", a, w.res)
			}
		}
	}
	have := w.sharedAccounts(j.cfg.IsAccount)
	all := slices.Clone(have)
	for _, a := range w.accounts {
		if !slices.Contains(all, a) {
			all = append(all, a)
		}
	}
	if most := j.cfg.shareCap(w.res.Type); len(all) > most {
		j.p.addLimit(at, w.res.ID, "the %s would be shared with %d accounts (%d already), but ECS shares one %s with at most %d; share with a resource directory or folder instead", w.res, len(all), len(have), w.res.Type, most)
	}
	if len(w.targets) > 0 && !j.rd.dirEnabled {
		j.p.add(at, w.res.ID, "sharing with a resource directory or folder is not enabled for this account (CheckSharingWithResourceDirectoryStatus); enable it in Resource Sharing (EnableSharingWithResourceDirectory) from the directory's management account")
	}
}

// judgeGrantKeys judges the keys a grant names, once per grant however many
// of its resources it names.
func (j *judge) judgeGrantKeys() {
	if j.rd.revoke {
		return
	}
	for gi, g := range j.rd.grants {
		if !j.keyed[gi] {
			continue
		}
		for ki, k := range g.Keys {
			ka := keyAt{k.Region, k.ID}
			switch m := j.rd.keys[ka]; {
			case j.rd.missing[ka]:
				j.p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "KMS does not find key %s in %s", k.ID, k.Region)
				j.notFound = true
			case m != nil && m.State != "Enabled":
				j.p.add(fmt.Sprintf("grants[%d].Keys[%d]", gi, ki), k.ARN(), "the key is %s, not Enabled", m.State)
			}
		}
	}
}
