package fake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/internal/rpcsig"
)

// APIVersion is the RAM API version the endpoint serves. A request that
// names another Version is refused with InvalidVersion.
const APIVersion = "2015-05-01"

// DefaultHostID is the HostId the endpoint puts in its error bodies when
// ServerOptions.HostID is empty.
const DefaultHostID = "ram.aliyuncs.com"

// DefaultMaxSkew is how far a request's Timestamp may be from the server's
// clock when ServerOptions.MaxSkew is zero.
const DefaultMaxSkew = 15 * time.Minute

// DefaultAccessKeyID and DefaultAccessKeySecret form the one access key the
// endpoint accepts when ServerOptions.Credentials is empty. They are test
// values, not secrets.
const (
	DefaultAccessKeyID     = "fake-access-key-id"
	DefaultAccessKeySecret = "fake-access-key-secret"
)

// contentType is the Content-Type of every answer.
const contentType = "application/json;charset=utf-8"

// Credential is an access key the endpoint accepts. A Credential with a
// SecurityToken is an STS key: a request signed with it must also carry that
// exact SecurityToken parameter.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// ServerOptions configures the RPC endpoint. A nil *ServerOptions, and the
// zero value of every field, give a sane default.
type ServerOptions struct {
	// Credentials are the access keys the endpoint accepts. Empty means the
	// single key DefaultAccessKeyID / DefaultAccessKeySecret. When two
	// entries share an AccessKeyID the first wins; entries with an empty
	// AccessKeyID are ignored.
	Credentials []Credential

	// Clock returns the time against which request Timestamps are checked and
	// signature nonces expire. Nil means time.Now.
	Clock func() time.Time

	// MaxSkew is how far a request's Timestamp may be, in either direction,
	// from Clock. Zero means DefaultMaxSkew.
	MaxSkew time.Duration

	// Latency delays every answer, errors included, by a fixed time before
	// the request is checked or served, to imitate a network. A request whose
	// context ends during the delay (the client went away) is dropped without
	// reaching the fake.
	Latency time.Duration

	// HostID is the HostId of the errors the endpoint itself sends (see
	// Server). Empty means DefaultHostID. The fake's own answers always carry
	// RAM's host.
	HostID string

	// Addr is the address Start listens on. Empty means "127.0.0.1:0", a free
	// loopback port. NewServer ignores it.
	Addr string
}

// Server is an http.Handler that speaks RAM's RPC protocol in front of a fake
// RAM, so that the official SDK, or any other RAM client, can be pointed at
// it. It accepts GET and POST on the path "/", reads parameters from the query
// string and from an application/x-www-form-urlencoded body, checks the
// request as RAM's gateway does, and hands the API parameters to the fake.
// Successful answers and RAM's own errors come from the fake, unchanged.
//
// Before a call reaches the fake, the Server refuses it, in this order, with
// a JSON error body {"RequestId","HostId","Code","Message"}:
//
//	method other than GET or POST           405 UnsupportedHTTPMethod
//	path other than "/"                     404 InvalidAction.NotFound
//	unreadable query or body                400 InvalidParameter
//	a parameter given more than once        400 InvalidParameter
//	  (also once in the query and once in the body)
//	Action, Version, AccessKeyId, Signature,
//	  SignatureMethod, SignatureVersion,
//	  SignatureNonce or Timestamp missing   400 Missing<Name>, e.g. MissingTimestamp
//	Format other than JSON (XML included)   400 InvalidParameter.Format
//	SignatureMethod other than HMAC-SHA1    400 InvalidParameter.SignatureMethod
//	SignatureVersion other than 1.0         400 InvalidParameter.SignatureVersion
//	SignatureType other than empty          400 InvalidParameter.SignatureType
//	Version other than 2015-05-01           400 InvalidVersion
//	an Action the fake does not serve       404 InvalidAction.NotFound
//	unknown AccessKeyId                     404 InvalidAccessKeyId.NotFound
//	signature does not match                400 SignatureDoesNotMatch
//	Timestamp not in ISO 8601 (RFC 3339)    400 InvalidTimeStamp.Format
//	Timestamp further than MaxSkew away     400 InvalidTimeStamp.Expired
//	SecurityToken missing, wrong, or sent
//	  with a key that has none              400 InvalidSecurityToken.MismatchWithAccessKey
//	SignatureNonce seen before for the key  400 SignatureNonceUsed
//
// Missing<Name> is the shape the fake uses for absent API parameters too.
// Public reports of Alibaba Cloud's gateway show InvalidAccessKeyId.NotFound
// and InvalidAction.NotFound with 404 and SignatureNonceUsed with 400; the
// other statuses, and the codes of the first rows and of the Format,
// SignatureMethod, SignatureVersion and SignatureType rows, are the fake's
// own choice. The message of SignatureDoesNotMatch ends with
// "server string to sign is:" and the string the server signed, which the
// SDK compares with its own to tell a wrong secret from a signing bug; the
// value of a SecurityToken is replaced by Redacted in it, so that comparison
// only helps for keys without a token. Format=XML is refused rather than
// served: every answer is JSON.
//
// A nonce is remembered per access key until the last instant its Timestamp
// would still be accepted, so memory is bounded by the traffic of one skew
// window. Requests refused before the fake sees them do not appear in the
// fake's call log and do not count towards its fault rules.
//
// When the fake says a call's answer is lost (Rule.LoseAnswer), the Server
// closes the connection without writing anything: the client sees a
// transport error and cannot tell whether the call committed.
//
// The Server never logs, and never puts an access key secret or security
// token in an answer. It is safe for concurrent use.
type Server struct {
	ram     *RAM
	keys    map[string]Credential
	clock   func() time.Time
	maxSkew time.Duration
	latency time.Duration
	hostID  string
	nonces  *rpcsig.NonceStore

	// waiting, when set, is called as a request starts its Latency delay.
	waiting func(*http.Request)
}

// NewServer returns an RPC endpoint in front of r, configured by opts (nil
// means defaults). It does not listen; see Start for that.
func NewServer(r *RAM, opts *ServerOptions) *Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	s := &Server{
		ram:     r,
		keys:    make(map[string]Credential),
		clock:   o.Clock,
		maxSkew: o.MaxSkew,
		latency: o.Latency,
		hostID:  o.HostID,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.maxSkew <= 0 {
		s.maxSkew = DefaultMaxSkew
	}
	if s.hostID == "" {
		s.hostID = DefaultHostID
	}
	creds := o.Credentials
	if len(creds) == 0 {
		creds = []Credential{{AccessKeyID: DefaultAccessKeyID, AccessKeySecret: DefaultAccessKeySecret}}
	}
	for _, c := range creds {
		if c.AccessKeyID == "" {
			continue
		}
		if _, dup := s.keys[c.AccessKeyID]; !dup {
			s.keys[c.AccessKeyID] = c
		}
	}
	s.nonces = rpcsig.NewNonceStore(s.clock)
	return s
}

// ServeHTTP answers one RPC request.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if s.latency > 0 {
		if s.waiting != nil {
			s.waiting(req)
		}
		if !sleep(req.Context(), s.latency) {
			return // the client went away; nobody is listening
		}
	}
	call, aerr := s.check(req)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	resp := s.ram.do(req.Context(), call)
	if resp.Lost {
		dropConnection(w)
		return
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = slices.Clone(v)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
}

// gatewayError is a refusal the endpoint itself sends, before the fake sees
// the call.
type gatewayError struct {
	status  int
	code    string
	message string
}

// requiredParams must be present in every request, in this order of report.
var requiredParams = []string{
	"Action", "Version", "AccessKeyId", "Signature",
	"SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp",
}

// check validates and authenticates req and returns the call for the fake.
func (s *Server) check(req *http.Request) (request, *gatewayError) {
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		return request{}, &gatewayError{http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
			fmt.Sprintf("The HTTP method %q is not supported; use GET or POST.", req.Method)}
	}
	if req.URL.Path != "/" && req.URL.Path != "" {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAction.NotFound",
			"The specified API is not found: RPC requests go to the path \"/\"."}
	}
	params, aerr := readParams(req)
	if aerr != nil {
		return request{}, aerr
	}
	get := func(k string) string { return params.Get(k) }
	for _, k := range requiredParams {
		if get(k) == "" {
			return request{}, &gatewayError{http.StatusBadRequest, "Missing" + k,
				k + " is mandatory for this action."}
		}
	}
	if f := get("Format"); f != "" && !strings.EqualFold(f, "JSON") {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.Format",
			fmt.Sprintf("The parameter Format %q is not supported: this endpoint answers only in JSON.", f)}
	}
	if m := get("SignatureMethod"); m != rpcsig.Method {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureMethod",
			fmt.Sprintf("The parameter SignatureMethod %q is not supported; use %s.", m, rpcsig.Method)}
	}
	if v := get("SignatureVersion"); v != rpcsig.Version {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureVersion",
			fmt.Sprintf("The parameter SignatureVersion %q is not supported; use %s.", v, rpcsig.Version)}
	}
	if t := get("SignatureType"); t != "" {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureType",
			fmt.Sprintf("The parameter SignatureType %q is not supported; sign with an access key.", t)}
	}
	if v := get("Version"); v != APIVersion && serviceHandlers[v] == nil {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidVersion",
			fmt.Sprintf("The specified parameter Version %q is not valid; RAM serves %s.", v, APIVersion)}
	}
	action := get("Action")
	if !servesActionIn(get("Version"), action) {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAction.NotFound",
			fmt.Sprintf("The specified API %q is not found, please check your url and method.", action)}
	}

	keyID := get("AccessKeyId")
	cred, ok := s.keys[keyID]
	if !ok {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAccessKeyId.NotFound",
			"The specified access key is not found."}
	}
	if !rpcsig.Verify(req.Method, params, cred.AccessKeySecret) {
		shown := params
		if _, ok := params["SecurityToken"]; ok {
			shown = cloneParams(params)
			shown.Set("SecurityToken", Redacted)
		}
		return request{}, &gatewayError{http.StatusBadRequest, "SignatureDoesNotMatch",
			"The request signature does not match the signature the server calculated. " +
				"server string to sign is:" + rpcsig.StringToSign(req.Method, shown)}
	}
	ts, err := time.Parse(time.RFC3339, get("Timestamp"))
	if err != nil {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidTimeStamp.Format",
			"The specified Timestamp is not in ISO 8601 form, such as 2006-01-02T15:04:05Z."}
	}
	now := s.clock()
	if d := now.Sub(ts); d > s.maxSkew || d < -s.maxSkew {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidTimeStamp.Expired",
			fmt.Sprintf("The specified Timestamp is expired: it is more than %v away from the server's time.", s.maxSkew)}
	}
	tokens := params["SecurityToken"]
	if cred.SecurityToken != "" || len(tokens) > 0 {
		if len(tokens) != 1 || tokens[0] != cred.SecurityToken {
			return request{}, &gatewayError{http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey",
				"The specified SecurityToken does not match the access key."}
		}
	}
	if !s.nonces.Use(keyID, get("SignatureNonce"), ts.Add(s.maxSkew)) {
		return request{}, &gatewayError{http.StatusBadRequest, "SignatureNonceUsed",
			"The specified SignatureNonce was used already."}
	}

	api := make(map[string]string, len(params))
	for k, v := range params {
		if apiParam(action, k) {
			api[k] = v[0]
		}
	}
	return request{Action: action, Params: api, AccessKeyID: keyID}, nil
}

// readParams returns the query and form parameters of req together. A name
// may appear only once across both.
func readParams(req *http.Request) (url.Values, *gatewayError) {
	query, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
			"The query string is not valid URL encoding."}
	}
	// ParseForm reads the body of a POST with a form Content-Type, capped at
	// 10 MB as RAM caps POST requests, and ignores the body of a GET.
	if err := req.ParseForm(); err != nil {
		return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
			"The request body is not a valid application/x-www-form-urlencoded form of at most 10 MB."}
	}
	for k, v := range req.PostForm {
		query[k] = append(query[k], v...)
	}
	for k, v := range query {
		if len(v) > 1 {
			return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
				fmt.Sprintf("The parameter %q is given more than once.", k)}
		}
	}
	return query, nil
}

// errorBody is the JSON shape of an error answer, in RAM's field order.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// writeError sends e as RAM's compact JSON error body.
func (s *Server) writeError(w http.ResponseWriter, e *gatewayError) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(errorBody{RequestID: newRequestID(), HostID: s.hostID, Code: e.code, Message: e.message})
	w.Header().Set("Content-Type", contentType)
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, POST")
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// newRequestID returns a random ID shaped as RAM's request IDs, such as
// "4C467B38-3910-447D-87BC-AC049166F216".
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// dropConnection closes the client's connection without an answer. Over
// HTTP/1 it hijacks and closes the connection; where that is impossible
// (HTTP/2) it aborts the handler, which resets the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// sleep waits for d and reports whether it did; it returns false as soon as
// ctx ends.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func cloneParams(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// servesAction reports whether the fake serves action: whether its core has a
// handler for it.
func servesAction(action string) bool {
	_, ok := handlers[action]
	return ok
}
