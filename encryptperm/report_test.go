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
	call := encryptperm.Call{Action: "UpdateRole", Target: "R", Write: true, Attempt: 2, Code: "Throttling", RequestID: "req-1", Duration: 3 * time.Millisecond}
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
	}
	tests := []struct {
		name string
		give any
		want string
	}{
		{"call", call, `{"action":"UpdateRole","target":"R","write":true,"attempt":2,"code":"Throttling","request_id":"req-1","duration_ns":3000000}`},
		{"empty call", encryptperm.Call{}, `{"action":"","target":"","write":false,"attempt":0,"duration_ns":0}`},
		{"change", changes[4], `{"kind":"note","role":"R","summary":"keep key","kept":true}`},
		{"plan", &encryptperm.Plan{Changes: changes[:1], Findings: dec.Findings, Calls: []encryptperm.Call{call}},
			`{"changes":[{"kind":"broadening","action":"UpdateRole","role":"R","summary":"add principal"}],"findings":[{"Code":"EP1","Severity":"info","Path":"p","Message":"m"}],"calls":[{"action":"UpdateRole","target":"R","write":true,"attempt":2,"code":"Throttling","request_id":"req-1","duration_ns":3000000}]}`},
		{"empty plan", &encryptperm.Plan{}, `{"changes":null}`},
		{"result", &encryptperm.Result{Changes: changes[1:2], Unknown: changes[2:3], Calls: []encryptperm.Call{}, Writes: 1, Conflicts: []string{"c"}},
			`{"changes":[{"kind":"narrowing","action":"DetachPolicyFromRole","role":"R","policy":"P","summary":"detach P"}],"unknown":[{"kind":"destructive","action":"DeleteRole","role":"R","summary":"delete role R"}],"calls":[],"writes":1,"conflicts":["c"]}`},
		{"empty result", &encryptperm.Result{}, `{"changes":null,"calls":null,"writes":0}`},
		{"decision", dec,
			`{"Allowed":false,"Access":{"Recipient":"2","RDID":"","RDPath":"","Resource":"image","Key":{"Region":"cn-hangzhou","Owner":"1","ID":"k"},"Role":"","Owner":"","ResourceID":"","Region":""},"RoleARN":"acs:ram::1:role/R","Principal":"2@ecs.aliyuncs.com","Reason":"no","Steps":[{"Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1:key/k","Verdict":1,"Allowed":true,"By":{"Policy":"P","Type":"Custom","Index":1},"Reason":"ok","Notes":["n"],"Uncertain":["u"]}],"Missing":["share"],"Uncertain":[],"Unreadable":null,"Findings":[{"Code":"EP1","Severity":"info","Path":"p","Message":"m"}]}`},
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
