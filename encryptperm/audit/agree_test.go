package audit_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/proptest"
)

// TestMain gives the property test a fixed seed and keeps its fail files
// out of the source tree (see internal/proptest).
func TestMain(m *testing.M) { os.Exit(proptest.Main(m)) }

func TestPropertyTestsAreRepeatable(t *testing.T) {
	if err := proptest.Verify(); err != nil {
		t.Fatal(err)
	}
}

// The accounts of the generated worlds: two members of the directory (one
// in a folder), two accounts outside it, and the owner.
const (
	outsiderA = "3000000000000003"
	outsiderB = "3000000000000004"
)

var universe = []string{memberA, memberB, outsiderA, outsiderB, owner}

// Pieces the generator draws from.
var (
	trustStatements = []string{
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["3000000000000003@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-Other1"}}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-Root01/fd-Prod01/*"}}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}}`,
		`{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000002@ecs.aliyuncs.com"}}`,
		`{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}`,
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::9000000000000009:root"}}`,
	}
	rolePolicies = []string{
		"KeyUse=" + keyUse,
		"List=" + listOnly,
		`NoGenerate={"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},
			{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt"],"Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"}]}`,
		`DenyDecrypt={"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`,
		`Odd={"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEqualsIfExists":{"acs:SourceIp":"10.0.0.1"}}}]}`,
		`Everything={"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`,
		"System:AliyunKMSFullAccess",
		"System:AliyunECSDiskEncryptRolePolicy",
	}
	keyPolicies = []string{
		"", // KMS's default
		`{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole","acs:ram::1234567890123456:role/AliyunECSShareEncryptSnapshotDefaultRole"]},"Action":["kms:*"],"Resource":["*"]}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]},{"Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`,
		`{"Version":"1","Statement":[{"Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:GenerateDataKey"],"Resource":["*"]}]}`,
		`{"Version":"1","version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}]}`,
	}
	shareRoles = map[encryptperm.ResourceType]string{
		encryptperm.ResourceImage:    encryptperm.ShareImageRoleName,
		encryptperm.ResourceSnapshot: encryptperm.ShareSnapshotRoleName,
	}
)

// answer is what the audit says of one recipient through one role.
type answer int

const (
	none answer = iota
	maybe
	certain
)

// classify reads the audit's paths for recipient uid through roleName:
// certain when a certain path lets it in and allows all ECS needs, maybe
// when a path might, none otherwise.
func classify(k audit.KeyReport, roleName, uid string) answer {
	member := slices.ContainsFunc(zone.Members, func(m audit.Member) bool { return m.UID == uid })
	out := none
	for _, p := range k.Paths {
		if !strings.EqualFold(p.Role, roleName) || !p.MayAllow(ecsNeed...) {
			continue
		}
		pr := p.Principal
		inCertain := slices.Contains(pr.Accounts, uid)
		inMay := inCertain || slices.Contains(pr.MayAccounts, uid)
		// A pattern no directory bounds names every account; of the zone's
		// members it names those it lists.
		if pr.Kind == audit.KindAny && !member {
			inCertain, inMay = true, true
		}
		if pr.Kind == audit.KindUnknown {
			inMay = true
		}
		switch {
		case inCertain && p.Allows(ecsNeed...):
			return certain
		case inMay:
			out = maybe
		}
	}
	return out
}

// TestAuditAgreesWithCheck generates accounts (share roles with trust
// policies and policies drawn from the pieces above, a key with one of
// several key policies) and holds the audit to Check: every recipient the
// audit lists for certain as able to use the key through a share role is
// one Check allows, and every recipient it lists not at all is one Check
// does not allow.
func TestAuditAgreesWithCheck(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kp := rapid.SampledFrom(keyPolicies).Draw(t, "keyPolicy")
		f := fake.New(nil)
		if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: keyID, Instance: "kst-hzz62ee817bvyyr5x", Policy: kp}); err != nil {
			t.Fatal(err)
		}
		for _, res := range []encryptperm.ResourceType{encryptperm.ResourceImage, encryptperm.ResourceSnapshot} {
			stmts := rapid.SliceOfNDistinct(rapid.SampledFrom(trustStatements), 0, 3, rapid.ID[string]).Draw(t, string(res)+" trust")
			if len(stmts) == 0 {
				continue // no role
			}
			name := shareRoles[res]
			trust := `{"Version":"1","Statement":[` + strings.Join(stmts, ",") + `]}`
			if err := f.PutRole(fake.Role{Name: name, TrustPolicy: trust}); err != nil {
				t.Fatal(err)
			}
			attach := rapid.SliceOfNDistinct(rapid.SampledFrom(rolePolicies[1:]), 0, 3, rapid.ID[string]).Draw(t, string(res)+" policies")
			if rapid.Bool().Draw(t, string(res)+" key use") {
				// Half the roles hold the grant the builder makes, so
				// that many recipients are allowed.
				attach = append(attach, rolePolicies[0])
			}
			for _, p := range attach {
				typ, pname, doc := "Custom", "", ""
				if sys, ok := strings.CutPrefix(p, "System:"); ok {
					typ, pname = "System", sys
				} else {
					pname, doc, _ = strings.Cut(p, "=")
					if err := f.PutPolicy(fake.Policy{Name: pname, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc}}}); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.PutAttachment(name, typ, pname); err != nil {
					t.Fatal(err)
				}
			}
		}
		rep, err := auditor(f, audit.Options{TrustZone: zone}).Key(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		k := rep.Keys[0]
		for res, roleName := range shareRoles {
			for _, uid := range universe {
				a := encryptperm.Access{Recipient: uid, Resource: res, Key: key}
				for _, m := range zone.Members {
					if m.UID == uid {
						a.RDID, a.RDPath = zone.RDID, m.Path
					}
				}
				d, err := encryptperm.Check(context.Background(), f, a)
				if err != nil {
					t.Fatal(err)
				}
				switch got := classify(k, roleName, uid); {
				case got == certain && !d.Allowed:
					t.Fatalf("the audit lists %s through %s for certain, Check does not allow it:\n%s\n%s", uid, roleName, rep.Table(), d.Explanation())
				case got == none && d.Allowed:
					t.Fatalf("the audit lists no path for %s through %s, Check allows it:\n%s\n%s", uid, roleName, rep.Table(), d.Explanation())
				}
			}
		}
	})
}
