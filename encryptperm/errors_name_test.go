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

// TestErrorsNameServiceCallAndResource: every error of a call names the
// service, the call and what it was about, and still matches the sentinel
// that fits and reaches the *APIError.
func TestErrorsNameServiceCallAndResource(t *testing.T) {
	snapshotShare := func(t *testing.T) *encryptperm.Grant {
		return mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA))
	}
	tests := []struct {
		name        string
		rule        fake.Rule
		wantPrefix  string
		wantService string
		wantIs      error
	}{
		{"RAM", fake.Rule{Action: "GetRole", Code: "NoPermission", Status: 403},
			`encryptperm: RAM GetRole "AliyunECSShareEncryptSnapshotDefaultRole": NoPermission: `, "RAM", encryptperm.ErrAccessDenied},
		{"ECS", fake.Rule{Action: "DescribeSnapshots", Code: "NoPermission", Status: 403},
			`encryptperm: ECS DescribeSnapshots "s-bp1shared01": NoPermission: `, "ECS", encryptperm.ErrAccessDenied},
		{"Resource Sharing", fake.Rule{Action: "ListResourceShares", Code: "NoPermission", Status: 403},
			`encryptperm: Resource Sharing ListResourceShares "cn-hangzhou": NoPermission: `, "Resource Sharing", encryptperm.ErrAccessDenied},
		{"KMS", fake.Rule{Action: "DescribeKey", Code: "Throttling.User"},
			`encryptperm: KMS DescribeKey "key-hzz6a2f1b0c3d4e5f": Throttling.User: `, "KMS", encryptperm.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, &fake.Options{Faults: []fake.Rule{tt.rule}})
			o := apFast()
			o.Retry.Disable = true
			_, err := encryptperm.NewApplier(f, o).Apply(context.Background(), snapshotShare(t))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Fatalf("err = %v, want it to start %q", err, tt.wantPrefix)
			}
			var ae *encryptperm.APIError
			if !errors.Is(err, tt.wantIs) || !errors.As(err, &ae) || ae.Service != tt.wantService {
				t.Errorf("err = %v: errors.Is(%v) false, or no *APIError of service %s (%+v)", err, tt.wantIs, tt.wantService, ae)
			}
		})
	}
}

// TestContextErrorsNameTheCall: a call cut off by the end of the context,
// or never sent because it had ended, is named in the error, which still
// matches the context's error.
func TestContextErrorsNameTheCall(t *testing.T) {
	tests := []struct {
		name string
		hold string // the call held until the context ends; "" ends it first
		run  func(ctx context.Context, a encryptperm.Applier) error
		want string
		is   error
	}{
		{
			name: "a RAM read in flight", hold: "GetRole",
			run: func(ctx context.Context, a encryptperm.Applier) error {
				_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, Key: apKey})
				return err
			},
			want: `encryptperm: RAM GetRole "AliyunECSShareEncryptSnapshotDefaultRole": context canceled`, is: context.Canceled,
		},
		{
			name: "an ECS read in flight", hold: "DescribeSnapshots",
			run: func(ctx context.Context, a encryptperm.Applier) error {
				_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, ResourceID: shSnapshot, Region: shRegion})
				return err
			},
			want: `encryptperm: ECS DescribeSnapshots "s-bp1shared01": context canceled`, is: context.Canceled,
		},
		{
			name: "a context ended before Check's first call",
			run: func(ctx context.Context, a encryptperm.Applier) error {
				_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, Key: apKey})
				return err
			},
			want: `encryptperm: check: read role "AliyunECSShareEncryptSnapshotDefaultRole": context canceled`, is: context.Canceled,
		},
		{
			name: "a context ended before Apply's first call",
			run: func(ctx context.Context, a encryptperm.Applier) error {
				_, err := a.Apply(ctx, mustBuild(t, encryptperm.DiskEncryption()))
				return err
			},
			want: `encryptperm: apply to role "AliyunECSDiskEncryptDefaultRole": nothing sent: context canceled`, is: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareFake(t, nil)
			// NewApplier makes one call at a time: the held call is the
			// first of its level, the others wait for the client.
			a := encryptperm.NewApplier(f, apFast())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			if tt.hold == "" {
				cancel()
				done <- tt.run(ctx, a)
			} else {
				h := f.HoldCall(tt.hold, 1)
				go func() { done <- tt.run(ctx, a) }()
				<-h.Held()
				cancel()
				defer h.Release()
			}
			err := <-done
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOnePrefixPerKindOfError: a refusal is a *ValidationError whose text
// starts "encryptperm: invalid <what>", whether Build, Apply's pre-flight,
// Check or an option refused it, and no message says "encryptperm:" twice
// (a sentinel is wrapped, not quoted).
func TestOnePrefixPerKindOfError(t *testing.T) {
	ctx := context.Background()
	f := shareFake(t, nil)
	a := encryptperm.NewApplier(f, apFast())
	stale, err := a.Plan(ctx, apGrant(t, apAcctB))
	if err != nil {
		t.Fatal(err)
	}
	apSeedRole(t, f, apAcctA)
	tests := []struct {
		name       string
		err        func() error
		wantPrefix string
		wantIs     []error
	}{
		{"Build", func() error {
			_, err := encryptperm.ShareSnapshot().WithAccounts("x").WithKey(apKey).Build()
			return err
		}, "encryptperm: invalid ShareSnapshot grant: ", []error{encryptperm.ErrInvalid}},
		{"Apply of a snapshot that does not exist", func() error {
			_, err := a.Apply(ctx, mustBuild(t, encryptperm.ShareSnapshot().WithSnapshot(shRegion, "s-nothere1").WithAccounts(apAcctA)))
			return err
		}, "encryptperm: invalid share: ", []error{encryptperm.ErrInvalid, encryptperm.ErrNotFound}},
		{"Check of a snapshot that does not exist", func() error {
			_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceSnapshot, ResourceID: "s-nothere1", Region: shRegion})
			return err
		}, "encryptperm: invalid access: 1 problem\n\tResourceID \"s-nothere1\": no snapshot with this ID in cn-hangzhou (DescribeSnapshots found none)", []error{encryptperm.ErrInvalid, encryptperm.ErrNotFound}},
		{"Check of an image encrypted with the service key", func() error {
			_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: encryptperm.ResourceImage, ResourceID: shSvcImage, Region: shRegion})
			return err
		}, "encryptperm: invalid access: 1 problem\n\tResourceID \"m-bp1servicekey\": ECS does not share an image encrypted with the service key", []error{encryptperm.ErrInvalid}},
		{"a scheme", func() error {
			_, err := encryptperm.NewRAMApplier(&encryptperm.Options{Scheme: "FTP"})
			return err
		}, "encryptperm: invalid options: 1 problem\n\tScheme \"FTP\": want HTTPS or HTTP", []error{encryptperm.ErrInvalid}},
		{"ApplyPlan of no plan", func() error {
			_, err := a.ApplyPlan(ctx, &encryptperm.Plan{})
			return err
		}, "encryptperm: invalid plan: 1 problem\n\tPlan: not a plan made by Plan or RevokePlan", []error{encryptperm.ErrInvalid}},
		{"ApplyPlan of a stale plan", func() error {
			_, err := a.ApplyPlan(ctx, stale)
			return err
		}, `encryptperm: apply plan for role "AliyunECSShareEncryptSnapshotDefaultRole": RAM changed since the plan was made; plan again`, []error{encryptperm.ErrStale}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Fatalf("err = %q, want it to start %q", err, tt.wantPrefix)
			}
			if n := strings.Count(err.Error(), "encryptperm:"); n != 1 {
				t.Errorf("%q says encryptperm: %d times", err, n)
			}
			for _, is := range tt.wantIs {
				if !errors.Is(err, is) {
					t.Errorf("errors.Is(%v, %v) = false", err, is)
				}
			}
		})
	}
}
