// This file holds who makes a call: the identities the endpoint's keys
// belong to, and the in-process caller.

package fake

import (
	"net/http"
	"time"
)

// callerKind says what kind of identity makes a call.
type callerKind int

const (
	// callerAdmin is an in-process caller: an administrator of the account
	// whose *RAM is called, neither its root identity nor a named user.
	callerAdmin callerKind = iota
	// callerRoot is an account's root identity (a key with no User).
	callerRoot
	// callerUser is a RAM user of the account.
	callerUser
	// callerSession is a session of a role, through temporary credentials
	// that AssumeRole issued.
	callerSession
)

// caller is who makes a call.
type caller struct {
	// account is the UID of the caller's account; empty for the account
	// whose *RAM serves the call (an in-process call, or a key whose
	// Credential names no account).
	account string
	kind    callerKind
	// name is the user's name (callerUser) or the role's (callerSession).
	name string
	// session is the session name of a callerSession.
	session string
	// expires is when a callerSession's credentials expire.
	expires time.Time
}

// credential returns the key of ID keyID that the endpoint accepts and who
// signs with it.
func (s *Server) credential(keyID string) (Credential, caller, bool) {
	c, ok := s.keys[keyID]
	if !ok {
		return s.ram.sessionCredential(keyID)
	}
	who := caller{account: c.Account, kind: callerRoot}
	if c.User != "" {
		who.kind, who.name = callerUser, c.User
	}
	return c, who, true
}

// checkExpiry refuses temporary credentials that have expired.
func (s *Server) checkExpiry(who caller) *gatewayError {
	if who.kind != callerSession {
		return nil
	}
	if !s.ram.now().Before(who.expires) {
		return &gatewayError{http.StatusBadRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."}
	}
	return nil
}

// actedOn returns the UID of the account a call of action with parameters
// p acts on: the account that holds the role for AssumeRole, else the
// account that serves it.
func (r *RAM) actedOn(action string, p params) string {
	if action == "AssumeRole" {
		if uid := actedOnAssumeRole(p); uid != "" {
			return uid
		}
	}
	return r.opts.AccountID
}

// accountFor returns the account of UID uid, adding it if the fake does not
// hold it; empty uid means r itself.
func (r *RAM) accountFor(uid string) *RAM {
	if uid == "" || uid == r.opts.AccountID {
		return r
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accountLocked(uid)
}
