package fake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/rpcsig"
)

// Keys the test endpoints accept.
const (
	testKeyID   = "LTAI-test-key"
	testSecret  = "test-secret/+*~ x"
	stsKeyID    = "STS.test-key"
	stsSecret   = "sts-secret"
	stsToken    = "sts-token/+=="
	otherKeyID  = "LTAI-other-key"
	otherSecret = "other-secret"
)

func testCredentials() []fake.Credential {
	return []fake.Credential{
		{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken},
		{AccessKeyID: otherKeyID, AccessKeySecret: otherSecret},
	}
}

// serverTime is the fixed time of endpoints whose clock tests control.
var serverTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// start serves r on a loopback port for the length of the test.
func start(t *testing.T, r *fake.RAM, opts *fake.ServerOptions) *fake.Endpoint {
	t.Helper()
	ep, err := fake.Start(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	return ep
}

// client returns an SDK client of ep signing with the given key.
func client(t *testing.T, ep *fake.Endpoint, keyID, secret string) *ram.Client {
	t.Helper()
	c, err := ep.Client(keyID, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gatewayBody is the JSON error body of the endpoint.
type gatewayBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// answer is what a raw request got back.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   gatewayBody
}

// rpcParams returns the common parameters of a request by keyID at ts, plus
// the API parameters api, unsigned.
func rpcParams(keyID, action string, ts time.Time, nonce string, api map[string]string) url.Values {
	v := url.Values{
		"Action":           {action},
		"Version":          {fake.APIVersion},
		"Format":           {"JSON"},
		"AccessKeyId":      {keyID},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"SignatureType":    {""},
		"SignatureNonce":   {nonce},
		"Timestamp":        {ts.UTC().Format("2006-01-02T15:04:05Z")},
		"RegionId":         {"cn-hangzhou"},
	}
	for k, val := range api {
		v.Set(k, val)
	}
	return v
}

// sign adds the Signature of params, as sent with method, under secret.
func sign(method string, params url.Values, secret string) url.Values {
	params.Set("Signature", rpcsig.Sign(method, params, secret))
	return params
}

// send sends a raw request: params in the query, form in the body (as a
// form), and decodes the answer.
func send(t *testing.T, hc *http.Client, base, method, path string, query, form url.Values) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path+"?"+query.Encode(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return readAnswer(t, resp)
}

// readAnswer reads and closes the body of resp, which must be JSON.
func readAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, raw)
	}
	return a
}

// passed is the answer of a request that got through the gateway: GetRole of
// a role that does not exist.
const passedCode = "EntityNotExist.Role"

func TestGateway(t *testing.T) {
	r := fake.New(nil)
	ep := start(t, r, &fake.ServerOptions{
		Credentials: testCredentials(),
		Clock:       func() time.Time { return serverTime },
		HostID:      "ram.test.example",
	})
	hc := &http.Client{}
	nonce := 0
	nextNonce := func() string { nonce++; return fmt.Sprintf("nonce-%d", nonce) }

	type req struct {
		method string
		path   string
		query  url.Values
		form   url.Values
	}
	// build returns a request for GetRole of a missing role, signed with
	// the test key at serverTime. before edits the parameters before
	// signing; after edits the signed request.
	build := func(before func(url.Values), after func(*req)) req {
		p := rpcParams(testKeyID, "GetRole", serverTime, nextNonce(), map[string]string{"RoleName": "missing"})
		secret := testSecret
		if before != nil {
			before(p)
			if p.Get("AccessKeyId") == stsKeyID {
				secret = stsSecret
			}
		}
		rq := req{method: http.MethodPost, path: "/", query: sign(http.MethodPost, p, secret)}
		if after != nil {
			after(&rq)
		}
		return rq
	}
	set := func(k, v string) func(url.Values) { return func(p url.Values) { p.Set(k, v) } }
	del := func(k string) func(url.Values) { return func(p url.Values) { p.Del(k) } }
	resign := func(method string) func(*req) {
		return func(rq *req) {
			rq.method = method
			rq.query.Del("Signature")
			sign(method, rq.query, testSecret)
		}
	}

	tests := []struct {
		name       string
		give       req
		wantStatus int
		wantCode   string
	}{
		{name: "POST, params in query", give: build(nil, nil), wantStatus: 404, wantCode: passedCode},
		{name: "GET, params in query", give: build(nil, resign(http.MethodGet)), wantStatus: 404, wantCode: passedCode},
		{
			name: "POST, API params in form body",
			give: build(nil, func(rq *req) {
				rq.form = url.Values{"RoleName": {rq.query.Get("RoleName")}}
				rq.query.Del("RoleName")
			}),
			wantStatus: 404, wantCode: passedCode,
		},
		{
			name: "POST, every param in form body",
			give: build(nil, func(rq *req) {
				rq.form, rq.query = rq.query, url.Values{}
			}),
			wantStatus: 404, wantCode: passedCode,
		},
		{
			name:       "GET ignores a body",
			give:       build(nil, func(rq *req) { resign(http.MethodGet)(rq); rq.form = url.Values{"RoleName": {"other"}} }),
			wantStatus: 404, wantCode: passedCode,
		},
		{name: "lower-case json format", give: build(set("Format", "json"), nil), wantStatus: 404, wantCode: passedCode},
		{name: "no RegionId", give: build(del("RegionId"), nil), wantStatus: 404, wantCode: passedCode},
		{name: "no SignatureType", give: build(del("SignatureType"), nil), wantStatus: 404, wantCode: passedCode},
		{
			name:       "timestamp just inside the skew",
			give:       build(set("Timestamp", serverTime.Add(-fake.DefaultMaxSkew).Format(time.RFC3339)), nil),
			wantStatus: 404, wantCode: passedCode,
		},
		{
			name:       "timestamp with offset",
			give:       build(set("Timestamp", serverTime.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)), nil),
			wantStatus: 404, wantCode: passedCode,
		},
		{
			name: "STS key with its token",
			give: build(func(p url.Values) {
				p.Set("AccessKeyId", stsKeyID)
				p.Set("SecurityToken", stsToken)
			}, nil),
			wantStatus: 404, wantCode: passedCode,
		},

		{name: "PUT", give: build(nil, resign(http.MethodPut)), wantStatus: 405, wantCode: "UnsupportedHTTPMethod"},
		{name: "DELETE", give: build(nil, resign(http.MethodDelete)), wantStatus: 405, wantCode: "UnsupportedHTTPMethod"},
		{name: "other path", give: build(nil, func(rq *req) { rq.path = "/v1/roles" }), wantStatus: 404, wantCode: "InvalidAction.NotFound"},
		{
			name:       "param in query and body",
			give:       build(nil, func(rq *req) { rq.form = url.Values{"RoleName": {"missing"}} }),
			wantStatus: 400, wantCode: "InvalidParameter",
		},
		{
			name:       "param twice in query",
			give:       build(nil, func(rq *req) { rq.query.Add("RoleName", "again") }),
			wantStatus: 400, wantCode: "InvalidParameter",
		},
		{name: "no Action", give: build(del("Action"), nil), wantStatus: 400, wantCode: "MissingAction"},
		{name: "no Version", give: build(del("Version"), nil), wantStatus: 400, wantCode: "MissingVersion"},
		{name: "no AccessKeyId", give: build(del("AccessKeyId"), nil), wantStatus: 400, wantCode: "MissingAccessKeyId"},
		{name: "no Signature", give: build(nil, func(rq *req) { rq.query.Del("Signature") }), wantStatus: 400, wantCode: "MissingSignature"},
		{name: "no SignatureMethod", give: build(del("SignatureMethod"), nil), wantStatus: 400, wantCode: "MissingSignatureMethod"},
		{name: "no SignatureVersion", give: build(del("SignatureVersion"), nil), wantStatus: 400, wantCode: "MissingSignatureVersion"},
		{name: "no SignatureNonce", give: build(del("SignatureNonce"), nil), wantStatus: 400, wantCode: "MissingSignatureNonce"},
		{name: "no Timestamp", give: build(del("Timestamp"), nil), wantStatus: 400, wantCode: "MissingTimestamp"},
		{name: "HMAC-SHA256", give: build(set("SignatureMethod", "HMAC-SHA256"), nil), wantStatus: 400, wantCode: "InvalidParameter.SignatureMethod"},
		{name: "signature version 2.0", give: build(set("SignatureVersion", "2.0"), nil), wantStatus: 400, wantCode: "InvalidParameter.SignatureVersion"},
		{name: "bearer token", give: build(set("SignatureType", "BEARERTOKEN"), nil), wantStatus: 400, wantCode: "InvalidParameter.SignatureType"},
		{name: "wrong version", give: build(set("Version", "2019-01-01"), nil), wantStatus: 400, wantCode: "InvalidVersion"},
		{name: "unknown action", give: build(set("Action", "CreateUser"), nil), wantStatus: 404, wantCode: "InvalidAction.NotFound"},
		{name: "unknown key", give: build(set("AccessKeyId", "LTAI-nobody"), nil), wantStatus: 404, wantCode: "InvalidAccessKeyId.NotFound"},
		{
			name:       "wrong secret",
			give:       build(nil, func(rq *req) { rq.query.Set("Signature", rpcsig.Sign(rq.method, rq.query, "wrong")) }),
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name:       "param changed after signing",
			give:       build(nil, func(rq *req) { rq.query.Set("RoleName", "other") }),
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name:       "unsigned param in the body",
			give:       build(nil, func(rq *req) { rq.form = url.Values{"Extra": {"x"}} }),
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{name: "signed as GET, sent as POST", give: build(nil, func(rq *req) { resign(http.MethodGet)(rq); rq.method = http.MethodPost }), wantStatus: 400, wantCode: "SignatureDoesNotMatch"},
		{name: "timestamp not ISO 8601", give: build(set("Timestamp", "yesterday"), nil), wantStatus: 400, wantCode: "InvalidTimeStamp.Format"},
		{
			name:       "timestamp too old",
			give:       build(set("Timestamp", serverTime.Add(-fake.DefaultMaxSkew-time.Second).Format(time.RFC3339)), nil),
			wantStatus: 400, wantCode: "InvalidTimeStamp.Expired",
		},
		{
			name:       "timestamp too far ahead",
			give:       build(set("Timestamp", serverTime.Add(fake.DefaultMaxSkew+time.Second).Format(time.RFC3339)), nil),
			wantStatus: 400, wantCode: "InvalidTimeStamp.Expired",
		},
		{
			name:       "STS key without token",
			give:       build(set("AccessKeyId", stsKeyID), nil),
			wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey",
		},
		{
			name: "STS key with another token",
			give: build(func(p url.Values) {
				p.Set("AccessKeyId", stsKeyID)
				p.Set("SecurityToken", "stolen")
			}, nil),
			wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey",
		},
		{
			name:       "plain key with a token",
			give:       build(set("SecurityToken", stsToken), nil),
			wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, hc, ep.URL(), tt.give.method, tt.give.path, tt.give.query, tt.give.form)
			if got.status != tt.wantStatus || got.body.Code != tt.wantCode {
				t.Errorf("answer = %d %s (%s), want %d %s", got.status, got.body.Code, got.body.Message, tt.wantStatus, tt.wantCode)
			}
			if tt.wantCode == passedCode {
				return
			}
			if got.body.HostID != "ram.test.example" || got.body.RequestID == "" || got.body.Message == "" {
				t.Errorf("error body = %+v, want RequestId, HostId ram.test.example and a Message", got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json;charset=utf-8" {
				t.Errorf("Content-Type = %q, want application/json;charset=utf-8", ct)
			}
			for _, secret := range []string{testSecret, stsSecret, stsToken, url.QueryEscape(stsToken)} {
				if bytes.Contains(got.raw, []byte(secret)) {
					t.Errorf("error body %s contains a secret", got.raw)
				}
			}
		})
	}
}

func TestGatewayErrorBodyIsCompactInRAMOrder(t *testing.T) {
	ep := start(t, fake.New(nil), nil)
	p := sign(http.MethodPost, rpcParams("LTAI-nobody", "GetRole", time.Now(), "n1", nil), "x")
	got := send(t, &http.Client{}, ep.URL(), http.MethodPost, "/", p, nil)
	want := `{"RequestId":"` + got.body.RequestID + `","HostId":"ram.aliyuncs.com","Code":"InvalidAccessKeyId.NotFound","Message":"` + got.body.Message + `"}`
	if diff := cmp.Diff(want, string(got.raw)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	if len(got.body.RequestID) != 36 || strings.ToUpper(got.body.RequestID) != got.body.RequestID {
		t.Errorf("RequestId = %q, want an upper-case UUID", got.body.RequestID)
	}
}

func TestNonceReuse(t *testing.T) {
	ep := start(t, fake.New(nil), &fake.ServerOptions{
		Credentials: testCredentials(),
		Clock:       func() time.Time { return serverTime },
	})
	hc := &http.Client{}
	post := func(keyID, secret, nonce string) answer {
		t.Helper()
		p := sign(http.MethodPost, rpcParams(keyID, "GetRole", serverTime, nonce, map[string]string{"RoleName": "missing"}), secret)
		return send(t, hc, ep.URL(), http.MethodPost, "/", p, nil)
	}
	steps := []struct {
		name     string
		keyID    string
		secret   string
		nonce    string
		wantCode string
	}{
		{name: "bad signature does not spend the nonce", keyID: testKeyID, secret: "wrong", nonce: "n1", wantCode: "SignatureDoesNotMatch"},
		{name: "first use", keyID: testKeyID, secret: testSecret, nonce: "n1", wantCode: passedCode},
		{name: "replay", keyID: testKeyID, secret: testSecret, nonce: "n1", wantCode: "SignatureNonceUsed"},
		{name: "replay again", keyID: testKeyID, secret: testSecret, nonce: "n1", wantCode: "SignatureNonceUsed"},
		{name: "same nonce, other key", keyID: otherKeyID, secret: otherSecret, nonce: "n1", wantCode: passedCode},
		{name: "new nonce", keyID: testKeyID, secret: testSecret, nonce: "n2", wantCode: passedCode},
	}
	for _, st := range steps {
		got := post(st.keyID, st.secret, st.nonce)
		if got.body.Code != st.wantCode {
			t.Errorf("%s: code = %s, want %s", st.name, got.body.Code, st.wantCode)
		}
		if st.wantCode == "SignatureNonceUsed" && got.status != http.StatusBadRequest {
			t.Errorf("%s: status = %d, want 400", st.name, got.status)
		}
	}
}

// TestNonceExpiresWithTheSkewWindow replays a request after the clock moved
// past its window: the refusal is now about the timestamp.
func TestNonceExpiresWithTheSkewWindow(t *testing.T) {
	var now atomic.Int64
	now.Store(serverTime.UnixNano())
	ep := start(t, fake.New(nil), &fake.ServerOptions{
		Credentials: testCredentials(),
		Clock:       func() time.Time { return time.Unix(0, now.Load()) },
		MaxSkew:     time.Minute,
	})
	p := sign(http.MethodPost, rpcParams(testKeyID, "GetRole", serverTime, "n1", map[string]string{"RoleName": "missing"}), testSecret)
	hc := &http.Client{}
	for _, st := range []struct {
		advance  time.Duration
		wantCode string
	}{
		{0, passedCode},
		{time.Minute, "SignatureNonceUsed"},
		{time.Second, "InvalidTimeStamp.Expired"},
	} {
		now.Add(int64(st.advance))
		if got := send(t, hc, ep.URL(), http.MethodPost, "/", p, nil); got.body.Code != st.wantCode {
			t.Errorf("after %v more: code = %s, want %s", st.advance, got.body.Code, st.wantCode)
		}
	}
}

// sdkErr asserts that err is an SDK server error and returns it.
func sdkErr(t *testing.T, err error) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *errors.ServerError", err, err)
	}
	return se
}

func TestSDKAuthentication(t *testing.T) {
	r := fake.New(nil)
	ep := start(t, r, &fake.ServerOptions{Credentials: testCredentials()})
	sts := func(token string) func(t *testing.T) *ram.Client {
		return func(t *testing.T) *ram.Client {
			c, err := ep.ClientWithSecurityToken(stsKeyID, stsSecret, token)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	plain := func(id, secret string) func(t *testing.T) *ram.Client {
		return func(t *testing.T) *ram.Client { return client(t, ep, id, secret) }
	}
	tests := []struct {
		name       string
		give       func(t *testing.T) *ram.Client
		wantStatus int
		wantCode   string
	}{
		{name: "access key", give: plain(testKeyID, testSecret), wantStatus: 404, wantCode: passedCode},
		{name: "STS key", give: sts(stsToken), wantStatus: 404, wantCode: passedCode},
		{name: "unknown key", give: plain("LTAI-nobody", testSecret), wantStatus: 404, wantCode: "InvalidAccessKeyId.NotFound"},
		{name: "wrong secret", give: plain(testKeyID, "wrong"), wantStatus: 400, wantCode: "SignatureDoesNotMatch"},
		{name: "STS key, wrong token", give: sts("other"), wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "STS key, no token", give: plain(stsKeyID, stsSecret), wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "missing"
			_, err := tt.give(t).GetRole(req)
			se := sdkErr(t, err)
			if se.HttpStatus() != tt.wantStatus || se.ErrorCode() != tt.wantCode {
				t.Errorf("error = %d %s (%s), want %d %s", se.HttpStatus(), se.ErrorCode(), se.Message(), tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestSDKSignatureMismatchDiagnosis checks that the string to sign in the
// message is the one the SDK signed, so the SDK concludes the secret is wrong.
func TestSDKSignatureMismatchDiagnosis(t *testing.T) {
	ep := start(t, fake.New(nil), &fake.ServerOptions{Credentials: testCredentials()})
	req := ram.CreateGetRoleRequest()
	req.RoleName = "a b*c~d"
	_, err := client(t, ep, testKeyID, "wrong").GetRole(req)
	se := sdkErr(t, err)
	if se.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("code = %s, want SignatureDoesNotMatch", se.ErrorCode())
	}
	if want := "server string to sign is:" + req.GetStringToSign(); !strings.HasSuffix(se.Message(), want) {
		t.Errorf("message = %q, want suffix %q", se.Message(), want)
	}
	if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
		t.Errorf("Recommend() = %q, want the SDK's wrong-secret hint", se.Recommend())
	}

	// With an STS key the token is redacted in the echoed string.
	c, err := ep.ClientWithSecurityToken(stsKeyID, "wrong", stsToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ram.CreateGetRoleRequest())
	se = sdkErr(t, err)
	if se.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("code = %s, want SignatureDoesNotMatch", se.ErrorCode())
	}
	if strings.Contains(se.Message(), url.QueryEscape(stsToken)) || strings.Contains(se.Message(), stsToken) ||
		!strings.Contains(se.Message(), "SecurityToken%3D"+url.QueryEscape(url.QueryEscape(fake.Redacted))) {
		t.Errorf("message = %q, want the token masked as %s", se.Message(), fake.Redacted)
	}
}

func TestSDKClockSkew(t *testing.T) {
	for _, offset := range []time.Duration{time.Hour, -time.Hour} {
		ep := start(t, fake.New(nil), &fake.ServerOptions{
			Credentials: testCredentials(),
			Clock:       func() time.Time { return time.Now().Add(offset) },
		})
		_, err := client(t, ep, testKeyID, testSecret).GetRole(ram.CreateGetRoleRequest())
		se := sdkErr(t, err)
		if se.HttpStatus() != 400 || se.ErrorCode() != "InvalidTimeStamp.Expired" {
			t.Errorf("server %v off: error = %d %s, want 400 InvalidTimeStamp.Expired", offset, se.HttpStatus(), se.ErrorCode())
		}
	}
}

func TestDefaultCredential(t *testing.T) {
	ep := start(t, fake.New(nil), nil)
	req := ram.CreateGetRoleRequest()
	req.RoleName = "missing"
	_, err := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret).GetRole(req)
	if se := sdkErr(t, err); se.ErrorCode() != passedCode {
		t.Errorf("code = %s, want %s", se.ErrorCode(), passedCode)
	}
}

func TestServerOptionsCredentialRules(t *testing.T) {
	ep := start(t, fake.New(nil), &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: "", AccessKeySecret: "ignored"},
		{AccessKeyID: "dup", AccessKeySecret: "first"},
		{AccessKeyID: "dup", AccessKeySecret: "second"},
	}})
	tests := []struct {
		name     string
		keyID    string
		secret   string
		wantCode string
	}{
		{name: "first duplicate wins", keyID: "dup", secret: "first", wantCode: passedCode},
		{name: "second duplicate refused", keyID: "dup", secret: "second", wantCode: "SignatureDoesNotMatch"},
		{name: "no default key once keys are given", keyID: fake.DefaultAccessKeyID, secret: fake.DefaultAccessKeySecret, wantCode: "InvalidAccessKeyId.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "missing"
			_, err := client(t, ep, tt.keyID, tt.secret).GetRole(req)
			if got := sdkErr(t, err).ErrorCode(); got != tt.wantCode {
				t.Errorf("code = %s, want %s", got, tt.wantCode)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	const latency = 30 * time.Millisecond
	ep := start(t, fake.New(nil), &fake.ServerOptions{Latency: latency})
	c := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	began := time.Now()
	_, err := c.GetRole(ram.CreateGetRoleRequest())
	if elapsed := time.Since(began); elapsed < latency {
		t.Errorf("call took %v, want at least the latency %v", elapsed, latency)
	}
	sdkErr(t, err) // answered, not cut off
}

// TestLatencyCancelled checks that a client that gives up during the delay
// frees the handler at once, and that its call never reaches the fake.
func TestLatencyCancelled(t *testing.T) {
	r := fake.New(nil)
	srv := fake.NewServer(r, &fake.ServerOptions{Latency: time.Hour})
	waiting := make(chan struct{}, 1)
	fake.SetLatencyHook(srv, func(*http.Request) { waiting <- struct{}{} })
	returned := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		srv.ServeHTTP(w, req)
		returned <- struct{}{}
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := sign(http.MethodPost, rpcParams(fake.DefaultAccessKeyID, "CreateRole", time.Now(), "n1", map[string]string{
		"RoleName":                 "never",
		"AssumeRolePolicyDocument": `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`,
	}), fake.DefaultAccessKeySecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/?"+p.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-waiting
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error = %v, want context.Canceled", err)
	}
	<-returned // the handler gave up its delay; a hang here fails by timeout

	get := ram.CreateGetRoleRequest()
	get.RoleName = "never"
	_, err = r.GetRole(get)
	if se := sdkErr(t, err); se.ErrorCode() != "EntityNotExist.Role" {
		t.Errorf("GetRole after a cancelled CreateRole: code = %s, want EntityNotExist.Role", se.ErrorCode())
	}
}

func TestEndpointCloseAndShutdown(t *testing.T) {
	ep, err := fake.Start(fake.New(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.Addr(), "127.0.0.1:") || ep.URL() != "http://"+ep.Addr() {
		t.Errorf("Addr() = %q, URL() = %q, want a loopback address", ep.Addr(), ep.URL())
	}
	if err := ep.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
	if err := ep.Close(); err != nil {
		t.Errorf("Close() after Shutdown = %v", err)
	}
	if _, err := net.Dial("tcp", ep.Addr()); err == nil {
		t.Error("endpoint still accepts connections after Shutdown")
	}

	ep2, err := fake.Start(fake.New(nil), &fake.ServerOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep2.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := ep2.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}

	if _, err := fake.Start(fake.New(nil), &fake.ServerOptions{Addr: "256.0.0.1:bad"}); err == nil {
		t.Error("Start on a bad address: no error")
	}
	if _, err := fake.NewClient("", nil); err == nil {
		t.Error("NewClient with no address: no error")
	}
}

// TestConcurrentClients drives the endpoint from many goroutines, each with
// its own SDK client (one client is not safe for concurrent calls).
func TestConcurrentClients(t *testing.T) {
	r := fake.New(nil)
	ep := start(t, r, nil)
	const workers, perWorker = 12, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*2)
	for w := range workers {
		wg.Go(func() {
			c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				errs <- err
				return
			}
			for i := range perWorker {
				name := "role-" + string(rune('a'+w)) + "-" + string(rune('a'+i))
				cr := ram.CreateCreateRoleRequest()
				cr.RoleName = name
				cr.AssumeRolePolicyDocument = trustDoc
				if _, err := c.CreateRole(cr); err != nil {
					errs <- err
					continue
				}
				gr := ram.CreateGetRoleRequest()
				gr.RoleName = name
				got, err := c.GetRole(gr)
				if err != nil {
					errs <- err
				} else if got.Role.RoleName != name {
					errs <- errors.New("GetRole returned role " + got.Role.RoleName + ", want " + name)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lr := ram.CreateListRolesRequest()
	lr.MaxItems = "1000"
	got, err := r.ListRoles(lr)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Roles.Role); n != workers*perWorker {
		t.Errorf("roles after the run = %d, want %d", n, workers*perWorker)
	}
}

// trustDoc is a trust policy RAM accepts.
const trustDoc = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`

// TestSDKVariants sends SDK requests the SDK can shape differently: by GET,
// and asking for XML.
func TestSDKVariants(t *testing.T) {
	ep := start(t, fake.New(nil), nil)
	c := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	tests := []struct {
		name       string
		give       func(*ram.GetRoleRequest)
		wantStatus int
		wantCode   string
	}{
		{name: "GET", give: func(r *ram.GetRoleRequest) { r.Method = requests.GET }, wantStatus: 404, wantCode: passedCode},
		// The SDK reads codes from JSON error bodies only; RAM's XML error
		// reaches it with its status.
		{name: "XML", give: func(r *ram.GetRoleRequest) { r.AcceptFormat = "XML" }, wantStatus: 404, wantCode: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "missing"
			tt.give(req)
			_, err := c.GetRole(req)
			se := sdkErr(t, err)
			if se.HttpStatus() != tt.wantStatus || se.ErrorCode() != tt.wantCode {
				t.Errorf("error = %d %s, want %d %s", se.HttpStatus(), se.ErrorCode(), tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// TestHoldOverHTTP orders two writers that arrive through the endpoint, with
// the fake's hold and no sleeps: the first is held before it commits while
// the second completes.
func TestHoldOverHTTP(t *testing.T) {
	r := fake.New(nil)
	ep := start(t, r, nil)
	hold := r.HoldCall("CreateRole", 1)
	first := make(chan error, 1)
	go func() {
		c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
		if err == nil {
			_, err = createRole("first", trustDoc)(c, nil)
		}
		first <- err
	}()
	<-hold.Held()

	second := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if _, err := createRole("second", trustDoc)(second, nil); err != nil {
		t.Fatalf("second CreateRole: %v", err)
	}
	if _, ok := r.Role("first"); ok {
		t.Error("held CreateRole committed before its release")
	}
	hold.Release()
	if err := <-first; err != nil {
		t.Fatalf("first CreateRole: %v", err)
	}
	var names []string
	for _, role := range r.Roles() {
		names = append(names, role.Name)
	}
	if diff := cmp.Diff([]string{"first", "second"}, names); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}
