package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/fake"
)

// The account audited is the fake's; its key is in a KMS instance.
const (
	owner     = "1234567890123456"
	memberA   = "2000000000000001"
	memberB   = "2000000000000002"
	foreign   = "9000000000000009"
	rdID      = "rd-3GabcD"
	keyID     = "key-hzzinstance0001"
	keyARN    = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"
	imageRole = "AliyunECSShareEncryptImageDefaultRole"
	// keyUse is what ECS needs on the key, as the builder writes it.
	keyUse = `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},
		{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"}]}`
	listOnly = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"}]}`
)

var (
	key     = encryptperm.Key{Region: "cn-hangzhou", Owner: owner, ID: keyID}
	ecsNeed = append(encryptperm.KeyUseActions(), "kms:ListKeys")
	zone    = audit.TrustZone{Account: owner, RDID: rdID, Members: []audit.Member{
		{UID: memberA, Path: "rd-3GabcD/r-Root01/2000000000000001"},
		{UID: memberB, Path: "rd-3GabcD/r-Root01/fd-Prod01/2000000000000002"},
	}}
)

func trustOf(principal, condition string) string {
	s := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":` + principal
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + `}]}`
}

// role is a role of the account: its trust policy and the custom policies
// (name=document) or system policies (System:name) attached to it.
type role struct {
	name, trust string
	policies    []string
}

// world puts the roles and the key (with keyPolicy, "" for KMS's default)
// into a new fake.
func world(t *testing.T, keyPolicy string, roles ...role) *fake.RAM {
	t.Helper()
	f := fake.New(nil)
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: keyID, Instance: "kst-hzz62ee817bvyyr5x", Policy: keyPolicy}); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if err := f.PutRole(fake.Role{Name: r.name, TrustPolicy: r.trust}); err != nil {
			t.Fatal(err)
		}
		for _, p := range r.policies {
			typ, name, doc := "Custom", "", ""
			if sys, ok := strings.CutPrefix(p, "System:"); ok {
				typ, name = "System", sys
			} else {
				name, doc, _ = strings.Cut(p, "=")
				if err := f.PutPolicy(fake.Policy{Name: name, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc}}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.PutAttachment(r.name, typ, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

func auditor(f *fake.RAM, o audit.Options) *audit.Auditor {
	o.NewClients = func() (audit.RAM, audit.KMS, error) { return f, f, nil }
	return audit.New(f, f, &o)
}

// row is a path written out.
type row struct {
	Principal  string // kind value
	Accounts   string
	Role       string
	Trust      int
	Actions    string
	MayActions string
	By         string
	Certain    bool
	Findings   string
}

func rowsOf(k audit.KeyReport) []row {
	var out []row
	for _, p := range k.Paths {
		r := row{
			Principal: string(p.Principal.Kind) + " " + p.Principal.Value,
			Accounts:  strings.Join(p.Principal.Accounts, ",") + strings.TrimSuffix(" may:"+strings.Join(p.Principal.MayAccounts, ","), " may:"),
			Role:      p.Role, Trust: -1,
			Actions: strings.Join(p.Actions, ","), MayActions: strings.Join(p.MayActions, ","),
			Certain: p.Certain,
		}
		if p.Trust != nil {
			r.Trust = p.Trust.Index
		}
		var by, codes []string
		for _, s := range p.By {
			by = append(by, s.String())
		}
		for _, f := range p.Findings {
			codes = append(codes, f.Code)
		}
		r.By, r.Findings = strings.Join(by, "; "), strings.Join(codes, ",")
		out = append(out, r)
	}
	return out
}

const (
	allActions = "kms:DescribeKey,kms:TagResource,kms:UntagResource,kms:Encrypt,kms:Decrypt,kms:GenerateDataKey,kms:ListKeys"
	byKeyUse   = "policy KeyUse (Custom) Statement[1]; policy KeyUse (Custom) Statement[0]"
)

func TestAuditPaths(t *testing.T) {
	tests := []struct {
		name      string
		keyPolicy string
		roles     []role
		zone      audit.TrustZone
		want      []row
		wantKey   []string // the key's own finding codes; nil: defaultKey
	}{
		{
			name:  "a directory-wide trust",
			roles: []role{{imageRole, trustOf(`{"Service":"*@ecs.aliyuncs.com"}`, `{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}`), []string{"KeyUse=" + keyUse}}},
			zone:  zone,
			want: []row{{Principal: "directory *@ecs.aliyuncs.com", Accounts: memberA + "," + memberB, Role: imageRole, Trust: 0,
				Actions: allActions, By: byKeyUse, Certain: true}},
		},
		{
			name:  "the same directory outside a zone of the account alone",
			roles: []role{{imageRole, trustOf(`{"Service":"*@ecs.aliyuncs.com"}`, `{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}`), []string{"KeyUse=" + keyUse}}},
			zone:  audit.TrustZone{Account: owner},
			want: []row{{Principal: "directory *@ecs.aliyuncs.com", Role: imageRole, Trust: 0,
				Actions: allActions, By: byKeyUse, Certain: true, Findings: audit.FindingOutsideTrustZone}},
		},
		{
			name:  "a folder",
			roles: []role{{imageRole, trustOf(`{"Service":"*@ecs.aliyuncs.com"}`, `{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-Root01/fd-Prod01/*"}}`), []string{"KeyUse=" + keyUse}}},
			zone:  zone,
			want: []row{{Principal: "folder *@ecs.aliyuncs.com", Accounts: memberB, Role: imageRole, Trust: 0,
				Actions: allActions, By: byKeyUse, Certain: true}},
		},
		{
			name:  "named accounts, one outside the zone",
			roles: []role{{imageRole, trustOf(`{"Service":["2000000000000001@ecs.aliyuncs.com","9000000000000009@ecs.aliyuncs.com"]}`, ""), []string{"KeyUse=" + keyUse}}},
			zone:  zone,
			want: []row{
				{Principal: "account 2000000000000001@ecs.aliyuncs.com", Accounts: memberA, Role: imageRole, Trust: 0, Actions: allActions, By: byKeyUse, Certain: true},
				{Principal: "account 9000000000000009@ecs.aliyuncs.com", Accounts: foreign, Role: imageRole, Trust: 0, Actions: allActions, By: byKeyUse, Certain: true,
					Findings: audit.FindingOutsideTrustZone},
			},
		},
		{
			name:  "a foreign account's role assumes a role of the account",
			roles: []role{{"Backup", trustOf(`{"RAM":"acs:ram::9000000000000009:role/Ops"}`, ""), []string{"KeyUse=" + keyUse}}},
			zone:  zone,
			want: []row{{Principal: "ram acs:ram::9000000000000009:role/Ops", Accounts: foreign, Role: "Backup", Trust: 0, Actions: allActions, By: byKeyUse, Certain: true,
				Findings: audit.FindingOutsideTrustZone}},
		},
		{
			name:      "a foreign account's role named by the key policy",
			keyPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::9000000000000009:role/Ops"]},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":["*"]}]}`,
			zone:      zone,
			want: []row{{Principal: "ram acs:ram::9000000000000009:role/Ops", Accounts: "", Trust: -1, MayActions: "kms:Encrypt,kms:Decrypt", By: "key policy of " + keyARN + " Statement[0]",
				Findings: strings.Join([]string{audit.FindingKeyPolicyForeignPrincipal, audit.FindingOutsideTrustZone, audit.FindingCannotJudge}, ",")}},
		},
		{
			name:  "a kms:* system policy",
			roles: []role{{"AliyunECSDiskEncryptDefaultRole", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{"System:AliyunKMSFullAccess"}}},
			zone:  zone,
			want: []row{{Principal: "service ecs.aliyuncs.com", Accounts: owner, Role: "AliyunECSDiskEncryptDefaultRole", Trust: 0, Actions: allActions,
				By: "policy AliyunKMSFullAccess (System) Statement[0]", Certain: true, Findings: audit.FindingOpensEveryKey}},
		},
		{
			name:      "a key policy that alone allows",
			keyPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:role/` + imageRole + `"]},"Action":["kms:*"],"Resource":["*"]}]}`,
			roles:     []role{{imageRole, trustOf(`{"Service":"2000000000000001@ecs.aliyuncs.com"}`, ""), []string{"List=" + listOnly}}},
			zone:      zone,
			want: []row{{Principal: "account 2000000000000001@ecs.aliyuncs.com", Accounts: memberA, Role: imageRole, Trust: 0, Actions: allActions,
				By: "key policy of " + keyARN + " Statement[0]; policy List (Custom) Statement[0]", Certain: true}},
		},
		{
			name: "a key policy Deny blocks what the role's policy allows",
			keyPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]},
				{"Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:role/` + imageRole + `"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`,
			roles: []role{{imageRole, trustOf(`{"Service":"2000000000000001@ecs.aliyuncs.com"}`, ""), []string{"KeyUse=" + keyUse}}},
			zone:  zone,
			want: []row{{Principal: "account 2000000000000001@ecs.aliyuncs.com", Accounts: memberA, Role: imageRole, Trust: 0,
				Actions: "kms:DescribeKey,kms:TagResource,kms:UntagResource,kms:Encrypt,kms:GenerateDataKey,kms:ListKeys", By: byKeyUse, Certain: true}},
			wantKey: []string{audit.FindingKeyPolicyAccountPrincipal},
		},
		{
			name: "an unreadable policy is reported as may",
			roles: []role{{imageRole, trustOf(`{"Service":"2000000000000001@ecs.aliyuncs.com"}`, ""), []string{"KeyUse=" + keyUse,
				`Odd={"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIfExists":{"acs:SourceIp":"10.0.0.1"}}}]}`}}},
			zone: zone,
			want: []row{{Principal: "account 2000000000000001@ecs.aliyuncs.com", Accounts: memberA, Role: imageRole, Trust: 0,
				Actions: "kms:DescribeKey,kms:TagResource,kms:UntagResource,kms:Encrypt,kms:GenerateDataKey,kms:ListKeys", MayActions: "kms:Decrypt",
				By: byKeyUse, Findings: audit.FindingCannotJudge}},
		},
		{
			name: "a pattern no directory bounds, beside a Deny, may let any account in",
			roles: []role{{imageRole, `{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}]}`,
				[]string{"KeyUse=" + keyUse}}},
			zone: zone,
			want: []row{{Principal: "any *@ecs.aliyuncs.com", Accounts: memberA + "," + memberB, Role: imageRole, Trust: 0,
				Actions: allActions, By: byKeyUse, Findings: audit.FindingOutsideTrustZone + "," + audit.FindingCannotJudge}},
		},
		{
			name:  "a role that opens no key gives no path",
			roles: []role{{"Other", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{`Images={"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:DescribeImages","Resource":"*"}]}`}}},
			zone:  zone,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := world(t, tt.keyPolicy, tt.roles...)
			rep, err := auditor(f, audit.Options{TrustZone: tt.zone}).Key(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Keys) != 1 || rep.Keys[0].Key != keyARN {
				t.Fatalf("keys %v, want %s", rep.Keys, keyARN)
			}
			if diff := cmp.Diff(tt.want, rowsOf(rep.Keys[0])); diff != "" {
				t.Errorf("paths (-want +got):\n%s\n%s", diff, rep.Table())
			}
			var codes []string
			for _, f := range rep.Keys[0].Findings {
				codes = append(codes, f.Code)
			}
			wantKey := tt.wantKey
			if tt.keyPolicy == "" {
				// KMS's default key policy names the whole account.
				wantKey = []string{audit.FindingKeyPolicyAccountPrincipal}
			}
			if diff := cmp.Diff(wantKey, codes); diff != "" {
				t.Errorf("the key's findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuditReadsEachPolicyOnce(t *testing.T) {
	shared := "Shared=" + keyUse
	roles := []role{
		{"A", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{shared}},
		{"B", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), nil},
		{"C", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), nil},
	}
	f := world(t, "", roles...)
	for _, r := range []string{"B", "C"} {
		if err := f.PutAttachment(r, "Custom", "Shared"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := auditor(f, audit.Options{TrustZone: zone}).Key(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range f.Calls() {
		got[c.Action]++
	}
	want := map[string]int{"ListRoles": 1, "ListPolicies": 1, "GetRole": 3, "ListPoliciesForRole": 3, "GetPolicyVersion": 1, "DescribeKey": 1, "GetKeyPolicy": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if rep.Calls != 11 {
		t.Errorf("Report.Calls %d, want 11", rep.Calls)
	}
	if len(rep.Keys[0].Paths) != 3 {
		t.Errorf("%d paths, want one per role:\n%s", len(rep.Keys[0].Paths), rep.Table())
	}
}

func TestAuditRegionListsEveryKey(t *testing.T) {
	f := world(t, "", role{"A", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{"KeyUse=" + keyUse}})
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: "key-hzzdefault00001"}); err != nil {
		t.Fatal(err)
	}
	rep, err := auditor(f, audit.Options{TrustZone: zone}).Region(context.Background(), "cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range rep.Keys {
		got = append(got, fmt.Sprintf("%s %d", k.Key, len(k.Paths)))
	}
	want := []string{"acs:kms:cn-hangzhou:1234567890123456:key/key-hzzdefault00001 0", keyARN + " 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys and their paths (-want +got):\n%s", diff)
	}
}

func TestAuditFailsOnAFailedRead(t *testing.T) {
	f := world(t, "", role{"A", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{"KeyUse=" + keyUse}})
	f.AddFault(fake.Rule{Action: "GetRole", Code: "NoPermission"})
	_, err := auditor(f, audit.Options{}).Key(context.Background(), key)
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.Action != "GetRole" || !errors.Is(err, encryptperm.ErrAccessDenied) {
		t.Fatalf("err %v, want an *audit.Error of GetRole that is ErrAccessDenied", err)
	}
}

func TestAuditRetriesThrottling(t *testing.T) {
	f := world(t, "", role{"A", trustOf(`{"Service":"ecs.aliyuncs.com"}`, ""), []string{"KeyUse=" + keyUse}})
	f.AddFault(fake.Rule{Action: "ListRoles", Nth: 1, Code: "Throttling.User"})
	slept := 0
	o := audit.Options{Sleep: func(context.Context, time.Duration) error { slept++; return nil }}
	rep, err := auditor(f, o).Key(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if slept != 1 || len(rep.Keys[0].Paths) != 1 {
		t.Errorf("slept %d times, %d paths; want 1 and 1", slept, len(rep.Keys[0].Paths))
	}
}

func TestAuditRefusesAMalformedKey(t *testing.T) {
	f := fake.New(nil)
	_, err := auditor(f, audit.Options{}).Key(context.Background(), encryptperm.Key{Region: "cn-hangzhou", ID: keyID})
	if !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("err %v, want ErrInvalid", err)
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("%d calls before the refusal", n)
	}
}

func TestAuditOfAKeyKMSDoesNotFind(t *testing.T) {
	f := world(t, "")
	missing := encryptperm.Key{Region: "cn-hangzhou", Owner: owner, ID: "key-hzznothere00001"}
	_, err := auditor(f, audit.Options{}).Key(context.Background(), missing)
	if !errors.Is(err, encryptperm.ErrNotFound) || !strings.Contains(err.Error(), "KMS does not find it") {
		t.Errorf("err %v, want ErrNotFound saying KMS does not find the key", err)
	}
}
