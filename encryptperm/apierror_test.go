package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{
			name: "signed query",
			give: "Post http://ram.aliyuncs.com/?AccessKeyId=STS.AK&Action=GetRole&SecurityToken=CAIS%2Bt%3D&Signature=sig%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=n1",
			want: "Post http://ram.aliyuncs.com/?AccessKeyId=REDACTED&Action=GetRole&SecurityToken=REDACTED&Signature=REDACTED&SignatureMethod=HMAC-SHA1&SignatureNonce=REDACTED",
		},
		{
			name: "string to sign, escaped once",
			give: "server string to sign is:POST&%2F&AccessKeyId%3DSTS.AK%26Action%3DGetRole%26SecurityToken%3DCAIS%252Bt%26SignatureMethod%3DHMAC-SHA1",
			want: "server string to sign is:POST&%2F&AccessKeyId%3DREDACTED%26Action%3DGetRole%26SecurityToken%3DREDACTED%26SignatureMethod%3DHMAC-SHA1",
		},
		{
			name: "escaped twice",
			give: "q=AccessKeyId%253DSTS.AK%2526SecurityToken%253DCAIS%25252Bt%2526RoleName%253DR",
			want: "q=AccessKeyId%253DREDACTED%2526SecurityToken%253DREDACTED%2526RoleName%253DR",
		},
		{
			name: "V3 Authorization header line",
			give: "Authorization: ACS3-HMAC-SHA256 Credential=STS.AK,SignedHeaders=host;x-acs-date,Signature=9f86d08\nx-acs-date: 2026-12-01T00:00:00Z",
			want: "Authorization: REDACTED\nx-acs-date: 2026-12-01T00:00:00Z",
		},
		{
			name: "V3 Authorization value alone",
			give: "header ACS3-HMAC-SHA256 Credential=STS.AK,SignedHeaders=host;x-acs-date,Signature=9f86d08",
			want: "header ACS3-HMAC-SHA256 Credential=REDACTED,SignedHeaders=host;x-acs-date,Signature=REDACTED",
		},
		{
			name: "V3 canonical headers",
			give: "host:ram.aliyuncs.com\nx-acs-accesskey-id:STS.AK\nx-acs-security-token:CAIS+t/=&x\nx-acs-date:2026",
			want: "host:ram.aliyuncs.com\nx-acs-accesskey-id:REDACTED\nx-acs-security-token:REDACTED\nx-acs-date:2026",
		},
		{
			name: "printed http.Header",
			give: "map[Authorization:[ACS3-HMAC-SHA256 Credential=STS.AK,Signature=9f] X-Acs-Date:[2026] X-Acs-Security-Token:[CAIS+t&x]]",
			want: "map[Authorization:[REDACTED] X-Acs-Date:[2026] X-Acs-Security-Token:[REDACTED]]",
		},
		{
			name: "JSON",
			give: `{"Authorization":"ACS3-HMAC-SHA256 Credential=STS.AK","x-acs-security-token":["CAIS+t"],"SecurityToken": "CAIS+t","RoleName":"R"}`,
			want: `{"Authorization":"REDACTED","x-acs-security-token":["REDACTED"],"SecurityToken": "REDACTED","RoleName":"R"}`,
		},
		{
			name: "printed credential struct",
			give: "&{AccessKeyId:STS.AK AccessKeySecret:s3cr3t AccessKeyStsToken:CAIS+t}",
			want: "&{AccessKeyId:REDACTED AccessKeySecret:REDACTED AccessKeyStsToken:REDACTED}",
		},
		{
			name: "bearer token",
			give: "BearerToken=tok123&SignatureType=BEARERTOKEN x-acs-bearer-token: tok123",
			want: "BearerToken=REDACTED&SignatureType=BEARERTOKEN x-acs-bearer-token: REDACTED",
		},
		{
			name: "nothing secret",
			give: "SignatureDoesNotMatch: Specified signature is not matched with our calculation. (ALIBABA_CLOUD_ACCESS_KEY_ID)",
			want: "SignatureDoesNotMatch: Specified signature is not matched with our calculation. (ALIBABA_CLOUD_ACCESS_KEY_ID)",
		},
		{
			name: "already redacted",
			give: "AccessKeyId=REDACTED&Signature=REDACTED",
			want: "AccessKeyId=REDACTED&Signature=REDACTED",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encryptperm.Redact(tt.give)); diff != "" {
				t.Errorf("Redact(%q) (-want +got):\n%s", tt.give, diff)
			}
		})
	}
}

// TestContextErrorsRedacted: a client that fails with the end of a context
// or a timeout, in an error that quotes the signed URL, gives the caller an
// error that still says so (errors.Is) but holds no signing parameter.
func TestContextErrorsRedacted(t *testing.T) {
	const signed = "http://ram.aliyuncs.com/?AccessKeyId=STS.AKctx&SecurityToken=CAISctxTok&Signature=ctxSig%3D"
	tests := []struct {
		name string
		give error
		want error
	}{
		{name: "request timeout", give: &url.Error{Op: "Post", URL: signed, Err: context.DeadlineExceeded}, want: context.DeadlineExceeded},
		{name: "canceled", give: &url.Error{Op: "Post", URL: signed, Err: context.Canceled}, want: context.Canceled},
		{name: "transport quoting the URL", give: &url.Error{Op: "Post", URL: signed, Err: fmt.Errorf("proxy %s: %w", signed, context.DeadlineExceeded)}, want: context.DeadlineExceeded},
		{name: "bare error quoting the URL", give: fmt.Errorf("request %s: %w", signed, context.Canceled), want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mock.NewMockRAM(gomock.NewController(t))
			m.EXPECT().GetRole(gomock.Any()).Return(nil, tt.give).AnyTimes()
			m.EXPECT().ListPoliciesForRole(gomock.Any()).Return(nil, tt.give).AnyTimes()
			m.EXPECT().GetPolicy(gomock.Any()).Return(nil, tt.give).AnyTimes()
			m.EXPECT().ListPolicyVersions(gomock.Any()).Return(nil, tt.give).AnyTimes()
			var mu sync.Mutex
			var observed []string
			a := encryptperm.NewApplier(m, &encryptperm.Options{
				Retry: encryptperm.RetryOptions{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond},
				Observer: observerFunc(func(_, _ string, err error) {
					mu.Lock()
					defer mu.Unlock()
					observed = append(observed, errorTexts(err)...)
					if !errors.Is(err, tt.want) {
						t.Errorf("Observer got %v; want errors.Is(err, %v)", err, tt.want)
					}
				}),
			})
			_, err := a.Plan(context.Background(), apGrant(t, apAcctA))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Plan: %v; want errors.Is(err, %v)", err, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range append(errorTexts(err), observed...) {
				for _, secret := range []string{"STS.AKctx", "CAISctxTok", "ctxSig"} {
					if strings.Contains(s, secret) {
						t.Errorf("%q holds %q", s, secret)
					}
				}
			}
		})
	}
}

// TestPanicValueRedacted: a client that panics with the signed URL in the
// panic value gives an error without it.
func TestPanicValueRedacted(t *testing.T) {
	m := mock.NewMockRAM(gomock.NewController(t))
	m.EXPECT().GetRole(gomock.Any()).DoAndReturn(func(*ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
		panic("bad request http://ram.aliyuncs.com/?AccessKeyId=STS.AKpanic&SecurityToken=CAISpanicTok")
	}).AnyTimes()
	m.EXPECT().ListPoliciesForRole(gomock.Any()).Return(ram.CreateListPoliciesForRoleResponse(), nil).AnyTimes()
	m.EXPECT().GetPolicy(gomock.Any()).Return(ram.CreateGetPolicyResponse(), nil).AnyTimes()
	m.EXPECT().ListPolicyVersions(gomock.Any()).Return(ram.CreateListPolicyVersionsResponse(), nil).AnyTimes()
	a := encryptperm.NewApplier(m, apFast())
	_, err := a.Plan(context.Background(), apGrant(t, apAcctA))
	if err == nil {
		t.Fatal("Plan succeeded; want the panic as an error")
	}
	for _, s := range errorTexts(err) {
		if strings.Contains(s, "STS.AKpanic") || strings.Contains(s, "CAISpanicTok") {
			t.Errorf("%q holds a secret", s)
		}
	}
}
