package encryptperm_test

import (
	"context"
	"strings"
	"testing"

	rampolicy "github.com/ecsperm/ecsperm/encryptperm/policy"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

func fcRead(t *testing.T, s string) *rampolicy.Document {
	t.Helper()
	d, err := rampolicy.Read([]byte(s))
	if err != nil {
		t.Fatalf("ReadDocument: %v", err)
	}
	return d
}

// An attachment this library cannot read may hold a Deny: the answer is
// "not allowed", uncertain, with the policy named in the reason.
func TestSimulateUnreadableAttachmentFailsClosed(t *testing.T) {
	trust := fcRead(t, chkTrustAccounts)
	keys := encryptperm.Attachment{Name: chkImagePolicy, Type: encryptperm.Custom, Document: fcRead(t, chkKeyPolicy)}
	tests := []struct {
		name   string
		extra  encryptperm.Attachment
		naming string
	}{
		{"custom attachment without a document", encryptperm.Attachment{Name: "Lost", Type: encryptperm.Custom}, "Custom policy Lost has no document"},
		{"system policy outside the catalog", encryptperm.Attachment{Name: "AliyunSomethingElse", Type: encryptperm.System}, "system policy AliyunSomethingElse is not in the built-in catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := encryptperm.Simulate(trust, []encryptperm.Attachment{keys, tt.extra}, chkImage(chkB))
			if d.Allowed {
				t.Fatalf("Allowed with an unreadable attachment:\n%s", d)
			}
			if d.Missing != nil {
				t.Errorf("Missing = %v, want none: every step is allowed by what can be read", d.Missing)
			}
			if !strings.Contains(d.Reason, tt.naming) {
				t.Errorf("Reason %q does not name %q", d.Reason, tt.naming)
			}
			if diff := cmp.Diff([]string{tt.naming}, d.Unreadable); diff != "" {
				t.Errorf("Unreadable (-want +got):\n%s", diff)
			}
			if !strings.Contains(d.Explanation(), "Answer: not allowed: cannot tell for certain.") {
				t.Errorf("Explanation does not say the answer is uncertain:\n%s", d.Explanation())
			}
		})
	}
}

func TestCheckUnparsableAttachmentFailsClosed(t *testing.T) {
	c := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy, "Broken=this is not JSON")
	d, err := encryptperm.Check(context.Background(), c, chkImage(chkB))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if d.Allowed {
		t.Fatalf("Allowed with an unparsable attachment:\n%s", d)
	}
	if d.Missing != nil {
		t.Errorf("Missing = %v, want none", d.Missing)
	}
	if !strings.Contains(d.Reason, "Custom policy Broken cannot be read") {
		t.Errorf("Reason %q does not name policy Broken", d.Reason)
	}
}

// A Deny whose principal is a wildcard pattern not of the form
// <uid>@<service> may name the recipient's ECS: it may apply.
func TestWildcardServiceDenyMayApply(t *testing.T) {
	allow := `{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
	for _, pattern := range []string{`"*"`, `"*ecs.aliyuncs.com"`, `["ecs.aliyuncs.com","*.aliyuncs.com"]`, `"?*"`} {
		t.Run(pattern, func(t *testing.T) {
			deny := `{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":` + pattern + `}}`
			trust := fcRead(t, `{"Version":"1","Statement":[`+allow+`,`+deny+`]}`)
			req := &rampolicy.Request{
				Action:    encryptperm.AssumeRoleAction,
				Principal: rampolicy.RequestPrincipal{Service: encryptperm.AccountECSPrincipal(chkB)},
				Owner:     chkOwner,
			}
			res := rampolicy.Compile(trust).Eval(req)
			want := rampolicy.EvalResult{Verdict: rampolicy.VerdictAllow, By: rampolicy.Ref{Doc: 0, Statement: 0}, Doubt: rampolicy.Ref{Doc: 0, Statement: 1}}
			if res != want {
				t.Errorf("Eval = %+v, want %+v", res, want)
			}
			d := encryptperm.Simulate(trust, []encryptperm.Attachment{{Name: chkImagePolicy, Type: encryptperm.Custom, Document: fcRead(t, chkKeyPolicy)}}, chkImage(chkB))
			if d.Allowed {
				t.Errorf("Simulate allows despite a Deny that may name the recipient:\n%s", d)
			}
		})
	}
}

// A wildcard pattern that cannot match the whole <uid>@<service> stays a
// certain "does not apply"; so does a qualified pattern for another account.
func TestServiceDenyThatCannotApply(t *testing.T) {
	for _, pattern := range []string{`"*.example.com"`, `"2000000000000002@*"`, `"ecs.aliyuncs.com"`} {
		t.Run(pattern, func(t *testing.T) {
			trust := fcRead(t, `{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":`+pattern+`}}]}`)
			req := &rampolicy.Request{
				Action:    encryptperm.AssumeRoleAction,
				Principal: rampolicy.RequestPrincipal{Service: encryptperm.AccountECSPrincipal(chkB)},
				Owner:     chkOwner,
			}
			if res := rampolicy.Compile(trust).Eval(req); !res.Allowed() {
				t.Errorf("Eval = %+v, want allowed for certain", res)
			}
		})
	}
}

// KMS authorizes ListKeys on the key container and ListAliases on the alias
// container: Check asks only for ListKeys on the key container.
func TestCheckAsksListKeysOnTheKeyContainerOnly(t *testing.T) {
	policy := `{"Version":"1","Statement":[
		{"Effect":"Allow","Action":"kms:ListKeys","Resource":"acs:kms:cn-hangzhou:1111111111111111:key"},
		{"Effect":"Allow","Action":"kms:ListAliases","Resource":"acs:kms:cn-hangzhou:1111111111111111:alias"},
		{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"}]}`
	c := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "Narrow="+policy)
	d, err := encryptperm.Check(context.Background(), c, chkImage(chkB))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !d.Allowed {
		t.Errorf("not allowed:\n%s", d)
	}
	var got []string
	for _, s := range d.Steps {
		got = append(got, s.Action+" "+s.Resource)
	}
	want := []string{
		"sts:AssumeRole acs:ram::1111111111111111:role/AliyunECSShareEncryptImageDefaultRole",
		"kms:DescribeKey acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:TagResource acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:UntagResource acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:Encrypt acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:Decrypt acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:GenerateDataKey acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc",
		"kms:ListKeys acs:kms:cn-hangzhou:1111111111111111:key",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}
