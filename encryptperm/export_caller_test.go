package encryptperm

import (
	"context"
	"time"
)

// SetSleep replaces the waits of an Applier (between the retries of its
// calls, and the others caller.pause makes), so that a test sees the waits
// without spending them.
func SetSleep(a Applier, f func(ctx context.Context, d time.Duration) error) { a.(*engine).c.sleep = f }
