// This file holds fault injection: Rule, Hold and the record of rules that
// fired.

package fake

import (
	"context"
	"sync"
	"time"
)

// Rule is one fault rule. A rule matches a call when Action is empty or equal
// to the call's action, and Nth is zero or equal to the call's number among
// calls of that action (1 for the first). Rules are tried in order and the
// first match wins; later rules and the random throttle are not consulted.
//
// A matching rule acts in this order: it waits Latency, then, if Hold is set,
// holds the call until the hold is released; then, if Code is set, it refuses
// the call with that error without touching state; otherwise the call is
// served. LoseAnswer then drops the answer: the caller sees a transport error
// and cannot tell whether the call committed. Without Code the call has
// committed; with Code it has not, unless AfterCommit is set: the call is
// then served first, and Code's answer replaces the real one.
type Rule struct {
	// Action is the action to match, of RAM or of the other services the
	// fake serves, such as "CreatePolicyVersion" or "DescribeSnapshots".
	// Empty matches every action.
	Action string
	// Nth is the 1-based number of the call of Action to match (counting
	// every call of that action since New or Reset, in Account when it is
	// set, else in every account of the fake). Zero matches every call.
	Nth int
	// Account, when set, limits the rule to calls that act on the account
	// of that UID: calls served with its state, and AssumeRole calls for a
	// role it holds. Empty matches calls in every account.
	Account string

	// Code is the error code to answer with, such as "Throttling.User",
	// "ServiceUnavailable" or "InternalError". Empty serves the call.
	Code string
	// Status is the HTTP status of Code's answer. Zero takes the code's
	// status (see the package documentation), or 500 for a code the fake
	// does not know.
	Status int
	// Message is the message of Code's answer. Empty takes the code's own.
	Message string
	// RetryAfter, when positive, is sent in the x-acs-retry-after header of
	// Code's answer, in milliseconds.
	RetryAfter time.Duration
	// AfterCommit, with Code, serves the call first (it commits if it would
	// have succeeded) and then answers Code instead of the real answer: the
	// server did the work and failed while answering, as a 5xx such as
	// InternalError may mean. A caller that resends the write on such an
	// answer writes twice.
	AfterCommit bool

	// Latency delays the call before anything else happens, on top of
	// Options.Latency.
	Latency time.Duration
	// LoseAnswer drops the answer, so the caller sees a transport error.
	LoseAnswer bool
	// Hold, when set, holds the call before it commits until Hold.Release
	// is called. See Hold.
	Hold *Hold

	// ECSViewLag, when positive, holds ECS's view of RAM back: a share call
	// the rule matches (ModifyImageSharePermission, CreateResourceShare,
	// AssociateResourceShare) judges the share roles as RAM held them this
	// long ago by Options.Clock, as ECS may for a while after a role or
	// policy changes. While any rule has it, the fake keeps the share roles'
	// past states that long. Other calls ignore it.
	ECSViewLag time.Duration
}

// callNth numbers a call among the calls of its action: in every account,
// and in the account it acts on.
type callNth struct{ all, account int }

// matches reports whether the rule matches the call of action that acts on
// account and is numbered nth.
func (ru Rule) matches(action, account string, nth callNth) bool {
	if ru.Action != "" && ru.Action != action {
		return false
	}
	n := nth.all
	if ru.Account != "" {
		if ru.Account != account {
			return false
		}
		n = nth.account
	}
	return ru.Nth == 0 || ru.Nth == n
}

// Hold holds calls before they commit, so that a test can order concurrent
// calls without sleeping. Put it in a Rule, or use (*RAM).HoldCall. Every call
// the rule matches waits until Release; once released, the hold lets every
// later call through. The zero value is ready to use, and so is NewHold's.
type Hold struct {
	once                  sync.Once
	held, released, done  chan struct{}
	heldOnce, releaseOnce sync.Once
	doneOnce              sync.Once
}

// NewHold returns a hold that has held nothing yet.
func NewHold() *Hold {
	h := &Hold{}
	h.init()
	return h
}

func (h *Hold) init() {
	h.once.Do(func() {
		h.held = make(chan struct{})
		h.released = make(chan struct{})
		h.done = make(chan struct{})
	})
}

// Held returns a channel that is closed once a call is being held.
func (h *Hold) Held() <-chan struct{} {
	h.init()
	return h.held
}

// Done returns a channel that is closed once the first held call has
// finished, answered or not.
func (h *Hold) Done() <-chan struct{} {
	h.init()
	return h.done
}

// Release lets held calls, and every later call the hold matches, go on.
// Calling it more than once is harmless.
func (h *Hold) Release() {
	h.init()
	h.releaseOnce.Do(func() { close(h.released) })
}

// wait marks a call as held and blocks until Release or until ctx ends,
// reporting whether it was released.
func (h *Hold) wait(ctx context.Context) bool {
	h.init()
	h.heldOnce.Do(func() { close(h.held) })
	select {
	case <-h.released:
		return true
	case <-ctx.Done():
		return false
	}
}

func (h *Hold) markDone() {
	h.init()
	h.doneOnce.Do(func() { close(h.done) })
}

// FiredRule records one call a fault acted on.
type FiredRule struct {
	// Index is the rule's position in the fault rules when it fired, or -1
	// for the random throttle.
	Index int
	// Rule is a copy of the rule that fired. For the random throttle it is
	// the throttle's effect.
	Rule Rule
	// Action is the action of the call.
	Action string
	// Account is the UID of the account the call acted on, or empty for
	// the fake's own account, as in RecordedCall.
	Account string
	// Call is the call's number among calls of that action, from 1: in
	// Rule.Account when the rule names one, else in every account.
	Call int
	// RequestID is the RequestId of the call.
	RequestID string
}

// SetFaults replaces the fault rules. Calls that are already past matching
// are not affected. The fault rules are the fake's, the same for each of its
// accounts' *RAM; Rule.Account limits a rule to one account.
func (r *RAM) SetFaults(rules ...Rule) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w.rules = append([]Rule(nil), rules...)
}

// AddFault appends a fault rule after the existing ones.
func (r *RAM) AddFault(rule Rule) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w.rules = append(r.w.rules, rule)
}

// Faults returns a copy of the fault rules in force.
func (r *RAM) Faults() []Rule {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rule(nil), r.w.rules...)
}

// HoldCall appends a rule that holds the nth call of action (every call when
// nth is zero) and returns its hold.
func (r *RAM) HoldCall(action string, nth int) *Hold {
	h := NewHold()
	r.AddFault(Rule{Action: action, Nth: nth, Hold: h})
	return h
}

// Fired returns, in order, the calls that acted on this account and that a
// fault rule or the random throttle acted on.
func (r *RAM) Fired() []FiredRule {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []FiredRule
	me := r.w.logName(r.opts.AccountID)
	for _, f := range r.w.fired {
		if f.Account == me {
			out = append(out, f)
		}
	}
	return out
}

// matchLocked finds the fault for a call of action acting on account: the
// first rule that matches, else a random throttle draw. It records what
// fired.
func (r *RAM) matchLocked(action, account string, nth callNth, rid string) (Rule, bool) {
	for i, ru := range r.w.rules {
		if ru.matches(action, account, nth) {
			n := nth.all
			if ru.Account != "" {
				n = nth.account
			}
			r.w.fired = append(r.w.fired, FiredRule{Index: i, Rule: ru, Action: action, Account: r.w.logName(account), Call: n, RequestID: rid})
			return ru, true
		}
	}
	if r.opts.ThrottleRate > 0 && r.w.rng.Float64() < r.opts.ThrottleRate {
		ru := Rule{Code: "Throttling.User", RetryAfter: r.opts.ThrottleRetryAfter}
		r.w.fired = append(r.w.fired, FiredRule{Index: -1, Rule: ru, Action: action, Account: r.w.logName(account), Call: nth.all, RequestID: rid})
		return ru, true
	}
	return Rule{}, false
}
