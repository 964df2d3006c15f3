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
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// icAccounts returns n account UIDs, 2100000000000001 and on.
func icAccounts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("21%014d", i+1)
	}
	return out
}

// icShare shares the image with the accounts through the fake's ECS
// directly, ten a call, as ECS takes them.
func icShare(t *testing.T, f *fake.RAM, image string, accounts []string) {
	t.Helper()
	for i := 0; i < len(accounts); i += 10 {
		add := accounts[i:min(i+10, len(accounts))]
		req := ecs.CreateModifyImageSharePermissionRequest()
		req.RegionId, req.ImageId, req.AddAccount = shRegion, image, &add
		if _, err := f.ModifyImageSharePermission(req); err != nil {
			t.Fatal(err)
		}
	}
}

// icEntries returns, for each ModifyImageSharePermission call the fake saw
// from the n-th call on, how many AddAccount.N (or RemoveAccount.N) it
// carried.
func icEntries(f *fake.RAM, n int, param string) []int {
	var out []int
	for _, c := range f.Calls()[n:] {
		if c.Action != "ModifyImageSharePermission" {
			continue
		}
		k := 0
		for name := range c.Params {
			if strings.HasPrefix(name, param+".") {
				k++
			}
		}
		out = append(out, k)
	}
	return out
}

// ECS reads at most ten AddAccount.N a ModifyImageSharePermission call
// and ignores the rest without a word: an Apply that shares an image with
// 23 accounts sends them ten a call, and every one is shared.
func TestShareImageSendsTenAccountsACall(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	accts := icAccounts(23)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(accts...))
	n := len(f.Calls())
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{10, 10, 3}, icEntries(f, n, "AddAccount")); diff != "" {
		t.Errorf("AddAccount.N a call (-want +got):\n%s", diff)
	}
	got, _ := f.ImageSharedWith(shRegion, shImage)
	want := []string{
		"2100000000000001", "2100000000000002", "2100000000000003", "2100000000000004", "2100000000000005",
		"2100000000000006", "2100000000000007", "2100000000000008", "2100000000000009", "2100000000000010",
		"2100000000000011", "2100000000000012", "2100000000000013", "2100000000000014", "2100000000000015",
		"2100000000000016", "2100000000000017", "2100000000000018", "2100000000000019", "2100000000000020",
		"2100000000000021", "2100000000000022", "2100000000000023",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	res, err := a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 0 {
		t.Errorf("a second Apply made %d writes: %v", res.Writes, res.Changes)
	}
}

// The same holds for RemoveAccount.N: a Revoke that sent eleven a call
// would leave the eleventh account holding the image while saying it is
// unshared. It fails open.
func TestRevokeImageSendsTenAccountsACall_FailOpen(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	accts := icAccounts(23)
	icShare(t, f, shPlainImg, accts)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shPlainImg).WithAccounts(accts...))
	n := len(f.Calls())
	if _, err := encryptperm.NewApplier(f, nil).Revoke(ctx, g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{10, 10, 3}, icEntries(f, n, "RemoveAccount")); diff != "" {
		t.Errorf("RemoveAccount.N a call (-want +got):\n%s", diff)
	}
	if got, _ := f.ImageSharedWith(shRegion, shPlainImg); len(got) != 0 {
		t.Errorf("after the Revoke the image is still shared with %v", got)
	}
}

// A Revoke reads every account the image is shared with, whatever the
// page size: one of 25 accounts leaves none of them holding the image.
// Reading only a first page of 20 would leave 5 shared after a Revoke that
// says it is done: it fails open.
func TestRevokeImageReadsEveryShare_FailOpen(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	accts := icAccounts(25)
	icShare(t, f, shPlainImg, accts)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shPlainImg).WithAccounts(accts...))
	res, err := encryptperm.NewApplier(f, nil).Revoke(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ImageSharedWith(shRegion, shPlainImg); len(got) != 0 {
		t.Errorf("after the Revoke the image is still shared with %v", got)
	}
	var removed []string
	for _, c := range res.Changes {
		if c.Action == "ModifyImageSharePermission" {
			removed = append(removed, c.Summary)
		}
	}
	want := []string{
		"stop sharing image m-bp1plain01 in cn-hangzhou with account(s) 2100000000000001, 2100000000000002, 2100000000000003, 2100000000000004, 2100000000000005, 2100000000000006, 2100000000000007, 2100000000000008, 2100000000000009, 2100000000000010 (ECS)",
		"stop sharing image m-bp1plain01 in cn-hangzhou with account(s) 2100000000000011, 2100000000000012, 2100000000000013, 2100000000000014, 2100000000000015, 2100000000000016, 2100000000000017, 2100000000000018, 2100000000000019, 2100000000000020 (ECS)",
		"stop sharing image m-bp1plain01 in cn-hangzhou with account(s) 2100000000000021, 2100000000000022, 2100000000000023, 2100000000000024, 2100000000000025 (ECS)",
	}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// ECS shares an image with at most 50 accounts. An Apply that would take
// an image shared with 45 accounts to 55 is refused before any write,
// counting all 45: counting only a first page of 20 would let it through,
// write the trust policy, and then meet ECS's QuotaExceed.ShareImageUser,
// half done.
func TestShareImageCapCountsEveryShare(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	accts := icAccounts(55)
	if _, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(accts[:45]...))); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ImageSharedWith(shRegion, shImage); len(got) != 45 {
		t.Fatalf("shared with %d accounts, want 45", len(got))
	}
	before := f.Roles()
	res, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(accts[45:]...)))
	var ve *encryptperm.ValidationError
	if !errors.Is(err, encryptperm.ErrLimitExceeded) || !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError with ErrLimitExceeded", err)
	}
	want := []policy.FieldError{{
		Path:   "grants[0].Resources[0]",
		Value:  shImage,
		Reason: "the image m-bp1shared01 in cn-hangzhou would be shared with 55 accounts (45 already), but ECS shares one image with at most 50; share with a resource directory or folder instead",
	}}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes before the refusal: %v", res.Writes, res.Changes)
	}
	if diff := cmp.Diff(before, f.Roles()); diff != "" {
		t.Errorf("roles changed by a refused Apply (-before +after):\n%s", diff)
	}
}
