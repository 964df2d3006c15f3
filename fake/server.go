// This file holds the HTTP server that speaks RAM's RPC protocol: signature
// checks (V1), bounds on requests, and the answers.

package fake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/internal/acs3"
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

// Bounds and timeouts of the endpoint when ServerOptions leaves them zero.
const (
	DefaultMaxBodyBytes      int64 = 10 << 20 // RAM's cap on a POST body
	DefaultMaxHeaderBytes    int64 = 64 << 10
	DefaultReadHeaderTimeout       = 10 * time.Second
	DefaultReadTimeout             = 30 * time.Second
	DefaultIdleTimeout             = 2 * time.Minute
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
	// Account is the UID of the account the key belongs to: the endpoint
	// serves a request signed with it from that account's state. Empty
	// means the account of the *RAM the Server fronts. The endpoint adds
	// an account the fake does not hold (as RAM.AddAccount does) the first
	// time a request signed with its key arrives.
	Account string
	// User is the name of the RAM user the key belongs to. Empty means the
	// account's root identity, which STS does not let assume roles.
	User string
}

// ServerOptions configures the RPC endpoint. A nil *ServerOptions, and the
// zero value of every field, give a sane default.
type ServerOptions struct {
	// Credentials are the access keys the endpoint accepts. Empty means the
	// single key DefaultAccessKeyID / DefaultAccessKeySecret, of the fake's
	// root identity. When two entries share an AccessKeyID the first wins;
	// entries with an empty AccessKeyID, or an Account that is not 16
	// digits, are ignored.
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

	// MaxBodyBytes bounds a request's body; a larger one is refused with
	// 413 InvalidParameter.RequestTooLarge. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxHeaderBytes bounds a request's target (path and query) and headers
	// together; larger ones are refused with 431
	// InvalidParameter.RequestTooLarge. Zero means DefaultMaxHeaderBytes.
	// Start lets the HTTP server read up to four times as much, and at least
	// 16 MB, before it answers with Go's own plain 431.
	MaxHeaderBytes int64

	// ReadHeaderTimeout, ReadTimeout and IdleTimeout are the timeouts of the
	// HTTP server Start runs: for reading a request's headers, for reading a
	// whole request (body included), and for a kept-alive connection to wait
	// for its next request. Zero means DefaultReadHeaderTimeout,
	// DefaultReadTimeout and DefaultIdleTimeout. A client that sends its
	// request slower than this is cut off. NewServer ignores them.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration

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
//	Format other than JSON or XML           400 InvalidParameter.Format
//	SignatureMethod other than HMAC-SHA1    400 InvalidParameter.SignatureMethod
//	SignatureVersion other than 1.0         400 InvalidParameter.SignatureVersion
//	SignatureType other than empty          400 InvalidParameter.SignatureType
//	Version not one the endpoint serves     400 InvalidVersion
//	  (RAM's 2015-05-01, or a service's)
//	an Action the fake does not serve       404 InvalidAction.NotFound
//	unknown AccessKeyId                     404 InvalidAccessKeyId.NotFound
//	signature does not match                400 SignatureDoesNotMatch
//	Timestamp not in ISO 8601 (RFC 3339)    400 InvalidTimeStamp.Format
//	Timestamp further than MaxSkew away     400 InvalidTimeStamp.Expired
//	SecurityToken missing, wrong, or sent
//	  with a key that has none              400 InvalidSecurityToken.MismatchWithAccessKey
//	temporary credentials AssumeRole issued
//	  that have expired                     400 InvalidSecurityToken.Expired
//	SignatureNonce seen before for the key  400 SignatureNonceUsed
//
// Before any of these, a request line and headers larger than MaxHeaderBytes
// get 431 InvalidParameter.RequestTooLarge, a body larger than MaxBodyBytes
// 413 InvalidParameter.RequestTooLarge, and a body that does not arrive in
// full within the read timeout 400 InvalidParameter.
//
// A request with an Authorization header, or with both x-acs-action and
// x-acs-content-sha256, is checked as a V3 (ACS3-HMAC-SHA256) request
// instead of the V1 rows above, in this order:
//
//	Authorization missing                   400 MissingAuthorization
//	algorithm other than ACS3-HMAC-SHA256   400 InvalidParameter.SignatureMethod
//	Authorization not Credential=,
//	  SignedHeaders=, Signature=            400 InvalidAuthorization
//	x-acs-action, -version, -date,
//	  -signature-nonce, -content-sha256
//	  missing                               400 Missing<Name>
//	x-acs-content-sha256 not the SHA-256
//	  of the body                           400 InvalidParameter.ContentSHA256
//	host or any x-acs-* or content-type
//	  header not signed                     400 InvalidAuthorization
//	x-acs-version not one it serves         400 InvalidVersion
//	an action the fake does not serve       404 InvalidAction.NotFound
//	unknown access key                      404 InvalidAccessKeyId.NotFound
//	signature does not match                400 SignatureDoesNotMatch
//	x-acs-date malformed / too far away     400 InvalidTimeStamp.Format / .Expired
//	x-acs-security-token wrong or missing   400 InvalidSecurityToken.MismatchWithAccessKey
//	temporary credentials expired           400 InvalidSecurityToken.Expired
//	a body neither form nor JSON object     415/400 InvalidParameter(.ContentType)
//	a parameter twice, or a V1 parameter    400 InvalidParameter
//	nonce seen before for the key           400 SignatureNonceUsed
//
// The V3 SignatureDoesNotMatch message does not echo the string to sign,
// and a refusal of an Authorization header names its scheme only when it is
// a known one (such as ACS3-HMAC-SM3 or Bearer), since the first word of the
// header may be a token.
//
// Missing<Name> is the shape the fake uses for absent API parameters too.
// Public reports of Alibaba Cloud's gateway show InvalidAccessKeyId.NotFound
// and InvalidAction.NotFound with 404 and SignatureNonceUsed with 400; the
// other statuses, and the codes of the first rows and of the Format,
// SignatureMethod, SignatureVersion and SignatureType rows, are the fake's
// own choice. The message of SignatureDoesNotMatch ends with
// "server string to sign is:" and the string the server signed, which the
// SDK compares with its own to tell a wrong secret from a signing bug; the
// value of every secret-bearing parameter (SecurityToken, BearerToken,
// AccessKeySecret, whatever the case of the name) is replaced by Redacted in
// it, so that comparison only helps for requests without them.
//
// No refusal quotes a secret: should a message hold, in any form a message
// could quote it in, the value of a secret-bearing parameter or header
// (AccessKeySecret, BearerToken, SecurityToken, Signature, Authorization and
// the x-acs-security-token, x-acs-bearer-token and x-acs-accesskey-secret
// headers) or the secret or token of the access key the request names (for
// example a Version or Content-Type given a token's value), the message is
// replaced by one that quotes nothing. Values a message quotes are cut to
// 64 bytes.
//
// Answers follow the request's format: a V1 request with Format=JSON gets
// JSON, and one with Format=XML or no Format at all gets XML, as RAM
// documents; a V3 request gets JSON unless its Accept header asks for
// application/xml or text/xml. XML answers are RAM's shape, with
// Content-Type text/xml;charset=utf-8: <ActionResponse>…</ActionResponse>
// for a success, <Error>…</Error> for a refusal, list members repeated once
// per item. Refusals that come before the format is known are JSON.
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

	maxBody   int64
	maxHeader int64

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
	s.maxBody, s.maxHeader = o.MaxBodyBytes, o.MaxHeaderBytes
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxHeader <= 0 {
		s.maxHeader = DefaultMaxHeaderBytes
	}
	creds := o.Credentials
	if len(creds) == 0 {
		creds = []Credential{{AccessKeyID: DefaultAccessKeyID, AccessKeySecret: DefaultAccessKeySecret}}
	}
	for _, c := range creds {
		if c.AccessKeyID == "" || (c.Account != "" && !accountIDFormat.MatchString(c.Account)) {
			continue
		}
		if _, dup := s.keys[c.AccessKeyID]; !dup {
			s.keys[c.AccessKeyID] = c
		}
	}
	s.nonces = rpcsig.NewNonceStore(s.clock)
	return s
}

// ServeHTTP answers one RPC request. A panic while it does (in the fake, or
// in a clock the caller gave) is answered with RAM's 500 InternalError; the
// fake releases its locks on every path, so the next request is served.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // dropConnection's deliberate abort
		}
		s.writeError(w, &gatewayError{http.StatusInternalServerError, "InternalError", "An internal error occurred."}, false)
	}()
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
		s.writeError(w, aerr, call.XML)
		return
	}
	resp := s.ram.accountFor(call.Caller.account).do(req.Context(), call)
	if resp.Lost {
		dropConnection(w)
		return
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := resp.Body
	if call.XML {
		root := call.Action + "Response"
		if status >= 400 {
			root = "Error"
		}
		x, err := jsonToXML(root, body)
		if err != nil {
			s.writeError(w, &gatewayError{http.StatusInternalServerError, "InternalError",
				"The answer could not be rendered as XML."}, false)
			return
		}
		body = x
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = slices.Clone(v)
	}
	if call.XML {
		h.Set("Content-Type", xmlContentType)
		h.Del("Content-Length")
	} else if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
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
func (s *Server) check(req *http.Request) (call request, aerr *gatewayError) {
	// The answer's format, once the request says it, holds for refusals too.
	asXML := false
	// A refusal never quotes a secret the request carries, whichever
	// parameter or header it was sent in.
	query, _ := url.ParseQuery(req.URL.RawQuery)
	secrets := s.secretsOf(query, req.Header)
	defer func() {
		call.XML = asXML
		if aerr != nil {
			aerr = withhold(aerr, secrets)
		}
	}()
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		return request{}, &gatewayError{http.StatusMethodNotAllowed, "UnsupportedHTTPMethod",
			fmt.Sprintf("The HTTP method %q is not supported; use GET or POST.", clip(req.Method))}
	}
	if req.URL.Path != "/" && req.URL.Path != "" {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAction.NotFound",
			"The specified API is not found: RPC requests go to the path \"/\"."}
	}
	if aerr := s.checkSize(req); aerr != nil {
		return request{}, aerr
	}
	if isV3(req) {
		asXML = acceptsXML(req.Header.Get("Accept"))
		return s.checkV3(req)
	}
	params, aerr := readParams(req, s.maxBody)
	if aerr != nil {
		return request{}, aerr
	}
	secrets = append(secrets, s.secretsOf(params, nil)...)
	get := func(k string) string { return params.Get(k) }
	// RAM answers XML when a request names no Format.
	f := get("Format")
	asXML = f == "" || strings.EqualFold(f, "XML")
	for _, k := range requiredParams {
		if get(k) == "" {
			return request{}, &gatewayError{http.StatusBadRequest, "Missing" + k,
				k + " is mandatory for this action."}
		}
	}
	if !asXML && !strings.EqualFold(f, "JSON") {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.Format",
			fmt.Sprintf("The parameter Format %q is not supported: use JSON or XML.", clip(f))}
	}
	if m := get("SignatureMethod"); m != rpcsig.Method {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureMethod",
			fmt.Sprintf("The parameter SignatureMethod %q is not supported; use %s.", clip(m), rpcsig.Method)}
	}
	if v := get("SignatureVersion"); v != rpcsig.Version {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureVersion",
			fmt.Sprintf("The parameter SignatureVersion %q is not supported; use %s.", clip(v), rpcsig.Version)}
	}
	if t := get("SignatureType"); t != "" {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidParameter.SignatureType",
			fmt.Sprintf("The parameter SignatureType %q is not supported; sign with an access key.", clip(t))}
	}
	if v := get("Version"); v != APIVersion && serviceHandlers[v] == nil {
		return request{}, &gatewayError{http.StatusBadRequest, "InvalidVersion",
			fmt.Sprintf("The specified parameter Version %q is not valid; RAM serves %s.", clip(v), APIVersion)}
	}
	action := get("Action")
	if !servesActionIn(get("Version"), action) {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAction.NotFound",
			fmt.Sprintf("The specified API %q is not found, please check your url and method.", clip(action))}
	}

	keyID := get("AccessKeyId")
	cred, who, ok := s.credential(keyID)
	if !ok {
		return request{}, &gatewayError{http.StatusNotFound, "InvalidAccessKeyId.NotFound",
			"The specified access key is not found."}
	}
	if !rpcsig.Verify(req.Method, params, cred.AccessKeySecret) {
		// The string to sign shows every secret-bearing parameter as
		// Redacted, whatever the case of its name.
		return request{}, &gatewayError{http.StatusBadRequest, "SignatureDoesNotMatch",
			"The request signature does not match the signature the server calculated. " +
				"server string to sign is:" + rpcsig.StringToSign(req.Method, redactParams(params))}
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
	if aerr := s.checkExpiry(who); aerr != nil {
		return request{}, aerr
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
	return request{Action: action, Params: api, AccessKeyID: keyID, Caller: who}, nil
}

// readParams returns the query and form parameters of req together. A name
// may appear only once across both.
func readParams(req *http.Request, maxBody int64) (url.Values, *gatewayError) {
	query, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
			"The query string is not valid URL encoding."}
	}
	body, aerr := readBody(req, maxBody)
	if aerr != nil {
		return nil, aerr
	}
	if req.Method == http.MethodPost && len(body) > 0 {
		form, aerr := parseBody(req.Header.Get("Content-Type"), body, false)
		if aerr != nil {
			return nil, aerr
		}
		for k, v := range form {
			query[k] = append(query[k], v...)
		}
	}
	for k, v := range query {
		if len(v) > 1 {
			return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
				fmt.Sprintf("The parameter %q is given more than once.", clip(k))}
		}
	}
	return query, nil
}

// readBody reads the whole body of req, at most maxBody bytes. A body that
// does not arrive within the server's read timeout ends in an error.
func readBody(req *http.Request, maxBody int64) ([]byte, *gatewayError) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.ContentLength > maxBody {
		return nil, tooLarge(maxBody)
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(maxBody)
		}
		return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
			"The request body could not be read in full before the server's read timeout."}
	}
	return b, nil
}

func tooLarge(maxBody int64) *gatewayError {
	return &gatewayError{http.StatusRequestEntityTooLarge, "InvalidParameter.RequestTooLarge",
		fmt.Sprintf("The request body is larger than %d bytes.", maxBody)}
}

// parseBody returns the parameters of a POST body: an
// application/x-www-form-urlencoded form or, when allowJSON, a JSON object
// whose members are strings, numbers or booleans. Other content types carry
// no parameters the endpoint understands and are refused.
func parseBody(ctype string, body []byte, allowJSON bool) (url.Values, *gatewayError) {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &gatewayError{http.StatusBadRequest, "InvalidParameter",
				"The request body is not a valid application/x-www-form-urlencoded form."}
		}
		return form, nil
	case allowJSON && mt == "application/json":
		return parseJSONBody(body)
	default:
		return nil, &gatewayError{http.StatusUnsupportedMediaType, "InvalidParameter.ContentType",
			fmt.Sprintf("The Content-Type %q is not supported for a request body; send a form%s.", clip(ctype),
				map[bool]string{true: " or a JSON object", false: ""}[allowJSON])}
	}
}

// parseJSONBody returns the members of a JSON object as parameters. Nested
// objects and arrays are refused rather than guessed at.
func parseJSONBody(body []byte) (url.Values, *gatewayError) {
	bad := &gatewayError{http.StatusBadRequest, "InvalidParameter",
		"The request body is not a JSON object whose members are strings, numbers or booleans."}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || dec.More() {
		return nil, bad
	}
	out := make(url.Values, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out.Set(k, v)
		case json.Number:
			out.Set(k, v.String())
		case bool:
			out.Set(k, strconv.FormatBool(v))
		default:
			return nil, bad
		}
	}
	return out, nil
}

// checkSize refuses a request whose target and headers together exceed the
// server's bound, in RAM's error format.
func (s *Server) checkSize(req *http.Request) *gatewayError {
	n := len(req.RequestURI)
	if n == 0 {
		n = len(req.URL.RequestURI())
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if int64(n) > s.maxHeader {
		return &gatewayError{http.StatusRequestHeaderFieldsTooLarge, "InvalidParameter.RequestTooLarge",
			fmt.Sprintf("The request line and headers are larger than %d bytes.", s.maxHeader)}
	}
	return nil
}

// errorBody is the JSON shape of an error answer, in RAM's field order.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// writeError sends e as RAM's compact JSON error body, or as RAM's XML
// <Error> when asXML.
func (s *Server) writeError(w http.ResponseWriter, e *gatewayError, asXML bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(errorBody{RequestID: newRequestID(), HostID: s.hostID, Code: e.code, Message: e.message})
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	ctype := contentType
	if asXML {
		if x, err := jsonToXML("Error", body); err == nil {
			body, ctype = x, xmlContentType
		}
	}
	w.Header().Set("Content-Type", ctype)
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, POST")
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
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

// secretNames are the parameters and headers, by lower-case name, whose
// values are secrets. The endpoint quotes none of them in a message; the
// AccessKeyId, which identifies a key but proves nothing, may be quoted.
var secretNames = map[string]bool{
	"accesskeysecret":        true,
	"signature":              true,
	"securitytoken":          true,
	"bearertoken":            true,
	"authorization":          true,
	"x-acs-security-token":   true,
	"x-acs-bearer-token":     true,
	"x-acs-accesskey-secret": true,
}

// redactParams returns a copy of v with the value of every secret-bearing
// parameter, whatever the case of its name, replaced by Redacted.
func redactParams(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		if secretNames[strings.ToLower(k)] {
			vs = []string{Redacted}
		}
		out[k] = slices.Clone(vs)
	}
	return out
}

// secretsOf returns the secrets a request carries in params and h: the
// values of secret-bearing parameters and headers, the signature inside a
// V3 Authorization header, and the secret and token the endpoint holds for
// the access key the request names.
func (s *Server) secretsOf(params url.Values, h http.Header) []string {
	var out []string
	var keyIDs []string
	for k, vs := range params {
		if secretNames[strings.ToLower(k)] {
			out = append(out, vs...)
		}
		if k == "AccessKeyId" {
			keyIDs = append(keyIDs, vs...)
		}
	}
	for k, vs := range h {
		if !secretNames[strings.ToLower(k)] {
			continue
		}
		out = append(out, vs...)
		if strings.EqualFold(k, "Authorization") {
			for _, v := range vs {
				if a, err := acs3.ParseAuthorization(v); err == nil {
					out = append(out, a.Signature)
					keyIDs = append(keyIDs, a.AccessKeyID)
				}
			}
		}
	}
	for _, id := range keyIDs {
		if c, _, ok := s.credential(id); ok {
			out = append(out, c.AccessKeySecret, c.SecurityToken)
		}
	}
	return out
}

// rfc3986 is the percent-encoding of a string to sign.
var rfc3986 = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

// withhold returns e, or, when its message holds any of secrets in any
// form a message could quote it in (as sent, or escaped once or twice as in
// a string to sign), e with a message that quotes nothing. A secret that
// happens to match ordinary text withholds that text too: failing closed
// costs only detail.
func withhold(e *gatewayError, secrets []string) *gatewayError {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		q := url.QueryEscape(sec)
		for _, form := range []string{sec, q, url.QueryEscape(q), url.PathEscape(sec), rfc3986.Replace(q), url.QueryEscape(rfc3986.Replace(q))} {
			if strings.Contains(e.message, form) {
				return &gatewayError{e.status, e.code,
					"The request is refused; the details are withheld because they would quote a secret the request carries."}
			}
		}
	}
	return e
}

// servesAction reports whether the fake serves action: whether its core has a
// handler for it.
func servesAction(action string) bool {
	_, ok := handlers[action]
	return ok
}
