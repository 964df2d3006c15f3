// This file holds STS: AssumeRole, the temporary credentials it issues,
// and the sessions they sign in to, over the endpoint and in process.

package fake

import (
	"container/heap"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// STSAPIVersion is the STS API version the endpoint serves.
const STSAPIVersion = "2015-04-01"

// Bounds of AssumeRole, as STS documents them.
const (
	// MinAssumeRoleDuration is the shortest DurationSeconds AssumeRole takes:
	// 900 seconds. The longest is the role's MaxSessionDuration.
	MinAssumeRoleDuration = 900 * time.Second
	// DefaultAssumeRoleDuration is how long temporary credentials last when
	// AssumeRole names no DurationSeconds.
	DefaultAssumeRoleDuration = time.Hour
)

// sessionRetention is how long the fake remembers temporary credentials
// after they expire, to refuse them as expired rather than unknown; it
// forgets them after that, so that a long run holds a bounded number.
const sessionRetention = time.Hour

var (
	roleARNFormat     = regexp.MustCompile(`^acs:ram::([0-9]{16}):role/(.+)$`)
	sessionNameFormat = regexp.MustCompile(`^[A-Za-z0-9.@_-]{2,64}$`)
	externalIDChars   = regexp.MustCompile(`^[A-Za-z0-9_+=,.@:/-]+$`)
)

// session is a role's session: the temporary credentials AssumeRole issued
// and whom they sign in as.
type session struct {
	keyID, secret, token string
	account              string // the UID of the account that holds the role
	role, roleID         string // the role's name, as stored, and ID
	name                 string // RoleSessionName
	expires              time.Time
	index                int // in the world's expiry heap
}

// caller returns who signs in with the session's credentials.
func (s *session) caller() caller {
	return caller{account: s.account, kind: callerSession, name: s.role, session: s.name, expires: s.expires}
}

// sessionHeap orders sessions by expiry, the soonest first.
type sessionHeap []*session

func (h sessionHeap) Len() int           { return len(h) }
func (h sessionHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h sessionHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *sessionHeap) Push(x any) {
	s := x.(*session)
	s.index = len(*h)
	*h = append(*h, s)
}
func (h *sessionHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// forgetSessionsLocked drops the sessions that expired more than
// sessionRetention before now.
func (w *world) forgetSessionsLocked(now time.Time) {
	for len(w.expiring) > 0 && !w.expiring[0].expires.Add(sessionRetention).After(now) {
		s := heap.Pop(&w.expiring).(*session)
		delete(w.sessions, s.keyID)
	}
}

// randomText returns n characters of letters and digits: random, or, with
// Options.Seed set, derived from a counter and the seed so that runs
// repeat.
func (w *world) randomText(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if seed := w.own.opts.Seed; seed != 0 {
		for i := range b {
			w.textSeq++
			b[i] = alphabet[mix(w.textSeq^uint64(seed))%uint64(len(alphabet))]
		}
		return string(b)
	}
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// arnOf names the identity c as a RAM principal would, or "" for the
// in-process caller and an account's root, which only the account's root
// principal names.
func (c caller) arnOf(account string) string {
	switch c.kind {
	case callerUser:
		return "acs:ram::" + account + ":user/" + c.name
	case callerSession:
		return "acs:ram::" + account + ":role/" + c.name
	case callerAdmin, callerRoot:
	}
	return ""
}

type stsCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	Expiration      string `json:"Expiration"`
}

type stsAssumedRoleUser struct {
	AssumedRoleID string `json:"AssumedRoleId"`
	Arn           string `json:"Arn"`
}

type bodyAssumeRole struct {
	RequestID       string             `json:"RequestId"`
	Credentials     stsCredentials     `json:"Credentials"`
	AssumedRoleUser stsAssumedRoleUser `json:"AssumedRoleUser"`
}

// actedOnAssumeRole returns the UID of the account a RoleArn names, or "".
func actedOnAssumeRole(p params) string {
	if m := roleARNFormat.FindStringSubmatch(p["RoleArn"]); m != nil {
		return m[1]
	}
	return ""
}

func (r *RAM) assumeRole(p params, rid string, now time.Time) (any, *apiError) {
	arn, ok := p["RoleArn"]
	if !ok || arn == "" {
		return nil, missing("RoleArn")
	}
	m := roleARNFormat.FindStringSubmatch(arn)
	if m == nil {
		return nil, errorf("InvalidParameter.RoleArn", "The parameter RoleArn %q is not of the form acs:ram::<account>:role/<name>.", clip(arn))
	}
	name, ok := p["RoleSessionName"]
	if !ok || name == "" {
		return nil, missing("RoleSessionName")
	}
	if !sessionNameFormat.MatchString(name) {
		return nil, errorf("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed: 2 to 64 letters, digits and . @ - _.")
	}
	duration := DefaultAssumeRoleDuration
	if v, ok := p["DurationSeconds"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || time.Duration(n)*time.Second < MinAssumeRoleDuration || n > int64(r.limits.MaxSessionDuration) {
			return nil, errorf("InvalidParameter.DurationSeconds", "The parameter DurationSeconds %q is out of range: from 900 seconds up to the role's MaxSessionDuration.", clip(v))
		}
		duration = time.Duration(n) * time.Second
	}
	ctx := map[string]string{}
	if v, ok := p["ExternalId"]; ok {
		if len(v) < 2 || len(v) > 1224 || !externalIDChars.MatchString(v) {
			return nil, errorf("InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed.")
		}
		ctx["sts:externalid"] = v
	}
	if v, ok := p["Policy"]; ok {
		if msg := checkDocument(v, permissionDoc); msg != "" {
			return nil, errorf("InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check: %s.", msg)
		}
	}
	c := r.w.caller
	if c.account == "" {
		c.account = r.opts.AccountID
	}
	if c.kind == callerRoot {
		return nil, errorf("NoPermission", "Roles may not be assumed by root accounts.")
	}
	target, ok := r.w.accounts[m[1]]
	var rr *roleRec
	if ok {
		rr, ok = target.st.roles[roleKey(m[2])]
	}
	if !ok {
		return nil, errorf("EntityNotExist.Role", "The role %s does not exist.", clip(arn))
	}
	if duration > time.Duration(rr.maxSession)*time.Second {
		return nil, errorf("InvalidParameter.DurationSeconds",
			"The parameter DurationSeconds %d is out of range: the role's MaxSessionDuration is %d seconds.", int64(duration/time.Second), rr.maxSession)
	}
	v := refEvaluate([]refDoc{{name: "trust policy", text: rr.trust}}, refRequest{
		action: "sts:AssumeRole", owner: m[1], context: ctx,
		caller: &refCaller{account: c.account, arn: c.arnOf(c.account)},
	})
	if !v.allowed {
		return nil, errorf("NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
	}
	w := r.w
	w.forgetSessionsLocked(now)
	s := &session{
		keyID: "STS." + w.randomText(28), secret: w.randomText(40), token: "CAIS" + w.randomText(96),
		account: m[1], role: rr.name, roleID: rr.id, name: name, expires: now.Add(duration),
	}
	w.sessions[s.keyID] = s
	heap.Push(&w.expiring, s)
	return bodyAssumeRole{
		RequestID:       rid,
		Credentials:     stsCredentials{s.keyID, s.secret, s.token, formatDate(s.expires)},
		AssumedRoleUser: stsAssumedRoleUser{rr.id + ":" + name, "acs:ram::" + m[1] + ":role/" + rr.name + "/" + name},
	}, nil
}

// sessionCredential returns the temporary credentials of key ID keyID and
// who signs in with them, if the fake issued them and remembers them.
func (r *RAM) sessionCredential(keyID string) (Credential, caller, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.w.sessions[keyID]
	if !ok {
		return Credential{}, caller{}, false
	}
	return Credential{AccessKeyID: s.keyID, AccessKeySecret: s.secret, SecurityToken: s.token, Account: s.account}, s.caller(), true
}

// AssumeRole issues temporary credentials for a role, of this account or
// another the fake holds, if the role's trust policy lets the caller in:
// in process, an administrator of this account (a RAM principal naming the
// account's root lets it in), or the role's session when r came from
// Session. The credentials sign in to the role's account, through the
// endpoint or Session, until they expire by Options.Clock.
func (r *RAM) AssumeRole(request *sts.AssumeRoleRequest) (*sts.AssumeRoleResponse, error) {
	response := sts.CreateAssumeRoleResponse()
	return response, r.invokeService(request, response)
}

// Session returns the *RAM that temporary credentials AssumeRole issued
// sign in to: the role's account, acting as the role's session. It shares
// the account's state; its calls are refused with
// InvalidSecurityToken.Expired, as the endpoint refuses them, once the
// credentials expire by Options.Clock. Unknown credentials are refused with
// InvalidAccessKeyId.NotFound, a wrong secret or token with
// InvalidSecurityToken.MismatchWithAccessKey, and expired ones with
// InvalidSecurityToken.Expired, each as the SDK's *errors.ServerError.
func (r *RAM) Session(c Credential) (*RAM, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.w.sessions[c.AccessKeyID]
	switch {
	case !ok:
		return nil, r.refusal("InvalidAccessKeyId.NotFound", "The specified access key is not found.")
	case c.AccessKeySecret != s.secret || c.SecurityToken != s.token:
		return nil, r.refusal("InvalidSecurityToken.MismatchWithAccessKey", "The specified SecurityToken does not match the access key.")
	case !r.now().Before(s.expires):
		return nil, r.refusal("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
	}
	v := *r.w.accounts[s.account]
	v.sess = s
	return &v, nil
}

// refusal is a refusal of the fake's gateway, as the SDK sees it.
func (r *RAM) refusal(code, message string) error {
	b, _ := json.Marshal(errorBody{RequestID: newRequestID(), HostID: hostID, Code: code, Message: message})
	return sdkerrors.NewServerError(r.status(code), string(b), "")
}

// expiredLocked answers a call through a Session whose credentials have
// expired, as the endpoint's gateway answers it: not counted, not logged.
func (r *RAM) expiredLocked() (response, bool) {
	if r.sess == nil || r.now().Before(r.sess.expires) {
		return response{}, false
	}
	return r.errorResponse(newRequestID(), &apiError{Code: "InvalidSecurityToken.Expired", Message: "Specified SecurityToken is expired."}, 0, 0), true
}

// STSClient returns a new official SDK STS client for the endpoint,
// configured as Client configures the RAM one.
func (e *Endpoint) STSClient(accessKeyID, accessKeySecret string) (*sts.Client, error) {
	c, err := sts.NewClientWithOptions(ClientRegion, clientConfig(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
	if err != nil {
		return nil, fmt.Errorf("fake: new sts client: %w", err)
	}
	e.aim(&c.Client)
	return c, nil
}
