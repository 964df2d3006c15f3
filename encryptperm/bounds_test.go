package encryptperm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

func TestReadBoundsRefuseHostileDocuments(t *testing.T) {
	deep := hostileDeep(100)
	large := hostileLarge(2 << 20)
	for _, tt := range []struct {
		name string
		give []byte
	}{
		{"nested 100 deep", deep},
		{"2 MiB", large},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, read := range []func([]byte) (*policy.Document, error){policy.Read, policy.Parse} {
				_, err := read(tt.give)
				if !errors.Is(err, encryptperm.ErrLimitExceeded) || !errors.Is(err, encryptperm.ErrInvalid) {
					t.Errorf("err = %v, want ErrLimitExceeded and ErrInvalid", err)
				}
			}
		})
	}
	// Callers can raise the bounds.
	raised := policy.Limits{MaxBytes: 4 << 20, MaxDepth: 200}
	for _, give := range [][]byte{deep, large} {
		if _, err := raised.Read(give); err != nil {
			t.Errorf("raised bounds: ReadDocument: %v", err)
		}
	}
	// The defaults, and the depth of a plain document: five levels.
	if got, want := encryptperm.DefaultLimits().Read, (policy.Limits{MaxBytes: 1 << 20, MaxDepth: 64}); got != want {
		t.Errorf("DefaultLimits().Read = %+v, want %+v", got, want)
	}
	plain := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"StringEquals":{"k":["v"]}}}]}`
	if _, err := (policy.Limits{MaxDepth: 6}).Parse([]byte(plain)); err != nil {
		t.Errorf("depth 6: %v", err)
	}
	if _, err := (policy.Limits{MaxDepth: 5}).Parse([]byte(plain)); !errors.Is(err, encryptperm.ErrLimitExceeded) {
		t.Errorf("depth 5: err = %v, want ErrLimitExceeded", err)
	}
	// Brackets inside strings do not count.
	quoted := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"[[[[[[[[\"{{{{{{{{","Resource":"*"}]}`
	if _, err := (policy.Limits{MaxDepth: 3}).Read([]byte(quoted)); err != nil {
		t.Errorf("brackets in strings: %v", err)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Marshalling is linear: a document nested twice as deep costs about twice
// as much, not four times.
func TestDocumentJSONIsLinearInDepth(t *testing.T) {
	doc := func(depth int) *policy.Document {
		raw := strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		return policy.New(policy.Statement{
			Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"*"},
			Extra: map[string]json.RawMessage{"Deep": json.RawMessage(raw)},
		})
	}
	small, big := doc(2000), doc(4000)
	if got, want := string(small.JSON()), `{"Statement":[{"Action":"a","Deep":`+strings.Repeat(`{"a":`, 2000)+"1"+strings.Repeat("}", 2000)+`,"Effect":"Allow","Resource":"*"}],"Version":"1"}`; got != want {
		t.Fatalf("JSON of the nested document is wrong")
	}
	a := allocated(func() { _ = small.JSON() })
	b := allocated(func() { _ = big.JSON() })
	if b > 3*a {
		t.Errorf("JSON allocates %d bytes at depth 2000 and %d at depth 4000: not linear", a, b)
	}
}

func TestValidationErrorListsTheFirstProblems(t *testing.T) {
	accounts := make([]string, 1000)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("bad-%d", i)
	}
	_, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(chkKey).Build()
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("Build = %v, want a *ValidationError", err)
	}
	if len(ve.Problems) != policy.MaxListedProblems || policy.MaxListedProblems != 100 {
		t.Fatalf("%d problems listed, want 100", len(ve.Problems))
	}
	if ve.More < 900 {
		t.Errorf("More = %d, want at least 900", ve.More)
	}
	msg := err.Error()
	if !strings.HasSuffix(msg, fmt.Sprintf("\n\tand %d more", ve.More)) || !strings.Contains(msg, fmt.Sprintf(": %d problems\n", 100+ve.More)) {
		t.Errorf("message does not count the problems left out:\n%.300s ... %s", msg, msg[max(0, len(msg)-40):])
	}
	if len(msg) > 20_000 {
		t.Errorf("message is %d bytes", len(msg))
	}
	if ve.Problems[0].Path != "Accounts[0]" || !ve.Has("Accounts[99]") || ve.Has("Accounts[100]") {
		t.Errorf("the first problems are not the ones listed: %v ... %v", ve.Problems[0], ve.Problems[len(ve.Problems)-1])
	}
}

// TestProblemCapHoldsEverywhere checks that every way problems reach a
// *ValidationError keeps to the cap of 100 listed problems and counts the
// rest in More: problems of grants rebuilt by Apply, bad key ARNs kept by a
// builder, and resources checked once the list is full.
func TestProblemCapHoldsEverywhere(t *testing.T) {
	bad := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("bad-%d", i)
		}
		return out
	}
	tests := []struct {
		name      string
		run       func() error
		wantFirst string
		wantLast  string
		wantMore  int
		wantLimit bool
	}{
		{
			// 20 grants of 150 bad accounts each: 3000 problems.
			name: "Apply of hand-made grants",
			run: func() error {
				grants := make([]*encryptperm.Grant, 20)
				for i := range grants {
					grants[i] = &encryptperm.Grant{
						Kind:     encryptperm.KindShareSnapshot,
						Audience: encryptperm.Audience{Accounts: bad(150)},
						Keys:     []encryptperm.Key{chkKey},
					}
				}
				_, err := encryptperm.NewApplier(fake.New(nil), apFast()).Apply(context.Background(), grants...)
				return err
			},
			wantFirst: "grants[0].Audience.Accounts[0]",
			wantLast:  "grants[0].Audience.Accounts[99]",
			wantMore:  2900,
		},
		{
			name: "300 bad key ARNs",
			run: func() error {
				b := encryptperm.DiskEncryption()
				for i := range 300 {
					b.WithKeyARN(fmt.Sprintf("not-an-arn-%d", i))
				}
				_, err := b.Build()
				return err
			},
			wantFirst: "KeyARNs[0]",
			wantLast:  "KeyARNs[99]",
			wantMore:  200,
		},
		{
			// The list is full of bad ARNs when the bad snapshot is
			// checked; kept as valid, it would call for the limit of
			// accounts one snapshot is shared with.
			name: "a bad resource past the cap",
			run: func() error {
				b := encryptperm.ShareSnapshot().
					WithAccounts("1234567890123456", "2234567890123456").
					WithSnapshot(chkRegion, "bad").
					WithLimits(encryptperm.Limits{SnapshotShareAccounts: 1})
				for i := range 100 {
					b.WithKeyARN(fmt.Sprintf("not-an-arn-%d", i))
				}
				_, err := b.Build()
				return err
			},
			wantFirst: "KeyARNs[0]",
			wantLast:  "KeyARNs[99]",
			wantMore:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if got := len(ve.Problems); got != 100 {
				t.Errorf("%d problems listed, want 100", got)
			}
			if ve.More != tt.wantMore {
				t.Errorf("More = %d, want %d", ve.More, tt.wantMore)
			}
			if got := errors.Is(err, encryptperm.ErrLimitExceeded); got != tt.wantLimit {
				t.Errorf("errors.Is(err, ErrLimitExceeded) = %v, want %v", got, tt.wantLimit)
			}
			if len(ve.Problems) == 0 {
				return
			}
			if got := ve.Problems[0].Path; got != tt.wantFirst {
				t.Errorf("first problem at %s, want %s", got, tt.wantFirst)
			}
			if got := ve.Problems[len(ve.Problems)-1].Path; got != tt.wantLast {
				t.Errorf("last listed problem at %s, want %s", got, tt.wantLast)
			}
		})
	}
}

func TestCheckRefusesAHostileTrustPolicy(t *testing.T) {
	c := chkNewCheckRAM().role(chkImageRole, string(hostileLarge(2<<20)), chkImagePolicy+"="+chkKeyPolicy)
	d, err := encryptperm.Check(context.Background(), c, chkImage(chkB))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if d.Allowed || len(d.Unreadable) != 1 || d.Unreadable[0] != "trust policy of role "+chkImageRole {
		t.Errorf("Check over a 2 MiB trust policy: Allowed %v, Unreadable %q", d.Allowed, d.Unreadable)
	}
	if len(d.Steps) == 0 {
		t.Fatalf("Check over a 2 MiB trust policy gave no step:\n%s", d)
	}
	if !strings.Contains(d.Steps[0].Reason, "policy.Limits.MaxBytes") {
		t.Errorf("reason %q does not name the bound", d.Steps[0].Reason)
	}
}

// TestBuildPastTheProblemCapKeepsInvalidIDsOut checks that an invalid
// account found after the list of problems is full is still treated as
// invalid: it must not reach the grant's trust policy or its cost.
func TestBuildPastTheProblemCapKeepsInvalidIDsOut(t *testing.T) {
	accounts := make([]string, 0, 5000)
	for i := range 5000 {
		accounts = append(accounts, fmt.Sprintf("bad-%d", i))
	}
	var ve *encryptperm.ValidationError
	_, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(chkKey).Build()
	if !errors.As(err, &ve) {
		t.Fatalf("Build = %v; want a *ValidationError", err)
	}
	if got, want := len(ve.Problems)+ve.More, 5000; got != want {
		t.Errorf("problems listed + more = %d; want %d (one per invalid account)", got, want)
	}
	// Invalid accounts are not in the trust policy, so it cannot outgrow its
	// limit. Before the fix the 4,900 accounts past the cap were kept as
	// valid, and the trust policy they made was reported over the limit.
	if errors.Is(err, encryptperm.ErrLimitExceeded) {
		t.Errorf("Build = %v; invalid IDs past the cap went into the trust policy", err)
	}
}
