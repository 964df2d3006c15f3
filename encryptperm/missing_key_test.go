package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// missingKey is a key that shareFake's KMS does not hold.
var missingKey = encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6f2f1b0c3d4e5f"}

// TestShareMissingKeyIsNotFound: a key KMS does not find is ErrNotFound
// wherever the share step meets it, the key a grant names and the key of
// a resource's disk alike, before any write, with the problem's path.
func TestShareMissingKeyIsNotFound(t *testing.T) {
	tests := []struct {
		name     string
		grant    func(t *testing.T) *encryptperm.Grant
		faults   []fake.Rule
		wantPath string
		wantSay  string
	}{
		{
			name: "the key a grant names",
			grant: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA).WithKey(missingKey))
			},
			wantPath: "grants[0].Keys[0]",
			wantSay:  "KMS does not find key key-hzz6f2f1b0c3d4e5f in cn-hangzhou",
		},
		{
			name: "the key of the snapshot",
			grant: func(t *testing.T) *encryptperm.Grant {
				return mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA))
			},
			faults:   []fake.Rule{{Action: "DescribeKey", Code: "Forbidden.KeyNotFound", Status: 404}},
			wantPath: "grants[0].Resources[0]",
			wantSay:  "the snapshot is encrypted with key key-hzz6a2f1b0c3d4e5f, which KMS does not find in cn-hangzhou",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, &fake.Options{Faults: tt.faults})
			a := encryptperm.NewApplier(f, nil)
			g := tt.grant(t)
			_, perr := a.Plan(context.Background(), g)
			res, err := a.Apply(context.Background(), g)
			for _, e := range []error{perr, err} {
				var ve *encryptperm.ValidationError
				if !errors.Is(e, encryptperm.ErrNotFound) || !errors.As(e, &ve) || !ve.Has(tt.wantPath) || !strings.Contains(e.Error(), tt.wantSay) {
					t.Errorf("err = %v, want ErrNotFound and a problem at %s saying %q", e, tt.wantPath, tt.wantSay)
				}
			}
			if res == nil || res.Writes != 0 || len(f.Roles()) != 0 {
				t.Errorf("a refused Apply wrote: %+v, roles %v", res, f.Roles())
			}
		})
	}
}

// TestShareRegionMessageNamesEachOnce: a key of another region than the
// resource is refused with a message that names each region once.
func TestShareRegionMessageNamesEachOnce(t *testing.T) {
	f := shareFake(t, nil)
	other := encryptperm.Key{Region: "cn-beijing", Owner: fake.DefaultAccountID, ID: "key-hzz6a2f1b0c3d4e5f"}
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA).WithKey(other))
	_, err := encryptperm.NewApplier(f, nil).Plan(context.Background(), g)
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		if p.Path == "grants[0].Keys[0]" && strings.Contains(p.Reason, "ECS uses a key") {
			got = append(got, p.Reason)
		}
	}
	want := []string{"the key is in cn-beijing, but the snapshot s-bp1shared01 is in cn-hangzhou: ECS uses a key of the resource's own region"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
}
