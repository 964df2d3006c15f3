// This file holds the accounts of one fake: the one New made and those
// added beside it, each with a RAM, ECS, Resource Sharing and KMS of its own.

package fake

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
)

// Account returns the *RAM of the account of UID uid that the fake holds,
// or nil when it holds none. The account New made is always held; others
// are added by AddAccount, by a resource directory that lists them (see
// PutResourceDirectory), or by a credential of the endpoint that names
// them.
func (r *RAM) Account(uid string) *RAM {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.accounts[uid]
}

// AddAccount adds the account of UID uid to the fake, with a RAM, ECS,
// Resource Sharing and KMS of its own and none of the fake's resources, and
// returns its *RAM. An account the fake holds already is returned as it
// is. The account has the fake's Options but for its AccountID; it shares
// the fake's lock, fault rules and call log. uid must be 16 digits.
func (r *RAM) AddAccount(uid string) (*RAM, error) {
	if !accountIDFormat.MatchString(uid) {
		return nil, fmt.Errorf("fake: add account %s: not an account UID (16 digits): %w", quoted(uid), ErrInvalidSeed)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accountLocked(uid), nil
}

// Accounts returns the UIDs of the accounts the fake holds, sorted.
func (r *RAM) Accounts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.w.accounts))
}

// accountLocked returns the account of UID uid, adding it first if the fake
// does not hold it. uid must be well formed.
func (r *RAM) accountLocked(uid string) *RAM {
	w := r.w
	if a, ok := w.accounts[uid]; ok {
		return a
	}
	own := w.own
	o := own.opts
	o.AccountID = uid
	a := &RAM{
		opts:         o,
		limits:       own.limits,
		paging:       own.paging,
		maxCallValue: own.maxCallValue,
		clock:        own.clock,
		mu:           &w.mu,
		w:            w,
		st:           newState(),
		svc:          newServices(),
		judgments:    new(atomic.Int64),
	}
	w.accounts[uid] = a
	return a
}

// logName is how the call log and the record of fired rules name the
// account of UID uid: empty for the fake's own account, else its UID.
func (w *world) logName(uid string) string {
	if uid == w.own.opts.AccountID {
		return ""
	}
	return uid
}
