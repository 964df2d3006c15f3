package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The tables below are written by hand from RAM's rules (RAM-FACTS §4) and the
// ECS page; no builder produced any of their documents.

const (
	evOwner  = "1111111111111111"
	evB      = "2000000000000001"
	evC      = "2000000000000002"
	evKeyARN = "acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"
)

func evRead(t testing.TB, s string) *Document {
	t.Helper()
	d, err := Read([]byte(s))
	if err != nil {
		t.Fatalf("Read(%s): %v", s, err)
	}
	return d
}

func evRef(d, s int) Ref { return Ref{Doc: d, Statement: s} }

var evNone = Ref{Doc: -1, Statement: -1}

func evAllow(d, s int) EvalResult {
	return EvalResult{Verdict: VerdictAllow, By: evRef(d, s), Doubt: evNone}
}

func evDeny(d, s int) EvalResult {
	return EvalResult{Verdict: VerdictExplicitDeny, By: evRef(d, s), Doubt: evNone}
}

func evImplicit() EvalResult {
	return EvalResult{Verdict: VerdictImplicitDeny, By: evNone, Doubt: evNone}
}

func evImplicitDoubt(d, s int) EvalResult {
	return EvalResult{Verdict: VerdictImplicitDeny, By: evNone, Doubt: evRef(d, s)}
}

func evECS(uid string) RequestPrincipal { return RequestPrincipal{Service: uid + "@ecs.aliyuncs.com"} }

func evKMS(action, resource string) Request {
	return Request{Action: action, Resource: resource, Owner: evOwner}
}

func evAssume(p RequestPrincipal, ctx ...ContextValue) Request {
	return Request{Action: "sts:AssumeRole", Principal: p, Owner: evOwner, Context: ctx}
}

func evWithCtx(r Request, ctx ...ContextValue) Request {
	r.Context = ctx
	return r
}

func evKV(k, v string) ContextValue { return ContextValue{Key: k, Value: v} }

func TestEval(t *testing.T) {
	const seedKeyPolicy = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`
	const rdTrust = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",
		"Principal":{"Service":"*@ecs.aliyuncs.com"},
		"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}]}`
	const folderTrust = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",
		"Principal":{"Service":"*@ecs.aliyuncs.com"},
		"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-abc*"}}}]}`
	const cond = `{"Version":"1","Statement":[{"Action":"kms:Decrypt","Resource":"*","Effect":"Allow","Condition":%s}]}`

	tests := []struct {
		name string
		give []string
		req  Request
		want EvalResult
	}{
		// Allow, Deny, evImplicit deny.
		{"seed policy allows Decrypt on the key", []string{seedKeyPolicy}, evKMS("kms:Decrypt", evKeyARN), evAllow(0, 1)},
		{"seed policy allows ListKeys on the container", []string{seedKeyPolicy}, evKMS("kms:ListKeys", "acs:kms:cn-hangzhou:1111111111111111:key"), evAllow(0, 0)},
		{"List* is not granted on the key itself", []string{seedKeyPolicy}, evKMS("kms:ListKeys", evKeyARN), evImplicit()},
		{"no statement allows ScheduleKeyDeletion", []string{seedKeyPolicy}, evKMS("kms:ScheduleKeyDeletion", evKeyARN), evImplicit()},
		{"another key is not covered", []string{seedKeyPolicy}, evKMS("kms:Decrypt", "acs:kms:cn-hangzhou:1111111111111111:key/key-other"), evImplicit()},
		{"another region is not covered", []string{seedKeyPolicy}, evKMS("kms:Decrypt", "acs:kms:cn-shanghai:1111111111111111:key/key-hzabc"), evImplicit()},
		{"explicit deny wins over an earlier allow",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evDeny(0, 1)},
		{"explicit deny in a later document wins",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"acs:kms:*:*:key/key-hz*"}]}`},
			evKMS("kms:Encrypt", evKeyARN), evDeny(1, 0)},
		{"a deny on another action leaves the allow",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`},
			evKMS("kms:Encrypt", evKeyARN), evAllow(0, 1)},
		{"a nil document holds no statement",
			nil, evKMS("kms:Decrypt", evKeyARN), evImplicit()},

		// Wildcards and case.
		{"action names ignore case",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"KMS:decrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"resources are case-sensitive",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/KEY-HZABC"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicit()},
		{"* matches the empty run",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"? matches one character",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:?ecrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"? does not match the empty run",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt?","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicit()},
		{"* in the middle of a resource",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:*:1111111111111111:key/*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"the disk-encrypt system policy pattern acs:kms:*:*:*/* covers any key",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":"acs:kms:*:*:*/*"}]}`},
			evKMS("kms:GenerateDataKey", evKeyARN), evAllow(0, 0)},

		// NotAction and NotResource.
		{"NotAction allows every other action",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"NotAction does not allow the action it names",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"kms:Schedule*","Resource":"*"}]}`},
			evKMS("kms:ScheduleKeyDeletion", evKeyARN), evImplicit()},
		{"NotResource allows every other resource",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"acs:kms:*:*:key/secret-*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"NotResource excludes what it names",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"acs:kms:*:*:key/key-hz*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicit()},
		{"Deny with NotResource denies everything else",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","NotResource":"acs:kms:cn-shanghai:*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evDeny(1, 0)},

		// Trust: principals.
		{"trust ignores Resource: the seed's account statement lets B in",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000009@ecs.aliyuncs.com"]}}]}`},
			evAssume(evECS(evB)), evAllow(0, 0)},
		{"an account not named stays out",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`},
			evAssume(evECS(evC)), evImplicit()},
		{"plain evECS.aliyuncs.com does not let another account in",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`},
			evAssume(evECS(evB)), evImplicit()},
		{"plain evECS.aliyuncs.com lets the role's own account in",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`},
			evAssume(evECS(evOwner)), evAllow(0, 0)},
		{"plain evECS.aliyuncs.com with no owner known lets nobody in",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}]}`},
			Request{Action: "sts:AssumeRole", Principal: evECS(evOwner)}, evImplicit()},
		{"service principals ignore case",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ECS.Aliyuncs.com"}}]}`},
			evAssume(evECS(evB)), evAllow(0, 0)},
		{"another service is not ECS",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ots.aliyuncs.com"}}]}`},
			evAssume(evECS(evB)), evImplicit()},
		{"a RAM principal does not match a service",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":"acs:ram::2000000000000001:root"}}]}`},
			evAssume(evECS(evB)), evImplicit()},
		{"a RAM principal matches its own account root",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":"acs:ram::2000000000000001:root"}}]}`},
			evAssume(RequestPrincipal{RAM: "acs:ram::2000000000000001:root"}), evAllow(0, 0)},
		{"an unconditioned *@ecs.aliyuncs.com lets anyone's ECS in",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`},
			evAssume(evECS(evC)), evAllow(0, 0)},
		{"a trust statement for another action does not apply",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRoleWithSAML","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`},
			evAssume(evECS(evB)), evImplicit()},
		{"a principal kind this library does not read leaves a doubt",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000009@ecs.aliyuncs.com","Other":"x"}}]}`},
			evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"a trust statement without a principal cannot be judged",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}]}`},
			evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"an identity statement naming a principal cannot be judged",
			[]string{`{"Version":"1","Statement":[{"Action":"kms:Decrypt","Resource":"*","Effect":"Allow","Principal":{"RAM":"*"}}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},

		// Trust: resource directory conditions (seed scenarios 2 and 3).
		{"RD: the directory's account is let in", []string{rdTrust}, evAssume(evECS(evB), evKV(condRDID, "rd-abc")), evAllow(0, 0)},
		{"RD: another directory stays out", []string{rdTrust}, evAssume(evECS(evB), evKV(condRDID, "rd-xyz")), evImplicit()},
		{"RD: condition keys ignore case", []string{rdTrust}, evAssume(evECS(evB), evKV("STS:serviceownerrdid", "rd-abc")), evAllow(0, 0)},
		{"RD: StringEquals values are case-sensitive", []string{rdTrust}, evAssume(evECS(evB), evKV(condRDID, "RD-ABC")), evImplicit()},
		{"RD: without the directory ID the answer is in doubt", []string{rdTrust}, evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"folder: the folder itself", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root/fd-abc")), evAllow(0, 0)},
		{"folder: a folder below", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root/fd-abc/fd-kid")), evAllow(0, 0)},
		{"folder: a sibling sharing the prefix is let in too", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root/fd-abcd")), evAllow(0, 0)},
		{"folder: another folder stays out", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root/fd-xyz")), evImplicit()},
		{"folder: the parent stays out", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root")), evImplicit()},
		{"folder: the RD ID alone does not answer a path condition", []string{folderTrust}, evAssume(evECS(evB), evKV(condRDID, "rd-abc")), evImplicitDoubt(0, 0)},

		// Conditions: OR across values, AND across keys and operators.
		{"several values of one key: any may match",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["rd-one","rd-abc"]}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-abc")), evAllow(0, 0)},
		{"several keys: all must match",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc","acs:SourceVpc":"vpc-1"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-abc"), evKV("acs:SourceVpc", "vpc-2")), evImplicit()},
		{"several operators: all must match",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"},"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-a*"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-abc"), evKV(condRDPath, "rd-abc/r-root/fd-b")), evImplicit()},
		{"several operators: all match",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"},"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-a*"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-abc"), evKV(condRDPath, "rd-abc/r-root/fd-a")), evAllow(0, 0)},
		{"a false condition on a present key decides even when another key is missing",
			[]string{`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc","acs:SourceVpc":"vpc-1"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-xyz")), evImplicit()},
		{"StringNotEquals holds when no value equals",
			[]string{fmt.Sprintf(cond, `{"StringNotEquals":{"k":["a","b"]}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "c")), evAllow(0, 0)},
		{"StringNotEquals fails when a value equals",
			[]string{fmt.Sprintf(cond, `{"StringNotEquals":{"k":["a","b"]}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "b")), evImplicit()},
		{"StringEqualsIgnoreCase",
			[]string{fmt.Sprintf(cond, `{"StringEqualsIgnoreCase":{"k":"Rd-AbC"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "rd-abc")), evAllow(0, 0)},
		{"StringNotEqualsIgnoreCase",
			[]string{fmt.Sprintf(cond, `{"StringNotEqualsIgnoreCase":{"k":"Rd-AbC"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "rd-abc")), evImplicit()},
		{"StringLike is case-sensitive",
			[]string{fmt.Sprintf(cond, `{"StringLike":{"k":"rd-*"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "RD-1")), evImplicit()},
		{"StringNotLike",
			[]string{fmt.Sprintf(cond, `{"StringNotLike":{"k":"rd-*"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "fd-1")), evAllow(0, 0)},
		{"NumericLessThan holds",
			[]string{fmt.Sprintf(cond, `{"NumericLessThan":{"k":10}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "9.5")), evAllow(0, 0)},
		{"NumericLessThan fails at equality",
			[]string{fmt.Sprintf(cond, `{"NumericLessThan":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "10")), evImplicit()},
		{"NumericLessThanEquals holds at equality",
			[]string{fmt.Sprintf(cond, `{"NumericLessThanEquals":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "10")), evAllow(0, 0)},
		{"NumericGreaterThan",
			[]string{fmt.Sprintf(cond, `{"NumericGreaterThan":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "11")), evAllow(0, 0)},
		{"NumericGreaterThanEquals fails below",
			[]string{fmt.Sprintf(cond, `{"NumericGreaterThanEquals":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "9")), evImplicit()},
		{"NumericEquals compares numbers, not text",
			[]string{fmt.Sprintf(cond, `{"NumericEquals":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "10.0")), evAllow(0, 0)},
		{"NumericNotEquals",
			[]string{fmt.Sprintf(cond, `{"NumericNotEquals":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "10")), evImplicit()},
		{"a request value that is not a number cannot be judged",
			[]string{fmt.Sprintf(cond, `{"NumericEquals":{"k":"10"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "ten")), evImplicitDoubt(0, 0)},
		{"a policy value that is not a number cannot be judged",
			[]string{fmt.Sprintf(cond, `{"NumericEquals":{"k":"ten"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "10")), evImplicitDoubt(0, 0)},
		{"DateLessThan",
			[]string{fmt.Sprintf(cond, `{"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:CurrentTime", "2026-11-28T08:00:00+08:00")), evAllow(0, 0)},
		{"DateGreaterThan",
			[]string{fmt.Sprintf(cond, `{"DateGreaterThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:CurrentTime", "2026-11-28T08:00:00+08:00")), evImplicit()},
		{"DateEquals compares instants across zones",
			[]string{fmt.Sprintf(cond, `{"DateEquals":{"acs:CurrentTime":"2026-11-28T00:00:00Z"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:CurrentTime", "2026-11-28T08:00:00+08:00")), evAllow(0, 0)},
		{"DateNotEquals",
			[]string{fmt.Sprintf(cond, `{"DateNotEquals":{"acs:CurrentTime":"2026-11-28T00:00:00Z"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:CurrentTime", "2026-11-28T00:00:01Z")), evAllow(0, 0)},
		{"Bool ignores case",
			[]string{fmt.Sprintf(cond, `{"Bool":{"acs:SecureTransport":true}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SecureTransport", "TRUE")), evAllow(0, 0)},
		{"Bool false does not match true",
			[]string{fmt.Sprintf(cond, `{"Bool":{"acs:SecureTransport":"true"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SecureTransport", "false")), evImplicit()},
		{"IpAddress in the block",
			[]string{fmt.Sprintf(cond, `{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SourceIp", "10.1.2.3")), evAllow(0, 0)},
		{"IpAddress outside the blocks",
			[]string{fmt.Sprintf(cond, `{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SourceIp", "172.16.0.1")), evImplicit()},
		{"IpAddress with one address",
			[]string{fmt.Sprintf(cond, `{"IpAddress":{"acs:SourceIp":"203.0.113.7"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SourceIp", "203.0.113.7")), evAllow(0, 0)},
		{"NotIpAddress",
			[]string{fmt.Sprintf(cond, `{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`)},
			evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("acs:SourceIp", "10.9.9.9")), evImplicit()},
		{"an unknown operator cannot be judged",
			[]string{fmt.Sprintf(cond, `{"StringEqualsIfExists":{"k":"a"}}`)}, evWithCtx(evKMS("kms:Decrypt", evKeyARN), evKV("k", "a")), evImplicitDoubt(0, 0)},

		// Missing keys on a Deny.
		{"a Deny whose key is missing does not apply, but the allow is in doubt",
			[]string{`{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-blocked"}}}]}`},
			evAssume(evECS(evB)), EvalResult{Verdict: VerdictAllow, By: evRef(0, 0), Doubt: evRef(0, 1)}},
		{"a Deny whose present key differs does not apply, for certain",
			[]string{`{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-blocked"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-abc")), evAllow(0, 0)},
		{"a Deny whose key matches applies",
			[]string{`{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-blocked"}}}]}`},
			evAssume(evECS(evB), evKV(condRDID, "rd-blocked")), evDeny(0, 1)},

		// Statements that cannot be read.
		{"an unreadable Allow grants nothing",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},
		{"an unreadable Deny that might apply puts the allow in doubt",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":"bad"}]}`},
			evKMS("kms:Decrypt", evKeyARN), EvalResult{Verdict: VerdictAllow, By: evRef(0, 1), Doubt: evRef(1, 0)}},
		{"an unreadable Deny that cannot apply leaves the allow certain",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:*","Resource":"*","Condition":"bad"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 1)},
		{"an unreadable Deny in a trust policy",
			[]string{`{"Version":"1","Statement":[
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Effect":"Deny","Action":"sts:AssumeRole","Principal":"*"}]}`},
			evAssume(evECS(evB)), EvalResult{Verdict: VerdictAllow, By: evRef(0, 0), Doubt: evRef(0, 1)}},
		{"an effect that cannot be read might deny",
			[]string{seedKeyPolicy, `{"Version":"1","Statement":[{"Effect":"deny","Action":"kms:Decrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), EvalResult{Verdict: VerdictAllow, By: evRef(0, 1), Doubt: evRef(1, 0)}},
		{"an effect that cannot be read might allow",
			[]string{`{"Version":"1","Statement":[{"Effect":["Allow"],"Action":"kms:Decrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},
		{"Action and NotAction together cannot be judged",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","NotAction":"kms:Encrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},
		{"a policy statement without Resource cannot be judged",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},
		{"a statement without Action cannot be judged",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 0)},
		{"a Sid this library does not model changes nothing",
			[]string{`{"Version":"1","Statement":[{"Sid":"x","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evAllow(0, 0)},
		{"the first doubt is named",
			[]string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},{"Effect":"Allow","Action":5,"Resource":"*"},{"Effect":"Allow","Action":"kms:Decrypt"}]}`},
			evKMS("kms:Decrypt", evKeyARN), evImplicitDoubt(0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := make([]*Document, len(tt.give))
			for i, s := range tt.give {
				docs[i] = evRead(t, s)
			}
			if tt.give == nil {
				docs = []*Document{nil}
			}
			got := Compile(docs...).Eval(&tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
			if want := refEval(docs, &tt.req); want != got {
				t.Errorf("reference evaluator says %+v, compiled says %+v", want, got)
			}
		})
	}
}

func TestWildMatch(t *testing.T) {
	tests := []struct {
		pattern, text string
		fold          bool
		want          bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"?", "", false, false},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{"kms:list*", "KMS:ListKeys", true, true},
		{"kms:list*", "KMS:ListKeys", false, false},
		{"É", "é", true, false},
		{"a?c", "a\xffc", false, true},
		{"\xe2", "€", false, false},
		{"*\xac", "€", false, false},
		{"fd-abc*", "fd-abcd", false, true},
	}
	for _, tt := range tests {
		if got := wildMatch(evLowerIf(tt.pattern, tt.fold), tt.text, tt.fold); got != tt.want {
			t.Errorf("wildMatch(%q, %q, %v) = %v, want %v", tt.pattern, tt.text, tt.fold, got, tt.want)
		}
		if got := refGlob(tt.pattern, tt.text, tt.fold); got != tt.want {
			t.Errorf("refGlob(%q, %q, %v) = %v, want %v", tt.pattern, tt.text, tt.fold, got, tt.want)
		}
	}
}

func evLowerIf(s string, fold bool) string {
	if fold {
		return lowerASCII(s)
	}
	return s
}

func TestExplain(t *testing.T) {
	trust := evRead(t, `{"Version":"1","Statement":[
		{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}},
		{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}},
		{"Action":"sts:AssumeRole","Effect":"Deny","Principal":"*"}]}`)
	req := evAssume(evECS(evB))
	got := Compile(trust).Explain(&req)
	type brief struct {
		Applies    Match
		Effect     Effect
		Missing    []string
		Unreadable bool
		Lines      int
	}
	var gotBrief []brief
	for _, o := range got {
		gotBrief = append(gotBrief, brief{o.Applies, o.Effect, o.MissingKeys, o.Unreadable, len(o.Why)})
	}
	want := []brief{
		{MatchNo, Allow, nil, false, 1},
		{MatchUnknown, Allow, []string{condRDID}, false, 1},
		{MatchUnknown, Deny, nil, true, 1},
	}
	if diff := cmp.Diff(want, gotBrief); diff != "" {
		t.Errorf("Explain (-want +got):\n%s", diff)
	}
	if len(got) == 0 || len(got[0].Why) == 0 {
		t.Fatalf("Explain gave no reason for statement 0: %+v", got)
	}
	if w := got[0].Why[0]; !strings.Contains(w, "names the service of the role's own account only") {
		t.Errorf("Explain of plain evECS.aliyuncs.com = %q, want the own-account hint", w)
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	trust := Compile(evRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-abc*"},"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`))
	req := evAssume(evECS(evB), evKV(condRDPath, "rd-abc/r-root/fd-abc/fd-1"), evKV("acs:SourceIp", "10.1.1.1"), evKV("acs:CurrentTime", "2026-01-01T00:00:00Z"))
	allocs := testing.AllocsPerRun(100, func() {
		if !trust.Eval(&req).Allowed() {
			t.Fatal("not allowed")
		}
	})
	if allocs != 0 {
		t.Errorf("Eval allocated %v times per run, want 0", allocs)
	}
}

func TestPolicySetStatement(t *testing.T) {
	d := evRead(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	ps := Compile(nil, d)
	if got := ps.Statement(evRef(1, 0)); got == nil || got.Effect != Allow {
		t.Errorf("Statement(1,0) = %+v, want the Allow", got)
	}
	for _, r := range []Ref{evNone, evRef(0, 0), evRef(1, 1), evRef(2, 0)} {
		if got := ps.Statement(r); got != nil {
			t.Errorf("Statement(%+v) = %+v, want nil", r, got)
		}
	}
	d.Statement[0].Effect = Deny
	if got := ps.Eval(&Request{Action: "kms:Decrypt", Resource: evKeyARN}); got.Verdict != VerdictAllow {
		t.Errorf("after the source changed, Eval = %+v, want allow: Compile must copy", got)
	}
}

// Explain says why for each kind of doubt and failure, and says nothing
// of a condition that holds.
func TestExplainSaysWhy(t *testing.T) {
	type outcome struct {
		Applies    Match
		Unreadable bool
		Why        []string
	}
	const fold = "only when case is folded beyond ASCII, which RAM does not document"
	rdCond := func(op, v string) string {
		return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},` +
			`"Condition":{"` + op + `":{"sts:ServiceOwnerRDId":"` + v + `"}}}]}`
	}
	trustOf := func(principal string) string {
		return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":` + principal + `}]}`
	}
	tests := []struct {
		name string
		doc  string
		req  Request
		want outcome
	}{
		{"an Effect that cannot be read", `{"Version":"1","Statement":[{"Effect":"Permit","Action":"kms:Decrypt","Resource":"*"}]}`,
			evKMS("kms:Decrypt", evKeyARN),
			outcome{MatchYes, true, []string{`Effect: "Permit" cannot be read; it might be a Deny`}}},
		{"an opaque statement says so, not that its Effect cannot be read",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condit\u0131on":{"StringEquals":{"a":"b"}}}]}`,
			evKMS("kms:Decrypt", evKeyARN),
			outcome{MatchUnknown, true, []string{"the statement has two keys that differ only in case, or a key that is one of a statement's only when case is folded beyond ASCII, so RAM might read it either way: it may allow or deny anything"}}},
		{"a Service that names the caller only folded", trustOf(`{"Service":"` + evB + `@ecs.aliyunc\u017f.com"}`),
			evAssume(evECS(evB)),
			outcome{MatchUnknown, true, []string{"Principal: a value names the caller " + fold}}},
		{"a plain Service that names the role's own account's service only folded", trustOf(`{"Service":"ecs.aliyunc\u017f.com"}`),
			evAssume(evECS(evOwner)),
			outcome{MatchUnknown, true, []string{"Principal: a value names the caller " + fold}}},
		{"a RAM principal that names the caller only folded", trustOf(`{"RAM":"acs:ram::` + evB + `:role/\u212Aeeper"}`),
			evAssume(RequestPrincipal{RAM: "acs:ram::" + evB + ":role/keeper"}),
			outcome{MatchUnknown, true, []string{"Principal: a value names the caller " + fold}}},
		{"a Federated principal that names the caller only folded", trustOf(`{"Federated":"acs:ram::` + evB + `:saml-provider/\u212Aeeper"}`),
			evAssume(RequestPrincipal{Federated: "acs:ram::" + evB + ":saml-provider/keeper"}),
			outcome{MatchUnknown, true, []string{"Principal: a value names the caller " + fold}}},
		{"a condition that holds", rdCond("StringEquals", "rd-abc"),
			evAssume(evECS(evB), evKV(condRDID, "rd-abc")),
			outcome{MatchYes, false, nil}},
		{"a condition that fails", rdCond("StringEquals", "rd-abc"),
			evAssume(evECS(evB), evKV(condRDID, "rd-xyz")),
			outcome{MatchNo, false, []string{`Condition StringEquals sts:ServiceOwnerRDId [rd-abc]: the request has "rd-xyz"`}}},
		{"a condition whose value equals only folded", rdCond("StringEqualsIgnoreCase", `rd-\u212Abc`),
			evAssume(evECS(evB), evKV(condRDID, "rd-kbc")),
			outcome{MatchUnknown, true, []string{"Condition StringEqualsIgnoreCase sts:ServiceOwnerRDId [rd-\u212Abc]: \"rd-kbc\" equals a value " + fold}}},
		{"an operator not known", rdCond("StringSoundsLike", "rd-abc"),
			evAssume(evECS(evB), evKV(condRDID, "rd-abc")),
			outcome{MatchUnknown, true, []string{"Condition StringSoundsLike: an operator this library does not know"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Compile(evRead(t, tt.doc)).Explain(&tt.req)
			if len(out) != 1 {
				t.Fatalf("Explain gave %d outcomes, want 1: %+v", len(out), out)
			}
			got := outcome{out[0].Applies, out[0].Unreadable, out[0].Why}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}
