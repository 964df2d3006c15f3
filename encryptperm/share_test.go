package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	shRegion   = "cn-hangzhou"
	shImage    = "m-bp1shared01"
	shSnapshot = "s-bp1shared01"
	shPlainImg = "m-bp1plain01"
	shSvcImage = "m-bp1servicekey"
	shRD       = "rd-3GabcD"
	shFolder   = "rd-3GabcD/r-Root01/fd-Folder01"
	shMember   = "2234567890123456"
)

// shareFake is a fake with a key, encrypted and plain images and a
// snapshot, and a resource directory whose sharing is on.
func shareFake(t *testing.T, o *fake.Options) *fake.RAM {
	t.Helper()
	f := fake.New(o)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"], "folders": ["r-Root01", "fd-Folder01"]},
	 "keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f", "state": "Enabled"},
	          {"region": "cn-hangzhou", "id": "key-hzz6b2f1b0c3d4e5f", "state": "Disabled"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"},
	            {"region": "cn-hangzhou", "id": "m-bp1plain01"},
	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}],
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustBuild(t *testing.T, b interface {
	Build() (*encryptperm.Grant, error)
}) *encryptperm.Grant {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestShareImageWithAccounts(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX))
	res, err := a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		t.Log(c)
	}
	got, _ := f.ImageSharedWith(shRegion, shImage)
	if diff := cmp.Diff([]string{apAcctA, apAcctB, apAcctX}, got); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	res, err = a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes != 0 {
		t.Errorf("re-apply: %d writes, want 0: %v", res.Writes, res.Changes)
	}
	res, err = a.Revoke(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		t.Log(c)
	}
	got, _ = f.ImageSharedWith(shRegion, shImage)
	if len(got) != 0 {
		t.Errorf("after revoke shared with %v", got)
	}
	_ = errors.Is
	_ = strings.Contains
	_ = time.Second
}
