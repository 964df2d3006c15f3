package backuptool

import (
	"context"
	"fmt"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Sharer shares backups, encrypted snapshots, with a disaster-recovery
// account.
type Sharer struct {
	// Applier is encryptperm.NewRAMApplier in production and
	// encryptperm.NewApplier(fake.New(nil), nil) in tests.
	Applier encryptperm.Applier
	// Key encrypts the snapshots. ShareBackup does not need it: it finds
	// each snapshot's key.
	Key encryptperm.Key
}

// ShareBackup shares the encrypted snapshot snapshotID of region with the
// recovery account: it lets the account's ECS use the snapshot's key (which
// the Applier finds from the snapshot) and shares the snapshot, in one
// Apply. It returns the recovery account's view as Check gives it: an
// account outside the sharer's resource directory must first accept the
// share's invitation (Decision.SharePending, Decision.ResourceShareID), and
// Decision.Allowed is true once it has. A snapshot that does not exist is
// an error for which errors.Is(err, encryptperm.ErrNotFound) is true.
func (s *Sharer) ShareBackup(ctx context.Context, region, snapshotID, recoveryAccount string) (*encryptperm.Decision, error) {
	g, err := encryptperm.ShareSnapshot().WithSnapshot(region, snapshotID).WithAccounts(recoveryAccount).Build()
	if err != nil {
		return nil, fmt.Errorf("backuptool: share %s with %s: %w", snapshotID, recoveryAccount, err)
	}
	if _, err := s.Applier.Apply(ctx, g); err != nil {
		return nil, fmt.Errorf("backuptool: share %s with %s: %w", snapshotID, recoveryAccount, err)
	}
	d, err := s.Applier.Check(ctx, encryptperm.Access{
		Recipient: recoveryAccount, Resource: encryptperm.ResourceSnapshot, ResourceID: snapshotID, Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("backuptool: check %s for %s: %w", snapshotID, recoveryAccount, err)
	}
	return d, nil
}

// AllowRecovery lets the recovery account's ECS use the backup key, so that
// snapshots shared with it some other way can be copied there. ShareBackup
// does this and the share in one call.
func (s *Sharer) AllowRecovery(ctx context.Context, recoveryAccount string) error {
	g, err := encryptperm.ShareSnapshot().WithAccounts(recoveryAccount).WithKey(s.Key).Build()
	if err != nil {
		return fmt.Errorf("backuptool: allow recovery account %s: %w", recoveryAccount, err)
	}
	if _, err := s.Applier.Apply(ctx, g); err != nil {
		return fmt.Errorf("backuptool: allow recovery account %s: %w", recoveryAccount, err)
	}
	return nil
}
