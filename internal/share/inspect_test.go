package share_test

import (
	"context"
	"testing"

	"github.com/ecsperm/ecsperm/internal/share"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Inspect reads what Check needs of one resource, and Reach says whether it
// is shared with a recipient: through ECS, or a resource share whose target
// is the account, its directory or a folder on its path; a pending
// invitation is not a share.
func TestInspect(t *testing.T) {
	tests := []struct {
		give      share.Resource
		name      string
		setup     func(m *memCloud)
		keyID     string
		noRS      bool
		want      share.Inspection
		reach     [3]string // recipient, rdID, rdPath
		wantReach bool
		why       string
		wantCalls [][]string
	}{
		{
			name: "an image shared through ECS, its key from the list",
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a", acctA)
			},
			give:      image("m-img1"),
			want:      share.Inspection{Resource: image("m-img1"), Found: true, Encrypted: true, KeyIDs: []string{"key-a"}, Owner: owner},
			reach:     [3]string{acctA, "", ""},
			wantReach: true,
			why:       "ECS shares the image with account 2000000000000001",
			wantCalls: [][]string{{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "ListImageSnapshots cn-hangzhou/key-a", "ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou"}},
			keyID:     "key-a",
		},
		{
			name: "an image whose snapshot is read after it, shared with the recipient's folder",
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a")
				m.snaps[region+"/s-snap1"] = memSnap{encrypted: true, key: "key-a"}
				m.addShare("rs-1", "x", true, []string{"Image/m-img1"}, map[string]string{"fd-f1": "Associated", acctA: "Associating"})
			},
			give:      image("m-img1"),
			want:      share.Inspection{Resource: image("m-img1"), Found: true, Encrypted: true, KeyIDs: []string{"key-a"}, Owner: owner},
			reach:     [3]string{acctA, "rd-abc", "rd-abc/r-root/fd-f1/fd-f2"},
			wantReach: true,
			why:       "resource share rs-1 shares the image with fd-f1",
			wantCalls: [][]string{
				{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "ListImageSnapshots cn-hangzhou/", "ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou"},
				{"DescribeSnapshots s-snap1"},
			},
		},
		{
			name: "an unencrypted image read without a Resource Sharing client: no shares are read",
			setup: func(m *memCloud) {
				m.images[region+"/m-img1"] = &memImage{disks: []share.Disk{{SnapshotID: "s-snap1"}}}
				m.snaps[region+"/s-snap1"] = memSnap{image: true}
			},
			give:  image("m-img1"),
			noRS:  true,
			want:  share.Inspection{Resource: image("m-img1"), Found: true},
			reach: [3]string{acctA, "", ""},
			why:   "the image m-img1 in cn-hangzhou is not shared with account 2000000000000001",
			wantCalls: [][]string{
				{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "ListImageSnapshots cn-hangzhou/"},
				{"DescribeSnapshots s-snap1"},
			},
		},
		{
			name:      "an image that does not exist is read no further",
			setup:     func(*memCloud) {},
			give:      image("m-none"),
			want:      share.Inspection{Resource: image("m-none")},
			reach:     [3]string{acctA, "", ""},
			why:       "the image m-none in cn-hangzhou is not shared with account 2000000000000001",
			wantCalls: [][]string{{"DescribeImageSharePermission m-none", "DescribeImages m-none", "ListImageSnapshots cn-hangzhou/", "ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou"}},
		},
		{
			name: "an image whose disk names no snapshot",
			setup: func(m *memCloud) {
				m.images[region+"/m-img1"] = &memImage{disks: []share.Disk{{}}}
			},
			give:  image("m-img1"),
			want:  share.Inspection{Resource: image("m-img1"), Found: true, Encrypted: true, KeyUnknown: true},
			reach: [3]string{acctA, "", ""},
			why:   "the image m-img1 in cn-hangzhou is not shared with account 2000000000000001",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			cfg := config()
			if tt.noRS {
				cfg.Services.ResourceSharing = false
			}
			got, err := share.New(m, cfg).Inspect(context.Background(), "access", share.Grant{Resources: []share.Resource{tt.give}}, tt.keyID)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreUnexported(share.Inspection{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
			r := got.ReachOf(tt.reach[0], tt.reach[1], tt.reach[2])
			if r.Shared != tt.wantReach || r.Reason != tt.why {
				t.Errorf("ReachOf = %v, %q; want %v, %q", r.Shared, r.Reason, tt.wantReach, tt.why)
			}
			if tt.wantCalls != nil {
				if diff := cmp.Diff(tt.wantCalls, m.byLevel(tt.wantCalls)); diff != "" {
					t.Errorf("calls by level (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// Inspect refuses, before any I/O, a resource it has no client for, and
// says why an image's keys cannot all be named.
func TestInspectRefusesAndExplains(t *testing.T) {
	m := newMem()
	cfg := config()
	cfg.Services.ECS = false
	_, err := share.New(m, cfg).Inspect(context.Background(), "access", share.Grant{Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1")}}, "")
	want := []string{"access[0].Resources[0] (m-img1): sharing the image m-img1 in cn-hangzhou needs a client for ECS (Options.ECS): the RAM client given to NewApplier does not implement it"}
	if diff := cmp.Diff(want, problems(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if got := len(m.log()); got != 0 {
		t.Errorf("%d calls before refusing, want none", got)
	}
	if got, want := err.Error(), "share: access[0].Resources[0]: sharing the image m-img1 in cn-hangzhou needs a client for ECS (Options.ECS): the RAM client given to NewApplier does not implement it"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	m.images[region+"/m-img1"] = &memImage{disks: []share.Disk{{SnapshotID: "s-1", Encrypted: true}, {}}}
	in, err := share.New(m, config()).Inspect(context.Background(), "access", share.Grant{Resources: []share.Resource{image("m-img1")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := in.UnknownKeyReason(), "the image m-img1 in cn-hangzhou may be encrypted, but DescribeSnapshots does not say with which key for every disk (snapshots s-1), and a disk names no snapshot"; got != want {
		t.Errorf("UnknownKeyReason = %q, want %q", got, want)
	}
}

// DescribeKeys reads keys at once: nil for a key KMS does not find, and the
// first error of any.
func TestDescribeKeys(t *testing.T) {
	m := newMem()
	m.addKey("key-a")
	step := share.New(m, config())
	got, err := step.DescribeKeys(context.Background(), region, []string{"key-a", "key-none"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*share.KeyMeta{{ARN: "acs:kms:cn-hangzhou:1000000000000001:key/key-a", Creator: owner, State: "Enabled"}, nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeKeys (-want +got):\n%s", diff)
	}
	m.fail("DescribeKey", fault{err: errServer})
	if _, err := step.DescribeKeys(context.Background(), region, []string{"key-a"}); err != errServer {
		t.Errorf("error = %v, want %v", err, errServer)
	}
	if cfg := config(); !cfg.ServiceManaged("Ecs") || cfg.ServiceManaged(owner) || cfg.ServiceManaged("") {
		t.Error("ServiceManaged: want true for a service, false for an account or nothing")
	}
}

// Reach follows a resource share's target to the recipient's own account,
// its directory, or a folder on its path, never to a sibling folder whose
// ID begins with the folder's; an invitation not yet accepted is not a
// share, but says which share waits for it.
func TestReach(t *testing.T) {
	const pending = "resource share rs-1 reaches 2000000000000001 through 2000000000000001, but the invitation is pending: the recipient must accept it"
	notShared := share.Reaching{Reason: "the snapshot s-snap1 in cn-hangzhou is not shared with account 2000000000000001"}
	tests := []struct {
		name, target, status, rdID, rdPath string
		want                               share.Reaching
	}{
		{"the account", acctA, "Associated", "", "", share.Reaching{Shared: true, ShareID: "rs-1", Reason: "resource share rs-1 shares the snapshot with 2000000000000001"}},
		{"its directory", "rd-abc", "Associated", "rd-abc", "", share.Reaching{Shared: true, ShareID: "rs-1", Reason: "resource share rs-1 shares the snapshot with rd-abc"}},
		{"a folder on its path", "fd-f1", "Associated", "rd-abc", "rd-abc/r-root/fd-f1/fd-f2", share.Reaching{Shared: true, ShareID: "rs-1", Reason: "resource share rs-1 shares the snapshot with fd-f1"}},
		{"a sibling folder", "fd-Folder01", "Associated", "rd-abc", "rd-abc/r-root/fd-Folder012", notShared},
		{"another directory", "rd-xyz", "Associated", "rd-abc", "", notShared},
		{"a pending invitation", acctA, "Associating", "", "", share.Reaching{Pending: true, ShareID: "rs-1", Reason: pending}},
		{"no directory given", "rd-abc", "Associated", "", "", notShared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			m.addSnapshot("s-snap1", "key-a")
			m.addShare("rs-1", "x", true, []string{"Snapshot/s-snap1"}, map[string]string{tt.target: tt.status})
			in, err := share.New(m, config()).Inspect(context.Background(), "access", share.Grant{Resources: []share.Resource{snapshot("s-snap1")}}, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, in.ReachOf(acctA, tt.rdID, tt.rdPath)); diff != "" {
				t.Errorf("ReachOf (-want +got):\n%s", diff)
			}
		})
	}
}
