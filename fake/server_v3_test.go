package fake_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/acs3"
)

// v3Request is a V3 request before it is sent; sign fills Authorization.
type v3Request struct {
	method, host string
	query        url.Values
	header       http.Header
	body         []byte
}

func newV3(host, action string, ts time.Time, nonce string, query url.Values, body []byte, ctype string) *v3Request {
	h := http.Header{}
	h.Set(acs3.HeaderAction, action)
	h.Set(acs3.HeaderVersion, fake.APIVersion)
	h.Set(acs3.HeaderDate, ts.UTC().Format("2006-01-02T15:04:05Z"))
	h.Set(acs3.HeaderNonce, nonce)
	h.Set(acs3.HeaderContentSHA256, acs3.HashPayload(body))
	h.Set("Accept", "application/json")
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	return &v3Request{method: http.MethodPost, host: host, query: query, header: h, body: body}
}

// sign signs r for the key, as darabonba does: every x-acs-* header, host
// and content-type.
func (r *v3Request) sign(keyID, secret string) *v3Request {
	hs := map[string][]string(r.header.Clone())
	hs["Host"] = []string{r.host}
	sr := acs3.Request{Method: r.method, Path: "/", Query: r.query, Header: hs,
		SignedHeaders: acs3.SignedHeaderNames(hs), PayloadHash: r.header.Get(acs3.HeaderContentSHA256)}
	r.header.Set("Authorization", acs3.Authorize(sr, keyID, secret))
	return r
}

func (r *v3Request) send(t *testing.T) answer {
	t.Helper()
	req, err := http.NewRequest(r.method, "http://"+r.host+"/?"+r.query.Encode(), strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, resp)
}

const v3Trust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`

func TestV3Accepted(t *testing.T) {
	tests := []struct {
		name  string
		query url.Values
		body  string
		ctype string
	}{
		{name: "query", query: url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}},
		{name: "form body", query: url.Values{}, body: url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}.Encode(), ctype: "application/x-www-form-urlencoded"},
		{name: "json body", query: url.Values{}, body: `{"RoleName":"r","AssumeRolePolicyDocument":` + jsonString(v3Trust) + `}`, ctype: "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
			a := newV3(ep.Addr(), "CreateRole", serverTime, "n1", tt.query, []byte(tt.body), tt.ctype).sign(testKeyID, testSecret).send(t)
			if a.status != http.StatusOK {
				t.Fatalf("status = %d, body %s; want 200", a.status, a.raw)
			}
			if !strings.Contains(string(a.raw), `"RoleName":"r"`) {
				t.Errorf("body = %s, want the role", a.raw)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestV3Refusals(t *testing.T) {
	create := url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}
	tests := []struct {
		name       string
		build      func(host string) *v3Request
		wantStatus int
		wantCode   string
	}{
		{
			name: "wrong secret",
			build: func(h string) *v3Request {
				return newV3(h, "CreateRole", serverTime, "n1", create, nil, "").sign(testKeyID, "wrong")
			},
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name: "altered header",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", create, nil, "").sign(testKeyID, testSecret)
				r.header.Set(acs3.HeaderNonce, "n2")
				return r
			},
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name: "altered query",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}, nil, "").sign(testKeyID, testSecret)
				r.query.Set("RoleName", "other")
				return r
			},
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name: "altered body, hash kept",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", url.Values{}, []byte(create.Encode()), "application/x-www-form-urlencoded").sign(testKeyID, testSecret)
				r.body = []byte(url.Values{"RoleName": {"other"}, "AssumeRolePolicyDocument": {v3Trust}}.Encode())
				return r
			},
			wantStatus: 400, wantCode: "InvalidParameter.ContentSHA256",
		},
		{
			name: "altered body and hash",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", url.Values{}, []byte(create.Encode()), "application/x-www-form-urlencoded").sign(testKeyID, testSecret)
				r.body = []byte(url.Values{"RoleName": {"other"}, "AssumeRolePolicyDocument": {v3Trust}}.Encode())
				r.header.Set(acs3.HeaderContentSHA256, acs3.HashPayload(r.body))
				return r
			},
			wantStatus: 400, wantCode: "SignatureDoesNotMatch",
		},
		{
			name: "stale date",
			build: func(h string) *v3Request {
				return newV3(h, "CreateRole", serverTime.Add(-16*time.Minute), "n1", create, nil, "").sign(testKeyID, testSecret)
			},
			wantStatus: 400, wantCode: "InvalidTimeStamp.Expired",
		},
		{
			name: "unsupported algorithm",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", create, nil, "").sign(testKeyID, testSecret)
				r.header.Set("Authorization", strings.Replace(r.header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
				return r
			},
			wantStatus: 400, wantCode: "InvalidParameter.SignatureMethod",
		},
		{
			name: "unsigned x-acs header",
			build: func(h string) *v3Request {
				r := newV3(h, "CreateRole", serverTime, "n1", create, nil, "").sign(testKeyID, testSecret)
				r.header.Set(acs3.HeaderSecurityToken, "added")
				return r
			},
			wantStatus: 400, wantCode: "InvalidAuthorization",
		},
		{
			name: "no authorization",
			build: func(h string) *v3Request {
				return newV3(h, "CreateRole", serverTime, "n1", create, nil, "")
			},
			wantStatus: 400, wantCode: "MissingAuthorization",
		},
		{
			name: "sts key without its token",
			build: func(h string) *v3Request {
				return newV3(h, "CreateRole", serverTime, "n1", create, nil, "").sign(stsKeyID, stsSecret)
			},
			wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey",
		},
		{
			name: "V1 parameter in a V3 request",
			build: func(h string) *v3Request {
				q := url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}, "SecurityToken": {"x"}}
				return newV3(h, "CreateRole", serverTime, "n1", q, nil, "").sign(testKeyID, testSecret)
			},
			wantStatus: 400, wantCode: "InvalidParameter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
			a := tt.build(ep.Addr()).send(t)
			if a.status != tt.wantStatus || a.body.Code != tt.wantCode {
				t.Fatalf("answer = %d %s, want %d %s", a.status, a.raw, tt.wantStatus, tt.wantCode)
			}
			if a.body.RequestID == "" || a.body.HostID != fake.DefaultHostID || a.body.Message == "" {
				t.Errorf("body = %s, want RAM's error shape", a.raw)
			}
			if strings.Contains(string(a.raw), testSecret) {
				t.Errorf("body %s holds the secret", a.raw)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("fake saw %d calls, want 0", n)
			}
		})
	}
}

func TestV3STSAndReplay(t *testing.T) {
	f := fake.New(nil)
	ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
	q := url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}
	r := newV3(ep.Addr(), "CreateRole", serverTime, "n1", q, nil, "")
	r.header.Set(acs3.HeaderSecurityToken, stsToken)
	r.header.Set(acs3.HeaderAccessKeyID, stsKeyID)
	r.sign(stsKeyID, stsSecret)
	if a := r.send(t); a.status != http.StatusOK {
		t.Fatalf("STS request: %d %s, want 200", a.status, a.raw)
	}
	// The same request again: its nonce is spent.
	a := r.send(t)
	if a.status != http.StatusBadRequest || a.body.Code != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %s, want 400 SignatureNonceUsed", a.status, a.raw)
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("fake saw %d calls, want 1", n)
	}
	for _, c := range f.Calls() {
		b, _ := json.Marshal(c)
		if strings.Contains(string(b), stsToken) || strings.Contains(string(b), stsKeyID) {
			t.Errorf("call log %s holds the token or key ID", b)
		}
	}
}

// TestSlowClientIsCutOff sends headers announcing a body, one byte of it,
// and then nothing: the endpoint must not wait for ever.
func TestSlowClientIsCutOff(t *testing.T) {
	ep := start(t, fake.New(nil), &fake.ServerOptions{ReadTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", ep.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A bound on the test, far beyond the configured timeout.
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nA")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the endpoint kept the slow connection open")
		}
		return // the connection was closed: cut off
	}
	defer resp.Body.Close()
	var b gatewayBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != http.StatusBadRequest || b.Code != "InvalidParameter" {
		t.Errorf("answer = %d %+v (%v), want 400 InvalidParameter", resp.StatusCode, b, err)
	}
}

func TestOversizeRequestsAnswerInRAMFormat(t *testing.T) {
	ep := start(t, fake.New(nil), nil)
	t.Run("2 MB query", func(t *testing.T) {
		resp, err := http.Get(ep.URL() + "/?Action=GetRole&RoleName=" + strings.Repeat("a", 2<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkRAMError(t, resp, http.StatusRequestHeaderFieldsTooLarge, "InvalidParameter.RequestTooLarge")
	})
	t.Run("large header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ep.URL()+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("b", 100<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkRAMError(t, resp, http.StatusRequestHeaderFieldsTooLarge, "InvalidParameter.RequestTooLarge")
	})
	t.Run("11 MB body", func(t *testing.T) {
		resp, err := http.Post(ep.URL()+"/", "application/x-www-form-urlencoded", strings.NewReader("a="+strings.Repeat("b", 11<<20)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkRAMError(t, resp, http.StatusRequestEntityTooLarge, "InvalidParameter.RequestTooLarge")
	})
}

func checkRAMError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	raw, _ := io.ReadAll(resp.Body)
	var b gatewayBody
	if err := json.Unmarshal(raw, &b); err != nil || resp.StatusCode != status || b.Code != code || b.RequestID == "" {
		t.Errorf("answer = %d %q, want %d %s in RAM's JSON", resp.StatusCode, raw, status, code)
	}
}
