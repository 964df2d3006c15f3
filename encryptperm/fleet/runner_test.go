package fleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Apply brings the disk-encryption role to every member the access role
// reaches, leaves the management account alone, and reports the invited
// member, which has no access role, as one failed row with STS's reason.
func TestApplyBringsTheGrantToEveryMember(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	rec := &recorder{}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec }))

	rep, err := r.Apply(context.Background(), fleet.Scope{All: true})
	if err == nil || !errors.Is(err, encryptperm.ErrNotFound) {
		t.Fatalf("Apply: %v, want the invited member's EntityNotExist.Role", err)
	}
	want := []string{
		memProd + " changed", memWeb + " changed", memTest + " changed", memWeb2 + " changed",
		memInvite + " failed",
	}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, uid := range []string{memProd, memWeb, memTest, memWeb2} {
		if !hasRole(t, f, uid, diskRole) {
			t.Errorf("%s has no %s", uid, diskRole)
		}
	}
	if hasRole(t, f, mgmt, diskRole) {
		t.Errorf("the management account got %s; it is never in a scope", diskRole)
	}
	wantTotals := fleet.Totals{Members: 5, Changed: 4, Failed: 1, Writes: 8}
	if diff := cmp.Diff(wantTotals, rep.Totals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if len(rep.Failed) != 1 {
		t.Fatalf("failed rows: %+v", rep.Failed)
	}
	got := rep.Failed[0]
	if got.Member.UID != memInvite || got.Stage != fleet.StageAssume || got.Code != "EntityNotExist.Role" {
		t.Errorf("failed row: %+v, want %s at stage assume with EntityNotExist.Role", got, memInvite)
	}
	if !rep.Complete || rep.Directory != dirID {
		t.Errorf("report: complete %v, directory %q", rep.Complete, rep.Directory)
	}
	if diff := cmp.Diff(fleet.Scope{Accounts: []string{memInvite}}, rep.Retry()); diff != "" {
		t.Errorf("Retry (-want +got):\n%s", diff)
	}

	// Again: every member already holds the grant.
	rec2 := &recorder{}
	r2 := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec2 }))
	rep, _ = r2.Apply(context.Background(), fleet.Scope{All: true, Exclude: []string{memInvite}})
	want = []string{memProd + " unchanged", memWeb + " unchanged", memTest + " unchanged", memWeb2 + " unchanged"}
	if diff := cmp.Diff(want, rec2.statuses()); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if rep.Totals.Writes != 0 {
		t.Errorf("second run wrote %d times", rep.Totals.Writes)
	}
}

// Each scope selects exactly its members, and never the management account.
func TestScopesSelectTheirMembers(t *testing.T) {
	tests := []struct {
		name string
		give fleet.Scope
		want []string
	}{
		{"all", fleet.Scope{All: true}, []string{memProd, memWeb, memTest, memWeb2, memInvite}},
		{"all but two", fleet.Scope{All: true, Exclude: []string{memInvite, memTest}}, []string{memProd, memWeb, memWeb2}},
		{"a folder and the folders below it", fleet.Scope{Folders: []string{fdProd}}, []string{memProd, memWeb, memWeb2}},
		{"a folder alone", fleet.Scope{Folders: []string{fdProd}, Direct: true}, []string{memProd}},
		{"the root and below", fleet.Scope{Folders: []string{dirRoot}}, []string{memProd, memWeb, memTest, memWeb2, memInvite}},
		{"the root alone", fleet.Scope{Folders: []string{dirRoot}, Direct: true}, []string{memInvite}},
		{"two folders, one below the other", fleet.Scope{Folders: []string{fdWeb, fdProd}}, []string{memProd, memWeb, memWeb2}},
		{"a folder less one", fleet.Scope{Folders: []string{fdWeb}, Exclude: []string{memWeb}}, []string{memWeb2}},
		{"accounts", fleet.Scope{Accounts: []string{memTest, memProd, memTest}}, []string{memProd, memTest}},
		{"accounts and a folder that holds one", fleet.Scope{Accounts: []string{memProd}, Folders: []string{fdProd}}, []string{memProd, memWeb, memWeb2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newWorld(t, c, nil)
			rec := &recorder{}
			r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec }))
			rep, _ := r.Plan(context.Background(), tt.give)
			var got []string
			for _, row := range rec.byUID() {
				got = append(got, row.Member.UID)
			}
			wantSorted := append([]string(nil), tt.want...)
			slicesSort(wantSorted)
			if diff := cmp.Diff(wantSorted, got); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			if !rep.Complete {
				t.Errorf("report not complete")
			}
			if n := len(f.Account(mgmt).Calls()) - countAll(f.Account(mgmt).Calls(), "GetResourceDirectory", "ListAccounts", "ListAccountsForParent", "ListFoldersForParent"); n != 0 {
				t.Errorf("%d calls other than listings in the management account", n)
			}
		})
	}
}

func slicesSort(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func countAll(calls []fake.RecordedCall, actions ...string) int {
	n := 0
	for _, c := range calls {
		for _, a := range actions {
			if c.Action == a {
				n++
			}
		}
	}
	return n
}

// A scope that names nothing or holds a malformed ID is refused before
// any call.
func TestScopeRefusedBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name string
		give fleet.Scope
		path string
	}{
		{"nothing", fleet.Scope{}, "Scope"},
		{"all and folders", fleet.Scope{All: true, Folders: []string{fdProd}}, "Scope.All"},
		{"a wildcard folder", fleet.Scope{Folders: []string{"fd-*"}}, "Scope.Folders[0]"},
		{"a path for a folder", fleet.Scope{Folders: []string{"rd-3GabcD/r-Root01/fd-Prod01"}}, "Scope.Folders[0]"},
		{"a short UID", fleet.Scope{Accounts: []string{"200000000000001"}}, "Scope.Accounts[0]"},
		{"a bad exclusion", fleet.Scope{All: true, Exclude: []string{"x"}}, "Scope.Exclude[0]"},
		{"direct without folders", fleet.Scope{All: true, Direct: true}, "Scope.Direct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newWorld(t, c, nil)
			r := fleet.New(f, f, inProcess(f, c, nil))
			rep, err := r.Apply(context.Background(), tt.give)
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) || !ve.Has(tt.path) || !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("Apply: %v, want a ValidationError at %s", err, tt.path)
			}
			if rep != nil {
				t.Errorf("a report for a refused scope: %+v", rep)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("%d calls before the refusal", n)
			}
		})
	}
}

// A folder or account the directory does not hold, or the management
// account, stops the run before any member is worked on, even when other
// folders of the scope exist and come first.
func TestUnknownScopeStopsBeforeAnyMember(t *testing.T) {
	tests := []struct {
		name string
		give fleet.Scope
		is   error
		say  string
	}{
		{"a folder after one that exists", fleet.Scope{Folders: []string{fdProd, "fd-Gone01"}}, encryptperm.ErrNotFound, "EntityNotExists.Folder"},
		{"an account", fleet.Scope{Accounts: []string{memProd, "2999999999999999"}}, encryptperm.ErrNotFound, "2999999999999999"},
		{"the management account", fleet.Scope{Accounts: []string{memProd, mgmt}}, encryptperm.ErrInvalid, "management account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newWorld(t, c, nil)
			rec := &recorder{}
			r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec }))
			rep, err := r.Apply(context.Background(), tt.give)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("Apply: %v, want %v naming %q", err, tt.is, tt.say)
			}
			if rep.Complete || rep.Totals.Members != 0 || len(rec.rows) != 0 {
				t.Errorf("members worked on: %+v, rows %v", rep.Totals, rec.statuses())
			}
			if n := countCalls(f, "AssumeRole"); len(n) != 0 {
				t.Errorf("AssumeRole calls: %v", n)
			}
		})
	}
}

// A member whose role cannot be assumed is one row with STS's reason; the
// others finish. A second run over the whole scope, once the member is
// fixed, writes only in it; Report.Retry runs it alone.
func TestAssumeFailureIsOneRowAndTheRerunConvergesWhatIsLeft(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	f.AddFault(fake.Rule{Account: memWeb, Action: "AssumeRole", Code: "NoPermission"})
	rec := &recorder{}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec }))
	sc := fleet.Scope{All: true, Exclude: []string{memInvite}}
	rep, err := r.Apply(context.Background(), sc)
	if !errors.Is(err, encryptperm.ErrAccessDenied) || !strings.Contains(err.Error(), "1 of 4 members failed") {
		t.Fatalf("Apply: %v, want 1 of 4 failed with ErrAccessDenied", err)
	}
	want := []string{memProd + " changed", memWeb + " failed", memTest + " changed", memWeb2 + " changed"}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	row := rep.Failed[0]
	if row.Stage != fleet.StageAssume || row.Code != "NoPermission" || !strings.Contains(row.Error, "acs:ram::"+memWeb+":role/ResourceDirectoryAccountAccessRole") {
		t.Errorf("failed row: stage %q code %q error %q", row.Stage, row.Code, row.Error)
	}
	if hasRole(t, f, memWeb, diskRole) {
		t.Errorf("%s got the role although its access role was refused", memWeb)
	}

	f.SetFaults()
	before := writesByAccount(f)
	rec2 := &recorder{}
	r2 := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec2 }))
	rep2, err := r2.Apply(context.Background(), sc)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	want = []string{memProd + " unchanged", memWeb + " changed", memTest + " unchanged", memWeb2 + " unchanged"}
	if diff := cmp.Diff(want, rec2.statuses()); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	after := writesByAccount(f)
	for uid, n := range after {
		if d := n - before[uid]; d != 0 && uid != memWeb {
			t.Errorf("second run wrote %d times in %s", d, uid)
		}
	}
	if after[memWeb] == 0 || rep2.Totals.Writes != after[memWeb]-before[memWeb] {
		t.Errorf("writes in %s: %d, report %d", memWeb, after[memWeb]-before[memWeb], rep2.Totals.Writes)
	}

	// The retry scope reads only the members that failed.
	f.Reset()
	if err := f.PutResourceDirectory(testDirectory()); err != nil {
		t.Fatal(err)
	}
	rec3 := &recorder{}
	r3 := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) { o.Observer = rec3 }))
	if _, err := r3.Apply(context.Background(), rep.Retry()); err != nil {
		t.Fatalf("Apply of the retry scope: %v", err)
	}
	if diff := cmp.Diff([]string{memWeb + " changed"}, rec3.statuses()); diff != "" {
		t.Errorf("retry run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{memWeb: 1}, countCalls(f, "AssumeRole")); diff != "" {
		t.Errorf("AssumeRole calls (-want +got):\n%s", diff)
	}
}

// Throttled AssumeRole and listing calls are retried; the member then
// finishes.
func TestThrottledRunnerCallsAreRetried(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, &fake.Options{Faults: []fake.Rule{
		{Action: "ListAccounts", Nth: 1, Code: "Throttling.User"},
		{Account: memProd, Action: "AssumeRole", Nth: 1, Code: "Throttling.User"},
		{Account: memTest, Action: "AssumeRole", Nth: 1, Code: "ServiceUnavailable"},
	}})
	var waits int
	rec := &recorder{}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Observer = rec
		o.Sleep = func(context.Context, time.Duration) error { waits++; return nil }
		o.Concurrency = 1
	}))
	if _, err := r.Apply(context.Background(), fleet.Scope{All: true, Exclude: []string{memInvite}}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := []string{memProd + " changed", memWeb + " changed", memTest + " changed", memWeb2 + " changed"}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if waits != 3 {
		t.Errorf("%d waits before retries, want 3", waits)
	}
}

// A refusal that is not throttling or a server error is not retried.
func TestRefusedAssumeRoleIsNotRetried(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, &fake.Options{Faults: []fake.Rule{
		{Account: memProd, Action: "AssumeRole", Code: "NoPermission"},
	}})
	r := fleet.New(f, f, inProcess(f, c, nil))
	_, _ = r.Apply(context.Background(), fleet.Scope{Accounts: []string{memProd}})
	if diff := cmp.Diff(map[string]int{memProd: 1}, countCalls(f, "AssumeRole")); diff != "" {
		t.Errorf("AssumeRole calls (-want +got):\n%s", diff)
	}
}
