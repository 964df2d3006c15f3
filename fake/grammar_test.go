package fake

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckDocument(t *testing.T) {
	tests := []struct {
		name string
		kind docKind
		give string
		// want is a fragment of the problem reported; empty means valid.
		want string
	}{
		{name: "permission policy", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`},
		{name: "arrays and condition", give: `{"Version":"1","Statement":[{"Effect":"Deny","Action":["kms:Decrypt","kms:Encrypt"],"Resource":["acs:kms:*:*:key/a"],
			"Condition":{"StringEquals":{"acs:SourceVpc":["vpc-1","vpc-2"]},"NumericLessThan":{"x:n":5},"Bool":{"acs:SecureTransport":true}}}]}`},
		{name: "NotAction and NotResource", give: `{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","NotResource":"acs:kms:*:*:key/a"}]}`},
		{name: "keys RAM does not define are kept", give: `{"Version":"1","Id":"x","Statement":[{"Sid":"s1","Effect":"Allow","Action":"kms:*","Resource":"*","Extra":{"a":1}}]}`},
		{name: "trust policy", kind: trustDoc, give: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`},
		{name: "trust policy with RAM, Federated and a condition", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",
			"Principal":{"RAM":"acs:ram::1234567890123456:root","Federated":["acs:ram::1234567890123456:saml-provider/idp"]},
			"Condition":{"StringEquals":{"saml:recipient":"https://signin.aliyun.com/saml-role/sso"}}}]}`},
		{name: "principal keys in any case", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"service":"ecs.aliyuncs.com"}}]}`},
		{name: "trust policy needs no resource", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1:root"]},"Resource":"*"}]}`},

		{name: "not JSON", give: `{"Version":`, want: "not valid JSON"},
		{name: "trailing data", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]} {}`, want: "not valid JSON"},
		{name: "not an object", give: `["Version"]`, want: "must be a JSON object"},
		{name: "no Version", give: `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}`, want: `"Version" is missing`},
		{name: "Version 2", give: `{"Version":"2","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}`, want: `"Version" must be the string "1"`},
		{name: "Version as a number", give: `{"Version":1,"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}`, want: `"Version" must be the string "1"`},
		{name: "no Statement", give: `{"Version":"1"}`, want: `"Statement" is missing`},
		{name: "Statement an object", give: `{"Version":"1","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`, want: `"Statement" must be an array`},
		{name: "Statement empty", give: `{"Version":"1","Statement":[]}`, want: `"Statement" must not be empty`},
		{name: "statement a string", give: `{"Version":"1","Statement":["x"]}`, want: "Statement[0]: a statement must be a JSON object"},
		{name: "no Effect", give: `{"Version":"1","Statement":[{"Action":"a:b","Resource":"*"}]}`, want: `Statement[0]: "Effect" is missing`},
		{name: "bad Effect", give: `{"Version":"1","Statement":[{"Effect":"allow","Action":"a:b","Resource":"*"}]}`, want: `"Effect" must be "Allow" or "Deny"`},
		{name: "no Action", give: `{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`, want: `"Action" or "NotAction" is missing`},
		{name: "Action and NotAction", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d","Resource":"*"}]}`, want: `"Action" and "NotAction" must not both appear`},
		{name: "Action empty array", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, want: `"Action" must not be an empty array`},
		{name: "Action number", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["a:b",3],"Resource":"*"}]}`, want: "Action[1] must be a string"},
		{name: "Action empty string", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"","Resource":"*"}]}`, want: `"Action" must not be empty`},
		{name: "no Resource", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b"}]}`, want: `"Resource" or "NotResource" is missing`},
		{name: "Resource object", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":{}}]}`, want: `"Resource" must be a string or an array of strings`},
		{name: "second statement", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Allow","Action":"a:b"}]}`, want: "Statement[1]:"},
		{name: "trust policy without principal", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}]}`, want: `"Principal" is missing`},
		{name: "principal a string", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":"*"}]}`, want: `"Principal" must be an object`},
		{name: "principal empty", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{}}]}`, want: "at least one principal"},
		{name: "principal unknown type", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"x"}}]}`, want: `Principal key "AWS"`},
		{name: "principal empty list", kind: trustDoc, give: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":[]}}]}`, want: `"Principal.Service" must not be an empty array`},
		{name: "condition not an object", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":[]}]}`, want: `"Condition" must be an object`},
		{name: "condition operator not an object", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":"x"}}]}`, want: "Condition.StringEquals must be an object"},
		{name: "condition value an object", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, want: "Condition.StringEquals.k must be"},
		{name: "condition value empty array", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":[]}}}]}`, want: "Condition.StringEquals.k must be"},
		{name: "condition value null", give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":[null]}}}]}`, want: "Condition.StringEquals.k must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkDocument(tt.give, tt.kind)
			if tt.want == "" && got != "" {
				t.Errorf("checkDocument = %q, want valid", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("checkDocument = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestTrustedPrincipals(t *testing.T) {
	doc := `{"Version":"1","Statement":[
		{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2222@ecs.aliyuncs.com","1111@ecs.aliyuncs.com","1111@ecs.aliyuncs.com"]}},
		{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"ram":"acs:ram::3333:root","Federated":"acs:ram::3333:saml-provider/x"}},
		{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"evil.aliyuncs.com"}}]}`
	want := []TrustedPrincipal{
		{Type: "Federated", Value: "acs:ram::3333:saml-provider/x"},
		{Type: "RAM", Value: "acs:ram::3333:root"},
		{Type: "Service", Value: "1111@ecs.aliyuncs.com"},
		{Type: "Service", Value: "2222@ecs.aliyuncs.com"},
	}
	if diff := cmp.Diff(want, trustedPrincipals(doc)); diff != "" {
		t.Errorf("trustedPrincipals (-want +got):\n%s", diff)
	}
}

func TestCompactDocument(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{give: "{ \"Version\" : \"1\",\n  \"Statement\": [ ] }", want: `{"Version":"1","Statement":[]}`},
		{give: `{"a":"<b> & c"}`, want: `{"a":"<b> & c"}`},
	}
	for _, tt := range tests {
		if got := compactDocument(tt.give); got != tt.want {
			t.Errorf("compactDocument(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
