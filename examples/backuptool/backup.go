package backuptool

import (
	"context"
	"fmt"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Sharer grants the permissions that sharing backups needs.
type Sharer struct {
	// Applier is encryptperm.NewRAMApplier in production and
	// encryptperm.NewApplier(fake.New(nil), nil) in tests.
	Applier encryptperm.Applier
	// Key encrypts the snapshots.
	Key encryptperm.Key
}

// AllowRecovery lets the recovery account's ECS use the backup key, so that
// snapshots shared with it can be copied there.
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
