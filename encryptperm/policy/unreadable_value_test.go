package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A condition whose value, the request's or the policy's, cannot be read as
// its operator's type never makes a statement apply in a way that allows:
// an Allow so conditioned grants nothing for certain (an implicit deny in
// doubt), and a Deny so conditioned may apply (the allow beside it is in
// doubt). Negated operators were the hole: NumericNotEquals on a value that
// is not a number "held", so such an Allow let any directory in.
func TestUnreadableConditionValueNeverAllows(t *testing.T) {
	// An Allow for any account's ECS, conditioned on the directory ID.
	allowIf := func(op, value string) string {
		return fmt.Sprintf(`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{%q:{"sts:ServiceOwnerRDId":%s}}}]}`, op, value)
	}
	// An Allow for account B and a Deny for any account's ECS, conditioned.
	denyIf := func(op, value string) string {
		return fmt.Sprintf(`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{%q:{"sts:ServiceOwnerRDId":%s}}}]}`, op, value)
	}
	rd := func(v string) Request { return evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", v)) }
	allowedInDoubt := EvalResult{Verdict: VerdictAllow, By: evRef(0, 0), Doubt: evRef(0, 1)}
	tests := []struct {
		name string
		doc  string
		req  Request
		want EvalResult
	}{
		// The request's value is not of the operator's type.
		{"NumericNotEquals on a directory ID", allowIf("NumericNotEquals", `"5"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"NumericEquals on a directory ID", allowIf("NumericEquals", `"5"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"NumericLessThan on a directory ID", allowIf("NumericLessThan", `"5"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"DateNotEquals on a directory ID", allowIf("DateNotEquals", `"2026-01-01T00:00:00Z"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"DateGreaterThan on a directory ID", allowIf("DateGreaterThan", `"2026-01-01T00:00:00Z"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"NotIpAddress on a directory ID", allowIf("NotIpAddress", `"10.0.0.0/8"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"IpAddress on a directory ID", allowIf("IpAddress", `"10.0.0.0/8"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"Bool on a directory ID", allowIf("Bool", `"false"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"NumericNotEqualsIfExists on a directory ID", allowIf("NumericNotEqualsIfExists", `"5"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"DateNotEqualsIfExists on a directory ID", allowIf("DateNotEqualsIfExists", `"2026-01-01T00:00:00Z"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		{"NotIpAddressIfExists on a directory ID", allowIf("NotIpAddressIfExists", `"10.0.0.0/8"`), rd("rd-3GabcD"), evImplicitDoubt(0, 0)},
		// Numbers, dates and addresses this library does not read for certain.
		{"a hex number", allowIf("NumericNotEquals", `"5"`), rd("0x10"), evImplicitDoubt(0, 0)},
		{"Inf", allowIf("NumericNotEquals", `"5"`), rd("Inf"), evImplicitDoubt(0, 0)},
		{"a number too large for a float", allowIf("NumericNotEquals", `"5"`), rd("1e999"), evImplicitDoubt(0, 0)},
		{"a plus sign", allowIf("NumericNotEquals", `"5"`), rd("+6"), evImplicitDoubt(0, 0)},
		{"a date without a time", allowIf("DateNotEquals", `"2026-01-01T00:00:00Z"`), rd("2026-01-02"), evImplicitDoubt(0, 0)},
		{"an address with a zone", allowIf("NotIpAddress", `"fe80::/10"`), rd("fe80::1%eth0"), evImplicitDoubt(0, 0)},
		{"an IPv4 address written as IPv6", allowIf("NotIpAddress", `"10.0.0.0/8"`), rd("::ffff:10.1.2.3"), evImplicitDoubt(0, 0)},
		// The policy's value is not of the operator's type, beside one that is.
		{"NumericNotEquals with a policy value that is not a number", allowIf("NumericNotEquals", `["5","five"]`), rd("6"), evImplicitDoubt(0, 0)},
		{"NumericEquals with a policy value that is not a number", allowIf("NumericEquals", `["6","six"]`), rd("6"), evImplicitDoubt(0, 0)},
		{"NotIpAddress with a policy block written as IPv6", allowIf("NotIpAddress", `"::ffff:10.0.0.0/104"`), rd("192.0.2.1"), evImplicitDoubt(0, 0)},
		// Values that are read: the operators still work.
		{"NumericNotEquals on a number", allowIf("NumericNotEquals", `"5"`), rd("6"), evAllow(0, 0)},
		{"NumericNotEquals on the same number", allowIf("NumericNotEquals", `"5"`), rd("5.0"), evImplicit()},
		{"NotIpAddress on an address outside", allowIf("NotIpAddress", `"10.0.0.0/8"`), rd("192.0.2.1"), evAllow(0, 0)},
		{"DateNotEquals on another date", allowIf("DateNotEquals", `"2026-01-01T00:00:00Z"`), rd("2026-01-02T00:00:00Z"), evAllow(0, 0)},
		// A Deny so conditioned may apply: not allowed for certain.
		{"Deny NumericNotEquals on a directory ID", denyIf("NumericNotEquals", `"5"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny NumericEquals on a directory ID", denyIf("NumericEquals", `"5"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny DateNotEquals on a directory ID", denyIf("DateNotEquals", `"2026-01-01T00:00:00Z"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny IpAddress on a directory ID", denyIf("IpAddress", `"10.0.0.0/8"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny NotIpAddress on a directory ID", denyIf("NotIpAddress", `"10.0.0.0/8"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny Bool on a directory ID", denyIf("Bool", `"true"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny NumericNotEqualsIfExists", denyIf("NumericNotEqualsIfExists", `"5"`), rd("rd-3GabcD"), allowedInDoubt},
		{"Deny NumericNotEquals with a policy value that is not a number", denyIf("NumericNotEquals", `["5","x"]`), rd("5"), allowedInDoubt},
		// A Deny on a value it reads decides.
		{"Deny NumericNotEquals on another number", denyIf("NumericNotEquals", `"5"`), rd("6"), evDeny(0, 1)},
		{"Deny NumericNotEquals on the same number", denyIf("NumericNotEquals", `"5"`), rd("5"), evAllow(0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := []*Document{evRead(t, tt.doc)}
			got := Compile(docs...).Eval(&tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
			if ref := refEval(docs, &tt.req); ref != got {
				t.Errorf("reference evaluator says %+v, compiled says %+v", ref, got)
			}
		})
	}
}

// Explain says why a condition on an unreadable value neither holds nor
// fails.
func TestExplainUnreadableConditionValue(t *testing.T) {
	d := evRead(t, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"NumericNotEquals":{"sts:ServiceOwnerRDId":"5"}}}]}`)
	req := evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", "rd-3GabcD"))
	out := Compile(d).Explain(&req)
	if len(out) != 1 || out[0].Applies != MatchUnknown || !out[0].Unreadable {
		t.Fatalf("Explain = %+v, want one statement that may apply and cannot be read", out)
	}
	want := `Condition NumericNotEquals sts:ServiceOwnerRDId [5]: the request's "rd-3GabcD" or a value of the policy cannot be read as NumericNotEquals needs, so the condition neither holds nor fails`
	if got := strings.Join(out[0].Why, "\n"); got != want {
		t.Errorf("Why:\n got %s\nwant %s", got, want)
	}
}
