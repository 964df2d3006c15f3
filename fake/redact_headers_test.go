package fake

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCallLogRedactsSigningHeaders: should a header-signed (V3) request's
// signing headers reach the call log as parameters, their values are
// Redacted, whatever their case.
func TestCallLogRedactsSigningHeaders(t *testing.T) {
	r := New(nil)
	r.do(context.Background(), request{
		Action: "GetRole",
		Params: map[string]string{
			"RoleName":             "R",
			"Authorization":        "ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host,Signature=9f86d0",
			"x-acs-security-token": "CAIS+tok",
			"X-Acs-Accesskey-Id":   "LTAI5t",
			"x-acs-date":           "2026-12-01T00:00:00Z",
			"BearerToken":          "bt",
		},
	})
	want := map[string]string{
		"RoleName":             "R",
		"Authorization":        Redacted,
		"x-acs-security-token": Redacted,
		"X-Acs-Accesskey-Id":   Redacted,
		"x-acs-date":           "2026-12-01T00:00:00Z",
		"BearerToken":          Redacted,
	}
	if diff := cmp.Diff(want, r.Calls()[0].Params); diff != "" {
		t.Errorf("logged params (-want +got):\n%s", diff)
	}
}
