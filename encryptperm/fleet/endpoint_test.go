package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// Through the endpoint, with the SDK's clients: the management user lists
// the directory and assumes each member's role, and each member's engine
// signs with its temporary credentials.
func TestSDKRunnerThroughTheEndpoint(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	ep := endpointWorld(t, f, 0)
	rec := &recorder{}
	r, err := fleet.NewSDKRunner(sdkOptions(ep, nil, func(o *fleet.Options) {
		o.Observer = rec
		o.Clock = c.Now
	}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Apply(context.Background(), fleet.Scope{Folders: []string{fdProd}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := []string{memProd + " changed", memWeb + " changed", memWeb2 + " changed"}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, uid := range []string{memProd, memWeb, memWeb2} {
		if !hasRole(t, f, uid, diskRole) {
			t.Errorf("%s has no %s", uid, diskRole)
		}
	}
	if hasRole(t, f, memTest, diskRole) {
		t.Errorf("%s, outside the folder, got the role", memTest)
	}
	if rep.Totals.Writes != 6 {
		t.Errorf("totals: %+v", rep.Totals)
	}

	// A plan across the whole directory names exactly the members that
	// would change.
	rep, err = r.Plan(context.Background(), fleet.Scope{All: true, Exclude: []string{memInvite}})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if diff := cmp.Diff([]string{memTest}, rep.Changed); diff != "" {
		t.Errorf("members that would change (-want +got):\n%s", diff)
	}
	wantTotals := fleet.Totals{Members: 4, Unchanged: 3, Pending: 1}
	if diff := cmp.Diff(wantTotals, rep.Totals); diff != "" {
		t.Errorf("plan totals (-want +got):\n%s", diff)
	}
}

// advanceOnFirstCall moves the clock once, before the first engine call
// of the run is signed: every call waits for it.
type advanceOnFirstCall struct {
	once sync.Once
	c    *clock
	by   time.Duration
}

func (a *advanceOnFirstCall) StartCall(context.Context, encryptperm.Call) func(string, string, error) {
	a.once.Do(func() { a.c.Add(a.by) })
	return func(string, string, error) {}
}

// A member's credentials are renewed with another AssumeRole when they
// come within RenewBefore of expiring, so that its engine never signs
// with expired ones: the fake, through the endpoint, refuses those.
func TestSessionRenewsCredentialsBeforeTheyExpire(t *testing.T) {
	tests := []struct {
		name        string
		advance     time.Duration // after AssumeRole, before the engine's first call
		renewBefore time.Duration
		assumed     int
	}{
		{"fresh", 0, 0, 1},
		{"outside the window", 49 * time.Minute, 0, 1},
		{"inside the window", 52 * time.Minute, 0, 2},
		{"expired", 61 * time.Minute, 0, 2},
		{"a shorter window", 52 * time.Minute, 5 * time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newWorld(t, c, nil)
			ep := endpointWorld(t, f, 0)
			rec := &recorder{}
			r, err := fleet.NewSDKRunner(sdkOptions(ep, nil, func(o *fleet.Options) {
				o.Observer = rec
				o.Clock = c.Now
				o.RenewBefore = tt.renewBefore
				o.Engine.Observer = &advanceOnFirstCall{c: c, by: tt.advance}
			}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Apply(context.Background(), fleet.Scope{Accounts: []string{memProd}}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			rows := rec.byUID()
			if len(rows) != 1 || rows[0].Status != fleet.StatusChanged || rows[0].Assumed != tt.assumed {
				t.Fatalf("rows: %+v, want one changed, assumed %d times", rows, tt.assumed)
			}
			if got := countCalls(f, "AssumeRole")[memProd]; got != tt.assumed {
				t.Errorf("%d AssumeRole calls, want %d", got, tt.assumed)
			}
		})
	}
}

// Without renewal the same member fails as the fake refuses expired
// credentials: the renewal is what the test above sees.
func TestExpiredCredentialsAreRefused(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	ep := endpointWorld(t, f, 0)
	rec := &recorder{}
	r, err := fleet.NewSDKRunner(sdkOptions(ep, nil, func(o *fleet.Options) {
		o.Observer = rec
		o.Clock = func() time.Time { return c.Now().Add(-2 * time.Hour) } // the Runner thinks they are fresh
		o.Engine.Observer = &advanceOnFirstCall{c: c, by: 61 * time.Minute}
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Apply(context.Background(), fleet.Scope{Accounts: []string{memProd}})
	if err == nil {
		t.Fatal("Apply succeeded with expired credentials")
	}
	rows := rec.byUID()
	if len(rows) != 1 || rows[0].Stage != fleet.StageEngine || rows[0].Code != "InvalidSecurityToken.Expired" {
		t.Fatalf("rows: %+v, want an engine failure InvalidSecurityToken.Expired", rows)
	}
}

// Rows and the report marshal with lowerCamelCase names, and hold no
// credential: not the management key, nor a member's temporary ones.
func TestRowsAreJSONWithoutSecrets(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, &fake.Options{Faults: []fake.Rule{
		{Account: memTest, Action: "AssumeRole", LoseAnswer: true},
		{Account: memWeb, Action: "GetRole", Code: "NoPermission"},
	}})
	ep := endpointWorld(t, f, 0)
	rec := &recorder{}
	var issued []string
	r, err := fleet.NewSDKRunner(sdkOptions(ep, nil, func(o *fleet.Options) {
		o.Observer = rec
		o.Clock = c.Now
		o.Retry.Disable = true
		o.NewApplier = func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
			cr, err := s.GetCredentials()
			if err != nil {
				return nil, err
			}
			issued = append(issued, cr.AccessKeyId, cr.AccessKeySecret, cr.SecurityToken)
			o2 := encryptperm.Options{Endpoint: ep.Addr(), Scheme: "HTTP", Credential: s, Retry: encryptperm.RetryOptions{Disable: true}}
			return encryptperm.NewRAMApplier(&o2)
		}
		o.Concurrency = 1
	}))
	if err != nil {
		t.Fatal(err)
	}
	rep, runErr := r.Apply(context.Background(), fleet.Scope{All: true})
	if runErr == nil {
		t.Fatal("Apply: no error, want three failed members")
	}
	var doc strings.Builder
	for _, row := range rec.byUID() {
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		doc.Write(b)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	doc.Write(b)
	doc.WriteString(runErr.Error())
	text := doc.String()
	for _, secret := range append([]string{mgmtKeyID, mgmtSecret}, issued...) {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("the report holds the secret %q:\n%s", secret, text)
		}
	}
	if len(issued) == 0 {
		t.Fatal("no member got credentials")
	}

	var row map[string]any
	first := rec.byUID()[0]
	first.Checks = []fleet.Answer{{Resource: encryptperm.ResourceDisk}}
	first.Unknown = []encryptperm.Change{{Summary: "x"}}
	first.Conflicts = []string{"x"}
	first.Stage, first.Code, first.Error = fleet.StageEngine, "x", "x"
	b, _ = json.Marshal(first)
	if err := json.Unmarshal(b, &row); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"assumed", "changes", "checks", "code", "conflicts", "error", "member", "stage", "status", "unknown", "writes"}
	if diff := cmp.Diff(wantKeys, slices.Sorted(maps.Keys(row))); diff != "" {
		t.Errorf("row keys (-want +got):\n%s", diff)
	}
	var report map[string]any
	b, _ = json.Marshal(rep)
	_ = json.Unmarshal(b, &report)
	wantKeys = []string{"changed", "complete", "directory", "failed", "op", "totals"}
	if diff := cmp.Diff(wantKeys, slices.Sorted(maps.Keys(report))); diff != "" {
		t.Errorf("report keys (-want +got):\n%s", diff)
	}
	var failedCodes []string
	for _, fr := range rep.Failed {
		failedCodes = append(failedCodes, fr.Member.UID+" "+string(fr.Stage)+" "+fr.Code)
	}
	slices.Sort(failedCodes)
	wantFailed := []string{
		memWeb + " engine NoPermission",
		memTest + " assume transport",
		memInvite + " assume EntityNotExist.Role",
	}
	if diff := cmp.Diff(wantFailed, failedCodes); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
}

// Check asks each member's engine; a member without the grant is denied.
func TestCheckEveryMember(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	r := fleet.New(f, f, inProcess(f, c, nil))
	if _, err := r.Apply(context.Background(), fleet.Scope{Accounts: []string{memProd}}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	rec := &recorder{}
	checker := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = rec
		o.Grants = nil
		o.Checks = func(m fleet.Member) ([]encryptperm.Access, error) {
			return []encryptperm.Access{{Resource: encryptperm.ResourceDisk,
				Key: encryptperm.Key{Region: "cn-hangzhou", Owner: m.UID, ID: "key-hzz6a2f1b0c3d4e5f"}}}, nil
		}
	}))
	rep, err := checker.Check(context.Background(), fleet.Scope{Folders: []string{fdProd}})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := []string{memProd + " allowed", memWeb + " denied", memWeb2 + " denied"}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{memWeb, memWeb2}, sorted(rep.Denied)); diff != "" {
		t.Errorf("denied (-want +got):\n%s", diff)
	}
	allowed := rec.byUID()[0].Checks
	wantAnswer := []fleet.Answer{{Recipient: memProd, Resource: encryptperm.ResourceDisk,
		Key: "acs:kms:cn-hangzhou:" + memProd + ":key/key-hzz6a2f1b0c3d4e5f", Allowed: true, Reason: allowed[0].Reason}}
	if diff := cmp.Diff(wantAnswer, allowed); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}

	// Without Checks, Check is refused before any call.
	if _, err := r.Check(context.Background(), fleet.Scope{All: true}); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("Check without Options.Checks: %v", err)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// NewSDKRunner refuses plain HTTP to anything but a loopback address, and
// without credentials anywhere a run stops at once with ErrNoCredentials,
// before any member is worked on.
func TestSDKRunnerRefusals(t *testing.T) {
	if _, err := fleet.NewSDKRunner(&fleet.Options{Engine: encryptperm.Options{Endpoint: "ram.example.com", Scheme: "HTTP"}}); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("HTTP to a remote endpoint: %v, want ErrInvalid", err)
	}
	if _, err := fleet.NewSDKRunner(&fleet.Options{Engine: encryptperm.Options{Scheme: "FTP"}}); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("scheme FTP: %v, want ErrInvalid", err)
	}

	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	c := newClock()
	f := newWorld(t, c, nil)
	ep := endpointWorld(t, f, 0)
	r, err := fleet.NewSDKRunner(sdkOptions(ep, nil, func(o *fleet.Options) { o.Credential = nil }))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
	if !errors.Is(err, encryptperm.ErrNoCredentials) {
		t.Fatalf("Apply: %v, want ErrNoCredentials", err)
	}
	if rep.Complete || rep.Totals.Members != 0 || len(f.Calls()) != 0 {
		t.Errorf("report %+v, %d calls", rep, len(f.Calls()))
	}
}
