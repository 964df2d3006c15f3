package mock_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	owner     = "1234567890123456"
	recipient = "2000000000000001"
	keyID     = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
)

var (
	snapshot = mock.Resource{Region: "cn-hangzhou", ID: "s-bp1shared01", Owner: owner, KeyID: keyID}
	image    = mock.Resource{Region: "cn-hangzhou", ID: "m-bp1shared01", Owner: owner, KeyID: keyID}
)

// shareMocks are the three share services, mocked, as Options for
// NewApplier.
func shareMocks(t *testing.T) (*mock.MockECS, *mock.MockResourceSharing, *mock.MockKMS, *encryptperm.Options) {
	ctrl := gomock.NewController(t)
	e, rs, k := mock.NewMockECS(ctrl), mock.NewMockResourceSharing(ctrl), mock.NewMockKMS(ctrl)
	return e, rs, k, &encryptperm.Options{ECS: e, ResourceSharing: rs, KMS: k}
}

// TestShareReadsAnswerAPlan: with ExpectEmptyAccount and ExpectShareReads,
// a Plan that shares a snapshot and an image runs on mocks alone and finds
// their key.
func TestShareReadsAnswerAPlan(t *testing.T) {
	e, rs, k, o := shareMocks(t)
	m := mock.NewMockRAM(gomock.NewController(t))
	mock.ExpectEmptyAccount(m)
	mock.ExpectShareReads(e, rs, k, snapshot, image)
	a := encryptperm.NewApplier(m, o)
	p, err := a.Plan(context.Background(),
		mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(snapshot.Region, snapshot.ID).WithAccounts(recipient)),
		mustBuild(t, encryptperm.ShareImage().WithImage(image.Region, image.ID).WithAccounts(recipient)))
	if err != nil {
		t.Fatal(err)
	}
	var shares []string
	for _, c := range p.Changes {
		if c.Share != nil {
			shares = append(shares, c.Action+" "+c.Share.ResourceID)
		}
	}
	want := []string{"CreateResourceShare s-bp1shared01", "ModifyImageSharePermission m-bp1shared01"}
	slices.Sort(shares)
	if diff := cmp.Diff(want, shares); diff != "" {
		t.Errorf("share changes (-want +got):\n%s\n%s", diff, p)
	}
	if !strings.Contains(p.String(), "key/"+keyID) {
		t.Errorf("the plan does not grant the key found:\n%s", p)
	}
}

// TestShareWritesTakeAnApply: RAM in the fake, the share services mocked:
// ExpectShareWrites takes the Apply's writes, and a CreateResourceShare
// failure expected before it meets the engine's answer to a write whose
// outcome is unknown: it reads whether the share was made, then makes it.
func TestShareWritesTakeAnApply(t *testing.T) {
	e, rs, k, o := shareMocks(t)
	o.Retry.Disable = true
	rs.EXPECT().CreateResourceShare(gomock.Any()).Return(nil, mock.ServerError(503, "ServiceUnavailable"))
	mock.ExpectShareReads(e, rs, k, snapshot)
	mock.ExpectShareWrites(e, rs, "rs-made1")
	f := fake.New(&fake.Options{AccountID: owner})
	res, err := encryptperm.NewApplier(f, o).Apply(context.Background(),
		mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(snapshot.Region, snapshot.ID).WithAccounts(recipient)))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var writes []string
	for _, c := range res.Calls {
		if c.Write && c.Service != "RAM" {
			writes = append(writes, c.Service+" "+c.Action+" "+c.Code)
		}
	}
	want := []string{"Resource Sharing CreateResourceShare ServiceUnavailable", "Resource Sharing CreateResourceShare "}
	if diff := cmp.Diff(want, writes); diff != "" {
		t.Errorf("share writes (-want +got):\n%s", diff)
	}
	if len(f.Roles()) != 1 {
		t.Errorf("roles %v, want the snapshot role", f.Roles())
	}
}

// TestExpectKeyAnswersOnlyItsKey: a key the mocks were not told of is not
// answered, and Apply, which reads every key a grant names, fails on it
// rather than write.
func TestExpectKeyAnswersOnlyItsKey(t *testing.T) {
	_, _, k, o := shareMocks(t)
	mock.ExpectKey(k, "cn-hangzhou", owner, keyID, "Enabled")
	k.EXPECT().DescribeKey(gomock.Any()).Return(nil, mock.ServerError(404, "Forbidden.KeyNotFound"))
	k.EXPECT().GetKeyPolicy(gomock.Any()).Return(nil, mock.ServerError(404, "Forbidden.KeyNotFound"))
	f := fake.New(&fake.Options{AccountID: owner})
	other := encryptperm.Key{Region: "cn-hangzhou", Owner: owner, ID: "key-hzother01"}
	_, err := encryptperm.NewApplier(f, o).Apply(context.Background(),
		mustBuild(t, encryptperm.DiskEncryption().WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: owner, ID: keyID}).WithKey(other)))
	var ve *encryptperm.ValidationError
	if !errors.Is(err, encryptperm.ErrNotFound) || !errors.As(err, &ve) || !ve.Has("grants[0].Keys[1]") {
		t.Errorf("Apply: %v; want ErrNotFound for grants[0].Keys[1] only", err)
	}
	if len(f.Roles()) != 0 {
		t.Errorf("a refused Apply made roles %v", f.Roles())
	}
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
