package encryptperm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestRetryAfterBoundedByBudget: RAM's x-acs-retry-after is honoured only
// within the retry budget. A wait longer than Options.Retry.MaxInterval, or
// one that would end past the context's deadline, is not waited: the call
// fails at once with ErrThrottled, and the error names the wait. The waits
// between retries go through a hook, so nothing sleeps.
func TestRetryAfterBoundedByBudget(t *testing.T) {
	tests := []struct {
		name        string
		retryAfter  time.Duration
		maxInterval time.Duration
		deadline    time.Duration // 0: no deadline
		wantErr     bool
		wantInText  string
		wantSleeps  []time.Duration
		wantGetRole []int // attempts of the first GetRole calls
	}{
		{
			name: "an hour, interval capped at 5ms", retryAfter: time.Hour, maxInterval: 5 * time.Millisecond,
			wantErr: true, wantInText: "retry after 1h0m0s", wantGetRole: []int{1},
		},
		{
			name: "ten minutes, one left before the deadline", retryAfter: 10 * time.Minute, maxInterval: time.Hour, deadline: time.Minute,
			wantErr: true, wantInText: "retry after 10m0s", wantGetRole: []int{1},
		},
		{
			name: "3ms within a 5ms interval", retryAfter: 3 * time.Millisecond, maxInterval: 5 * time.Millisecond,
			wantSleeps: []time.Duration{3 * time.Millisecond}, wantGetRole: []int{1, 2},
		},
	}
	for _, tt := range tests {
		for _, via := range []string{"fake", "endpoint"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				f := fake.New(&fake.Options{Faults: []fake.Rule{{Action: "GetRole", Nth: 1, Code: "Throttling.User", RetryAfter: tt.retryAfter}}})
				o := &encryptperm.Options{Retry: encryptperm.RetryOptions{MaxAttempts: 3, InitialInterval: time.Millisecond, MaxInterval: tt.maxInterval}}
				var a encryptperm.Applier
				if via == "fake" {
					a = encryptperm.NewApplier(f, o)
				} else {
					ep, err := fake.Start(f, nil)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = ep.Close() })
					o.Endpoint, o.Scheme = ep.Addr(), "HTTP"
					o.Credential = credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
					var err2 error
					if a, err2 = encryptperm.NewRAMApplier(o); err2 != nil {
						t.Fatal(err2)
					}
				}
				var mu sync.Mutex
				var sleeps []time.Duration
				encryptperm.SetSleep(a, func(ctx context.Context, d time.Duration) error {
					mu.Lock()
					defer mu.Unlock()
					sleeps = append(sleeps, d)
					return ctx.Err()
				})
				ctx := context.Background()
				if tt.deadline > 0 {
					c, cancel := context.WithTimeout(ctx, tt.deadline)
					defer cancel()
					ctx = c
				}
				g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000081").WithKey(mxKey).Build()
				if err != nil {
					t.Fatal(err)
				}
				res, err := a.Apply(ctx, g)
				if tt.wantErr {
					if !errors.Is(err, encryptperm.ErrThrottled) {
						t.Fatalf("Apply: %v; want ErrThrottled", err)
					}
					if errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Apply: %v; want RAM's refusal, not the context's end", err)
					}
					var ae *encryptperm.APIError
					if !errors.As(err, &ae) || ae.Code != "Throttling.User" || ae.RetryAfter != tt.retryAfter {
						t.Errorf("Apply: %v; want an *APIError with Code Throttling.User and RetryAfter %v", err, tt.retryAfter)
					}
					if !strings.Contains(err.Error(), tt.wantInText) {
						t.Errorf("Apply: %q; want the text to hold %q", err, tt.wantInText)
					}
				} else if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				var getRole []int
				for _, c := range res.Calls {
					if c.Action == "GetRole" {
						getRole = append(getRole, c.Attempt)
					}
				}
				if len(getRole) > len(tt.wantGetRole) {
					// Later reads (verification) start again at 1.
					getRole = getRole[:len(tt.wantGetRole)]
				}
				if !slices.Equal(getRole, tt.wantGetRole) {
					t.Errorf("GetRole attempts %v; want %v", getRole, tt.wantGetRole)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(sleeps, tt.wantSleeps) {
					t.Errorf("waits between retries %v; want %v", sleeps, tt.wantSleeps)
				}
			})
		}
	}
}
