package encryptperm_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

func TestLint(t *testing.T) {
	const (
		rdCondition = `"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}`
		keyARN      = `"acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"`
	)
	type want struct {
		Code     string
		Severity encryptperm.Severity
		Path     string
	}
	tests := []struct {
		name string
		give string
		want []want
	}{
		{
			name: "wildcard ECS principal without condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.Service"}},
		},
		{
			name: "wildcard principal in a list, in the second statement",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},` +
				`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["2000000000000002@ecs.aliyuncs.com","*@ecs.aliyuncs.com"]}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[1].Principal.Service"}},
		},
		{
			name: "wildcard RAM principal without condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::*:root"}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.RAM"}},
		},
		{
			// RAM's patterns match one character with '?': a principal with
			// one is a wildcard as much as one with '*'.
			name: "single-character wildcard ECS principal without condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"200000000000000?@ecs.aliyuncs.com"}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.Service"}},
		},
		{
			name: "single-character wildcard RAM principal without condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::20000000000000??:root"}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.RAM"}},
		},
		{
			name: "lower-case keys read faithfully are still linted",
			give: `{"version":"1","statement":[{"effect":"Allow","action":"sts:AssumeRole","principal":{"service":"*@ecs.aliyuncs.com"}}]}`,
			want: []want{{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.Service"}},
		},
		{
			name: "wildcard ECS principal with the RD condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},` + rdCondition + `}]}`,
		},
		{
			name: "wildcard principal in a deny",
			give: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`,
		},
		{
			name: "kms:* on one key",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":` + keyARN + `}]}`,
			want: []want{{encryptperm.FindingKMSWildcardAction, encryptperm.SeverityWarning, "Statement[0].Action"}},
		},
		{
			name: "kms:* on every resource",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:List*","KMS:*"],"Resource":"*"}]}`,
			want: []want{
				{encryptperm.FindingKMSWildcardAction, encryptperm.SeverityWarning, "Statement[0].Action"},
				{encryptperm.FindingWildcardKeyResource, encryptperm.SeverityWarning, "Statement[0].Resource"},
			},
		},
		{
			name: "key-use action on Resource *",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}]}`,
			want: []want{{encryptperm.FindingWildcardKeyResource, encryptperm.SeverityWarning, "Statement[0].Resource"}},
		},
		{
			name: "key use by an action pattern on Resource *",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:De*","Resource":"*"}]}`,
			want: []want{{encryptperm.FindingWildcardKeyResource, encryptperm.SeverityWarning, "Statement[0].Resource"}},
		},
		{
			name: "key use by a one-character pattern in another case on Resource *",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"KMS:?ncrypt","Resource":"*"}]}`,
			want: []want{{encryptperm.FindingWildcardKeyResource, encryptperm.SeverityWarning, "Statement[0].Resource"}},
		},
		{
			name: "listing on Resource * is fine",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"*"}]}`,
		},
		{
			name: "unreadable principal",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}`,
			want: []want{{encryptperm.FindingUnreadableStatement, encryptperm.SeverityWarning, "Statement[0].Principal"}},
		},
		{
			name: "unreadable condition does not hide a wildcard principal",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{}}}]}`,
			want: []want{
				{encryptperm.FindingUnreadableStatement, encryptperm.SeverityWarning, "Statement[0].Condition"},
				{encryptperm.FindingUnconditionedWildcardPrincipal, encryptperm.SeverityCritical, "Statement[0].Principal.Service"},
			},
		},
		{
			name: "unknown statement keys are not a problem",
			give: `{"Version":"1","Statement":[{"Sid":"x","Effect":"Allow","Action":"kms:Decrypt","Resource":` + keyARN + `}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []want{}
			for _, f := range encryptperm.Lint(dtRead(t, tt.give)) {
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.Code)
				}
				got = append(got, want{f.Code, f.Severity, f.Path})
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Lint mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLintSeedVectorsAndGrants(t *testing.T) {
	for _, name := range dtSeedVectorNames {
		t.Run(name, func(t *testing.T) {
			if got := encryptperm.Lint(dtParse(t, string(dtSeedVector(t, name)))); len(got) != 0 {
				t.Errorf("Lint(seed vector %s) = %v, want nothing", name, got)
			}
		})
	}
	if got := encryptperm.Lint(nil); got != nil {
		t.Errorf("Lint(nil) = %v, want nil", got)
	}
}

func TestLintEffectAnyCase(t *testing.T) {
	d, err := policy.Read([]byte(`{"Version":"1","Statement":[{"Effect":"allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range encryptperm.Lint(d) {
		got = append(got, f.Code)
	}
	if !slices.Contains(got, encryptperm.FindingUnconditionedWildcardPrincipal) {
		t.Errorf("Lint of a lower-case allow = %v, want %s", got, encryptperm.FindingUnconditionedWildcardPrincipal)
	}
}
