package encryptperm_test

import (
	"fmt"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

func TestDiagnose(t *testing.T) {
	tests := []struct {
		give      string
		wantOK    bool
		wantGrant encryptperm.Kind
		wantFix   string // a substring of Fix
		wantCause string // a substring of Cause
	}{
		{"AssumeRoleError", true, encryptperm.KindShareImage, `encryptperm.ShareImage().WithAccounts("<recipient-uid>").WithKey(`, `"<uid>@ecs.aliyuncs.com"`},
		{"InvalidParameter.KMSKeyId.CMKUnauthorized", true, encryptperm.KindShareImage, `encryptperm.ShareImage().WithAccounts("<recipient-uid>").WithKey(`, "kms:Decrypt"},
		{"InvalidParameter.KMSKeyId.KMSUnauthorized", true, encryptperm.KindDiskEncryption, "encryptperm.DiskEncryption().WithKey(", "AliyunECSDiskEncryptDefaultRole"},
		{"InvalidOperation.ServiceKeyEncryptedImageUnsupported", true, encryptperm.KindShareImage, "CopyImage with Encrypted=true and KMSKeyId", "service key"},
		{"InvalidParameter.KMSKeyId.CMKNotEnabled", true, "", "EnableKey", "disabled"},
		{"InvalidParameter.KMSKeyId.NotFound", true, "", "destination region", "no key"},
		{"InvalidParameter.EncryptedIllegal", true, "", "Encrypted=true", "KMSKeyId"},
		{"InvalidAccount.Forbbiden", true, "", "own UID", "owns it"},
		{"NoPermission", true, "", "AliyunRAMFullAccess", "may not call RAM"},
		{"EntityNotExist.Role", false, "", "", ""},
		{"assumeroleerror", false, "", "", ""},
		{"", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := encryptperm.Diagnose(tt.give)
			if ok != tt.wantOK {
				t.Fatalf("Diagnose(%q) ok = %v, want %v", tt.give, ok, tt.wantOK)
			}
			if !ok {
				if diff := cmp.Diff(encryptperm.Diagnosis{}, got); diff != "" {
					t.Errorf("Diagnose(%q) of an unknown code (-want +got):\n%s", tt.give, diff)
				}
				return
			}
			if got.Code != tt.give || got.Grant != tt.wantGrant || got.Status == 0 || len(got.Operations) == 0 {
				t.Errorf("Diagnose(%q) = %+v, want code %q, grant %q, a status and operations", tt.give, got, tt.give, tt.wantGrant)
			}
			if !strings.Contains(got.Fix, tt.wantFix) {
				t.Errorf("Diagnose(%q).Fix = %q, want it to contain %q", tt.give, got.Fix, tt.wantFix)
			}
			if !strings.Contains(got.Cause, tt.wantCause) {
				t.Errorf("Diagnose(%q).Cause = %q, want it to contain %q", tt.give, got.Cause, tt.wantCause)
			}
		})
	}
}

func TestDiagnoseReturnsCopies(t *testing.T) {
	d, _ := encryptperm.Diagnose("AssumeRoleError")
	d.Operations[0] = "changed"
	again, _ := encryptperm.Diagnose("AssumeRoleError")
	if again.Operations[0] == "changed" {
		t.Error("Diagnose shares its Operations slice between calls")
	}
}

func TestDiagnoseError(t *testing.T) {
	server := sdkerrors.NewServerError(403, `{"RequestId":"r-1","Code":"InvalidParameter.KMSKeyId.CMKUnauthorized","Message":"The specified CMK is not authorized."}`, "")
	tests := []struct {
		name     string
		give     error
		wantCode string
		wantOK   bool
	}{
		{"SDK server error", server, "InvalidParameter.KMSKeyId.CMKUnauthorized", true},
		{"wrapped SDK server error", fmt.Errorf("share image: %w", server), "InvalidParameter.KMSKeyId.CMKUnauthorized", true},
		{"unknown code", sdkerrors.NewServerError(400, `{"Code":"Whatever"}`, ""), "", false},
		{"not an SDK error", fmt.Errorf("boom"), "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := encryptperm.DiagnoseError(tt.give)
			if ok != tt.wantOK || got.Code != tt.wantCode {
				t.Errorf("DiagnoseError(%v) = %q, %v; want %q, %v", tt.give, got.Code, ok, tt.wantCode, tt.wantOK)
			}
		})
	}
}

// TestDiagnosedFixesWork: the fix Diagnose names for a permission error,
// applied with the builders to a real key, passes Check's simulation.
func TestDiagnosedFixesWork(t *testing.T) {
	a := encryptperm.Access{Recipient: chkB, Resource: encryptperm.ResourceImage, Key: chkKey}
	for _, code := range []string{"AssumeRoleError", "InvalidParameter.KMSKeyId.CMKUnauthorized"} {
		d, ok := encryptperm.Diagnose(code)
		if !ok || d.Grant != encryptperm.KindShareImage {
			t.Fatalf("Diagnose(%q) = %+v, %v", code, d, ok)
		}
		g, err := encryptperm.ShareImage().WithAccounts(chkB).WithKey(chkKey).Build()
		if err != nil {
			t.Fatal(err)
		}
		if dec := encryptperm.Simulate(g.Role.TrustPolicy, g.Policies, a); !dec.Allowed {
			t.Errorf("the fix for %s does not allow access:\n%s", code, dec.Explanation())
		}
	}
	d, _ := encryptperm.Diagnose("InvalidParameter.KMSKeyId.KMSUnauthorized")
	g, err := encryptperm.DiskEncryption().WithKey(chkKey).Build()
	if err != nil || d.Grant != encryptperm.KindDiskEncryption {
		t.Fatalf("Build: %v; grant %q", err, d.Grant)
	}
	own := encryptperm.Access{Resource: encryptperm.ResourceDisk, Key: chkKey}
	if dec := encryptperm.Simulate(g.Role.TrustPolicy, g.Policies, own); !dec.Allowed {
		t.Errorf("the fix for KMSUnauthorized does not allow access:\n%s", dec.Explanation())
	}
}

func TestDiagnosedCodes(t *testing.T) {
	codes := encryptperm.DiagnosedCodes()
	if len(codes) < 5 {
		t.Fatalf("DiagnosedCodes() = %v, want at least the five the issue names", codes)
	}
	for _, c := range codes {
		if _, ok := encryptperm.Diagnose(c); !ok {
			t.Errorf("Diagnose(%q) is not ok, but DiagnosedCodes lists it", c)
		}
	}
}
