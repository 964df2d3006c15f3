package share_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ecsperm/ecsperm/internal/share"
	"github.com/google/go-cmp/cmp"
)

// Prepare plans, from what it reads, the writes that share a resource with
// the grants' audience, or take it back, and reads in as few levels as the
// reads' dependencies allow: a key found through a snapshot costs a level
// of its own, one named or listed beside the resource none.
func TestPreparePlans(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(m *memCloud)
		revoke    bool
		grants    []share.Grant
		keep      []share.Grant
		wantPlan  []string
		wantKeys  []share.Key
		wantCalls [][]string // by level
	}{
		{
			name:     "an image with accounts, through ECS, its key from the list beside it",
			wantKeys: []share.Key{key("key-a")},
			setup:    func(m *memCloud) { m.addImage("m-img1", "s-snap1", "key-a") },
			grants:   []share.Grant{{Accounts: []string{acctB, acctA}, Resources: []share.Resource{image("m-img1")}}},
			wantPlan: []string{
				"+ ModifyImageSharePermission: share image m-img1 in cn-hangzhou with account(s) 2000000000000001, 2000000000000002 (ECS)",
			},
			wantCalls: [][]string{
				{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "ListImageSnapshots cn-hangzhou/"},
				{"DescribeKey key-a"},
			},
		},
		{
			name:     "an image whose snapshot the list does not hold is read by ID",
			wantKeys: []share.Key{key("key-a")},
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a")
				m.snaps[region+"/s-snap1"] = memSnap{encrypted: true, key: "key-a"}
			},
			grants:   []share.Grant{{Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1")}}},
			wantPlan: []string{"+ CreateResourceShare: share image m-img1 in cn-hangzhou with rd-abc through a new resource share EncryptPerm-m-img1"},
			wantCalls: [][]string{
				{
					"CheckSharingWithResourceDirectoryStatus cn-hangzhou", "DescribeImageSharePermission m-img1", "DescribeImages m-img1", "ListImageSnapshots cn-hangzhou/",
					"ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou",
				},
				{"DescribeSnapshots s-snap1"},
				{"DescribeKey key-a"},
			},
		},
		{
			name:     "a snapshot with accounts, a directory and a folder: a new share, then an association of the rest",
			wantKeys: []share.Key{key("key-a")},
			setup:    func(m *memCloud) { m.addSnapshot("s-snap1", "key-a") },
			grants: []share.Grant{{
				Accounts: []string{acctA, acctB, "2000000000000003"}, Directories: []string{"rd-abc", "rd-xyz"}, Folders: []string{"rd-abc/r-root/fd-fold1/"},
				Keys: []share.Key{key("key-a")}, Resources: []share.Resource{snapshot("s-snap1")},
			}},
			wantPlan: []string{
				"+ CreateResourceShare: share snapshot s-snap1 in cn-hangzhou with 2000000000000001, 2000000000000002, 2000000000000003, fd-fold1, rd-abc through a new resource share EncryptPerm-s-snap1",
				"+ AssociateResourceShare: share snapshot s-snap1 in cn-hangzhou with rd-xyz through the new resource share EncryptPerm-s-snap1",
			},
			wantCalls: [][]string{{
				"CheckSharingWithResourceDirectoryStatus cn-hangzhou", "DescribeKey key-a", "DescribeSnapshots s-snap1",
				"ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou",
			}},
		},
		{
			name:     "a share that holds only the resource is reused, the library's own first; a pending invitation is a note",
			wantKeys: []share.Key{key("key-a")},
			setup: func(m *memCloud) {
				m.addSnapshot("s-snap1", "key-a")
				m.addShare("rs-other", "theirs", true, []string{"Snapshot/s-snap1"}, nil)
				m.addShare("rs-mine", "EncryptPerm-s-snap1", true, []string{"Snapshot/s-snap1"}, map[string]string{acctA: "Associating"})
				m.addShare("rs-two", "two", true, []string{"Snapshot/s-snap1", "Snapshot/s-snap2"}, map[string]string{acctB: "Associated"})
			},
			grants: []share.Grant{{Accounts: []string{acctA, acctB, "2000000000000003"}, Resources: []share.Resource{snapshot("s-snap1")}}},
			wantPlan: []string{
				"+ AssociateResourceShare: share snapshot s-snap1 in cn-hangzhou with 2000000000000003 through resource share rs-mine",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of 2000000000000001 to resource share rs-mine is pending: the recipient must accept it before it can use the snapshot",
			},
		},
		{
			name:     "a share outside the directory is not reused for accounts",
			wantKeys: []share.Key{key("key-a")},
			setup: func(m *memCloud) {
				m.addSnapshot("s-snap1", "key-a")
				m.addShare("rs-inside", "EncryptPerm-s-snap1", false, []string{"Snapshot/s-snap1"}, nil)
			},
			grants:   []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-snap1")}}},
			wantPlan: []string{"+ CreateResourceShare: share snapshot s-snap1 in cn-hangzhou with 2000000000000001 through a new resource share EncryptPerm-s-snap1"},
		},
		{
			name:     "nothing to do when the audience holds the resource already",
			wantKeys: []share.Key{key("key-a")},
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a", acctA)
			},
			grants:    []share.Grant{{Accounts: []string{acctA}, Keys: []share.Key{key("key-a")}, Resources: []share.Resource{image("m-img1")}}},
			wantCalls: [][]string{{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "DescribeKey key-a", "ListImageSnapshots cn-hangzhou/key-a"}},
		},
		{
			name: "an unencrypted image needs no key",
			setup: func(m *memCloud) {
				m.images[region+"/m-img1"] = &memImage{owner: owner, disks: []share.Disk{{SnapshotID: "s-snap1"}}}
				m.snaps[region+"/s-snap1"] = memSnap{}
			},
			grants:   []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1")}}},
			wantPlan: []string{"+ ModifyImageSharePermission: share image m-img1 in cn-hangzhou with account(s) 2000000000000001 (ECS)"},
		},
		{
			name:     "a revoke takes the grant's accounts out of ECS and of every share that holds only the resource, and keeps what stays",
			wantKeys: []share.Key{key("key-a")},
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a", acctA, acctB, "2000000000000009")
				m.addShare("rs-1", "someone's", true, []string{"Image/m-img1"}, map[string]string{acctA: "Associated", acctB: "Associating", "rd-abc": "Associated", "2000000000000009": "Associated"})
				m.addShare("rs-gone", "deleted", true, []string{"Image/m-img1"}, map[string]string{acctA: "Disassociated"})
			},
			revoke: true,
			grants: revokeImage,
			keep:   keepB,
			wantPlan: []string{
				"- ModifyImageSharePermission: stop sharing image m-img1 in cn-hangzhou with account(s) 2000000000000001 (ECS)",
				"- DisassociateResourceShare: stop sharing image m-img1 in cn-hangzhou with 2000000000000001, rd-abc through resource share rs-1",
				"= : keep sharing image m-img1 in cn-hangzhou with account 2000000000000002: a grant that stays names it",
				"= : keep sharing image m-img1 in cn-hangzhou with 2000000000000002 through resource share rs-1: a grant that stays names it",
			},
		},
		{
			name:     "a revoke of a resource that is gone shares nothing, and a key gone since still goes",
			wantKeys: nil,
			setup: func(m *memCloud) {
				m.addSnapshot("s-snap1", "key-gone")
				delete(m.keys, region+"/key-gone")
			},
			revoke: true,
			grants: []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-snap1"), snapshot("s-none")}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			step := share.New(m, config())
			job, err := step.Prepare(context.Background(), tt.revoke, tt.grants, tt.keep)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if diff := cmp.Diff(tt.wantPlan, summaries(job.Changes())); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantKeys, job.KeysOf(tt.grants[0].Resources)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if tt.wantCalls != nil {
				if diff := cmp.Diff(tt.wantCalls, m.byLevel(tt.wantCalls)); diff != "" {
					t.Errorf("calls by level (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// A revoke whose recipient holds the resource through a share that holds
// other resources too changes nothing: taking the recipient out would
// unshare the others.
func TestPrepareRefusesSharesOfSeveralResourcesOnRevoke(t *testing.T) {
	m := newMem()
	m.addSnapshot("s-snap1", "key-a")
	m.addShare("rs-two", "two", true, []string{"Snapshot/s-snap1", "Snapshot/s-snap2"}, map[string]string{acctA: "Associated", acctB: "Associated"})
	_, err := share.New(m, config()).Prepare(context.Background(), true,
		[]share.Grant{{Accounts: []string{acctA, acctB}, Resources: []share.Resource{snapshot("s-snap1")}}},
		[]share.Grant{{Accounts: []string{acctB}, Resources: []share.Resource{snapshot("s-snap1")}}})
	want := []string{
		"grants[0].Resources[0] (s-snap1): resource share rs-two (two) holds other resources too: removing target 2000000000000001 from it would unshare them as well; remove the target yourself, or move the snapshot to a share of its own",
	}
	if diff := cmp.Diff(want, problems(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var r *share.Refusal
	if errors.As(err, &r) && (!r.Conflict || r.NotFound || !r.Read) {
		t.Errorf("refusal: Conflict %v, NotFound %v, Read %v; want true, false, true", r.Conflict, r.NotFound, r.Read)
	}
}

// Prepare judges everything it read at once, before any write, and reports
// every problem with the path of what it is about.
func TestPrepareRefuses(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(m *memCloud)
		grants     []share.Grant
		cfg        func(c *share.Config)
		want       []string
		wantLimit  bool
		wantAbsent bool
	}{
		{
			name:       "a resource that does not exist",
			setup:      func(*memCloud) {},
			grants:     []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-none")}}},
			want:       []string{"grants[0].Resources[0] (s-none): no snapshot with this ID in cn-hangzhou (DescribeSnapshots found none)"},
			wantAbsent: true,
		},
		{
			name: "a snapshot encrypted with the service key",
			setup: func(m *memCloud) {
				m.snaps[region+"/s-snap1"] = memSnap{encrypted: true}
			},
			grants: []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-snap1")}}},
			want:   []string{"grants[0].Resources[0] (s-snap1): no service key for a snapshot"},
		},
		{
			name: "an image whose disk names no snapshot, and one whose snapshot is gone",
			setup: func(m *memCloud) {
				m.images[region+"/m-img1"] = &memImage{owner: owner, disks: []share.Disk{{SnapshotID: ""}}}
				m.images[region+"/m-img2"] = &memImage{owner: owner, disks: []share.Disk{{SnapshotID: "s-gone", Encrypted: true}}}
			},
			grants: []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1"), image("m-img2")}}},
			want: []string{
				"grants[0].Resources[0] (m-img1): the image m-img1 in cn-hangzhou may be encrypted, but DescribeSnapshots does not say with which key for every disk (snapshots ), and a disk names no snapshot; nothing is shared with a key nobody can name",
				"grants[0].Resources[1] (m-img2): the image m-img2 in cn-hangzhou may be encrypted, but DescribeSnapshots does not say with which key for every disk (snapshots s-gone); nothing is shared with a key nobody can name",
			},
		},
		{
			name: "keys missing, managed by a service, disabled, badly named, in another region, not the one named",
			setup: func(m *memCloud) {
				m.addSnapshot("s-1", "key-missing")
				delete(m.keys, region+"/key-missing")
				m.addSnapshot("s-2", "key-ecs")
				m.keys[region+"/key-ecs"] = share.KeyMeta{ARN: key("key-ecs").ARN(), Creator: "Ecs", State: "Enabled"}
				m.addSnapshot("s-3", "key-off")
				m.keys[region+"/key-off"] = share.KeyMeta{ARN: key("key-off").ARN(), Creator: owner, State: "Disabled"}
				m.addSnapshot("s-4", "key-bad")
				m.keys[region+"/key-bad"] = share.KeyMeta{ARN: "arn:nonsense", Creator: owner, State: "Enabled"}
				m.addSnapshot("s-5", "key-a")
				m.addKey("key-named")
				m.keys["cn-shanghai/key-far"] = share.KeyMeta{ARN: share.Key{Region: "cn-shanghai", Owner: owner, ID: "key-far"}.ARN(), Creator: owner, State: "PendingDeletion"}
			},
			grants: []share.Grant{
				{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-1"), snapshot("s-2"), snapshot("s-3"), snapshot("s-4")}},
				{Accounts: []string{acctA}, Keys: []share.Key{key("key-named"), {Region: "cn-shanghai", Owner: owner, ID: "key-far"}}, Resources: []share.Resource{snapshot("s-5")}},
			},
			want: []string{
				"grants[0].Resources[0] (s-1): the snapshot is encrypted with key key-missing, which KMS does not find in cn-hangzhou",
				"grants[0].Resources[1] (s-2): the snapshot is encrypted with key key-ecs, which Ecs manages: no service key for a snapshot",
				"grants[0].Resources[2] (s-3): the snapshot's key acs:kms:cn-hangzhou:1000000000000001:key/key-off is Disabled, not Enabled: no recipient's ECS can use it, and ECS refuses to share it (InvalidParameter.KMSKeyId.CMKNotEnabled); enable the key first",
				"grants[0].Resources[3] (s-4): KMS answered the ARN \"arn:nonsense\" for key key-bad, which is not a key ARN",
				"grants[1].Keys (acs:kms:cn-hangzhou:1000000000000001:key/key-named,acs:kms:cn-shanghai:1000000000000001:key/key-far): the snapshot s-5 in cn-hangzhou is encrypted with key acs:kms:cn-hangzhou:1000000000000001:key/key-a, not with the key the grant names (acs:kms:cn-hangzhou:1000000000000001:key/key-named, acs:kms:cn-shanghai:1000000000000001:key/key-far): drop WithKey to let the Applier find the key, or name that key",
				"grants[1].Keys[1] (acs:kms:cn-shanghai:1000000000000001:key/key-far): the key is in cn-shanghai, but the snapshot s-5 is in cn-hangzhou: ECS uses a key of the resource's own region",
				"grants[1].Keys[1] (acs:kms:cn-shanghai:1000000000000001:key/key-far): the key is PendingDeletion, not Enabled",
			},
			wantAbsent: true,
		},
		{
			name: "a key the grant names that KMS does not find",
			setup: func(m *memCloud) {
				m.addSnapshot("s-1", "key-a")
			},
			grants:     []share.Grant{{Accounts: []string{acctA}, Keys: []share.Key{key("key-a"), key("key-none")}, Resources: []share.Resource{snapshot("s-1")}}},
			want:       []string{"grants[0].Keys[1] (acs:kms:cn-hangzhou:1000000000000001:key/key-none): KMS does not find key key-none in cn-hangzhou"},
			wantAbsent: true,
		},
		{
			name: "the owner's own account, too many accounts, and a directory whose sharing is off",
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a", "2000000000000008")
				m.addShare("rs-1", "x", true, []string{"Image/m-img1"}, map[string]string{"2000000000000009": "Associated", "rd-zzz": "Associated"})
				m.dirOff = true
			},
			grants: []share.Grant{{Accounts: []string{owner, acctA}, Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1")}}},
			want: []string{
				"grants[0].Audience.Accounts[0] (1000000000000001): account 1000000000000001 owns the image m-img1 in cn-hangzhou; ECS does not share a resource with its own owner (InvalidAccount.Forbbiden)",
				"grants[0].Resources[0] (m-img1): the image m-img1 in cn-hangzhou would be shared with 4 accounts (2 already), but ECS shares one image with at most 3; share with a resource directory or folder instead",
				"grants[0].Resources[0] (m-img1): sharing with a resource directory or folder is not enabled for this account (CheckSharingWithResourceDirectoryStatus); enable it in Resource Sharing (EnableSharingWithResourceDirectory) from the directory's management account",
			},
			wantLimit: true,
		},
		{
			name:   "no client for the services",
			setup:  func(*memCloud) {},
			cfg:    func(c *share.Config) { c.Services = share.Services{} },
			grants: []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1"), snapshot("s-1")}}},
			want: []string{
				"grants[0].Resources[0] (m-img1): sharing the image m-img1 in cn-hangzhou needs a client for ECS (Options.ECS), KMS (Options.KMS): the RAM client given to NewApplier does not implement it",
				"grants[0].Resources[1] (s-1): sharing the snapshot s-1 in cn-hangzhou needs a client for ECS (Options.ECS), KMS (Options.KMS), Resource Sharing (Options.ResourceSharing): the RAM client given to NewApplier does not implement it",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			cfg := config()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			_, err := share.New(m, cfg).Prepare(context.Background(), false, tt.grants, nil)
			if diff := cmp.Diff(tt.want, problems(err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			var r *share.Refusal
			if !errors.As(err, &r) {
				return
			}
			if r.Limit != tt.wantLimit || r.NotFound != tt.wantAbsent || r.Conflict {
				t.Errorf("refusal: Limit %v, NotFound %v, Conflict %v; want %v, %v, false", r.Limit, r.NotFound, r.Conflict, tt.wantLimit, tt.wantAbsent)
			}
			if cfg.CheckServices(tt.grants, nil, false) == nil && tt.cfg != nil {
				t.Error("CheckServices refused nothing")
			}
		})
	}
}

// The keys found for a resource are remembered, and read in the first
// level of the next pre-flight, beside the resource; a hinted read that
// fails is made again once the resource names the key.
func TestPrepareReadsRememberedKeysFirst(t *testing.T) {
	m := newMem()
	m.addImage("m-img1", "s-snap1", "key-a")
	m.snaps[region+"/s-snap1"] = memSnap{encrypted: true, key: "key-a"} // not in the list
	cfg := config()
	step := share.New(m, cfg)
	grants := []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1")}}}
	if _, err := step.Prepare(context.Background(), false, grants, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"key-a"}, cfg.Hints.Get(image("m-img1"))); diff != "" {
		t.Fatalf("hints (-want +got):\n%s", diff)
	}
	tests := []struct {
		name  string
		fault []fault
		want  [][]string // by level
	}{
		{"warm", nil, [][]string{
			{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "DescribeKey key-a", "ListImageSnapshots cn-hangzhou/"},
			{"DescribeSnapshots s-snap1"},
		}},
		{"the hinted read fails", []fault{{err: errServer}}, [][]string{
			{"DescribeImageSharePermission m-img1", "DescribeImages m-img1", "DescribeKey key-a", "ListImageSnapshots cn-hangzhou/"},
			{"DescribeSnapshots s-snap1"},
			{"DescribeKey key-a"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.fail("DescribeKey", tt.fault...)
			m.log()
			if _, err := step.Prepare(context.Background(), false, grants, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.byLevel(tt.want)); diff != "" {
				t.Errorf("calls by level (-want +got):\n%s", diff)
			}
		})
	}
	var nilHints *share.Hints
	nilHints.Remember(image("m-img1"), []string{"key-a"})
	if got := nilHints.Get(image("m-img1")); got != nil {
		t.Errorf("nil Hints remembered %v", got)
	}
}
