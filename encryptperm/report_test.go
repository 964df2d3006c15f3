package encryptperm_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/google/go-cmp/cmp"
)

// Plans, Results, Calls and Decisions are read by programs as JSON, and
// changes by people one a line: their spelling is part of the API.
func TestReportSpelling(t *testing.T) {
	call := encryptperm.Call{Action: "UpdateRole", Target: "R", Write: true, Attempt: 2, Code: "Throttling", RequestID: "req-1", Duration: 3 * time.Millisecond, Service: "RAM"}
	changes := []encryptperm.Change{
		{Kind: encryptperm.Broadening, Action: "UpdateRole", Role: "R", Summary: "add principal"},
		{Kind: encryptperm.Narrowing, Action: "DetachPolicyFromRole", Role: "R", Policy: "P", Summary: "detach P"},
		{Kind: encryptperm.Destructive, Action: "DeleteRole", Role: "R", Summary: "delete role R"},
		{Kind: encryptperm.Note, Role: "R", Summary: "pending"},
		{Kind: encryptperm.Note, Kept: true, Role: "R", Summary: "keep key"},
	}
	by := &encryptperm.StatementRef{Policy: "P", Type: encryptperm.Custom, Index: 1}
	dec := &encryptperm.Decision{
		Allowed: false, RoleARN: "acs:ram::1:role/R", Principal: "2@ecs.aliyuncs.com", Reason: "no",
		Access:    encryptperm.Access{Recipient: "2", Resource: encryptperm.ResourceImage, Key: encryptperm.Key{Region: "cn-hangzhou", Owner: "1", ID: "k"}},
		Steps:     []encryptperm.Step{{Action: "kms:Decrypt", Resource: "acs:kms:cn-hangzhou:1:key/k", Verdict: policy.VerdictAllow, Allowed: true, By: by, Reason: "ok", Notes: []string{"n"}, Uncertain: []string{"u"}}},
		Missing:   []string{"share"},
		Findings:  []encryptperm.Finding{{Code: "EP1", Severity: encryptperm.SeverityInfo, Path: "p", Message: "m"}},
		Uncertain: []string{}, Unreadable: nil,
		SharePending: true, ResourceShareID: "rs-1",
	}
	tests := []struct {
		name string
		give any
		want string
	}{
		{"call", call, `{"action":"UpdateRole","target":"R","write":true,"attempt":2,"code":"Throttling","requestId":"req-1","durationNs":3000000,"service":"RAM"}`},
		{"empty call", encryptperm.Call{}, `{"action":"","target":"","write":false,"attempt":0,"durationNs":0}`},
		{"change", changes[4], `{"kind":"note","role":"R","summary":"keep key","kept":true}`},
		{"plan", &encryptperm.Plan{Changes: changes[:1], Findings: dec.Findings, Calls: []encryptperm.Call{call}},
			`{"changes":[{"kind":"broadening","action":"UpdateRole","role":"R","summary":"add principal"}],"findings":[{"code":"EP1","severity":"info","path":"p","message":"m"}],"calls":[{"action":"UpdateRole","target":"R","write":true,"attempt":2,"code":"Throttling","requestId":"req-1","durationNs":3000000,"service":"RAM"}]}`},
		{"empty plan", &encryptperm.Plan{}, `{"changes":null}`},
		{"result", &encryptperm.Result{Changes: changes[1:2], Unknown: changes[2:3], Calls: []encryptperm.Call{}, Writes: 1, Conflicts: []string{"c"}},
			`{"changes":[{"kind":"narrowing","action":"DetachPolicyFromRole","role":"R","policy":"P","summary":"detach P"}],"unknown":[{"kind":"destructive","action":"DeleteRole","role":"R","summary":"delete role R"}],"calls":[],"writes":1,"conflicts":["c"]}`},
		{"empty result", &encryptperm.Result{}, `{"changes":null,"calls":null,"writes":0}`},
		{"decision", dec,
			`{"allowed":false,"access":{"recipient":"2","resource":"image","key":{"region":"cn-hangzhou","owner":"1","id":"k"}},"roleArn":"acs:ram::1:role/R","principal":"2@ecs.aliyuncs.com","reason":"no","steps":[{"action":"kms:Decrypt","resource":"acs:kms:cn-hangzhou:1:key/k","verdict":1,"allowed":true,"by":{"policy":"P","type":"Custom","index":1},"reason":"ok","notes":["n"],"uncertain":["u"]}],"missing":["share"],"shared":false,"sharePending":true,"resourceShareId":"rs-1","findings":[{"code":"EP1","severity":"info","path":"p","message":"m"}]}`},
		{"diagnosis", encryptperm.Diagnosis{Code: "C", Status: 403, Operations: []string{"Op"}, Cause: "c", Grant: encryptperm.KindShareImage, Fix: "f"},
			`{"code":"C","status":403,"operations":["Op"],"cause":"c","grant":"ShareImage","fix":"f"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.String())
	}
	want := []string{"+ add principal", "- detach P", "! delete role R", "~ pending", "= keep key"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Change.String (-want +got):\n%s", diff)
	}
	plan := &encryptperm.Plan{Changes: changes}
	if diff := cmp.Diff("+ add principal\n- detach P\n! delete role R\n~ pending\n= keep key\n", plan.String()); diff != "" {
		t.Errorf("Plan.String (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("no changes\n", (&encryptperm.Plan{}).String()); diff != "" {
		t.Errorf("empty Plan.String (-want +got):\n%s", diff)
	}
}
