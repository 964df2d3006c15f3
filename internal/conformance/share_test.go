package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The world of the share scenarios.
const (
	shRegion   = "cn-hangzhou"
	shKeyID    = "key-hzz6a2f1b0c3d4e5f"
	shImage    = "m-bp1shared01"
	shSnapshot = "s-bp1shared01"
	shRD       = "rd-3GabcD"
	shFolder   = "rd-3GabcD/r-Root01/fd-Folder01"
	shMember   = "2234567890123456"
)

const shSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"], "folders": ["r-Root01", "fd-Folder01"]},
 "keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f", "state": "Enabled"},
          {"region": "cn-hangzhou", "id": "key-hzz6b2f1b0c3d4e5f", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}]}`

func shareWorld(t *testing.T, o *fake.Options) *fake.RAM {
	t.Helper()
	f := fake.New(o)
	if err := fake.LoadSeedBytes(f, []byte(shSeed)); err != nil {
		t.Fatal(err)
	}
	return f
}

// shareBackends are the three ways the share scenarios run: the fake in
// process (it is every backend), the SDK's four clients over the fake's
// endpoint, and NewRAMApplier over the endpoint.
var shareBackends = []backend{
	{
		name: "fake-in-process",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			return encryptperm.NewApplier(f, &o)
		},
	},
	{
		name: "sdk-clients-over-http",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			ep := startEndpoint(t, f, nil)
			rc, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			ec, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := ep.ResourceSharingClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			kc, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			o.ECS, o.ResourceSharing, o.KMS = ec, sc, kc
			return encryptperm.NewApplier(rc, &o)
		},
	},
	{
		name: "ram-applier-over-http",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			ep := startEndpoint(t, f, nil)
			o.Endpoint, o.Scheme = ep.Addr(), "HTTP"
			o.Credential = credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
			a, err := encryptperm.NewRAMApplier(&o)
			if err != nil {
				t.Fatal(err)
			}
			return a
		},
	},
}

// shareScenario is one grant that names a resource.
type shareScenario struct {
	name  string
	build func() *encryptperm.ShareBuilder
	// want is what the fake's shares hold after the Apply.
	want []string
}

var shareScenarios = []shareScenario{
	{"image-accounts", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA, acctB, acctC)
	}, []string{"image m-bp1shared01: 2000000000000001 2000000000000002 2000000000000003"}},
	{"image-directory", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareImage().WithImage(shRegion, shImage).WithResourceDirectory(shRD)
	}, []string{"share Image/m-bp1shared01: rd-3GabcD"}},
	{"image-folder", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareImage().WithImage(shRegion, shImage).WithFolder(shFolder)
	}, []string{"share Image/m-bp1shared01: fd-Folder01"}},
	{"snapshot-accounts", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(acctA, acctB, shMember)
	}, []string{"share Snapshot/s-bp1shared01: 2000000000000001(pending) 2000000000000002(pending) 2234567890123456"}},
	{"snapshot-directory", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithResourceDirectory(shRD)
	}, []string{"share Snapshot/s-bp1shared01: rd-3GabcD"}},
	{"snapshot-folder", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithFolder(shFolder)
	}, []string{"share Snapshot/s-bp1shared01: fd-Folder01"}},
	{"snapshot-seven-accounts", func() *encryptperm.ShareBuilder {
		return encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(
			"2000000000000001", "2000000000000002", "2000000000000003", "2000000000000004",
			"2000000000000005", "2000000000000006", "2000000000000007")
	}, []string{"share Snapshot/s-bp1shared01: 2000000000000001(pending) 2000000000000002(pending) 2000000000000003(pending) " +
		"2000000000000004(pending) 2000000000000005(pending) 2000000000000006(pending) 2000000000000007(pending)"}},
}

// shares describes what the fake shares: each image's accounts, and each
// resource share's resources and targets (pending ones marked), sorted.
func shares(f *fake.RAM) []string {
	var out []string
	for _, im := range f.Images() {
		if len(im.SharedWith) > 0 {
			out = append(out, fmt.Sprintf("image %s: %s", im.ID, strings.Join(im.SharedWith, " ")))
		}
	}
	for _, s := range f.ResourceShares() {
		if len(s.Targets) == 0 {
			continue
		}
		var res, ts []string
		for _, r := range s.Resources {
			res = append(res, r.Type+"/"+r.ID)
		}
		for _, x := range s.Targets {
			if x.Status == fake.AssociationAssociating {
				ts = append(ts, x.ID+"(pending)")
			} else {
				ts = append(ts, x.ID)
			}
		}
		sort.Strings(ts)
		out = append(out, fmt.Sprintf("share %s: %s", strings.Join(res, ","), strings.Join(ts, " ")))
	}
	sort.Strings(out)
	return out
}

func isShareWrite(action string) bool {
	return isWrite(action) || action == "ModifyImageSharePermission" || action == "AssociateResourceShare" || action == "DisassociateResourceShare"
}

// isRAMWrite reports whether an action is a write to RAM.
func isRAMWrite(action string) bool {
	return isWrite(action) && !strings.HasSuffix(action, "ResourceShare")
}

func writesIn(calls []fake.RecordedCall) []string {
	var out []string
	for _, c := range calls {
		if isShareWrite(c.Action) {
			out = append(out, c.Action)
		}
	}
	return out
}

// TestShareScenarios: for each audience and resource, on each backend, an
// Apply shares the resource after the grant, a second Apply writes
// nothing, and a Revoke unshares, then removes the grant.
func TestShareScenarios(t *testing.T) {
	ctx := context.Background()
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range shareScenarios {
				t.Run(sc.name, func(t *testing.T) {
					f := shareWorld(t, nil)
					a := be.applier(t, f, fastOptions())
					g, err := sc.build().Build()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := a.Apply(ctx, g); err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(sc.want, shares(f)); diff != "" {
						t.Errorf("shares after Apply (-want +got):\n%s", diff)
					}
					// The grant came first: every write of RAM precedes
					// every share write.
					ws := writesIn(f.Calls())
					if first := slices.IndexFunc(ws, func(a string) bool { return !isRAMWrite(a) }); first < 0 || slices.ContainsFunc(ws[first:], isRAMWrite) {
						t.Errorf("writes %v: want every RAM write before the first share write", ws)
					}
					if len(f.Roles()) != 1 {
						t.Errorf("roles %v, want the share role", f.Roles())
					}
					n := len(f.Calls())
					res, err := a.Apply(ctx, g)
					if err != nil {
						t.Fatal(err)
					}
					if w := writesIn(f.Calls()[n:]); len(w) != 0 || res.Writes != 0 {
						t.Errorf("re-apply wrote %v (Result.Writes %d)", w, res.Writes)
					}
					n = len(f.Calls())
					if _, err := a.Revoke(ctx, g); err != nil {
						t.Fatal(err)
					}
					if got := shares(f); len(got) != 0 {
						t.Errorf("shares after Revoke: %v", got)
					}
					if len(f.Roles()) != 0 {
						t.Errorf("roles after Revoke: %v", f.Roles())
					}
					ws = writesIn(f.Calls()[n:])
					if len(ws) == 0 || isRAMWrite(ws[0]) {
						t.Errorf("revoke writes %v: want the unshare first", ws)
					}
				})
			}
		})
	}
}

// TestShareCrashPoints loses the answer of each write of a clean Apply and
// of a clean Revoke in turn: a second run converges to the clean run's
// state, and no write is sent twice.
func TestShareCrashPoints(t *testing.T) {
	ctx := context.Background()
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range shareScenarios {
				for _, revoke := range []bool{false, true} {
					name := sc.name + "/apply"
					if revoke {
						name = sc.name + "/revoke"
					}
					t.Run(name, func(t *testing.T) {
						g, err := sc.build().Build()
						if err != nil {
							t.Fatal(err)
						}
						run := func(a encryptperm.Applier) (*encryptperm.Result, error) {
							if revoke {
								return a.Revoke(ctx, g)
							}
							return a.Apply(ctx, g)
						}
						prepare := func(f *fake.RAM) encryptperm.Applier {
							a := be.applier(t, f, fastOptions())
							if revoke {
								if _, err := a.Apply(ctx, g); err != nil {
									t.Fatal(err)
								}
							}
							return a
						}
						clean := shareWorld(t, nil)
						a := prepare(clean)
						before := len(clean.Calls())
						if _, err := run(a); err != nil {
							t.Fatal(err)
						}
						want := shares(clean)
						wantRoles := len(clean.Roles())
						count := map[string]int{}
						type point struct {
							action string
							nth    int
						}
						var points []point
						for i, c := range clean.Calls() {
							count[c.Action]++
							if i >= before && isShareWrite(c.Action) {
								points = append(points, point{c.Action, count[c.Action]})
							}
						}
						if len(points) == 0 {
							t.Fatal("the clean run wrote nothing")
						}
						for _, p := range points {
							t.Run(fmt.Sprintf("%s#%d", p.action, p.nth), func(t *testing.T) {
								f := shareWorld(t, &fake.Options{Faults: []fake.Rule{{Action: p.action, Nth: p.nth, LoseAnswer: true}}})
								a := prepare(f)
								if _, err := run(a); err != nil {
									if _, err := run(a); err != nil {
										t.Fatalf("second run: %v", err)
									}
								}
								if diff := cmp.Diff(want, shares(f)); diff != "" {
									t.Errorf("shares (-want +got):\n%s", diff)
								}
								if n := len(f.Roles()); n != wantRoles {
									t.Errorf("%d roles, want %d", n, wantRoles)
								}
								sent := 0
								for _, c := range f.Calls() {
									if c.Action == p.action {
										sent++
									}
								}
								if sent != count[p.action] {
									t.Errorf("%s sent %d times; the clean run sends it %d times", p.action, sent, count[p.action])
								}
							})
						}
					})
				}
			}
		})
	}
}

// TestShareSeenBySDKClient: the SDK's own ECS client, against the
// endpoint, is refused before the grant, sees the image shared after one
// Apply, and unshared after Revoke.
func TestShareSeenBySDKClient(t *testing.T) {
	ctx := context.Background()
	f := shareWorld(t, nil)
	ep := startEndpoint(t, f, nil)
	ec, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	share := func() error {
		req := ecs.CreateModifyImageSharePermissionRequest()
		req.RegionId, req.ImageId, req.AddAccount = shRegion, shImage, &[]string{acctA}
		_, err := ec.ModifyImageSharePermission(req)
		return err
	}
	sharedWith := func() []string {
		req := ecs.CreateDescribeImageSharePermissionRequest()
		req.RegionId, req.ImageId = shRegion, shImage
		resp, err := ec.DescribeImageSharePermission(req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range resp.Accounts.Account {
			out = append(out, a.AliyunId)
		}
		return out
	}
	var se *sdkerrors.ServerError
	if err := share(); !errors.As(err, &se) || se.ErrorCode() != "AssumeRoleError" {
		t.Fatalf("share before the grant: %v, want AssumeRoleError", err)
	}
	o := fastOptions()
	o.Endpoint, o.Scheme = ep.Addr(), "HTTP"
	o.Credential = credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	a, err := encryptperm.NewRAMApplier(&o)
	if err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA, acctB, acctC).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{acctA, acctB, acctC}, sharedWith()); diff != "" {
		t.Errorf("shared with after Apply (-want +got):\n%s", diff)
	}
	if _, err := a.Revoke(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got := sharedWith(); len(got) != 0 {
		t.Errorf("shared with after Revoke: %v", got)
	}
	if err := share(); !errors.As(err, &se) || se.ErrorCode() != "AssumeRoleError" {
		t.Errorf("share after Revoke: %v, want AssumeRoleError", err)
	}
}

// TestSharePerServiceEndpoints: NewRAMApplier calls ECS, Resource Sharing
// and KMS at their own endpoints when set, and refuses plain HTTP to one
// that is not loopback.
func TestSharePerServiceEndpoints(t *testing.T) {
	ctx := context.Background()
	cred := credentials.NewAccessKeyCredential(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	// A loopback port that answers nothing: it closes every connection at
	// once. The test holds it open, so no endpoint started below can be
	// given the same port (a port merely closed can be, and then the
	// "dead" service answers).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dead := l.Addr().String()
	// A snapshot shared with an account reaches all three services: ECS
	// for the snapshot, KMS for its key, Resource Sharing for the share.
	g, err := encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(acctA).Build()
	if err != nil {
		t.Fatal(err)
	}
	// Each service in turn at the dead port, the others at a live endpoint
	// of their own: the Apply fails on that service's calls, which get no
	// answer ("transport"), and on no other's, before any write.
	tests := []struct {
		name       string
		give       func(o *encryptperm.Options)
		wantFailed []string
	}{
		{"ECSEndpoint", func(o *encryptperm.Options) { o.ECSEndpoint = dead }, []string{"DescribeSnapshots"}},
		{"ResourceSharingEndpoint", func(o *encryptperm.Options) { o.ResourceSharingEndpoint = dead },
			[]string{"ListResourceShareAssociations", "ListResourceShares"}},
		{"KMSEndpoint", func(o *encryptperm.Options) { o.KMSEndpoint = dead }, []string{"DescribeKey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := shareWorld(t, nil)
			ep := startEndpoint(t, f, nil)
			other := startEndpoint(t, f, nil)
			o := fastOptions()
			o.Retry.Disable = true
			o.Endpoint, o.Scheme, o.Credential = ep.Addr(), "HTTP", cred
			o.ECSEndpoint, o.ResourceSharingEndpoint, o.KMSEndpoint = other.Addr(), other.Addr(), other.Addr()
			tt.give(&o)
			a, err := encryptperm.NewRAMApplier(&o)
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Apply(ctx, g)
			if err == nil {
				t.Fatal("Apply succeeded with a service at a dead port")
			}
			var failed []string
			for _, c := range res.Calls {
				if c.Code == "transport" && !slices.Contains(failed, c.Action) {
					failed = append(failed, c.Action)
				}
			}
			slices.Sort(failed)
			if diff := cmp.Diff(tt.wantFailed, failed); diff != "" {
				t.Errorf("failed calls (-want +got):\n%s\nerr: %v", diff, err)
			}
			if res.Writes != 0 {
				t.Errorf("%d writes", res.Writes)
			}
		})
	}
	// Each service at another endpoint of the same fake: it works.
	f := shareWorld(t, nil)
	ep := startEndpoint(t, f, nil)
	other := startEndpoint(t, f, nil)
	o := fastOptions()
	o.Endpoint, o.Scheme, o.Credential = ep.Addr(), "HTTP", cred
	o.ECSEndpoint, o.ResourceSharingEndpoint, o.KMSEndpoint = other.Addr(), other.Addr(), other.Addr()
	a, err := encryptperm.NewRAMApplier(&o)
	if err != nil {
		t.Fatal(err)
	}
	gi, err := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(acctA).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, gi); err != nil {
		t.Fatal(err)
	}
	if got := shares(f); !cmp.Equal(got, []string{"image m-bp1shared01: 2000000000000001"}) {
		t.Errorf("shares %v", got)
	}
	// HTTP to a service endpoint that is not loopback is refused.
	o.KMSEndpoint = "kms.cn-hangzhou.aliyuncs.com"
	if _, err := encryptperm.NewRAMApplier(&o); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("HTTP to a remote KMS endpoint: %v, want ErrInvalid", err)
	}
}

// TestShareWaitsForECSToSeeTheGrant: ECS's view of RAM lags the fresh
// grant by 5s; on every backend the share is retried until ECS sees it,
// the fake's clock moved by the injected sleep, and ends shared.
func TestShareWaitsForECSToSeeTheGrant(t *testing.T) {
	ctx := context.Background()
	for _, be := range shareBackends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range []shareScenario{shareScenarios[0], shareScenarios[4]} {
				t.Run(sc.name, func(t *testing.T) {
					var mu sync.Mutex
					now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
					clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
					f := shareWorld(t, &fake.Options{Clock: clock, Faults: []fake.Rule{
						{Action: "ModifyImageSharePermission", ECSViewLag: 5 * time.Second},
						{Action: "CreateResourceShare", ECSViewLag: 5 * time.Second},
					}})
					var waited time.Duration
					o := fastOptions()
					o.Sleep = func(ctx context.Context, d time.Duration) error {
						mu.Lock()
						defer mu.Unlock()
						now = now.Add(d)
						waited += d
						return nil
					}
					g, err := sc.build().Build()
					if err != nil {
						t.Fatal(err)
					}
					res, err := be.applier(t, f, o).Apply(ctx, g)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(sc.want, shares(f)); diff != "" {
						t.Errorf("shares (-want +got):\n%s", diff)
					}
					if waited != 7*time.Second {
						t.Errorf("waited %v, want 7s (1s, 2s, 4s)", waited)
					}
					refused := 0
					for _, c := range res.Calls {
						if c.Code == "AssumeRoleError" {
							refused++
						}
					}
					if refused != 3 {
						t.Errorf("%d refusals recorded, want 3", refused)
					}
				})
			}
		})
	}
}
