package fake_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	slKeyPolicy = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b","Effect":"Allow"}]}`
	slAllowB = `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
	slDenyB  = `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
)

var slKey = encryptperm.Key{Region: "cn-hangzhou", Owner: fake.DefaultAccountID, ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}

// slFake holds the image share role with the given trust policy and the
// library's key policy attached.
func slFake(t *testing.T, trust, keyPolicy string) *fake.RAM {
	t.Helper()
	f := fake.New(nil)
	if err := f.PutRole(fake.Role{Name: encryptperm.ShareImageRoleName, TrustPolicy: trust}); err != nil {
		t.Fatalf("PutRole: %v", err)
	}
	if err := f.PutPolicy(fake.Policy{Name: "EncryptPerm-ShareImageKeys", Versions: []fake.PolicyVersion{{ID: "v1", Document: keyPolicy}}}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	if err := f.PutAttachment(encryptperm.ShareImageRoleName, "Custom", "EncryptPerm-ShareImageKeys"); err != nil {
		t.Fatalf("PutAttachment: %v", err)
	}
	return f
}

// A document with Statement and a look-alike of it ("ſtatement", long s)
// was read one way or the other as Go's map order fell, so ECS was let in
// on about one call in two. It is unreadable: ECS is never let in.
func TestSimulateECSLookAlikeStatementKeyIsNeverAllowed(t *testing.T) {
	trust := `{"Version":"1","Statement":[` + slDenyB + `],"` + "\u017F" + `tatement":[` + slAllowB + `]}`
	f := slFake(t, trust, slKeyPolicy)
	allowed := 0
	for range 300 {
		if f.SimulateECS(encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceImage, Key: slKey}).Allowed {
			allowed++
		}
	}
	if allowed != 0 {
		t.Errorf("allowed in %d of 300 decisions, want 0", allowed)
	}
}

// The fake's evaluator reads look-alike keys, actions and services, and
// condition values that their operator cannot read, as the library does:
// they never let ECS in. The outcome is written out per document.
func TestSimulateECSLookAlikesAndUnreadableValues(t *testing.T) {
	rdAllow := func(condition string) string {
		return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},` + condition + `}]}`
	}
	trustWith := func(stmts ...string) string {
		return `{"Version":"1","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	type outcome struct {
		Allowed bool
		Missing []string
	}
	refused := outcome{Missing: []string{"sts:AssumeRole"}}
	tests := []struct {
		name      string
		trust     string
		keyPolicy string
		want      outcome
	}{
		{"the RD condition as written", rdAllow(`"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}`), slKeyPolicy, outcome{Allowed: true}},
		{"Conditıon with a dotless i", rdAllow(`"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-other"}}`), slKeyPolicy, refused},
		{"Condİtion with a dotted capital I", rdAllow(`"Cond\u0130tion":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-other"}}`), slKeyPolicy, refused},
		{"a condition key with a dotted capital I", rdAllow(`"Condition":{"StringEquals":{"sts:ServiceOwnerRD\u0130d":"rd-3GabcD"}}`), slKeyPolicy, refused},
		{"NumericNotEquals on the directory ID", rdAllow(`"Condition":{"NumericNotEquals":{"sts:ServiceOwnerRDId":"5"}}`), slKeyPolicy, refused},
		{"DateNotEquals on the directory ID", rdAllow(`"Condition":{"DateNotEquals":{"sts:ServiceOwnerRDId":"2026-01-01T00:00:00Z"}}`), slKeyPolicy, refused},
		{"NotIpAddress on the directory ID", rdAllow(`"Condition":{"NotIpAddress":{"sts:ServiceOwnerRDId":"10.0.0.0/8"}}`), slKeyPolicy, refused},
		{"a Deny of ſts:AssumeRole with a long s", trustWith(slAllowB, `{"Action":"\u017Fts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"}}`), slKeyPolicy, outcome{}},
		{"a Deny of every account of ecs.alİyuncs.com", trustWith(slAllowB, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.al\u0130yuncs.com"}}`), slKeyPolicy, outcome{}},
		{"an Allow for B at ecs.alİyuncs.com", trustWith(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.al\u0130yuncs.com"}}`), slKeyPolicy, refused},
		{"a Deny of \u212Ams:* with a Kelvin sign", trustWith(slAllowB), `{"Version":"1","Statement":[
			{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key","Effect":"Allow"},
			{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
			 "Resource":"acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b","Effect":"Allow"},
			{"Action":"\u212Ams:*","Resource":"*","Effect":"Deny"}]}`, outcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := slFake(t, tt.trust, tt.keyPolicy)
			d := f.SimulateECS(encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceImage, Key: slKey, RDID: "rd-3GabcD"})
			if diff := cmp.Diff(tt.want, outcome{Allowed: d.Allowed, Missing: d.Missing}); diff != "" {
				t.Errorf("SimulateECS (-want +got):\n%s\n%s", diff, d.Explanation())
			}
		})
	}
}
