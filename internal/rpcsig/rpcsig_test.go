package rpcsig_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/internal/rpcsig"
)

// sdkVectorParams are the parameters of the SDK's own signing test
// (sdk/auth/rpc_signature_composer_test.go), whose date and nonce are mocked.
func sdkVectorParams() url.Values {
	return url.Values{
		"AccessKeyId":      {"accessKeyId"},
		"Action":           {""},
		"Format":           {"JSON"},
		"RegionId":         {"regionId"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"MOCK_UUID"},
		"SignatureType":    {""},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"mock date"},
		"Version":          {""},
	}
}

func TestSignSDKVectors(t *testing.T) {
	sts := sdkVectorParams()
	sts.Set("SecurityToken", "accessKeyStsToken")
	tests := []struct {
		name   string
		give   url.Values
		wantTS string
		want   string
	}{
		{
			name:   "access key",
			give:   sdkVectorParams(),
			wantTS: "GET&%2F&AccessKeyId%3DaccessKeyId%26Action%3D%26Format%3DJSON%26RegionId%3DregionId%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3DMOCK_UUID%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3Dmock%2520date%26Version%3D",
			want:   "7loPmFjvDnzOVnQeQNj85S6nFGY=",
		},
		{
			name:   "security token",
			give:   sts,
			wantTS: "GET&%2F&AccessKeyId%3DaccessKeyId%26Action%3D%26Format%3DJSON%26RegionId%3DregionId%26SecurityToken%3DaccessKeyStsToken%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3DMOCK_UUID%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3Dmock%2520date%26Version%3D",
			want:   "5Nxdcler+ihqWqv0Hr2On4PsBf4=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.wantTS, rpcsig.StringToSign("GET", tt.give)); diff != "" {
				t.Errorf("StringToSign() mismatch (-want +got):\n%s", diff)
			}
			got := rpcsig.Sign("GET", tt.give, "accessKeySecret")
			if got != tt.want {
				t.Errorf("Sign() = %q, want %q", got, tt.want)
			}
			signed := cloneValues(tt.give)
			signed.Set("Signature", got)
			if !rpcsig.Verify("GET", signed, "accessKeySecret") {
				t.Error("Verify() = false for the SDK's own signature, want true")
			}
		})
	}
}

func TestStringToSign(t *testing.T) {
	tests := []struct {
		name string
		give url.Values
		want string
	}{
		{name: "empty", give: url.Values{}, want: "GET&%2F&"},
		{name: "one form param", give: url.Values{"key": {"value"}}, want: "GET&%2F&key%3Dvalue"},
		{
			name: "sorted by name",
			give: url.Values{"q": {"value"}, "key": {"value"}},
			want: "GET&%2F&key%3Dvalue%26q%3Dvalue",
		},
		{
			// The SDK's own test case: a URL as a value is escaped twice.
			name: "url value",
			give: url.Values{"key": {"value"}, "q": {"http://domain/?q=value&q2=value2"}},
			want: "GET&%2F&key%3Dvalue%26q%3Dhttp%253A%252F%252Fdomain%252F%253Fq%253Dvalue%2526q2%253Dvalue2",
		},
		{
			name: "space star tilde",
			give: url.Values{"k": {"a b*c~d"}},
			want: "GET&%2F&k%3Da%2520b%252Ac~d",
		},
		{
			name: "signature ignored",
			give: url.Values{"k": {"v"}, "Signature": {"abc="}},
			want: "GET&%2F&k%3Dv",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rpcsig.StringToSign("GET", tt.give)); diff != "" {
				t.Errorf("StringToSign() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalQueryLeavesInputAlone(t *testing.T) {
	give := url.Values{"k": {"v"}, "Signature": {"abc="}}
	if got, want := rpcsig.CanonicalQuery(give), "k=v"; got != want {
		t.Errorf("CanonicalQuery() = %q, want %q", got, want)
	}
	if diff := cmp.Diff(url.Values{"k": {"v"}, "Signature": {"abc="}}, give); diff != "" {
		t.Errorf("CanonicalQuery changed its input (-want +got):\n%s", diff)
	}
}

func TestVerify(t *testing.T) {
	base := url.Values{"Action": {"GetRole"}, "RoleName": {"r 1"}, "AccessKeyId": {"id"}}
	signed := func(mutate func(url.Values)) url.Values {
		v := cloneValues(base)
		v.Set("Signature", rpcsig.Sign("POST", base, "secret"))
		if mutate != nil {
			mutate(v)
		}
		return v
	}
	tests := []struct {
		name   string
		method string
		give   url.Values
		secret string
		want   bool
	}{
		{name: "valid", method: "POST", give: signed(nil), secret: "secret", want: true},
		{name: "wrong secret", method: "POST", give: signed(nil), secret: "other", want: false},
		{name: "wrong method", method: "GET", give: signed(nil), secret: "secret", want: false},
		{
			name: "tampered param", method: "POST", secret: "secret", want: false,
			give: signed(func(v url.Values) { v.Set("RoleName", "r 2") }),
		},
		{
			name: "added param", method: "POST", secret: "secret", want: false,
			give: signed(func(v url.Values) { v.Set("Extra", "x") }),
		},
		{
			name: "no signature", method: "POST", secret: "secret", want: false,
			give: signed(func(v url.Values) { v.Del("Signature") }),
		},
		{
			name: "two signatures", method: "POST", secret: "secret", want: false,
			give: signed(func(v url.Values) { v.Add("Signature", v.Get("Signature")) }),
		},
		{
			name: "garbage signature", method: "POST", secret: "secret", want: false,
			give: signed(func(v url.Values) { v.Set("Signature", "%%%") }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rpcsig.Verify(tt.method, tt.give, tt.secret); got != tt.want {
				t.Errorf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

// captured is one request as a loopback server received it.
type captured struct {
	method string
	params url.Values
}

// captureServer serves on a loopback port, answers every request with an
// empty JSON object, and hands each request's method and parameters (query
// and form together) to the returned channel.
func captureServer(t *testing.T) (addr string, got <-chan captured) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan captured, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		params := cloneValues(r.URL.Query())
		for k, v := range r.PostForm {
			params[k] = append(params[k], v...)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		ch <- captured{method: r.Method, params: params}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"RequestId":"r"}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), ch
}

// TestSDKRoundTrip signs requests with the official SDK and checks that this
// package computes the same string to sign and accepts the signature.
func TestSDKRoundTrip(t *testing.T) {
	addr, got := captureServer(t)
	const secret = "s3cr3t/+*~ value"

	newClient := func(t *testing.T, cred any) *ram.Client {
		t.Helper()
		c, err := ram.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"), cred)
		if err != nil {
			t.Fatal(err)
		}
		c.Domain = addr
		return c
	}
	check := func(t *testing.T, sdkStringToSign string) {
		t.Helper()
		c := <-got
		if diff := cmp.Diff(sdkStringToSign, rpcsig.StringToSign(c.method, c.params)); diff != "" {
			t.Errorf("StringToSign() differs from the SDK's (-sdk +ours):\n%s", diff)
		}
		if !rpcsig.Verify(c.method, c.params, secret) {
			t.Errorf("Verify() = false for a request the SDK signed")
		}
		if rpcsig.Verify(c.method, c.params, secret+"x") {
			t.Errorf("Verify() = true with the wrong secret")
		}
	}

	t.Run("access key, query params", func(t *testing.T) {
		c := newClient(t, credentials.NewAccessKeyCredential("id", secret))
		req := ram.CreateCreateRoleRequest()
		req.RoleName = "a b*c~d/é"
		req.AssumeRolePolicyDocument = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
		req.Description = "100% & more; ok?"
		if _, err := c.CreateRole(req); err != nil {
			t.Fatal(err)
		}
		check(t, req.GetStringToSign())
	})
	t.Run("security token", func(t *testing.T) {
		c := newClient(t, credentials.NewStsTokenCredential("id", secret, "tok+en/=="))
		req := ram.CreateGetRoleRequest()
		req.RoleName = "r"
		if _, err := c.GetRole(req); err != nil {
			t.Fatal(err)
		}
		check(t, req.GetStringToSign())
	})
	t.Run("form params", func(t *testing.T) {
		c := newClient(t, credentials.NewAccessKeyCredential("id", secret))
		req := requests.NewCommonRequest()
		req.Method = requests.POST
		req.Product = "Ram"
		req.Version = "2015-05-01"
		req.ApiName = "GetRole"
		req.Domain = addr
		req.Scheme = "HTTP"
		req.FormParams["RoleName"] = "in the body*"
		req.QueryParams["Extra"] = "in the query~"
		if _, err := c.ProcessCommonRequest(req); err != nil {
			t.Fatal(err)
		}
		check(t, req.GetStringToSign())
	})
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
