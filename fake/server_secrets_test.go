package fake_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/acs3"
)

// The secrets of TestEndpointNeverEchoesASecret. Each holds the marker
// SNTL, which URL and JSON escaping leave as it is, so that looking for the
// marker finds a secret in any encoded form, and a part of one as well. The
// slash, plus and equals signs are changed by escaping, so an echo in any
// form would still carry the marker.
const (
	sntlKeyID     = "LTAI-sntl-key" // an ID, not a secret: it may be shown
	sntlSecret    = "SNTL-secret/+="
	sntlStsKeyID  = "STS.sntl-key"
	sntlStsSecret = "SNTL-sts-secret/+="
	sntlToken     = "SNTL-token/+="
	sntlSig       = "SNTL-signature/+="
	sntlBearer    = "SNTL-bearer/+="
	sntlAKS       = "SNTL-access-key-secret/+="
	sntlAuthz     = "SNTL-authorization/+="
)

func sntlCredentials() []fake.Credential {
	return []fake.Credential{
		{AccessKeyID: sntlKeyID, AccessKeySecret: sntlSecret},
		{AccessKeyID: sntlStsKeyID, AccessKeySecret: sntlStsSecret, SecurityToken: sntlToken},
	}
}

// TestEndpointNeverEchoesASecret sends requests that carry every
// secret-bearing parameter and header (AccessKeySecret, BearerToken,
// SecurityToken, Signature, Authorization, and their V3 headers), each made
// to fail one check of the V1 or the V3 verifier, or to pass them, and
// looks for the secrets in every answer, JSON or XML, and in the fake's call
// log. Refusals that would quote a parameter given a secret's value are
// covered too: the endpoint withholds such a message rather than quote it.
func TestEndpointNeverEchoesASecret(t *testing.T) {
	r := fake.New(nil)
	srv := fake.NewServer(r, &fake.ServerOptions{Credentials: sntlCredentials(), Clock: func() time.Time { return serverTime }})
	nonce := 0
	next := func() string { nonce++; return "sntl-nonce-" + strconv.Itoa(nonce) }

	// v1 returns the parameters of a GetRole by the STS key, with every
	// secret-bearing parameter set, edited by edit before it is signed
	// with the key's secret. Signature stays as edit leaves it when it sets
	// one.
	v1 := func(edit func(url.Values)) url.Values {
		p := rpcParams(sntlStsKeyID, "GetRole", serverTime, next(), map[string]string{
			"RoleName":        "missing",
			"SecurityToken":   sntlToken,
			"BearerToken":     sntlBearer,
			"AccessKeySecret": sntlAKS,
		})
		p.Del("SignatureType")
		if edit != nil {
			edit(p)
		}
		secret := sntlStsSecret
		if p.Get("AccessKeyId") == sntlKeyID {
			secret = sntlSecret
		}
		if p.Get("Signature") == "" {
			sign(http.MethodPost, p, secret)
		}
		return p
	}
	set := func(k, v string) func(url.Values) { return func(p url.Values) { p.Set(k, v) } }
	type v1Case struct {
		name     string
		method   string
		path     string
		params   url.Values
		inBody   bool // parameters in a form body rather than the query
		wantCode string
	}
	reused := v1(nil)
	v1Cases := []v1Case{
		{name: "method", method: http.MethodPut, params: v1(nil), wantCode: "UnsupportedHTTPMethod"},
		{name: "path", path: "/v1", params: v1(nil), wantCode: "InvalidAction.NotFound"},
		{name: "a secret given twice", params: v1(func(p url.Values) { p.Add("SecurityToken", sntlToken+"2") }), wantCode: "InvalidParameter"},
		{name: "missing timestamp", params: v1(func(p url.Values) { p.Del("Timestamp") }), wantCode: "MissingTimestamp"},
		{name: "format", params: v1(set("Format", "YAML")), wantCode: "InvalidParameter.Format"},
		{name: "format holding the token", params: v1(set("Format", sntlToken)), wantCode: "InvalidParameter.Format"},
		{name: "signature method", params: v1(set("SignatureMethod", "HMAC-SHA256")), wantCode: "InvalidParameter.SignatureMethod"},
		{name: "signature method holding the signature", params: v1(func(p url.Values) { p.Set("Signature", sntlSig); p.Set("SignatureMethod", sntlSig) }), wantCode: "InvalidParameter.SignatureMethod"},
		{name: "signature version", params: v1(set("SignatureVersion", "2.0")), wantCode: "InvalidParameter.SignatureVersion"},
		{name: "signature version holding the bearer token", params: v1(set("SignatureVersion", sntlBearer)), wantCode: "InvalidParameter.SignatureVersion"},
		{name: "bearer token signature type", params: v1(set("SignatureType", "BEARERTOKEN")), wantCode: "InvalidParameter.SignatureType"},
		{name: "signature type holding the secret", params: v1(set("SignatureType", sntlAKS)), wantCode: "InvalidParameter.SignatureType"},
		{name: "version", params: v1(set("Version", "2099-01-01")), wantCode: "InvalidVersion"},
		{name: "version holding the token", params: v1(set("Version", sntlToken)), wantCode: "InvalidVersion"},
		{name: "action holding the bearer token", params: v1(set("Action", sntlBearer)), wantCode: "InvalidAction.NotFound"},
		{name: "unknown key", params: v1(set("AccessKeyId", "LTAI-nobody")), wantCode: "InvalidAccessKeyId.NotFound"},
		{name: "signature mismatch", params: v1(set("Signature", sntlSig)), wantCode: "SignatureDoesNotMatch"},
		{name: "signature mismatch, in the body", params: v1(set("Signature", sntlSig)), inBody: true, wantCode: "SignatureDoesNotMatch"},
		{name: "signature mismatch, secrets in any case", params: v1(func(p url.Values) {
			p.Set("securitytoken", sntlToken)
			p.Set("BEARERTOKEN", sntlBearer)
			p.Set("accessKeySecret", sntlAKS)
			p.Set("signature", sntlSig)
			p.Set("Signature", sntlSig)
		}), wantCode: "SignatureDoesNotMatch"},
		{name: "signature mismatch, the key's secret in another parameter", params: v1(func(p url.Values) {
			p.Set("RoleName", sntlStsSecret)
			p.Set("Signature", sntlSig)
		}), wantCode: "SignatureDoesNotMatch"},
		{name: "timestamp format", params: v1(set("Timestamp", "yesterday")), wantCode: "InvalidTimeStamp.Format"},
		{name: "timestamp expired", params: v1(set("Timestamp", serverTime.Add(-time.Hour).Format(time.RFC3339))), wantCode: "InvalidTimeStamp.Expired"},
		{name: "token mismatch", params: v1(set("SecurityToken", "SNTL-other-token")), wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "token sent with a key that has none", params: v1(set("AccessKeyId", sntlKeyID)), wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "nonce reused, first", params: reused, wantCode: "InvalidParameter.NotSupported"},
		{name: "nonce reused", params: reused, wantCode: "SignatureNonceUsed"},
		{name: "passes the gateway", params: v1(nil), wantCode: "InvalidParameter.NotSupported"},
		{name: "passes the gateway, XML", params: v1(func(p url.Values) { p.Del("Format") }), wantCode: "InvalidParameter.NotSupported"},
		{name: "signature mismatch, XML", params: v1(func(p url.Values) { p.Del("Format"); p.Set("Signature", sntlSig) }), wantCode: "SignatureDoesNotMatch"},
	}
	for _, tt := range v1Cases {
		t.Run("v1/"+tt.name, func(t *testing.T) {
			method := cmpOr(tt.method, http.MethodPost)
			target := cmpOr(tt.path, "/") + "?" + tt.params.Encode()
			var body io.Reader
			if tt.inBody {
				target, body = cmpOr(tt.path, "/"), strings.NewReader(tt.params.Encode())
			}
			req := httptest.NewRequest(method, target, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			checkNoSecret(t, srv, req, tt.wantCode)
		})
	}

	// v3 returns a signed V3 CreateRole request of the STS key, with its
	// token and a bearer token and an access key secret among the signed
	// headers.
	create := url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}
	v3 := func(edit func(*v3Request), after func(*v3Request)) *v3Request {
		rq := newV3("example.com", "CreateRole", serverTime, next(), url.Values{}, []byte(create.Encode()), "application/x-www-form-urlencoded")
		rq.header.Set(acs3.HeaderSecurityToken, sntlToken)
		rq.header.Set("x-acs-bearer-token", sntlBearer)
		rq.header.Set("x-acs-accesskey-secret", sntlAKS)
		if edit != nil {
			edit(rq)
		}
		rq.sign(sntlStsKeyID, sntlStsSecret)
		if after != nil {
			after(rq)
		}
		return rq
	}
	hset := func(k, v string) func(*v3Request) { return func(rq *v3Request) { rq.header.Set(k, v) } }
	v3Reused := v3(nil, nil)
	v3Cases := []struct {
		name     string
		give     *v3Request
		wantCode string
	}{
		{name: "no authorization", give: v3(nil, func(rq *v3Request) { rq.header.Del("Authorization") }), wantCode: "MissingAuthorization"},
		{name: "authorization twice", give: v3(nil, func(rq *v3Request) { rq.header.Add("Authorization", sntlAuthz) }), wantCode: "InvalidAuthorization"},
		{name: "authorization a bare token", give: v3(nil, hset("Authorization", sntlAuthz)), wantCode: "InvalidParameter.SignatureMethod"},
		{name: "authorization a bearer token", give: v3(nil, hset("Authorization", "Bearer "+sntlAuthz)), wantCode: "InvalidParameter.SignatureMethod"},
		{name: "authorization with another algorithm", give: v3(nil, func(rq *v3Request) {
			rq.header.Set("Authorization", strings.Replace(rq.header.Get("Authorization"), acs3.Algorithm, "ACS3-HMAC-SM3", 1))
		}), wantCode: "InvalidParameter.SignatureMethod"},
		{name: "authorization malformed", give: v3(nil, hset("Authorization", acs3.Algorithm+" "+sntlAuthz)), wantCode: "InvalidAuthorization"},
		{name: "missing date", give: v3(nil, func(rq *v3Request) { rq.header.Del(acs3.HeaderDate) }), wantCode: "MissingDate"},
		{name: "body altered", give: v3(nil, func(rq *v3Request) { rq.body = []byte("RoleName=" + sntlToken) }), wantCode: "InvalidParameter.ContentSHA256"},
		{name: "header unsigned", give: v3(nil, hset("x-acs-extra", sntlToken)), wantCode: "InvalidAuthorization"},
		{name: "version holding the token", give: v3(hset(acs3.HeaderVersion, sntlToken), nil), wantCode: "InvalidVersion"},
		{name: "action holding the bearer token", give: v3(hset(acs3.HeaderAction, sntlBearer), nil), wantCode: "InvalidAction.NotFound"},
		{name: "unknown key", give: v3(nil, func(rq *v3Request) {
			rq.header.Set("Authorization", strings.Replace(rq.header.Get("Authorization"), sntlStsKeyID, "LTAI-nobody", 1))
		}), wantCode: "InvalidAccessKeyId.NotFound"},
		{name: "key ID headers differ", give: v3(hset(acs3.HeaderAccessKeyID, sntlKeyID), nil), wantCode: "InvalidAccessKeyId.Inconsistent"},
		{name: "signature mismatch", give: v3(nil, func(rq *v3Request) { rq.header.Set(acs3.HeaderSecurityToken, sntlToken+"2") }), wantCode: "SignatureDoesNotMatch"},
		{name: "date malformed", give: v3(hset(acs3.HeaderDate, "yesterday"), nil), wantCode: "InvalidTimeStamp.Format"},
		{name: "token mismatch", give: v3(hset(acs3.HeaderSecurityToken, "SNTL-other-token"), nil), wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "content type holding the token", give: v3(hset("Content-Type", sntlToken), nil), wantCode: "InvalidParameter.ContentType"},
		{name: "a V1 secret in the query", give: v3(func(rq *v3Request) { rq.query.Set("SecurityToken", sntlToken) }, nil), wantCode: "InvalidParameter"},
		{name: "a V1 signature in the query", give: v3(func(rq *v3Request) { rq.query.Set("Signature", sntlSig) }, nil), wantCode: "InvalidParameter"},
		{name: "nonce reused, first", give: v3Reused, wantCode: `"RoleName":"r"`},
		{name: "nonce reused", give: v3Reused, wantCode: "SignatureNonceUsed"},
		{name: "XML, signature mismatch", give: v3(nil, func(rq *v3Request) {
			rq.header.Set("Accept", "application/xml")
			rq.header.Set(acs3.HeaderSecurityToken, sntlToken+"2")
		}), wantCode: "SignatureDoesNotMatch"},
	}
	for _, tt := range v3Cases {
		t.Run("v3/"+tt.name, func(t *testing.T) {
			rq := tt.give
			req := httptest.NewRequest(rq.method, "http://"+rq.host+"/?"+rq.query.Encode(), strings.NewReader(string(rq.body)))
			req.Header = rq.header.Clone()
			checkNoSecret(t, srv, req, tt.wantCode)
		})
	}

	for _, c := range r.Calls() {
		if s := strings.Join(append(mapValues(c.Params), c.AccessKeyID), " "); strings.Contains(s, "SNTL") {
			t.Errorf("the call log holds a secret: %+v", c)
		}
	}
}

// checkNoSecret serves req and fails unless the answer has the code
// wantCode and nothing of a secret in its body or headers.
func checkNoSecret(t *testing.T, srv http.Handler, req *http.Request, wantCode string) {
	t.Helper()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	body := w.Body.String()
	if !strings.Contains(body, wantCode) {
		t.Errorf("answer %d %s; want the code %s", w.Code, body, wantCode)
	}
	if strings.Contains(body, "SNTL") {
		t.Errorf("answer quotes a secret: %s", body)
	}
	for k, vs := range w.Header() {
		if strings.Contains(strings.Join(vs, " "), "SNTL") {
			t.Errorf("header %s quotes a secret: %q", k, vs)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
