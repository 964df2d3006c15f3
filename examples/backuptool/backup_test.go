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

// backupCloud is the fake account of the backups: the key and two
// encrypted snapshots.
func backupCloud(t *testing.T, o *fake.Options) *fake.RAM {
	t.Helper()
	if o == nil {
		o = &fake.Options{}
	}
	o.AccountID = backupKey.Owner
	cloud := fake.New(o)
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "key-hzbackup01"}],
	  "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1backup01", "kmsKeyId": "key-hzbackup01"},
	                {"region": "cn-hangzhou", "id": "s-bp1backup02", "kmsKeyId": "key-hzbackup01"}]}`
	if err := fake.LoadSeedBytes(cloud, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	return cloud
}

// TestShareBackup shares a snapshot with the recovery account: until the
// account accepts the invitation the tool says so; afterwards the
// account's ECS can use the snapshot, and a second backup reuses what the
// first made in RAM.
func TestShareBackup(t *testing.T) {
	ctx := context.Background()
	cloud := backupCloud(t, nil)
	s := &Sharer{Applier: encryptperm.NewApplier(cloud, nil)}
	d, err := s.ShareBackup(ctx, "cn-hangzhou", "s-bp1backup01", "2000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !d.SharePending || d.ResourceShareID == "" {
		t.Fatalf("before the recovery account accepts: %+v", d)
	}
	if err := cloud.AcceptInvitation(d.ResourceShareID, "2000000000000001"); err != nil {
		t.Fatal(err)
	}
	d, err = s.ShareBackup(ctx, "cn-hangzhou", "s-bp1backup01", "2000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || !d.Shared {
		t.Fatalf("after it accepts: %s", d.Explanation())
	}
	if _, err := s.ShareBackup(ctx, "cn-hangzhou", "s-bp1backup02", "2000000000000001"); err != nil {
		t.Fatal(err)
	}
	if got := len(cloud.ResourceShares()); got != 2 {
		t.Errorf("%d resource shares, want one per snapshot", got)
	}
	if got := len(cloud.Roles()); got != 1 {
		t.Errorf("%d roles, want the one share role", got)
	}
}

// TestShareBackupErrors: a snapshot that does not exist is ErrNotFound,
// before anything is written; a share that Resource Sharing throttles is
// sent again and made.
func TestShareBackupErrors(t *testing.T) {
	ctx := context.Background()
	cloud := backupCloud(t, nil)
	s := &Sharer{Applier: encryptperm.NewApplier(cloud, nil)}
	if _, err := s.ShareBackup(ctx, "cn-hangzhou", "s-bp1nothere", "2000000000000001"); !errors.Is(err, encryptperm.ErrNotFound) {
		t.Errorf("a missing snapshot: %v, want ErrNotFound", err)
	}
	if len(cloud.Roles()) != 0 {
		t.Errorf("a refused share made roles %v", cloud.Roles())
	}

	cloud = backupCloud(t, &fake.Options{Faults: []fake.Rule{{Action: "CreateResourceShare", Nth: 1, Code: "Throttling.User"}}})
	opts := &encryptperm.Options{Retry: encryptperm.RetryOptions{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}}
	s = &Sharer{Applier: encryptperm.NewApplier(cloud, opts)}
	if _, err := s.ShareBackup(ctx, "cn-hangzhou", "s-bp1backup01", "2000000000000001"); err != nil {
		t.Fatalf("a throttled share: %v", err)
	}
	if len(cloud.ResourceShares()) != 1 {
		t.Errorf("resource shares %+v, want one", cloud.ResourceShares())
	}
}
