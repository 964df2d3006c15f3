package conformance

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestDetachBroaderAfterAttach: with Options.DetachBroaderPolicies, the
// disk role's broad system policy is detached only once the policy naming
// the key is made and attached. A refused or failed write before that
// leaves the broad policy attached: the role never goes without a key.
func TestDetachBroaderAfterAttach(t *testing.T) {
	const (
		role   = encryptperm.DiskEncryptRoleName
		broad  = encryptperm.DiskEncryptSystemPolicy
		narrow = "EncryptPerm-DiskEncryptKeys"
	)
	tests := []struct {
		name  string
		rules []fake.Rule
		// wantErr is nil for a run that converges.
		wantErr         error
		wantAttachments []string
		wantWrites      []string // in the order sent
	}{
		{
			name:            "no fault",
			wantAttachments: []string{attachment(role, "Custom", narrow)},
			wantWrites:      []string{"CreatePolicy", "AttachPolicyToRole", "DetachPolicyFromRole"},
		},
		{
			name:            "the attach refused",
			rules:           []fake.Rule{{Action: "AttachPolicyToRole", Code: "NoPermission"}},
			wantErr:         encryptperm.ErrAccessDenied,
			wantAttachments: []string{attachment(role, "System", broad)},
			wantWrites:      []string{"CreatePolicy", "AttachPolicyToRole"},
		},
		{
			name:            "the attach answered 503 every time",
			rules:           []fake.Rule{{Action: "AttachPolicyToRole", Code: "ServiceUnavailable"}},
			wantErr:         encryptperm.ErrConflict,
			wantAttachments: []string{attachment(role, "System", broad)},
			wantWrites:      []string{"CreatePolicy", "AttachPolicyToRole", "AttachPolicyToRole"},
		},
		{
			name:            "the attach carried out, its answer lost",
			rules:           []fake.Rule{{Action: "AttachPolicyToRole", Nth: 1, LoseAnswer: true}},
			wantAttachments: []string{attachment(role, "Custom", narrow)},
			wantWrites:      []string{"CreatePolicy", "AttachPolicyToRole", "DetachPolicyFromRole"},
		},
		{
			name:            "the policy refused",
			rules:           []fake.Rule{{Action: "CreatePolicy", Code: "NoPermission"}},
			wantErr:         encryptperm.ErrAccessDenied,
			wantAttachments: []string{attachment(role, "System", broad)},
			wantWrites:      []string{"CreatePolicy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, be backend) {
				f := fake.New(&fake.Options{Faults: tt.rules})
				if err := f.PutRole(fake.Role{Name: role, TrustPolicy: diskTrustJSON}); err != nil {
					t.Fatal(err)
				}
				if err := f.PutAttachment(role, string(encryptperm.System), broad); err != nil {
					t.Fatal(err)
				}
				o := fastOptions()
				o.DetachBroaderPolicies = true
				o.MaxRounds = 2
				res, err := be.applier(t, f, o).Apply(context.Background(), mustBuild(t, encryptperm.DiskEncryption().WithKey(keyA)))
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("Apply: %v", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("Apply: %v, want %v", err, tt.wantErr)
				}
				var got []string
				for _, a := range f.Attachments() {
					got = append(got, attachment(a.RoleName, a.PolicyType, a.PolicyName))
				}
				if diff := cmp.Diff(tt.wantAttachments, got); diff != "" {
					t.Errorf("attachments (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantWrites, fakeWrites(f)); diff != "" {
					t.Errorf("writes (-want +got):\n%s", diff)
				}
				detached := slices.ContainsFunc(res.Changes, func(c encryptperm.Change) bool { return c.Action == "DetachPolicyFromRole" })
				if want := tt.wantErr == nil; detached != want {
					t.Errorf("Result.Changes %v: detach listed %v, want %v", summaries(res.Changes), detached, want)
				}
				if len(res.Unknown) != 0 {
					t.Errorf("Unknown = %v", summaries(res.Unknown))
				}
			})
		})
	}
}
