package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// actionsSince returns the actions f recorded after the first n calls.
func actionsSince(f *fake.RAM, n int) []string {
	var out []string
	for _, c := range f.Calls()[n:] {
		out = append(out, c.Action)
	}
	return out
}

// A warm Apply, RAM and the shares in place, still reads the key's state,
// and refuses before any write a key no recipient can use, naming it: on
// the Applier that found the key before (which reads it in its first
// level) and on a new one alike. One that has something to write refuses it
// too.
func TestShareWarmRefusesAKeyNobodyCanUse(t *testing.T) {
	tests := []struct {
		name    string
		disable func(t *testing.T, f *fake.RAM)
		fresh   bool // a new Applier for the warm Apply
		want    string
	}{
		{
			name:    "disabled, the same Applier",
			disable: func(t *testing.T, f *fake.RAM) { mustPutKey(t, f, fake.KeyDisabled) },
			want:    "the image's key " + apKey.ARN() + " is Disabled, not Enabled",
		},
		{
			name:    "disabled, a new Applier",
			disable: func(t *testing.T, f *fake.RAM) { mustPutKey(t, f, fake.KeyDisabled) },
			fresh:   true,
			want:    "the image's key " + apKey.ARN() + " is Disabled, not Enabled",
		},
		{
			name:    "pending deletion",
			disable: func(t *testing.T, f *fake.RAM) { mustPutKey(t, f, fake.KeyPendingDeletion) },
			want:    "the image's key " + apKey.ARN() + " is PendingDeletion, not Enabled",
		},
		{
			name: "gone from KMS",
			disable: func(t *testing.T, f *fake.RAM) {
				f.SetFaults(fake.Rule{Action: "DescribeKey", Code: "Forbidden.KeyNotFound", Status: 404})
			},
			want: "the image is encrypted with key " + apKey.ID + ", which KMS does not find in cn-hangzhou",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, nil)
			g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB))
			if _, err := a.Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			tt.disable(t, f)
			if tt.fresh {
				a = encryptperm.NewApplier(f, nil)
			}
			for _, give := range []*encryptperm.Grant{g, mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX))} {
				n := len(f.Calls())
				res, err := a.Apply(ctx, give)
				if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Apply with the key unusable: err = %v, want ErrInvalid saying %q", err, tt.want)
				}
				got := actionsSince(f, n)
				slices.Sort(got)
				want := []string{"DescribeImageSharePermission", "DescribeImages", "DescribeKey", "DescribeSnapshots", "GetPolicy", "GetRole", "ListPoliciesForRole", "ListPolicyVersions"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
				if res.Writes != 0 {
					t.Errorf("%d writes after a refusal", res.Writes)
				}
			}
			shared, _ := f.ImageSharedWith(shRegion, shImage)
			if diff := cmp.Diff([]string{apAcctA, apAcctB}, shared); diff != "" {
				t.Errorf("shared with (-want +got):\n%s", diff)
			}
		})
	}
}

// mustPutKey puts apKey in the state given.
func mustPutKey(t *testing.T, f *fake.RAM, state string) {
	t.Helper()
	if err := f.PutKey(fake.Key{Region: shRegion, ID: apKey.ID, State: state}); err != nil {
		t.Fatal(err)
	}
}

// recordingLocker is a MemoryLocker that records, for each lock taken and
// released, the RAM calls the fake had seen by then.
type recordingLocker struct {
	encryptperm.MemoryLocker
	f *fake.RAM

	mu     sync.Mutex
	events []string
}

func (l *recordingLocker) Lock(ctx context.Context, name string) (func(), error) {
	_, unlock, err := l.LockContext(ctx, name)
	return unlock, err
}

// LockContext records too: the engine takes a lock through it when the
// Locker has it, as MemoryLocker does.
func (l *recordingLocker) LockContext(ctx context.Context, name string) (context.Context, func(), error) {
	lctx, unlock, err := l.MemoryLocker.LockContext(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	l.note("lock " + name)
	return lctx, func() { l.note("unlock " + name); unlock() }, nil
}

// note records what, and the RAM actions made so far.
func (l *recordingLocker) note(what string) {
	var ram []string
	for _, c := range l.f.Calls() {
		if !strings.HasPrefix(c.Action, "Describe") && c.Action != "ModifyImageSharePermission" {
			ram = append(ram, c.Action)
		}
	}
	l.mu.Lock()
	l.events = append(l.events, what+" after "+strings.Join(ram, ","))
	l.mu.Unlock()
}

// RAM's reads made beside the share step's first reads are made under the
// role's lock, taken once, and held until RAM's last write.
func TestSharePrefetchReadsUnderTheLock(t *testing.T) {
	f := shareFake(t, nil)
	l := &recordingLocker{f: f}
	a := encryptperm.NewApplier(f, &encryptperm.Options{Locker: l})
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
	if _, err := a.Apply(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	name := "encryptperm/role/" + strings.ToLower(g.Role.Name)
	want := []string{
		"lock " + name + " after ",
		// The reads are made in parallel, in any order.
		"unlock " + name + " after <4 reads>,CreatePolicy,CreateRole,GetPolicy,AttachPolicyToRole",
	}
	got := slices.Clone(l.events)
	if len(got) == 2 {
		// Sort the reads and writes of one level into a known order.
		parts := strings.SplitN(got[1], " after ", 2)
		acts := strings.Split(parts[1], ",")
		if len(acts) == 8 {
			slices.Sort(acts[:4])
			if slices.Equal(acts[:4], []string{"GetPolicy", "GetRole", "ListPoliciesForRole", "ListPolicyVersions"}) {
				acts = append([]string{"<4 reads>"}, acts[4:]...)
			}
			slices.Sort(acts[1:3])
			slices.Sort(acts[3:5])
			acts[3], acts[4] = acts[4], acts[3] // GetPolicy, then AttachPolicyToRole
			got[1] = parts[0] + " after " + strings.Join(acts, ",")
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lock events (-want +got):\n%s", diff)
	}
}

// Applies of one share on one Applier, at once and with a grant of the
// same role that goes through the role's batch queue, all finish, and RAM
// and ECS end holding every account.
func TestSharePrefetchConcurrentApplies(t *testing.T) {
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	grants := []*encryptperm.Grant{
		mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)),
		mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctB)),
		mustBuild(t, encryptperm.ShareImage().WithAccounts(apAcctX).WithKey(apKey)),
	}
	errs := make([]error, len(grants))
	var wg sync.WaitGroup
	for i, g := range grants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.Apply(ctx, g)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply %d: %v", i, err)
		}
	}
	shared, _ := f.ImageSharedWith(shRegion, shImage)
	slices.Sort(shared)
	if diff := cmp.Diff([]string{apAcctA, apAcctB}, shared); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	ps, ok := f.TrustedPrincipals(grants[0].Role.Name)
	if !ok {
		t.Fatal("no role")
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.Value)
	}
	slices.Sort(ids)
	wantIDs := []string{apAcctA + "@ecs.aliyuncs.com", apAcctB + "@ecs.aliyuncs.com", apAcctX + "@ecs.aliyuncs.com"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("trusted principals (-want +got):\n%s", diff)
	}
}

// When the grants RAM converges turn out to need other policies than those
// read early (here an unencrypted image's grant needs no policy, so the
// library's image policy read early is not among them), the role is read
// again under the locks already held, and the Apply converges.
func TestSharePrefetchReadsAgainWhenTheNamesDiffer(t *testing.T) {
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	plain := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shPlainImg).WithAccounts(apAcctA))
	own := mustBuild(t, encryptperm.ShareImage().WithAccounts(apAcctB).WithKey(apKey).WithPolicyName("EncryptPerm-TeamImageKeys"))
	if _, err := a.Apply(ctx, plain, own); err != nil {
		t.Fatal(err)
	}
	var roleReads int
	for _, c := range f.Calls() {
		if c.Action == "GetRole" {
			roleReads++
		}
	}
	if roleReads != 2 {
		t.Errorf("%d GetRole calls, want 2 (early, and again for other names)", roleReads)
	}
	if _, ok := f.Policy("Custom", "EncryptPerm-TeamImageKeys"); !ok {
		t.Error("the grant's policy was not created")
	}
	if _, ok := f.Policy("Custom", encryptperm.ShareImagePolicyName); ok {
		t.Error("the unencrypted image's grant made a policy")
	}
	shared, _ := f.ImageSharedWith(shRegion, shPlainImg)
	if diff := cmp.Diff([]string{apAcctA}, shared); diff != "" {
		t.Errorf("plain image shared with (-want +got):\n%s", diff)
	}
}

// A snapshot's owner is not in DescribeSnapshots' answer, so a warm
// snapshot share still asks KMS whose its key is.
func TestShareWarmSnapshotReadsItsKey(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, nil)
	g := mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA))
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	n := len(f.Calls())
	res, err := a.Apply(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if got := actionsSince(f, n); !slices.Contains(got, "DescribeKey") || res.Writes != 0 {
		t.Errorf("warm snapshot share: %d writes, calls %v; want no write and DescribeKey", res.Writes, got)
	}
}

// The keys an Applier remembers for a resource only move reads earlier:
// when the image now has another key, the Apply reads and grants that one,
// and a remembered key that KMS refuses to describe does not fail it.
func TestShareRememberedKeyIsOnlyAGuess(t *testing.T) {
	ctx := context.Background()
	keyC := encryptperm.Key{Region: shRegion, Owner: fake.DefaultAccountID, ID: "key-hzz6c2f1b0c3d4e5f"}
	tests := []struct {
		name   string
		faults []fake.Rule
	}{
		{name: "the remembered key is read"},
		{name: "the remembered key cannot be read", faults: []fake.Rule{{Action: "DescribeKey", Nth: 2, Code: "Forbidden.NoPermission", Status: 403}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			a := encryptperm.NewApplier(f, apFast())
			g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA))
			if _, err := a.Apply(ctx, g); err != nil {
				t.Fatal(err)
			}
			// The image is made again with the same ID and another key.
			if err := f.PutKey(fake.Key{Region: shRegion, ID: keyC.ID}); err != nil {
				t.Fatal(err)
			}
			if err := f.PutImage(fake.Image{Region: shRegion, ID: shImage, KMSKeyID: keyC.ID}); err != nil {
				t.Fatal(err)
			}
			f.SetFaults(tt.faults...)
			res, err := a.Apply(ctx, g)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			var described []string
			for _, c := range res.Calls {
				if c.Action == "DescribeKey" {
					described = append(described, c.Target)
				}
			}
			slices.Sort(described)
			if diff := cmp.Diff([]string{apKey.ID, keyC.ID}, described); diff != "" {
				t.Errorf("keys described (-want +got):\n%s", diff)
			}
			if doc := sharedKeyPolicy(t, f); !strings.Contains(doc, keyC.ARN()) {
				t.Errorf("the policy lacks the image's key now: %s", doc)
			}
			if got, _ := f.ImageSharedWith(shRegion, shImage); !slices.Equal(got, []string{apAcctA}) {
				t.Errorf("shared with %v", got)
			}
		})
	}
}
