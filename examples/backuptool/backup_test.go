package backuptool

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

var backupKey = encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-hzbackup01"}

// TestAllowRecovery checks the state RAM ends in, through the fake's
// inspection API, not the calls the code made.
func TestAllowRecovery(t *testing.T) {
	ram := fake.New(&fake.Options{AccountID: backupKey.Owner})
	s := &Sharer{Applier: encryptperm.NewApplier(ram, nil), Key: backupKey}

	if err := s.AllowRecovery(context.Background(), "2000000000000001"); err != nil {
		t.Fatal(err)
	}
	trust, ok := ram.TrustPolicy(encryptperm.ShareSnapshotRoleName)
	if !ok {
		t.Fatalf("role %s was not created", encryptperm.ShareSnapshotRoleName)
	}
	if !strings.Contains(trust, "2000000000000001@ecs.aliyuncs.com") {
		t.Errorf("trust policy %s does not trust the recovery account's ECS", trust)
	}
	atts, _ := ram.AttachmentsOf(encryptperm.ShareSnapshotRoleName)
	if len(atts) != 1 || atts[0].PolicyName != encryptperm.ShareSnapshotPolicyName {
		t.Errorf("attachments = %+v, want the key policy", atts)
	}
}

// TestAllowRecoveryRidesOutThrottling injects RAM's throttling on the first
// two role creations: the engine retries, and the tool succeeds.
func TestAllowRecoveryRidesOutThrottling(t *testing.T) {
	ram := fake.New(&fake.Options{Faults: []fake.Rule{
		{Action: "CreateRole", Nth: 1, Code: "Throttling.User"},
		{Action: "CreateRole", Nth: 2, Code: "Throttling.User"},
	}})
	opts := &encryptperm.Options{Retry: encryptperm.RetryOptions{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}}
	s := &Sharer{Applier: encryptperm.NewApplier(ram, opts), Key: backupKey}
	if err := s.AllowRecovery(context.Background(), "2000000000000001"); err != nil {
		t.Fatal(err)
	}
	if _, ok := ram.Role(encryptperm.ShareSnapshotRoleName); !ok {
		t.Error("role missing after throttled creation")
	}
}

// TestAllowRecoveryRefusesBadAccount shows that bad input fails before any
// call reaches RAM, with an error that names the field.
func TestAllowRecoveryRefusesBadAccount(t *testing.T) {
	ram := fake.New(nil)
	s := &Sharer{Applier: encryptperm.NewApplier(ram, nil), Key: backupKey}
	err := s.AllowRecovery(context.Background(), "2000000000000001*")
	if !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) || !ve.Has("Accounts[0]") {
		t.Errorf("err = %v, want a problem at Accounts[0]", err)
	}
	if n := len(ram.Calls()); n != 0 {
		t.Errorf("%d calls reached RAM, want 0", n)
	}
}
