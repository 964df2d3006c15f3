package encryptperm_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Check never says allowed on a trust policy or key policy it cannot read
// one way for certain: a condition on a value its operator cannot read, or
// a key, action or service that is RAM's only when case is folded beyond
// ASCII. Each row is a document an attacker might plant to let ECS of any
// account in; the outcomes are written out.
func TestCheckRefusesWhatItCannotReadForCertain(t *testing.T) {
	const (
		rdAllowWith = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},`
		allowB      = `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
	)
	notAssumed := chkOutcome{Missing: []string{encryptperm.AssumeRoleAction}, DecryptBy: chkByImage1, Unreadable: 1}
	tests := []struct {
		name   string
		trust  string
		policy string
		want   chkOutcome
	}{
		{"NumericNotEquals on the directory ID",
			rdAllowWith + `"Condition":{"NumericNotEquals":{"sts:ServiceOwnerRDId":"5"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"DateNotEquals on the directory ID",
			rdAllowWith + `"Condition":{"DateNotEquals":{"sts:ServiceOwnerRDId":"2026-01-01T00:00:00Z"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"NotIpAddress on the directory ID",
			rdAllowWith + `"Condition":{"NotIpAddress":{"sts:ServiceOwnerRDId":"10.0.0.0/8"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"NumericNotEqualsIfExists on the directory ID",
			rdAllowWith + `"Condition":{"NumericNotEqualsIfExists":{"sts:ServiceOwnerRDId":"5"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"Conditıon with a dotless i",
			rdAllowWith + `"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"Condİtion with a dotted capital I",
			rdAllowWith + `"Cond\u0130tion":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}],"Version":"1"}`, chkKeyPolicy, notAssumed},
		{"a Deny of every account on ſts:AssumeRole with a long s",
			`{"Statement":[` + allowB + `,{"Action":"\u017Fts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"}}],"Version":"1"}`, chkKeyPolicy,
			chkOutcome{AssumeBy: chkByTrust0, DecryptBy: chkByImage1, Unreadable: 1}},
		{"a Deny of every account of ecs.alİyuncs.com",
			`{"Statement":[` + allowB + `,{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.al\u0130yuncs.com"}}],"Version":"1"}`, chkKeyPolicy,
			chkOutcome{AssumeBy: chkByTrust0, DecryptBy: chkByImage1, Unreadable: 1}},
		{"a Deny of \u212Ams:* with a Kelvin sign in the key policy",
			chkTrustAccounts, `{"Version":"1","Statement":[
				{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
				{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
				 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"},
				{"Action":"\u212Ams:*","Resource":"*","Effect":"Deny"}]}`,
			chkOutcome{AssumeBy: chkByTrust0, DecryptBy: chkByImage1, Unreadable: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chkNewCheckRAM().role(chkImageRole, tt.trust, chkImagePolicy+"="+tt.policy)
			d, err := encryptperm.Check(context.Background(), c, chkWithRD(chkImage(chkB), "rd-other", ""))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, chkOutcomeOf(d)); diff != "" {
				t.Errorf("Check (-want +got):\n%s\n%s", diff, d.Explanation())
			}
		})
	}
}

// Lint reports a statement with a look-alike key as one it cannot read at
// all.
func TestLintReportsLookAlikeKeyAsCritical(t *testing.T) {
	d := fcRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}]}`)
	var got []string
	for _, f := range encryptperm.Lint(d) {
		got = append(got, string(f.Severity)+" "+f.Code+" "+f.Path)
	}
	want := []string{"critical " + encryptperm.FindingUnreadableStatement + " Statement[0]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lint (-want +got):\n%s", diff)
	}
}

// Lint reads names as RAM might fold them: a plain service that is
// ecs.aliyuncs.com only beyond ASCII folding is reported as the plain ECS
// principal it may be, and a Principal key that is Service only so makes
// the principal unreadable.
func TestLintReadsLookAlikesAsRAMMight(t *testing.T) {
	g, err := encryptperm.ShareSnapshot().WithAccounts(chkB).WithKey(chkKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Role.TrustPolicy = fcRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","ecs.al\u0130yuncs.com"]}}]}`)
	var got []string
	for _, f := range g.Lint() {
		if f.Code == encryptperm.FindingPlainECSPrincipal {
			got = append(got, string(f.Severity)+" "+f.Path)
		}
	}
	if diff := cmp.Diff([]string{"error Role.TrustPolicy.Statement[0].Principal.Service"}, got); diff != "" {
		t.Errorf("Grant.Lint plain ECS findings (-want +got):\n%s", diff)
	}

	d := fcRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"\u017Fervice":"*@ecs.aliyuncs.com"}}]}`)
	got = nil
	for _, f := range encryptperm.Lint(d) {
		got = append(got, string(f.Severity)+" "+f.Code+" "+f.Path)
	}
	if diff := cmp.Diff([]string{"warning " + encryptperm.FindingUnreadableStatement + " Statement[0].Principal"}, got); diff != "" {
		t.Errorf("Lint (-want +got):\n%s", diff)
	}
}
