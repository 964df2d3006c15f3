package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The share step lists the region's encrypted snapshots beside
// DescribeImages, so that an image's key is known a level early. The list
// is a guess: these tests hold that a failed, short, hostile or unfiltered
// list never changes what is decided, only how many levels it takes.

// snapshotCalls returns the DescribeSnapshots calls of a Result, each as
// "list <target>" (no IDs named: the first-level list) or "ids <target>"
// (by ID), with the attempt and error code.
func snapshotCalls(res *encryptperm.Result) []string {
	var out []string
	for _, c := range res.Calls {
		if c.Action != "DescribeSnapshots" {
			continue
		}
		kind := "ids"
		if c.Target == shRegion || strings.HasPrefix(c.Target, shRegion+"/") {
			kind = "list"
		}
		out = append(out, fmt.Sprintf("%s %s #%d %s", kind, c.Target, c.Attempt, c.Code))
	}
	return out
}

// sharedKeyPolicy is the key policy the library writes for the image share
// of the fake's account with key.
func sharedKeyPolicy(t *testing.T, f *fake.RAM) string {
	t.Helper()
	p, ok := f.Policy(string(encryptperm.Custom), encryptperm.ShareImagePolicyName)
	if !ok {
		t.Fatalf("no policy %s", encryptperm.ShareImagePolicyName)
	}
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersion {
			return v.Document
		}
	}
	t.Fatalf("policy %s has no default version", p.Name)
	return ""
}

func TestShareSnapshotListFailureFallsBackToReadingByID(t *testing.T) {
	for _, code := range []string{"Throttling.User", "Forbidden.RAM", "ServiceUnavailable"} {
		t.Run(code, func(t *testing.T) {
			// The first DescribeSnapshots is the list; it fails once.
			f := shareFake(t, &fake.Options{Faults: []fake.Rule{{Action: "DescribeSnapshots", Nth: 1, Code: code}}})
			g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
			res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			// Tried once, never retried, then the snapshot read by ID.
			want := []string{"list " + shRegion + " #1 " + code, "ids s-imgbp1shared01 #1 "}
			if diff := cmp.Diff(want, snapshotCalls(res)); diff != "" {
				t.Errorf("DescribeSnapshots calls (-want +got):\n%s", diff)
			}
			if doc := sharedKeyPolicy(t, f); !strings.Contains(doc, "key/key-hzz6a2f1b0c3d4e5f") {
				t.Errorf("the policy does not name the image's key: %s", doc)
			}
			got, _ := f.ImageSharedWith(shRegion, shImage)
			if diff := cmp.Diff([]string{apAcctA}, got); diff != "" {
				t.Errorf("shared with (-want +got):\n%s", diff)
			}
		})
	}
}

// filterlessECS is an ECS that ignores DescribeSnapshots' filters, as a
// server that did not know them might: it lists every snapshot.
type filterlessECS struct{ *fake.RAM }

func (e filterlessECS) DescribeSnapshots(r *ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error) {
	c := *r
	c.Encrypted, c.KMSKeyId, c.Usage = "", "", ""
	return e.RAM.DescribeSnapshots(&c)
}

// twoFacedECS answers the list with the image's snapshot twice, once with
// the key it has and once with another.
type twoFacedECS struct{ *fake.RAM }

func (e twoFacedECS) DescribeSnapshots(r *ecs.DescribeSnapshotsRequest) (*ecs.DescribeSnapshotsResponse, error) {
	resp, err := e.RAM.DescribeSnapshots(r)
	if err != nil || r.SnapshotIds != "" {
		return resp, err
	}
	for _, s := range resp.Snapshots.Snapshot {
		if s.SnapshotId == "s-imgbp1shared01" {
			s.KMSKeyId = "key-hzz6b2f1b0c3d4e5f"
			resp.Snapshots.Snapshot = append(resp.Snapshots.Snapshot, s)
			break
		}
	}
	return resp, nil
}

// The list's rows are evidence about the snapshots they name and nothing
// else: whether the server applied the filters or not, and whatever else it
// lists, the image's key is the one its snapshot has, and a grant naming
// another key is refused before any write.
func TestShareSnapshotListIsEvidenceByRowOnly(t *testing.T) {
	const other = "key-hzz6b2f1b0c3d4e5f" // exists, Disabled, encrypts nothing
	tests := []struct {
		name      string
		ecs       func(f *fake.RAM) encryptperm.ECS
		key       string // WithKey; "" lets the Applier find it
		wantErr   string // "" for success
		wantCalls []string
	}{
		{
			name:      "filtered list names the image's snapshot",
			wantCalls: []string{"list cn-hangzhou #1 "},
		},
		{
			name:      "unfiltered list names it too",
			ecs:       func(f *fake.RAM) encryptperm.ECS { return filterlessECS{f} },
			wantCalls: []string{"list cn-hangzhou #1 "},
		},
		{
			name:      "a list filtered by another key does not name it: read by ID",
			key:       other,
			wantErr:   "not with the key the grant names",
			wantCalls: []string{"list cn-hangzhou/" + other + " #1 ", "ids s-imgbp1shared01 #1 "},
		},
		{
			name:      "the same, the server ignoring the filter: the row itself tells",
			ecs:       func(f *fake.RAM) encryptperm.ECS { return filterlessECS{f} },
			key:       other,
			wantErr:   "not with the key the grant names",
			wantCalls: []string{"list cn-hangzhou/" + other + " #1 "},
		},
		{
			name:      "a snapshot listed twice with two keys is read by ID",
			ecs:       func(f *fake.RAM) encryptperm.ECS { return twoFacedECS{f} },
			wantCalls: []string{"list cn-hangzhou #1 ", "ids s-imgbp1shared01 #1 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			var o encryptperm.Options
			if tt.ecs != nil {
				o.ECS = tt.ecs(f)
			}
			b := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)
			if tt.key != "" {
				b = b.WithKey(encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: tt.key})
			}
			res, err := encryptperm.NewApplier(f, &o).Apply(context.Background(), mustBuild(t, b))
			if diff := cmp.Diff(tt.wantCalls, snapshotCalls(res)); diff != "" {
				t.Errorf("DescribeSnapshots calls (-want +got):\n%s", diff)
			}
			if tt.wantErr != "" {
				if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.wantErr)
				}
				if res.Writes != 0 || len(f.Roles()) != 0 {
					t.Errorf("%d writes, roles %v after a refusal", res.Writes, f.Roles())
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			doc := sharedKeyPolicy(t, f)
			if !strings.Contains(doc, "key/key-hzz6a2f1b0c3d4e5f") || strings.Contains(doc, other) {
				t.Errorf("the policy names the wrong keys: %s", doc)
			}
		})
	}
}

// A Check that names an image finds its key from the list too, and reads
// the snapshot by ID only when the list does not name it.
func TestCheckImageUsesTheSnapshotList(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	if _, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))); err != nil {
		t.Fatal(err)
	}
	n := len(f.Calls())
	d, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shImage, Region: shRegion})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Fatalf("not allowed: %s", d.Reason)
	}
	snaps := 0
	for _, c := range f.Calls()[n:] {
		if c.Action == "DescribeSnapshots" {
			snaps++
		}
	}
	if snaps != 1 {
		t.Errorf("%d DescribeSnapshots calls, want the one list", snaps)
	}
}

// A share Apply's Result lists its calls in the order they were made: the
// share after RAM's writes, which it waits for.
func TestShareResultListsCallsInOrder(t *testing.T) {
	f := shareFake(t, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, c := range res.Calls {
		at[c.Action] = i
	}
	order := []string{"DescribeImages", "DescribeKey", "CreatePolicy", "AttachPolicyToRole", "ModifyImageSharePermission"}
	for i := 1; i < len(order); i++ {
		a, okA := at[order[i-1]]
		b, okB := at[order[i]]
		if !okA || !okB || a >= b {
			t.Errorf("%s at %d, %s at %d in Result.Calls; want the first before the second", order[i-1], a, order[i], b)
		}
	}
	if n := len(f.Calls()); len(res.Calls) != n {
		t.Errorf("Result lists %d calls, the fake answered %d", len(res.Calls), n)
	}
}
