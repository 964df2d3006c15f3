package acs3_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/internal/acs3"
)

// darabonbaVector is the darabonba OpenAPI client's own signing test
// (utils/client_test.go, Test_GetAuthorization): two spellings of one header
// are joined, an empty query value keeps its '='.
func darabonbaVector() acs3.Request {
	return acs3.Request{
		Query:         url.Values{"test": {"ok"}, "empty": {""}},
		Header:        map[string][]string{"x-acs-test": {"http"}, "x-acs-TEST": {"https"}},
		SignedHeaders: []string{"x-acs-test"},
		PayloadHash:   "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
	}
}

// ramVector is a CreateRole request as the darabonba client sends it for RAM,
// with its date and nonce fixed.
func ramVector() acs3.Request {
	h := map[string][]string{
		"host":                  {"ram.aliyuncs.com"},
		"x-acs-action":          {"CreateRole"},
		"x-acs-version":         {"2015-05-01"},
		"x-acs-date":            {"2026-01-02T03:04:05Z"},
		"x-acs-signature-nonce": {"3f2a9c1d0b7e4a55"},
		"x-acs-content-sha256":  {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		"accept":                {"application/json"},
		"user-agent":            {"test"},
	}
	return acs3.Request{
		Method:        "POST",
		Path:          "/",
		Query:         url.Values{"RoleName": {"ecs role*~ x"}, "AssumeRolePolicyDocument": {`{"Version":"1"}`}},
		Header:        h,
		SignedHeaders: acs3.SignedHeaderNames(h),
		PayloadHash:   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}
}

func TestVectors(t *testing.T) {
	tests := []struct {
		name      string
		give      acs3.Request
		wantCanon string
		wantAuth  string
	}{
		{
			name:      "darabonba's own vector",
			give:      darabonbaVector(),
			wantCanon: "\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
			wantAuth:  "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3",
		},
		{
			name: "RAM CreateRole",
			give: ramVector(),
			wantCanon: "POST\n/\nAssumeRolePolicyDocument=%7B%22Version%22%3A%221%22%7D&RoleName=ecs%20role%2A~%20x\n" +
				"host:ram.aliyuncs.com\nx-acs-action:CreateRole\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
				"x-acs-date:2026-01-02T03:04:05Z\nx-acs-signature-nonce:3f2a9c1d0b7e4a55\nx-acs-version:2015-05-01\n\n" +
				"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" +
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			wantAuth: RAMVectorAuth,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.wantCanon, acs3.CanonicalRequest(tt.give)); diff != "" {
				t.Errorf("CanonicalRequest() mismatch (-want +got):\n%s", diff)
			}
			if got := acs3.Authorize(tt.give, "acesskey", "secret"); got != tt.wantAuth {
				t.Errorf("Authorize() = %q, want %q", got, tt.wantAuth)
			}
			// The client's own code agrees.
			q := map[string]*string{}
			for k, v := range tt.give.Query {
				q[k] = dara.String(v[0])
			}
			hd := map[string]*string{}
			for k, v := range tt.give.Header {
				hd[k] = dara.String(v[0])
			}
			if tt.name == "darabonba's own vector" {
				hd = map[string]*string{"x-acs-test": dara.String("http"), "x-acs-TEST": dara.String("https")}
			}
			dreq := &dara.Request{Method: dara.String(tt.give.Method), Pathname: dara.String(tt.give.Path), Query: q, Headers: hd}
			if tt.name == "RAM CreateRole" {
				// darabonba signs every x-acs-*, host and content-type header.
				got := utils.GetAuthorization(dreq, dara.String(acs3.Algorithm), dara.String(tt.give.PayloadHash), dara.String("acesskey"), dara.String("secret"))
				if dara.StringValue(got) != tt.wantAuth {
					t.Errorf("darabonba GetAuthorization() = %q, want %q", dara.StringValue(got), tt.wantAuth)
				}
			}
			a, err := acs3.ParseAuthorization(tt.wantAuth)
			if err != nil {
				t.Fatal(err)
			}
			if !acs3.Verify(tt.give, a.Signature, "secret") {
				t.Error("Verify() = false for the vector's signature")
			}
			if acs3.Verify(tt.give, a.Signature, "wrong") {
				t.Error("Verify() = true under a wrong secret")
			}
		})
	}
}

// RAMVectorAuth is the Authorization header of ramVector under access key
// "acesskey" and secret "secret".
const RAMVectorAuth = "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=08590144986a0baec808befda8cee1cdcc2c0fee7f34d974118aa7fcbc27a891"

func TestParseAuthorization(t *testing.T) {
	good := "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=abc"
	got, err := acs3.ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	want := acs3.Authorization{Algorithm: "ACS3-HMAC-SHA256", AccessKeyID: "id", SignedHeaders: []string{"host", "x-acs-date"}, Signature: "abc"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseAuthorization() mismatch (-want +got):\n%s", diff)
	}
	if got.String() != good {
		t.Errorf("String() = %q, want %q", got.String(), good)
	}
	for _, bad := range []string{
		"",
		"ACS3-HMAC-SHA256",
		"ACS3-HMAC-SHA256 Credential=id,Signature=abc",
		"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=abc,Signature=def",
		"ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=abc,Extra=1",
		"ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=abc",
		"ACS3-HMAC-SHA256 Credential=id;SignedHeaders=host",
	} {
		if _, err := acs3.ParseAuthorization(bad); !errors.Is(err, acs3.ErrMalformed) {
			t.Errorf("ParseAuthorization(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}
