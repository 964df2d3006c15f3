package fake_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/acs3"
)

// signLeaving signs r as sign does, but leaves the header named drop out of
// SignedHeaders, as a client that signs less than it should would.
func (r *v3Request) signLeaving(drop, keyID, secret string) *v3Request {
	hs := map[string][]string(r.header.Clone())
	hs["Host"] = []string{r.host}
	names := slices.DeleteFunc(acs3.SignedHeaderNames(hs), func(n string) bool { return n == drop })
	sr := acs3.Request{Method: r.method, Path: "/", Query: r.query, Header: hs,
		SignedHeaders: names, PayloadHash: r.header.Get(acs3.HeaderContentSHA256)}
	r.header.Set("Authorization", acs3.Authorize(sr, keyID, secret))
	return r
}

// A V3 signature binds the host, the API, the time, the nonce and the
// body only when it covers their headers. A request whose signature leaves
// one out is refused before anything is done, with a message naming the
// header, even though what it signs is signed correctly. Host is the one
// Go's server takes out of the header map, so it is checked on its own;
// the fake accepting a request whose signature does not cover Host would
// pass tests that Alibaba Cloud fails.
func TestV3RefusesAnUnsignedRequiredHeader(t *testing.T) {
	create := url.Values{"RoleName": {"r"}, "AssumeRolePolicyDocument": {v3Trust}}
	tests := []struct {
		drop        string
		wantMessage string
	}{
		{"host", `The header "host" must be signed: list it in SignedHeaders.`},
		{"x-acs-action", `The header "x-acs-action" must be signed: list it in SignedHeaders.`},
		{"x-acs-content-sha256", `The header "x-acs-content-sha256" must be signed: list it in SignedHeaders.`},
		{"x-acs-date", `The header "x-acs-date" must be signed: list it in SignedHeaders.`},
		{"x-acs-signature-nonce", `The header "x-acs-signature-nonce" must be signed: list it in SignedHeaders.`},
		{"x-acs-version", `The header "x-acs-version" must be signed: list it in SignedHeaders.`},
	}
	for _, tt := range tests {
		t.Run(tt.drop, func(t *testing.T) {
			f := fake.New(nil)
			ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
			a := newV3(ep.Addr(), "CreateRole", serverTime, "n1", create, nil, "").signLeaving(tt.drop, testKeyID, testSecret).send(t)
			if a.status != http.StatusBadRequest || a.body.Code != "InvalidAuthorization" || a.body.Message != tt.wantMessage {
				t.Errorf("answer = %d %s; want 400 InvalidAuthorization: %s", a.status, a.raw, tt.wantMessage)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("fake saw %d calls, want 0", n)
			}
		})
	}
	t.Run("every header signed", func(t *testing.T) {
		f := fake.New(nil)
		ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
		a := newV3(ep.Addr(), "CreateRole", serverTime, "n1", create, nil, "").signLeaving("", testKeyID, testSecret).send(t)
		if a.status != http.StatusOK {
			t.Errorf("answer = %d %s; want 200", a.status, a.raw)
		}
	})
}
