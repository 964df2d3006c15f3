package fleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// memberKeyUse lets a role use the key key-hzzmember0001 of account uid.
func memberKeyUse(uid string) string {
	return `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:DescribeKey","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],` +
		`"Resource":"acs:kms:cn-hangzhou:` + uid + `:key/key-hzzmember0001"}]}`
}

// putKeyRole gives member uid the key key-hzzmember0001 and a role named
// name, with trust policy trust, holding a custom policy that lets it use
// the key.
func putKeyRole(t *testing.T, f *fake.RAM, uid, name, trust string) {
	t.Helper()
	a := f.Account(uid)
	if a == nil {
		t.Fatalf("the fake holds no account %s", uid)
	}
	if err := a.PutKey(fake.Key{Region: "cn-hangzhou", ID: "key-hzzmember0001"}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutRole(fake.Role{Name: name, TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutPolicy(fake.Policy{Name: "KeyUse", Versions: []fake.PolicyVersion{{ID: "v1", Document: memberKeyUse(uid)}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutAttachment(name, "Custom", "KeyUse"); err != nil {
		t.Fatal(err)
	}
}

// sessionAudit audits every key of cn-hangzhou in a member, signed in to
// the fake with the member's session, against zone.
func sessionAudit(f *fake.RAM, zone audit.TrustZone) func(ctx context.Context, m fleet.Member, s *fleet.Session) (*audit.Report, error) {
	return func(ctx context.Context, m fleet.Member, s *fleet.Session) (*audit.Report, error) {
		member, err := memberOf(f, s)
		if err != nil {
			return nil, err
		}
		return audit.New(member, member, &audit.Options{TrustZone: zone}).Region(ctx, "cn-hangzhou")
	}
}

// An audit across the directory reads each member with the member's own
// session: a member whose key a role of another account can use is
// exposed, one whose key only its own ECS can use is contained, one
// without keys is contained, and one whose access role is missing is one
// failed row. Nothing is written.
func TestAuditEveryMember(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	putKeyRole(t, f, memProd, "PartnerBackup", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::9000000000000009:root"]}}]}`)
	putKeyRole(t, f, memWeb, diskRole, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`)
	rec := &recorder{}
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Grants, o.NewApplier = nil, nil
		o.Audit = sessionAudit(f, audit.TrustZone{})
		o.Observer = rec
	}))
	callsBefore := len(f.Calls())

	rep, err := r.Audit(context.Background(), fleet.Scope{All: true})
	if !errors.Is(err, encryptperm.ErrNotFound) {
		t.Fatalf("Audit: %v, want the invited member's EntityNotExist.Role", err)
	}
	want := []string{memProd + " exposed", memWeb + " contained", memTest + " contained", memWeb2 + " contained", memInvite + " failed"}
	if diff := cmp.Diff(want, rec.statuses()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fleet.Totals{Members: 5, Contained: 3, Exposed: 1, Failed: 1}, rep.Totals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{memProd}, rep.Exposed); diff != "" {
		t.Errorf("Exposed (-want +got):\n%s", diff)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Stage != fleet.StageAssume || rep.Failed[0].Audit != nil {
		t.Errorf("failed rows %+v, want the invited member at stage assume, without a report", rep.Failed)
	}
	for _, call := range f.Calls()[callsBefore:] {
		if !isRead(call.Action) {
			t.Errorf("the audit called %s in %q, which is no read", call.Action, call.Account)
		}
	}

	// Each row's report is the member's own: its account, its keys, and
	// for the exposed one the finding that says why.
	keys := map[string][]string{}
	for _, row := range rec.rows {
		if row.Audit == nil {
			continue
		}
		if row.Audit.Account != row.Member.UID {
			t.Errorf("%s: the report audits account %s", row.Member.UID, row.Audit.Account)
		}
		for _, k := range row.Audit.Keys {
			keys[row.Member.UID] = append(keys[row.Member.UID], k.Key)
		}
		if row.Member.UID == memProd && !hasFinding(row.Audit, audit.FindingOutsideTrustZone) {
			t.Errorf("%s: findings %v, want %s", memProd, row.Audit.Findings, audit.FindingOutsideTrustZone)
		}
	}
	wantKeys := map[string][]string{
		memProd: {"acs:kms:cn-hangzhou:" + memProd + ":key/key-hzzmember0001"},
		memWeb:  {"acs:kms:cn-hangzhou:" + memWeb + ":key/key-hzzmember0001"},
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("keys audited per member (-want +got):\n%s", diff)
	}
}

// An audit needs Options.Audit, and says so before any call.
func TestAuditNeedsOptionsAudit(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	r := fleet.New(f, f, inProcess(f, c, nil))
	before := len(f.Calls())
	rep, err := r.Audit(context.Background(), fleet.Scope{All: true})
	if rep != nil || !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("Audit = %v, %v; want no report and ErrInvalid", rep, err)
	}
	if n := len(f.Calls()) - before; n != 0 {
		t.Errorf("%d calls before the refusal", n)
	}
}

// The report a member's audit returns is dropped once the Observer has
// seen its row: the run keeps none of them, so its memory stays bounded by
// the concurrency.
func TestAuditReportsAreNotKept(t *testing.T) {
	c := newClock()
	f := newWorld(t, c, nil)
	putKeyRole(t, f, memProd, "PartnerBackup", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::9000000000000009:root"]}}]}`)
	var seen []*fleet.Row
	obs := observerFunc(func(row *fleet.Row) {
		if row.Audit == nil && row.Status != fleet.StatusFailed {
			t.Errorf("%s: the Observer saw no report", row.Member.UID)
		}
		seen = append(seen, row)
	})
	r := fleet.New(f, f, inProcess(f, c, func(o *fleet.Options) {
		o.Grants, o.NewApplier, o.Concurrency = nil, nil, 1
		o.Audit = sessionAudit(f, audit.TrustZone{})
		o.Observer = obs
	}))
	if _, err := r.Audit(context.Background(), fleet.Scope{Accounts: []string{memProd, memWeb}}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("%d rows seen, want 2", len(seen))
	}
	for _, row := range seen {
		if row.Audit != nil {
			t.Errorf("%s: the row still holds its report after the Observer returned", row.Member.UID)
		}
	}
}

// isRead reports whether action only reads.
func isRead(action string) bool {
	for _, p := range []string{"Get", "List", "Describe", "AssumeRole"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

func hasFinding(rep *audit.Report, code string) bool {
	for _, f := range rep.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// observerFunc is an Observer that calls its function with each row.
type observerFunc func(row *fleet.Row)

func (o observerFunc) StartMember(context.Context, fleet.Member) func(*fleet.Row) {
	return func(row *fleet.Row) { o(row) }
}
