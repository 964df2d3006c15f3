package encryptperm_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// crNothingConfigured makes the environment of a machine where no
// credential is configured: no variables, an empty home directory, and the
// instance-metadata step of the SDK's default chain turned off, so that the
// test never sends a request to the metadata address (100.100.100.200),
// which is not loopback. It returns the home directory.
func crNothingConfigured(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_ROLE_ARN",
		"ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_PROFILE",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "ALIBABA_CLOUD_ECS_METADATA",
	} {
		t.Setenv(k, "")
	}
	// The SDK reads this when it builds a client's default chain, and then
	// leaves the instance-metadata provider out of the chain.
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	return home
}

// crCounter counts the requests that reach the transport.
type crCounter struct{ n atomic.Int64 }

func (c *crCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestNoCredentialsFailsAtOnce: NewRAMApplier with no credential anywhere
// fails each operation at once, with ErrNoCredentials, the SDK's message
// naming the places it looked, and no retry: every call is a first attempt
// recorded as "credentials", and no request is sent.
func TestNoCredentialsFailsAtOnce(t *testing.T) {
	home := crNothingConfigured(t)
	f := fake.New(nil)
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	tr := &crCounter{}
	var mu sync.Mutex
	var observed []string
	// Default retry options: on the base they retried the chain's failure
	// for seconds.
	a, err := encryptperm.NewRAMApplier(&encryptperm.Options{
		Endpoint: ep.Addr(), Scheme: "HTTP", Transport: tr,
		Observer: observerFunc(func(code, _ string, _ error) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, code)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000091").WithKey(mxKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	access := encryptperm.Access{Recipient: "2000000000000091", Resource: encryptperm.ResourceSnapshot, Key: mxKey}
	ops := []struct {
		name string
		run  func(ctx context.Context) ([]encryptperm.Call, error)
	}{
		{"Apply", func(ctx context.Context) ([]encryptperm.Call, error) {
			res, err := a.Apply(ctx, g)
			if res == nil {
				return nil, err
			}
			return res.Calls, err
		}},
		{"Plan", func(ctx context.Context) ([]encryptperm.Call, error) { _, err := a.Plan(ctx, g); return nil, err }},
		{"Revoke", func(ctx context.Context) ([]encryptperm.Call, error) {
			res, err := a.Revoke(ctx, g)
			if res == nil {
				return nil, err
			}
			return res.Calls, err
		}},
		{"Check", func(ctx context.Context) ([]encryptperm.Call, error) {
			_, err := a.Check(ctx, access)
			return nil, err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			mu.Lock()
			observed = nil
			mu.Unlock()
			start := time.Now()
			calls, err := op.run(context.Background())
			elapsed := time.Since(start)
			t.Logf("%s failed after %v: %v", op.name, elapsed, err)
			if !errors.Is(err, encryptperm.ErrNoCredentials) {
				t.Fatalf("%s: %v; want ErrNoCredentials", op.name, err)
			}
			for _, sentinel := range []error{encryptperm.ErrThrottled, encryptperm.ErrAccessDenied, encryptperm.ErrConflict, context.DeadlineExceeded} {
				if errors.Is(err, sentinel) {
					t.Errorf("%s: %v is also %v", op.name, err, sentinel)
				}
			}
			var ae *encryptperm.APIError
			if errors.As(err, &ae) {
				t.Errorf("%s: %v is an *APIError, as a RAM or transport failure is", op.name, err)
			}
			for _, place := range []string{
				"ALIBABA_CLOUD_ACCESS_KEY_ID",
				filepath.Join(home, ".aliyun", "config.json"),
				filepath.Join(home, ".alibabacloud", "credentials"),
			} {
				if !strings.Contains(err.Error(), place) {
					t.Errorf("%s: %q does not name %s, where the chain looked", op.name, err, place)
				}
			}
			if strings.Contains(err.Error(), "100.100.100.200") {
				t.Fatalf("%s: %q: the chain reached the instance-metadata address", op.name, err)
			}
			if elapsed >= 3*time.Second {
				t.Errorf("%s took %v; want under 3s", op.name, elapsed)
			}
			for _, c := range calls {
				if c.Attempt != 1 || c.Code != "credentials" {
					t.Errorf("%s: call %+v; want a first attempt with code credentials", op.name, c)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(observed) == 0 {
				t.Errorf("%s: the Observer saw no call", op.name)
			}
			for _, code := range observed {
				if code != "credentials" {
					t.Errorf("%s: the Observer saw code %q; want credentials", op.name, code)
				}
			}
		})
	}
	if n := tr.n.Load(); n != 0 {
		t.Errorf("%d requests were sent without credentials; want none", n)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("the fake answered %d calls; want none", n)
	}
}

// crHint is the fix every error of missing credentials ends with; the
// command-line tools give the same words.
const crHint = "give credentials the Alibaba Cloud SDK finds: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile made with `aliyun configure`, or an instance role (Options.Credential in Go)"

// TestNoCredentialsSaysWhatFixesIt: with no credentials, the first call's
// error names the call and ends with the fix; with CheckCredentials,
// NewRAMApplier itself says so, before any call.
func TestNoCredentialsSaysWhatFixesIt(t *testing.T) {
	crNothingConfigured(t)
	f := fake.New(nil)
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	g := mustBuild(t, encryptperm.DiskEncryption())

	a, err := encryptperm.NewRAMApplier(&encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP"})
	if err != nil {
		t.Fatalf("NewRAMApplier without CheckCredentials: %v", err)
	}
	_, err = a.Plan(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrNoCredentials) || !strings.HasPrefix(err.Error(), `encryptperm: RAM `) || !strings.HasSuffix(err.Error(), "; "+crHint) {
		t.Errorf("Plan: %v; want ErrNoCredentials naming the RAM call and ending with the fix", err)
	}

	a, err = encryptperm.NewRAMApplier(&encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP", CheckCredentials: true})
	if a != nil || !errors.Is(err, encryptperm.ErrNoCredentials) {
		t.Fatalf("NewRAMApplier with CheckCredentials: %v, %v; want no Applier and ErrNoCredentials", a, err)
	}
	if !strings.HasPrefix(err.Error(), "encryptperm: new RAM applier: no credentials: ") || !strings.HasSuffix(err.Error(), "; "+crHint) || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Errorf("NewRAMApplier: %q; want the places looked and the fix", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls reached the fake", n)
	}

	// With credentials, the check passes and the Applier works.
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", fake.DefaultAccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", fake.DefaultAccessKeySecret)
	a, err = encryptperm.NewRAMApplier(&encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP", CheckCredentials: true})
	if err != nil {
		t.Fatalf("NewRAMApplier with credentials: %v", err)
	}
	if _, err := a.Plan(context.Background(), g); err != nil {
		t.Errorf("Plan with credentials: %v", err)
	}
}
