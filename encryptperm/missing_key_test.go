package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
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

// ramOnly hides every method of a client but RAM's, as the SDK's
// *ram.Client given to NewApplier alone would: such an Applier has no KMS
// to check keys with.
type ramOnly struct{ encryptperm.RAM }

// keyedFake is a fake whose KMS holds apKey only, so that any other key is
// one KMS does not find.
func keyedFake(t *testing.T) *fake.RAM {
	t.Helper()
	f := fake.New(nil)
	if err := f.PutKey(fake.Key{Region: apKey.Region, ID: apKey.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGrantKeyMissingIsRefusedBeforeAnyWrite: a grant that names no image
// or snapshot has its keys read beside RAM's first reads; a key KMS does
// not find (or names in another account) is refused by Plan and Apply, with
// ErrNotFound and the key's path, before any write, and also when RAM
// already holds the grant, when nothing would be written.
func TestGrantKeyMissingIsRefusedBeforeAnyWrite(t *testing.T) {
	otherOwner := encryptperm.Key{Region: apKey.Region, Owner: "9234567890123456", ID: apKey.ID}
	tests := []struct {
		name         string
		warm         bool // RAM holds the grant already
		keys         []encryptperm.Key
		wantNotFound bool
		want         []string // the problems, path and reason
	}{
		{
			name: "a missing key", keys: []encryptperm.Key{apKey, missingKey}, wantNotFound: true,
			want: []string{"grants[0].Keys[1]: KMS does not find key key-hzz6f2f1b0c3d4e5f in cn-hangzhou of account 1234567890123456: a grant for a key that does not exist lets ECS use nothing; create the key, or name one KMS holds"},
		},
		{
			name: "a missing key, the grant held already", warm: true, keys: []encryptperm.Key{missingKey}, wantNotFound: true,
			want: []string{"grants[0].Keys[0]: KMS does not find key key-hzz6f2f1b0c3d4e5f in cn-hangzhou of account 1234567890123456: a grant for a key that does not exist lets ECS use nothing; create the key, or name one KMS holds"},
		},
		{
			// The key is read by its ARN, in the account the grant names,
			// which does not hold it.
			name: "a key named in another account", keys: []encryptperm.Key{otherOwner}, wantNotFound: true,
			want: []string{"grants[0].Keys[0]: KMS does not find key key-hzz6a2f1b0c3d4e5f in cn-hangzhou of account 9234567890123456: a grant for a key that does not exist lets ECS use nothing; create the key, or name one KMS holds"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := keyedFake(t)
			b := encryptperm.DiskEncryption()
			for _, k := range tt.keys {
				b.WithKey(k)
			}
			g := mustBuild(t, b)
			if tt.warm {
				// Put in by an Applier over RAM alone, which has no KMS
				// to check keys with.
				if _, err := encryptperm.NewApplier(ramOnly{f}, nil).Apply(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			before := len(f.Calls())
			a := encryptperm.NewApplier(f, apFast())
			_, perr := a.Plan(ctx, g)
			res, err := a.Apply(ctx, g)
			for _, e := range []error{perr, err} {
				var ve *encryptperm.ValidationError
				if !errors.As(e, &ve) {
					t.Fatalf("err = %v, want a *ValidationError", e)
				}
				var got []string
				for _, p := range ve.Problems {
					got = append(got, p.Path+": "+p.Reason)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				if errors.Is(e, encryptperm.ErrNotFound) != tt.wantNotFound {
					t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tt.wantNotFound, tt.wantNotFound)
				}
			}
			if res == nil || res.Writes != 0 || !slices.ContainsFunc(res.Calls, func(c encryptperm.Call) bool { return c.Action == "DescribeKey" }) {
				t.Errorf("Result = %+v, want the key's read and no write", res)
			}
			for _, c := range f.Calls()[before:] {
				if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") && c.Action != "DescribeKey" {
					t.Errorf("a refused Apply called %s", c.Action)
				}
			}
		})
	}
}

// TestGrantKeyCheckSkippedWithoutKMS: an Applier over RAM alone (the SDK's
// *ram.Client, a RAM mock) has no KMS client, so it reads no key and
// applies the grant as before.
func TestGrantKeyCheckSkippedWithoutKMS(t *testing.T) {
	f := keyedFake(t)
	g := mustBuild(t, encryptperm.DiskEncryption().WithKey(missingKey))
	res, err := encryptperm.NewApplier(ramOnly{f}, nil).Apply(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(res.Calls, func(c encryptperm.Call) bool { return c.Action == "DescribeKey" }) || res.Writes != 3 {
		t.Errorf("calls %v, %d writes; want no DescribeKey and 3 writes", actions(res.Calls), res.Writes)
	}
}

// TestBatchLeavesOutACallerWithAMissingKey: callers batched for one role
// write only once each caller's keys are known; a caller whose key KMS
// does not find is refused and the others are applied.
func TestBatchLeavesOutACallerWithAMissingKey(t *testing.T) {
	f := keyedFake(t)
	hold := f.HoldCall("CreateRole", 1)
	a := encryptperm.NewApplier(f, nil)
	queued := make(chan string, 4)
	encryptperm.SetEnqueueHook(a, func(role string) { queued <- role })
	apply := func(uid string, k encryptperm.Key) error {
		_, err := a.Apply(context.Background(), mustBuild(t, encryptperm.ShareSnapshot().WithAccounts(uid).WithKey(k)))
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = apply(apAcctA, apKey) }()
	<-hold.Held()
	for i, c := range []struct {
		uid string
		key encryptperm.Key
	}{{apAcctB, apKey}, {apAcctX, missingKey}} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i+1] = apply(c.uid, c.key) }()
	}
	<-queued
	<-queued
	hold.Release()
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("the callers with a key KMS holds: %v, %v", errs[0], errs[1])
	}
	var ve *encryptperm.ValidationError
	if !errors.Is(errs[2], encryptperm.ErrNotFound) || !errors.As(errs[2], &ve) || !ve.Has("grants[0].Keys[0]") {
		t.Errorf("the caller with a missing key: %v, want ErrNotFound at grants[0].Keys[0]", errs[2])
	}
	ps, _ := f.TrustedPrincipals(encryptperm.ShareSnapshotRoleName)
	var got []string
	for _, p := range ps {
		got = append(got, p.Value)
	}
	slices.Sort(got)
	want := []string{apAcctA + "@ecs.aliyuncs.com", apAcctB + "@ecs.aliyuncs.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trusted principals (-want +got):\n%s", diff)
	}
}

// TestGrantKeyKMSNamesOtherwiseIsRefused: when KMS answers a grant's key
// with another ARN than the grant gives it (a KMS that reads the key by ID
// alone, in another account or region), the grant would allow a key ECS
// never uses: it is refused before any write, naming both ARNs.
func TestGrantKeyKMSNamesOtherwiseIsRefused(t *testing.T) {
	ctrl := gomock.NewController(t)
	k := mock.NewMockKMS(ctrl)
	named := encryptperm.Key{Region: apKey.Region, Owner: "9234567890123456", ID: apKey.ID}
	k.EXPECT().DescribeKey(gomock.Any()).DoAndReturn(func(*kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
		resp := kms.CreateDescribeKeyResponse()
		resp.KeyMetadata.KeyId, resp.KeyMetadata.KeyState = apKey.ID, "Enabled"
		resp.KeyMetadata.Creator, resp.KeyMetadata.Arn = apKey.Owner, apKey.ARN()
		return resp, nil
	}).AnyTimes()
	k.EXPECT().GetKeyPolicy(gomock.Any()).Return(nil, mock.ServerError(400, "UnsupportedOperation")).AnyTimes()
	f := fake.New(nil)
	o := apFast()
	o.KMS = k
	_, err := encryptperm.NewApplier(f, o).Apply(context.Background(), mustBuild(t, encryptperm.DiskEncryption().WithKey(named)))
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Path+": "+p.Reason)
	}
	want := []string{"grants[0].Keys[0]: KMS names this key acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f, but the grant names it acs:kms:cn-hangzhou:9234567890123456:key/key-hzz6a2f1b0c3d4e5f: the grant would allow a key ECS never uses; name the key as KMS does"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if errors.Is(err, encryptperm.ErrNotFound) {
		t.Error("errors.Is(err, ErrNotFound): the key exists; it is named otherwise")
	}
	if len(f.Roles()) != 0 {
		t.Errorf("a refused Apply made roles %v", f.Roles())
	}
}
