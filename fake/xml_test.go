package fake_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/fake"
)

func TestAnswerFormatFollowsTheRequest(t *testing.T) {
	f := fake.New(nil)
	ep := start(t, f, &fake.ServerOptions{Credentials: testCredentials(), Clock: func() time.Time { return serverTime }})
	create := ram.CreateCreateRoleRequest()
	create.RoleName = "R"
	create.AssumeRolePolicyDocument = trustDoc
	if _, err := f.CreateRole(create); err != nil {
		t.Fatal(err)
	}
	v1 := func(nonce, format, role string) *http.Response {
		p := rpcParams(testKeyID, "GetRole", serverTime, nonce, map[string]string{"RoleName": role})
		if format == "" {
			p.Del("Format")
		} else {
			p.Set("Format", format)
		}
		resp, err := http.Get(ep.URL() + "/?" + sign(http.MethodGet, p, testSecret).Encode())
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	v3 := func(nonce, accept string) *http.Response {
		r := newV3(ep.Addr(), "GetRole", serverTime, nonce, url.Values{"RoleName": {"missing"}}, nil, "")
		if accept == "" {
			r.header.Del("Accept")
		} else {
			r.header.Set("Accept", accept)
		}
		r.sign(testKeyID, testSecret)
		req, _ := http.NewRequest(r.method, "http://"+r.host+"/?"+r.query.Encode(), nil)
		req.Header = r.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const xmlErr = `<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>`
	tests := []struct {
		name      string
		resp      func() *http.Response
		wantCType string
		wantStart string
	}{
		{"V1 no Format is XML", func() *http.Response { return v1("a", "", "R") }, "text/xml;charset=utf-8",
			`<?xml version="1.0" encoding="UTF-8"?><GetRoleResponse><RequestId>`},
		{"V1 XML error", func() *http.Response { return v1("b", "XML", "missing") }, "text/xml;charset=utf-8", xmlErr},
		{"V1 JSON", func() *http.Response { return v1("c", "JSON", "R") }, "application/json;charset=utf-8", `{"RequestId":`},
		{"V1 unknown format", func() *http.Response { return v1("d", "YAML", "R") }, "application/json;charset=utf-8", `{"RequestId":`},
		{"V3 default JSON", func() *http.Response { return v3("e", "") }, "application/json;charset=utf-8", `{"RequestId":`},
		{"V3 Accept XML", func() *http.Response { return v3("f", "application/xml") }, "text/xml;charset=utf-8", xmlErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.resp()
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if got := resp.Header.Get("Content-Type"); got != tt.wantCType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantCType)
			}
			if len(raw) < len(tt.wantStart) || string(raw[:len(tt.wantStart)]) != tt.wantStart {
				t.Errorf("body = %s, want it to start %s", raw, tt.wantStart)
			}
		})
	}
}

// TestSDKReadsXML has the official SDK ask for XML and read the answer.
func TestSDKReadsXML(t *testing.T) {
	f := fake.New(nil)
	ep := start(t, f, nil)
	create := ram.CreateCreateRoleRequest()
	create.RoleName = "R"
	create.AssumeRolePolicyDocument = trustDoc
	if _, err := f.CreateRole(create); err != nil {
		t.Fatal(err)
	}
	c := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	req := ram.CreateGetRoleRequest()
	req.RoleName = "R"
	req.AcceptFormat = "XML"
	got, err := c.GetRole(req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role.RoleName != "R" || got.Role.Arn != "acs:ram::1234567890123456:role/R" || got.RequestId == "" {
		t.Errorf("GetRole in XML = %+v, want role R with its ARN", got.Role)
	}
}
