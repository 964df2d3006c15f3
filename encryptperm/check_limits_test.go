package encryptperm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// An Applier's Check reads with Options.Limits.Read: lowered below the
// size of the key policy RAM holds, the policy is not read and grants
// nothing, and the answer names it; the defaults read it and allow.
func TestCheckReadsWithTheApplierLimits(t *testing.T) {
	f := fake.New(nil)
	rtSeedShare(t, f)
	tests := []struct {
		name           string
		read           policy.Limits
		wantAllowed    bool
		wantUnreadable []string
	}{
		{"defaults", policy.Limits{}, true, nil},
		// The trust policy of one account is under 300 bytes, the key
		// policy over it.
		{"300 bytes", policy.Limits{MaxBytes: 300}, false, []string{encryptperm.ShareSnapshotPolicyName}},
		{"3 levels of nesting", policy.Limits{MaxDepth: 3}, false, []string{"trust policy", encryptperm.ShareSnapshotPolicyName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &encryptperm.Options{}
			if tt.read != (policy.Limits{}) {
				o.Limits = encryptperm.DefaultLimits()
				o.Limits.Read = tt.read
			}
			d, err := encryptperm.NewApplier(f, o).Check(context.Background(), rtAccess)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.wantAllowed {
				t.Errorf("Allowed = %v, want %v:\n%s", d.Allowed, tt.wantAllowed, d)
			}
			if len(d.Unreadable) != len(tt.wantUnreadable) {
				t.Fatalf("Unreadable = %q, want one naming each of %q", d.Unreadable, tt.wantUnreadable)
			}
			for i, name := range tt.wantUnreadable {
				if !strings.Contains(d.Unreadable[i], name) {
					t.Errorf("Unreadable[%d] = %q, want it to name %s", i, d.Unreadable[i], name)
				}
			}
		})
	}
}
