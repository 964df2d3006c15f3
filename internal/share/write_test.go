package share_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/internal/share"
	"github.com/google/go-cmp/cmp"
)

// prepared returns a job prepared over m.
func prepared(t *testing.T, m *memCloud, cfg *share.Config, revoke bool, grants, keep []share.Grant) (*share.Step, *share.Job) {
	t.Helper()
	step := share.New(m, cfg)
	job, err := step.Prepare(context.Background(), revoke, grants, keep)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	m.log()
	return step, job
}

// Run makes the planned writes, reports each as it is done, and reads the
// invitations its writes left pending.
func TestRunWrites(t *testing.T) {
	tests := []struct {
		name      string
		wantDone  []string
		wantNotes []string
		setup     func(m *memCloud)
		revoke    bool
		grants    []share.Grant
		keep      []share.Grant
		wantCalls [][]string
		wantState func(t *testing.T, m *memCloud)
	}{
		{
			name:     "an image with accounts through ECS",
			setup:    func(m *memCloud) { m.addImage("m-img1", "s-snap1", "key-a") },
			grants:   []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1")}}},
			wantDone: []string{"+ ModifyImageSharePermission: share image m-img1 in cn-hangzhou with account(s) 2000000000000001 (ECS)"},
			wantCalls: [][]string{
				{"ModifyImageSharePermission m-img1"},
			},
			wantState: func(t *testing.T, m *memCloud) {
				if diff := cmp.Diff([]string{acctA}, m.imgAccts["m-img1"]); diff != "" {
					t.Errorf("image accounts (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "a new share, then an association with it; invitations pending",
			setup: func(m *memCloud) {
				m.addSnapshot("s-snap1", "key-a")
				m.pending = true
			},
			grants: []share.Grant{{Accounts: []string{acctA, acctB}, Directories: []string{"rd-a", "rd-b", "rd-c", "rd-d"}, Resources: []share.Resource{snapshot("s-snap1")}}},
			wantDone: []string{
				"+ CreateResourceShare: share snapshot s-snap1 in cn-hangzhou with 2000000000000001, 2000000000000002, rd-a, rd-b, rd-c through a new resource share EncryptPerm-s-snap1",
				"+ AssociateResourceShare: share snapshot s-snap1 in cn-hangzhou with rd-d through the new resource share EncryptPerm-s-snap1",
			},
			wantNotes: []string{
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of 2000000000000001 to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of 2000000000000002 to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of rd-a to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of rd-b to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of rd-c to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
				"~ : snapshot s-snap1 in cn-hangzhou: the invitation of rd-d to resource share rs-1 is pending: the recipient must accept it before it can use the snapshot",
			},
			wantCalls: [][]string{
				{"CreateResourceShare EncryptPerm-s-snap1"},
				{"AssociateResourceShare rs-1"},
				{"ListResourceShareAssociations cn-hangzhou/Target"},
			},
		},
		{
			name: "a revoke: out of ECS and of the share, what stays kept",
			setup: func(m *memCloud) {
				m.addImage("m-img1", "s-snap1", "key-a", acctA, acctB)
				m.addShare("rs-9", "x", true, []string{"Image/m-img1"}, map[string]string{"rd-abc": "Associated", acctB: "Associated"})
			},
			revoke: true,
			grants: revokeImage,
			keep:   keepB,
			wantDone: []string{
				"- ModifyImageSharePermission: stop sharing image m-img1 in cn-hangzhou with account(s) 2000000000000001 (ECS)",
				"- DisassociateResourceShare: stop sharing image m-img1 in cn-hangzhou with rd-abc through resource share rs-9",
			},
			wantNotes: []string{
				"= : keep sharing image m-img1 in cn-hangzhou with account 2000000000000002: a grant that stays names it",
				"= : keep sharing image m-img1 in cn-hangzhou with 2000000000000002 through resource share rs-9: a grant that stays names it",
			},
			wantCalls: [][]string{{"ModifyImageSharePermission m-img1"}, {"DisassociateResourceShare rs-9"}},
			wantState: func(t *testing.T, m *memCloud) {
				if diff := cmp.Diff(map[string]string{acctB: "Associated"}, m.shares[0].targets); diff != "" {
					t.Errorf("targets (-want +got):\n%s", diff)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			step, job := prepared(t, m, config(), tt.revoke, tt.grants, tt.keep)
			done, err := step.Run(context.Background(), job, false)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.wantDone, summaries(done.Changes)); diff != "" {
				t.Errorf("done (-want +got):\n%s", diff)
			}
			if len(done.Unknown) > 0 {
				t.Errorf("unknown: %v", summaries(done.Unknown))
			}
			if diff := cmp.Diff(tt.wantNotes, summaries(job.Notes())); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, m.byLevel(tt.wantCalls)); diff != "" {
				t.Errorf("calls by level (-want +got):\n%s", diff)
			}
			if tt.wantState != nil {
				tt.wantState(t, m)
			}
		})
	}
}

// A write is never sent again before a read shows what the attempt before
// it did; one refused for want of a grant RAM has just taken is tried
// again, after a wait, within Config.Wait.
func TestRunReadsBeforeSendingAgain(t *testing.T) {
	lag := &codeErr{code: "AssumeRoleError"}
	tests := []struct {
		name        string
		fresh       bool
		faults      map[string][]fault
		wantErr     string // "" for none
		wantUnknown bool   // Outcome of the error
		wantDone    int
		wantSlept   []time.Duration
		wantCalls   []string
	}{
		{
			name:      "a lost answer of a write that took effect is read, not sent again",
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: errLost, after: true}}},
			wantDone:  1,
			wantCalls: []string{"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1"},
		},
		{
			name:      "a 5xx of a write that did not take effect is read, then sent again",
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: errServer}}},
			wantDone:  1,
			wantCalls: []string{"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1", "ModifyImageSharePermission m-img1"},
		},
		{
			name:     "MaxRounds writes of unknown outcome, each read as not done",
			faults:   map[string][]fault{"ModifyImageSharePermission": {{err: errServer}, {err: errServer}, {err: errServer}}},
			wantErr:  "mem: InternalError; a read shows it was not carried out",
			wantDone: 0,
			wantCalls: []string{
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
			},
		},
		{
			name: "a write whose read fails stays unknown",
			faults: map[string][]fault{
				"ModifyImageSharePermission":   {{err: errLost}},
				"DescribeImageSharePermission": {{err: errServer}},
			},
			wantErr:     "mem: ; its outcome is unknown: reading whether it took effect: mem: InternalError",
			wantUnknown: true,
			wantCalls:   []string{"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1"},
		},
		{
			name:      "a refusal for want of a fresh grant is tried again after a wait",
			fresh:     true,
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: lag}, {err: lag}}},
			wantDone:  1,
			wantSlept: []time.Duration{time.Second, 2 * time.Second},
			wantCalls: []string{
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1",
			},
		},
		{
			name:      "a refusal for want of a fresh grant that took effect late is read",
			fresh:     true,
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: lag, after: true}}},
			wantDone:  1,
			wantSlept: []time.Duration{time.Second},
			wantCalls: []string{"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1"},
		},
		{
			name:      "past Config.Wait the refusal is the answer",
			fresh:     true,
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: lag}, {err: lag}, {err: lag}}},
			wantErr:   "encryptperm: share image m-img1 in cn-hangzhou with account(s) 2000000000000001 (ECS): ECS still refuses the share 3s after RAM took the grant (Options.ShareWait): mem: AssumeRoleError",
			wantSlept: []time.Duration{time.Second, 2 * time.Second},
			wantCalls: []string{
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
				"ModifyImageSharePermission m-img1", "DescribeImageSharePermission m-img1",
			},
		},
		{
			name:      "the same refusal without a fresh grant is the answer at once",
			faults:    map[string][]fault{"ModifyImageSharePermission": {{err: lag}}},
			wantErr:   "mem: AssumeRoleError",
			wantCalls: []string{"ModifyImageSharePermission m-img1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			m.addImage("m-img1", "s-snap1", "key-a")
			step, job := prepared(t, m, config(), false, []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1")}}}, nil)
			for action, fs := range tt.faults {
				m.fail(action, fs...)
			}
			done, err := step.Run(context.Background(), job, tt.fresh)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if err != nil && m.OutcomeUnknown(err) != tt.wantUnknown {
				t.Errorf("outcome unknown = %v, want %v", !tt.wantUnknown, tt.wantUnknown)
			}
			if len(done.Changes) != tt.wantDone {
				t.Errorf("done = %v, want %d change(s)", summaries(done.Changes), tt.wantDone)
			}
			wantUnknown := 0
			if tt.wantUnknown {
				wantUnknown = 1
			}
			if len(done.Unknown) != wantUnknown {
				t.Errorf("unknown = %v, want %d change(s)", summaries(done.Unknown), wantUnknown)
			}
			if diff := cmp.Diff(tt.wantSlept, m.slept); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, m.log()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
	if unknown, settled := share.Outcome(errors.New("other")); unknown || settled {
		t.Errorf("Outcome of another error = %v, %v; want false, false", unknown, settled)
	}
}

// A CreateResourceShare whose answer was lost is looked for before it is
// made again: the share it made is found by its name, and the targets it
// lacks are added to it, never to a second share.
func TestRunFindsTheShareAnEarlierAttemptMade(t *testing.T) {
	tests := []struct {
		name      string
		fault     fault
		wantCalls []string
		wantIDs   []string
	}{
		{"it took effect", fault{err: errLost, after: true},
			[]string{"CreateResourceShare EncryptPerm-s-snap1", "ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou", "ListResourceShareAssociations cn-hangzhou/Target"},
			[]string{"rs-old", "rs-1"}},
		{"it did not", fault{err: errServer},
			[]string{"CreateResourceShare EncryptPerm-s-snap1", "ListResourceShareAssociations cn-hangzhou/Resource", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShares cn-hangzhou", "CreateResourceShare EncryptPerm-s-snap1", "ListResourceShareAssociations cn-hangzhou/Target"},
			[]string{"rs-old", "rs-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			m.addSnapshot("s-snap1", "key-a")
			// A share of the same name that holds other resources is not the one.
			m.addShare("rs-old", "EncryptPerm-s-snap1", true, []string{"Snapshot/s-snap1", "Snapshot/s-other"}, nil)
			step, job := prepared(t, m, config(), false, []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-snap1")}}}, nil)
			m.fail("CreateResourceShare", tt.fault)
			done, err := step.Run(context.Background(), job, false)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(done.Changes) != 1 {
				t.Errorf("done = %v, want one change", summaries(done.Changes))
			}
			got := m.log()
			// The reads of the settle go out at once.
			if len(got) >= 4 {
				slices.Sort(got[1:4])
			}
			if diff := cmp.Diff(tt.wantCalls, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			var ids []string
			for _, sh := range m.shares {
				ids = append(ids, sh.id)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("shares (-want +got):\n%s", diff)
			}
		})
	}
}

// Resource Sharing refuses a whole DisassociateResourceShare when one of
// its targets left meanwhile: the share is read again, and the targets
// still there are taken out in a call of their own.
func TestRunDisassociatesWhatIsStillThere(t *testing.T) {
	tests := []struct {
		name      string
		meanwhile func(m *memCloud)
		faults    []fault
		wantErr   string
		wantIs    error
		wantLeft  map[string]string
		wantCalls int
	}{
		{
			name:      "a target left meanwhile",
			meanwhile: func(m *memCloud) { delete(m.shares[0].targets, acctA) },
			wantLeft:  map[string]string{},
			wantCalls: 4, // refused, two reads, again
		},
		{
			name:      "the share is gone",
			meanwhile: func(m *memCloud) { m.shares = nil },
			wantCalls: 1,
		},
		{
			name: "the share no longer holds the resource",
			meanwhile: func(m *memCloud) {
				m.shares[0].resources = map[string]string{"Image/m-other": "Associated"}
				delete(m.shares[0].targets, acctA)
			},
			wantLeft:  map[string]string{"rd-abc": "Associated"},
			wantCalls: 3,
		},
		{
			name: "the share holds another resource now",
			meanwhile: func(m *memCloud) {
				m.shares[0].resources["Image/m-other"] = "Associated"
				delete(m.shares[0].targets, acctA)
			},
			wantErr:   "encryptperm: stop sharing image m-img1 in cn-hangzhou with 2000000000000001, rd-abc through resource share rs-1: resource share rs-1 now holds other resources too (Image/m-other): taking rd-abc out of it would unshare them as well; take them out yourself, or move the image to a share of its own",
			wantIs:    errConflict,
			wantLeft:  map[string]string{"rd-abc": "Associated"},
			wantCalls: 3,
		},
		{
			name:      "refused MaxRounds times",
			meanwhile: func(*memCloud) {},
			faults:    []fault{{err: &codeErr{code: "EntityNotExists.Target"}}, {err: &codeErr{code: "EntityNotExists.Resource"}}, {err: &codeErr{code: "EntityNotExists.Target"}}},
			wantErr:   "encryptperm: stop sharing image m-img1 in cn-hangzhou with 2000000000000001, rd-abc through resource share rs-1: Resource Sharing refused to take 2000000000000001, rd-abc out of the share 3 times though they were still associated (Options.MaxRounds): mem: EntityNotExists.Target",
			wantLeft:  map[string]string{acctA: "Associated", "rd-abc": "Associated"},
			wantCalls: 7,
		},
		{
			name:      "another refusal",
			meanwhile: func(*memCloud) {},
			faults:    []fault{{err: &codeErr{code: "Forbidden"}}},
			wantErr:   "mem: Forbidden",
			wantLeft:  map[string]string{acctA: "Associated", "rd-abc": "Associated"},
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			m.addImage("m-img1", "s-snap1", "key-a")
			m.addShare("rs-1", "x", true, []string{"Image/m-img1"}, map[string]string{acctA: "Associated", "rd-abc": "Associated"})
			step, job := prepared(t, m, config(), true, []share.Grant{{Accounts: []string{acctA}, Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1")}}}, nil)
			tt.meanwhile(m)
			m.fail("DisassociateResourceShare", tt.faults...)
			_, err := step.Run(context.Background(), job, false)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if len(m.shares) > 0 {
				if diff := cmp.Diff(tt.wantLeft, m.shares[0].targets); diff != "" {
					t.Errorf("targets left (-want +got):\n%s", diff)
				}
			}
			if got := len(m.log()); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Every listing ends: a page token given twice, or a listing longer than
// Config.MaxPages, ends it with an error that names the call.
func TestListingsAreBounded(t *testing.T) {
	long := strings.Repeat("t", 80)
	tests := []struct {
		name    string
		setup   func(m *memCloud)
		cfg     func(c *share.Config)
		wantErr string
		wantIs  error
	}{
		{
			name: "a token given twice",
			setup: func(m *memCloud) {
				m.tokens = func(string) string { return "again" }
			},
			wantErr: `encryptperm: Resource Sharing ListResourceShares "cn-hangzhou": the service gave the page token "again" a second time: the listing would not end`,
		},
		{
			name: "a long token given twice is quoted short",
			setup: func(m *memCloud) {
				m.tokens = func(string) string { return long }
			},
			wantErr: `encryptperm: Resource Sharing ListResourceShares "cn-hangzhou": the service gave the page token "` + long[:64] + `"... (80 bytes) a second time: the listing would not end`,
		},
		{
			name: "more pages than MaxPages",
			setup: func(m *memCloud) {
				m.pageSize = 1
				for range 6 {
					m.addShare("rs-x", "x", true, nil, nil)
				}
			},
			wantErr: `encryptperm: Resource Sharing ListResourceShares "cn-hangzhou": the listing has more than 5 pages (Limits.ListMaxPages)`,
			wantIs:  errLimit,
		},
		{
			name: "an image shared with more accounts than MaxPages pages hold",
			setup: func(m *memCloud) {
				for i := range 250 {
					m.imgAccts["m-img1"] = append(m.imgAccts["m-img1"], fmt.Sprintf("3%015d", i))
				}
			},
			cfg:     func(c *share.Config) { c.MaxPages = 2 },
			wantErr: `encryptperm: ECS DescribeImageSharePermission "m-img1": the listing has more than 2 pages (Limits.ListMaxPages)`,
			wantIs:  errLimit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			m.addImage("m-img1", "s-snap1", "key-a")
			tt.setup(m)
			cfg := config()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			_, err := share.New(m, cfg).Prepare(context.Background(), true, []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{image("m-img1")}}}, nil)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %s", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
		})
	}
}

// An AssociateResourceShare whose answer was lost is read: the targets the
// share already holds are not sent again.
func TestRunReadsAnAssociationWhoseAnswerWasLost(t *testing.T) {
	m := newMem()
	m.addSnapshot("s-snap1", "key-a")
	m.addShare("rs-1", "EncryptPerm-s-snap1", true, []string{"Snapshot/s-snap1"}, nil)
	step, job := prepared(t, m, config(), false, []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot("s-snap1")}}}, nil)
	m.fail("AssociateResourceShare", fault{err: errLost, after: true})
	done, err := step.Run(context.Background(), job, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"+ AssociateResourceShare: share snapshot s-snap1 in cn-hangzhou with 2000000000000001 through resource share rs-1"}
	if diff := cmp.Diff(want, summaries(done.Changes)); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	wantCalls := []string{"AssociateResourceShare rs-1", "ListResourceShareAssociations cn-hangzhou/Target", "ListResourceShareAssociations cn-hangzhou/Target"}
	if diff := cmp.Diff(wantCalls, m.log()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// A failed read ends the pre-flight with its error, whatever level it is
// in; a failed list of image snapshots only costs a level.
func TestPrepareFailsWithAFailedRead(t *testing.T) {
	grants := []share.Grant{{Accounts: []string{acctA}, Directories: []string{"rd-abc"}, Resources: []share.Resource{image("m-img1"), snapshot("s-snap2")}}}
	for _, action := range []string{"DescribeImages", "DescribeImageSharePermission", "DescribeSnapshots", "ListResourceShares", "ListResourceShareAssociations", "CheckSharingWithResourceDirectoryStatus", "DescribeKey"} {
		t.Run(action, func(t *testing.T) {
			m := newMem()
			m.addImage("m-img1", "s-snap1", "key-a")
			m.addSnapshot("s-snap2", "key-b")
			m.fail(action, fault{err: errServer})
			_, err := share.New(m, config()).Prepare(context.Background(), false, grants, nil)
			if err != errServer {
				t.Errorf("Prepare = %v, want %v", err, errServer)
			}
		})
	}
	m := newMem()
	m.addImage("m-img1", "s-snap1", "key-a")
	m.addSnapshot("s-snap2", "key-b")
	m.fail("ListImageSnapshots", fault{err: errServer})
	if _, err := share.New(m, config()).Prepare(context.Background(), false, grants, nil); err != nil {
		t.Errorf("Prepare with a failed list = %v, want no error", err)
	}
	if !slices.Contains(m.log(), "DescribeSnapshots s-snap1") {
		t.Error("the image's snapshot was not read by ID after the list failed")
	}
}

// The share a resource gets is named by NamePrefix and the resource's ID,
// cut with a hash to Resource Sharing's 50 characters.
func TestShareNames(t *testing.T) {
	long := "s-" + strings.Repeat("a", 45)
	m := newMem()
	m.addSnapshot(long, "key-a")
	_, job := prepared(t, m, config(), false, []share.Grant{{Accounts: []string{acctA}, Resources: []share.Resource{snapshot(long)}}}, nil)
	want := []string{"+ CreateResourceShare: share snapshot " + long + " in cn-hangzhou with 2000000000000001 through a new resource share EncryptPerm-s-aaaaaaaaaaaaaaaaaaaaaaaaaaa-44ccee48"}
	if diff := cmp.Diff(want, summaries(job.Changes())); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// Each planned change carries its write: a new resource share's name on
// the CreateResourceShare and on the AssociateResourceShare calls that
// add the targets one call cannot take, and the targets of each call.
func TestChangesCarryTheirWrites(t *testing.T) {
	accounts := []string{"2000000000000011", "2000000000000012", "2000000000000013", "2000000000000014", "2000000000000015", "2000000000000016"}
	m := newMem()
	m.addSnapshot("s-snap1", "key-a")
	cfg := config()
	cfg.SnapshotAccounts = 10
	_, job := prepared(t, m, cfg, false, []share.Grant{{Accounts: accounts, Resources: []share.Resource{snapshot("s-snap1")}}}, nil)
	var got []share.Write
	var actions []string
	for _, c := range job.Changes() {
		if c.Write != nil {
			got = append(got, *c.Write)
			actions = append(actions, c.Action)
		}
	}
	want := []share.Write{
		{Targets: accounts[:5], ShareName: "EncryptPerm-s-snap1", External: true},
		{Targets: accounts[5:], ShareName: "EncryptPerm-s-snap1"},
	}
	if diff := cmp.Diff([]string{"CreateResourceShare", "AssociateResourceShare"}, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
