// This file holds the core every call goes through: fault rules, the call log,
// request IDs and the shape of answers and errors.

package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// request is one RAM call as the core sees it, however it arrived: from an
// in-process method or from the RPC endpoint.
type request struct {
	// Action is RAM's action name, such as "CreateRole".
	Action string
	// Params holds the API parameters (RoleName, PolicyDocument, ...), without
	// the RPC protocol's common parameters.
	Params map[string]string
	// AccessKeyID is the caller's key ID; empty for in-process calls.
	AccessKeyID string
	// Account is the UID of the account the call acts on, for fault rules
	// and the call log. do fills it.
	Account string
	// Caller is who makes the call. The zero value is an in-process caller.
	Caller caller
	// XML is set by the endpoint when the caller asked for an XML answer.
	XML bool
}

// response is the core's answer: exactly what the endpoint sends.
type response struct {
	Status int
	Header http.Header
	Body   []byte // JSON, shaped as RAM's
	// Lost means the call committed but its answer is lost: the endpoint
	// closes the connection without answering, and an in-process call returns
	// a transport error.
	Lost bool
}

// jsonContentType is the Content-Type of RAM's JSON answers.
const jsonContentType = "application/json;charset=utf-8"

// do runs one call against the fake's state: it counts the call, applies the
// first matching fault rule (or the random throttle), serves the call and
// records it. Latency and holds end early when ctx ends; the call then does
// not commit and is answered with ServiceUnavailable. A panic while the
// fake works on the call (in a handler, or in a clock the caller gave) is
// answered with RAM's 500 InternalError and recorded as such; every lock is
// released on every path.
func (r *RAM) do(ctx context.Context, req request) response {
	p := params(maps.Clone(req.Params))
	if p == nil {
		p = params{}
	}
	req.Account = r.actedOn(req.Action, p)
	if r.sess != nil {
		req.Caller = r.sess.caller()
	}

	rid, rule, res, failed := r.begin(req, p)
	if failed {
		return res
	}
	if rid == "" {
		return res // refused before it was counted: expired credentials
	}

	if h := rule.Hold; h != nil {
		defer h.markDone()
	}
	if d := r.opts.Latency + rule.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return r.abandon(ctx, req, p, rid)
		}
	}
	if h := rule.Hold; h != nil && !h.wait(ctx) {
		return r.abandon(ctx, req, p, rid)
	}
	if ctx.Err() != nil {
		return r.abandon(ctx, req, p, rid)
	}

	if rule.Code != "" && !rule.AfterCommit {
		e := ruleError(rule)
		res := r.errorResponse(rid, e, rule.Status, rule.RetryAfter)
		res.Lost = rule.LoseAnswer
		r.record(req, p, rid, e.Code, res)
		return res
	}
	return r.serve(req, p, rid, rule)
}

// begin counts the call, gives it a request ID and finds its fault rule.
// When that panics, it returns the InternalError answer, recorded, and
// failed.
func (r *RAM) begin(req request, p params) (rid string, rule Rule, res response, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.recoverLocked(req, p, &rid, &res, &failed)
	if res, expired := r.expiredLocked(); expired {
		return "", Rule{}, res, false
	}
	r.w.counts[req.Action]++
	ak := req.Account + "/" + req.Action
	r.w.acctCounts[ak]++
	nth := callNth{all: r.w.counts[req.Action], account: r.w.acctCounts[ak]}
	rid = r.newRequestIDLocked()
	rule, _ = r.matchLocked(req.Action, req.Account, nth, rid)
	return rid, rule, response{}, false
}

// serve runs the call's handler under the lock and records the call.
func (r *RAM) serve(req request, p params, rid string, rule Rule) (res response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var failed bool
	defer r.recoverLocked(req, p, &rid, &res, &failed)
	r.w.caller = req.Caller
	defer func() { r.w.caller = caller{} }()
	body, e := r.serveLocked(req.Action, p, rid)
	switch {
	case rule.Code != "":
		// AfterCommit: the call was served; its answer is replaced.
		e = ruleError(rule)
		res = r.errorResponse(rid, e, rule.Status, rule.RetryAfter)
	case e != nil:
		res = r.errorResponse(rid, e, 0, 0)
	default:
		res = successResponse(rid, body)
	}
	res.Lost = rule.LoseAnswer
	code := ""
	if e != nil {
		code = e.Code
	}
	r.recordLocked(req, p, rid, code, res)
	return res
}

// recoverLocked, deferred with the lock held, turns a panic into RAM's 500
// InternalError answer for the call, records it, and sets *failed. The
// caller's deferred Unlock runs after it. A call that has no request ID yet
// gets one.
func (r *RAM) recoverLocked(req request, p params, rid *string, res *response, failed *bool) {
	v := recover()
	if v == nil {
		return
	}
	if *rid == "" {
		*rid = newRequestID()
	}
	e := newError("InternalError")
	*res = r.errorResponse(*rid, e, 0, 0)
	*failed = true
	r.recordLocked(req, p, *rid, e.Code, *res)
}

// record appends a call to the log under the lock.
func (r *RAM) record(req request, p params, rid, code string, res response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recordLocked(req, p, rid, code, res)
}

// serveLocked runs the action's handler.
func (r *RAM) serveLocked(action string, p params, rid string) (any, *apiError) {
	h, ok := handlers[action]
	if ok {
		// RAM's actions refuse a parameter they do not implement; the
		// other services' handlers read the parameters they implement
		// and check those (DescribeImages ignores filters besides
		// ImageId, as the package documentation says).
		if e := checkAccepted(action, p); e != nil {
			return nil, e
		}
	} else if h, ok = serviceHandler(action); !ok {
		return nil, newError("InvalidAction.NotFound")
	} else if e := checkAcceptedService(action, p); e != nil {
		return nil, e
	}
	now := r.now()
	r.noteRAMChangeLocked(action, now)
	return h(r, p, rid, now)
}

// abandon answers a call whose context ended before it committed.
func (r *RAM) abandon(ctx context.Context, req request, p params, rid string) response {
	e := errorf("ServiceUnavailable", "The call was abandoned before it was served: %v.", context.Cause(ctx))
	res := r.errorResponse(rid, e, 0, 0)
	r.record(req, p, rid, e.Code, res)
	return res
}

// errorResponse builds RAM's error answer. status zero means the code's
// status; a positive retryAfter sets x-acs-retry-after in milliseconds.
func (r *RAM) errorResponse(rid string, e *apiError, status int, retryAfter time.Duration) response {
	if status <= 0 {
		status = r.status(e.Code)
	}
	h := header(rid)
	if retryAfter > 0 {
		h.Set("x-acs-retry-after", strconv.FormatInt(retryAfter.Milliseconds(), 10))
	}
	body := encode(struct {
		RequestID string `json:"RequestId"`
		HostID    string `json:"HostId"`
		Code      string `json:"Code"`
		Message   string `json:"Message"`
	}{rid, hostID, e.Code, e.Message})
	return response{Status: status, Header: h, Body: body}
}

func successResponse(rid string, body any) response {
	return response{Status: http.StatusOK, Header: header(rid), Body: encode(body)}
}

func header(rid string) http.Header {
	h := make(http.Header)
	h.Set("Content-Type", jsonContentType)
	h.Set("x-acs-request-id", rid)
	return h
}

// encode renders v as compact JSON without HTML escaping, as RAM does.
func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every body is built from strings, numbers and booleans.
		panic(fmt.Sprintf("fake: encode answer: %v", err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// newRequestIDLocked returns a unique RequestId shaped like RAM's: upper-case
// hex in UUID groups. With Options.Seed zero it is random, as RAM's are, so
// two fakes (or two runs) never hand out the same ID. With a Seed it is
// derived from a counter and the seed so runs are repeatable; the last group
// is the counter scrambled by a fixed mask, which keeps IDs unique.
func (r *RAM) newRequestIDLocked() string {
	r.w.reqSeq++
	if r.opts.Seed == 0 {
		return newRequestID()
	}
	seed := uint64(r.opts.Seed)
	a := mix(r.w.reqSeq ^ seed)
	b := mix(a)
	last := (r.w.reqSeq ^ mix(seed)) & 0xffffffffffff
	return fmt.Sprintf("%08X-%04X-4%03X-%04X-%012X",
		uint32(a>>32), uint16(a>>16), uint16(a)&0x0fff, uint16(b)&0x3fff|0x8000, last)
}

// mix is the splitmix64 finalizer: a cheap bijective scramble.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
