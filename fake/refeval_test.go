package fake

import (
	"fmt"
	"strings"
	"testing"
)

func TestRefEvaluate(t *testing.T) {
	const (
		keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"
		allowA = `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + keyARN + `"}`
		denyA  = `{"Effect":"Deny","Action":"kms:*","Resource":"acs:kms:cn-hangzhou:*"}`
	)
	doc := func(stmts ...string) string {
		out := `{"Version":"1","Statement":[`
		for i, s := range stmts {
			if i > 0 {
				out += ","
			}
			out += s
		}
		return out + `]}`
	}
	decrypt := refRequest{action: "kms:Decrypt", resource: keyARN, owner: "1234567890123456"}
	assume := func(uid string, ctx map[string]string) refRequest {
		return refRequest{action: "sts:AssumeRole", service: uid + "@ecs.aliyuncs.com", owner: "1234567890123456", context: ctx}
	}
	withCtx := func(r refRequest, k, v string) refRequest {
		r.context = map[string]string{k: v}
		return r
	}
	tests := []struct {
		name string
		docs []string
		req  refRequest
		want string // allowed/denied/by/missing keys
	}{
		{name: "allow", docs: []string{doc(allowA)}, req: decrypt, want: "true false p0 statement 0 []"},
		{name: "action without regard to case", docs: []string{doc(`{"Effect":"Allow","Action":"KMS:decrypt","Resource":"` + keyARN + `"}`)}, req: decrypt, want: "true false p0 statement 0 []"},
		{name: "resource case matters", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/KEY-hzz6a2f1b0c3d4e5f"}`)}, req: decrypt, want: "false false  []"},
		{name: "deny after an allow wins", docs: []string{doc(allowA), doc(denyA)}, req: decrypt, want: "false true p1 statement 0 []"},
		{name: "deny in the same document wins", docs: []string{doc(allowA, denyA)}, req: decrypt, want: "false true p0 statement 1 []"},
		{name: "question mark is one character", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decryp?","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5?"}`)}, req: decrypt, want: "true false p0 statement 0 []"},
		{name: "question mark is not two", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decry?","Resource":"*"}`)}, req: decrypt, want: "false false  []"},
		{name: "NotAction", docs: []string{doc(`{"Effect":"Allow","NotAction":"kms:Encrypt","Resource":"*"}`)}, req: decrypt, want: "true false p0 statement 0 []"},
		{name: "NotAction excludes", docs: []string{doc(`{"Effect":"Allow","NotAction":"kms:De*","Resource":"*"}`)}, req: decrypt, want: "false false  []"},
		{name: "unreadable document fails closed", docs: []string{doc(allowA), `{"Statement":`}, req: decrypt, want: "false false p0 statement 0 []"},
		{name: "unknown key in an allow grants nothing", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Odd":1}`)}, req: decrypt, want: "false false  []"},
		{name: "unknown effect fails closed", docs: []string{doc(allowA, `{"Effect":"deny","Action":"kms:Decrypt","Resource":"*"}`)}, req: decrypt, want: "false false p0 statement 0 []"},
		{name: "account principal", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com"]}}`)}, req: assume("2000000000000001", nil), want: "true false p0 statement 0 []"},
		{name: "other account", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`)}, req: assume("2000000000000002", nil), want: "false false  []"},
		{name: "plain service is the owner's own", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}`)}, req: assume("1234567890123456", nil), want: "true false p0 statement 0 []"},
		{name: "plain service is not another account's", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}`)}, req: assume("2000000000000001", nil), want: "false false  []"},
		{name: "no principal in a trust policy", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole"}`)}, req: assume("2000000000000001", nil), want: "false false  []"},
		{name: "principal in a permission policy", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Principal":"*"}`)}, req: decrypt, want: "false false  []"},
		{name: "resource directory condition without the key", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}`)}, req: assume("2000000000000001", nil), want: "false false  [sts:ServiceOwnerRDId]"},
		{name: "resource directory condition met", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["rd-x","rd-3GabcD"]}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:ServiceOwnerRDId": "rd-3GabcD"}), want: "true false p0 statement 0 []"},
		{name: "folder pattern", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-1/fd-a*"}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:serviceownerrdpath": "rd-3GabcD/r-1/fd-a/fd-b"}), want: "true false p0 statement 0 []"},
		{name: "StringNotEquals", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:serviceownerrdid": "rd-3GabcD"}), want: "false false  []"},
		{name: "plain wildcard Service in a Deny may name the caller", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*"}}`)},
			req: assume("2000000000000001", nil), want: "false false p0 statement 0 []"},
		{name: "plain suffix pattern in a Deny may name the caller", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*ecs.aliyuncs.com"}}`)},
			req: assume("2000000000000001", nil), want: "false false p0 statement 0 []"},
		{name: "plain pattern that cannot match the caller is certain", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"rds*"}}`)},
			req: assume("2000000000000001", nil), want: "true false p0 statement 0 []"},
		{name: "keys colliding in case make the statement unreadable", docs: []string{doc(allowA, `{"Effect":"Allow","effect":"Deny","Action":"kms:Decrypt","Resource":"*"}`)}, req: decrypt, want: "false false p0 statement 0 []"},
		{name: "keys repeated exactly make the statement unreadable", docs: []string{doc(allowA, `{"Effect":"Deny","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`)}, req: decrypt, want: "false false p0 statement 0 []"},
		{name: "colliding top-level keys make the document unreadable", docs: []string{`{"Version":"1","Statement":[` + allowA + `],"statement":[` + denyA + `]}`}, req: decrypt, want: "false false  []"},
		{name: "a document past the size bound is not judged", docs: []string{doc(allowA, `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Sid":"`+strings.Repeat("x", refMaxDocument)+`"}`)}, req: decrypt, want: "false false  []"},
		{name: "a key the request lacks is uncertain", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}`)}, req: decrypt, want: "false false  [acs:SourceIp]"},
		{name: "unknown operator is uncertain", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericNotEqualsIfExists":{"k":"5"}}}`)}, req: withCtx(decrypt, "k", "6"), want: "false false  []"},
		{name: "NumericNotEquals on a value that is not a number", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"NumericNotEquals":{"sts:ServiceOwnerRDId":"5"}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:ServiceOwnerRDId": "rd-3GabcD"}), want: "false false  []"},
		{name: "a Deny with NumericNotEquals on a value that is not a number fails closed", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericNotEquals":{"k":"5"}}}`)}, req: withCtx(decrypt, "k", "five"), want: "false false p0 statement 0 []"},
		{name: "NumericNotEquals on a policy value that is not a number", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericNotEquals":{"k":["5","five"]}}}`)}, req: withCtx(decrypt, "k", "6"), want: "false false  []"},
		{name: "NumericNotEquals on another number", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericNotEquals":{"k":5}}}`)}, req: withCtx(decrypt, "k", "6"), want: "true false p0 statement 0 []"},
		{name: "NumericLessThan", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericLessThan":{"k":"5"}}}`)}, req: withCtx(decrypt, "k", "4.5"), want: "true false p0 statement 0 []"},
		{name: "a hex number is not read", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NumericNotEquals":{"k":"5"}}}`)}, req: withCtx(decrypt, "k", "0x6"), want: "false false  []"},
		{name: "DateNotEquals on a value that is not a date", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"DateNotEquals":{"k":"2026-01-01T00:00:00Z"}}}`)}, req: withCtx(decrypt, "k", "rd-3GabcD"), want: "false false  []"},
		{name: "DateGreaterThan", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"DateGreaterThan":{"k":"2026-01-01T00:00:00Z"}}}`)}, req: withCtx(decrypt, "k", "2026-01-01T08:00:01+08:00"), want: "true false p0 statement 0 []"},
		{name: "NotIpAddress on a value that is not an address", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"k":"10.0.0.0/8"}}}`)}, req: withCtx(decrypt, "k", "rd-3GabcD"), want: "false false  []"},
		{name: "NotIpAddress on an address outside", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"k":"10.0.0.0/8"}}}`)}, req: withCtx(decrypt, "k", "192.0.2.1"), want: "true false p0 statement 0 []"},
		{name: "NotIpAddress on an IPv4 address written as IPv6", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"k":"10.0.0.0/8"}}}`)}, req: withCtx(decrypt, "k", "::ffff:10.1.2.3"), want: "false false  []"},
		{name: "IpAddress on an address inside", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"IpAddress":{"k":["192.0.2.0/24","10.0.0.0/8"]}}}`)}, req: withCtx(decrypt, "k", "10.1.2.3"), want: "true false p0 statement 0 []"},
		{name: "Bool", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"k":true}}}`)}, req: withCtx(decrypt, "k", "TRUE"), want: "true false p0 statement 0 []"},
		{name: "Bool on a value that is not a boolean", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"k":false}}}`)}, req: withCtx(decrypt, "k", "no"), want: "false false p0 statement 0 []"},
		{name: "an empty list of values is not read", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"k":[]}}}`)}, req: withCtx(decrypt, "k", "a"), want: "false false p0 statement 0 []"},
		{name: "a principal in a permission policy on a Deny fails closed", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Principal":{"RAM":"acs:ram::2000000000000001:root"}}`)}, req: decrypt, want: "false false p0 statement 0 []"},
		// Look-alikes: what is RAM's only when case is folded as Unicode
		// folds it is maybe.
		{name: "ſtatement beside Statement", docs: []string{`{"Version":"1","Statement":[` + denyA + `],"\u017Ftatement":[` + allowA + `]}`}, req: decrypt, want: "false false  []"},
		{name: "ſtatement alone", docs: []string{`{"Version":"1","\u017Ftatement":[` + allowA + `]}`}, req: decrypt, want: "false false  []"},
		{name: "Conditıon on an Allow", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-x"}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:ServiceOwnerRDId": "rd-3GabcD"}), want: "false false  []"},
		{name: "Kelvin-sign kms:* on a Deny", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"\u212Ams:*","Resource":"*"}`)}, req: decrypt, want: "false false p0 statement 0 []"},
		{name: "Kelvin-sign NotAction on an Allow", docs: []string{doc(`{"Effect":"Allow","NotAction":"\u212Ams:*","Resource":"*"}`)}, req: decrypt, want: "false false  []"},
		{name: "a Kelvin-sign action beside one that matches", docs: []string{doc(`{"Effect":"Allow","Action":["\u212Ams:Encrypt","kms:Decrypt"],"Resource":"*"}`)}, req: decrypt, want: "true false p0 statement 0 []"},
		{name: "alİyuncs.com on a Deny", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`, `{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.al\u0130yuncs.com"}}`)},
			req: assume("2000000000000001", nil), want: "false false p0 statement 0 []"},
		{name: "ſervice on an Allow", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"\u017Fervice":"2000000000000001@ecs.aliyuncs.com"}}`)}, req: assume("2000000000000001", nil), want: "false false  []"},
		{name: "a condition key with a dotted capital I", docs: []string{doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRD\u0130d":"rd-3GabcD"}}}`)},
			req: assume("2000000000000001", map[string]string{"sts:ServiceOwnerRDId": "rd-3GabcD"}), want: "false false  []"},
		{name: "StringEqualsIgnoreCase equal only as Unicode folds", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"k":"rd-\u017Ftuff"}}}`)}, req: withCtx(decrypt, "k", "RD-STUFF"), want: "false false  []"},
		{name: "StringEqualsIgnoreCase by ASCII", docs: []string{doc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"k":"rd-stuff"}}}`)}, req: withCtx(decrypt, "k", "RD-STUFF"), want: "true false p0 statement 0 []"},
		{name: "conditional deny that might apply fails closed", docs: []string{doc(allowA, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":false}}}`)}, req: decrypt, want: "false false p0 statement 0 [acs:MFAPresent]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs []refDoc
			for i, d := range tt.docs {
				docs = append(docs, refDoc{name: fmt.Sprintf("p%d", i), text: d})
			}
			v := refEvaluate(docs, tt.req)
			if got := fmt.Sprintf("%v %v %s %v", v.allowed, v.denied, v.by, v.missingKeys); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRefGlob(t *testing.T) {
	tests := []struct {
		pattern, text string
		fold, want    bool
	}{
		{"*", "", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"ABC", "abc", true, true},
		{"ABC", "abc", false, false},
		{"*@ecs.aliyuncs.com", "2000000000000001@ecs.aliyuncs.com", true, true},
	}
	for _, tt := range tests {
		if got := refGlob(tt.pattern, tt.text, tt.fold); got != tt.want {
			t.Errorf("refGlob(%q, %q, %v) = %v, want %v", tt.pattern, tt.text, tt.fold, got, tt.want)
		}
	}
}
