package encryptperm_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestCheckJudgesTheKeyKMSNames: a Check that names an image judges the
// image's key as KMS names it. A Key or Owner in the question that names
// it otherwise, in another account or region, is a step "key ARN" that is
// not allowed, with both ARNs in its reason, even where the role's policy
// covers the key the question names too.
func TestCheckJudgesTheKeyKMSNames(t *testing.T) {
	const stranger = "9234567890123456"
	strangersKey := encryptperm.Key{Region: shRegion, Owner: stranger, ID: apKey.ID}
	shanghaiKey := encryptperm.Key{Region: "cn-shanghai", Owner: fake.DefaultAccountID, ID: apKey.ID}
	tests := []struct {
		name     string
		snapshot bool            // ask about shSnapshot, shared with shMember
		key      encryptperm.Key // Access.Key
		owner    string          // Access.Owner
		// The key ARN step's reason; "" when there is none and the Check
		// is allowed.
		wantReason string
	}{
		{name: "the key as KMS names it", key: apKey},
		{name: "no key given"},
		{
			name: "the key in another account", key: strangersKey,
			wantReason: "the question names key " + strangersKey.ARN() + ", but KMS names the image's key " + apKey.ARN(),
		},
		{
			name: "the key in another region", key: shanghaiKey,
			wantReason: "the question names key " + shanghaiKey.ARN() + ", but KMS names the image's key " + apKey.ARN(),
		},
		{
			name: "another owner", owner: stranger,
			wantReason: "the question's owner " + stranger + " makes the key " + strangersKey.ARN() + ", but KMS names the image's key " + apKey.ARN(),
		},
		{name: "a snapshot's key as KMS names it", snapshot: true, key: apKey},
		{
			name: "a snapshot's key in another account", snapshot: true, key: strangersKey,
			wantReason: "the question names key " + strangersKey.ARN() + ", but KMS names the snapshot's key " + apKey.ARN(),
		},
		{
			name: "a snapshot with another owner", snapshot: true, owner: stranger,
			wantReason: "the question's owner " + stranger + " makes the key " + strangersKey.ARN() + ", but KMS names the snapshot's key " + apKey.ARN(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			// The resource shared with the recipient, and the role's
			// policy covering every key the questions name.
			recipient, typ, id := apAcctA, encryptperm.ResourceImage, shImage
			share := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)
			extra := encryptperm.ShareImage().WithAccounts(apAcctA).WithKey(strangersKey).WithKey(shanghaiKey)
			if tt.snapshot {
				recipient, typ, id = shMember, encryptperm.ResourceSnapshot, shSnapshot
				share = encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(shMember)
				extra = encryptperm.ShareSnapshot().WithAccounts(shMember).WithKey(strangersKey).WithKey(shanghaiKey)
			}
			if _, err := a.Apply(ctx, mustBuild(t, share)); err != nil {
				t.Fatal(err)
			}
			// KMS knows neither of the extra keys, so an Applier that
			// checks keys refuses them: one over RAM alone puts them in.
			if _, err := encryptperm.NewApplier(ramOnly{f}, nil).Apply(ctx, mustBuild(t, extra)); err != nil {
				t.Fatal(err)
			}
			d, err := a.Check(ctx, encryptperm.Access{Recipient: recipient, Resource: typ, ResourceID: id, Region: shRegion, Key: tt.key, Owner: tt.owner})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range d.Steps {
				if st.Action == "key ARN" {
					got = append(got, st.Resource+": "+st.Reason)
					if st.Allowed {
						t.Errorf("the key ARN step is allowed")
					}
				}
			}
			var want []string
			if tt.wantReason != "" {
				want = []string{apKey.ARN() + ": " + tt.wantReason}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("key ARN steps (-want +got):\n%s", diff)
			}
			if d.Allowed != (tt.wantReason == "") {
				t.Errorf("Allowed = %v: %s", d.Allowed, d.Reason)
			}
			if d.Access.Key != apKey {
				t.Errorf("judged key %s, want %s", d.Access.Key.ARN(), apKey.ARN())
			}
			var keys []string
			for _, st := range d.Steps {
				if strings.HasPrefix(st.Action, "kms:") && st.Action != "kms:ListKeys" && !strings.Contains(st.Resource, apKey.ARN()) {
					keys = append(keys, st.Resource)
				}
			}
			if len(keys) != 0 {
				t.Errorf("steps about keys KMS does not name: %v", keys)
			}
			if tt.wantReason != "" && (!strings.Contains(d.Reason, apKey.ARN()) || !slices.Contains(d.Missing, "key ARN")) {
				t.Errorf("the decision does not say why: %s (missing %v)", d.Reason, d.Missing)
			}
		})
	}
}
