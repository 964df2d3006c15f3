package encryptperm

import (
	"context"
	"time"
)

// SetSleep replaces the wait between the retries of an Applier's calls, so
// that a test sees the waits without spending them.
func SetSleep(a Applier, f func(ctx context.Context, d time.Duration) error) { a.(*engine).c.sleep = f }
