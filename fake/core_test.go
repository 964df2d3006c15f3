package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/google/go-cmp/cmp"
)

const coreTrust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`

func createRoleCall(name string) request {
	return request{Action: "CreateRole", Params: map[string]string{"RoleName": name, "AssumeRolePolicyDocument": coreTrust}}
}

// bodyOf decodes an answer's JSON body.
func bodyOf(t *testing.T, res response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		t.Fatalf("body %q: %v", res.Body, err)
	}
	return m
}

func TestDoErrorBody(t *testing.T) {
	r := New(nil)
	res := r.do(context.Background(), request{Action: "DescribeInstances"})
	if res.Status != http.StatusNotFound {
		t.Errorf("status = %d, want 404", res.Status)
	}
	want := regexp.MustCompile(`^\{"RequestId":"[0-9A-F-]{36}","HostId":"ram\.aliyuncs\.com","Code":"InvalidAction\.NotFound","Message":"[^"]+"\}$`)
	if !want.Match(res.Body) {
		t.Errorf("body = %s, want RAM's compact error body", res.Body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json;charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got, id := res.Header.Get("x-acs-request-id"), bodyOf(t, res)["RequestId"]; got != id {
		t.Errorf("x-acs-request-id = %q, body RequestId %q", got, id)
	}
}

func TestDoListWrappers(t *testing.T) {
	r := New(nil)
	tests := []struct {
		give request
		want string
	}{
		{give: request{Action: "ListRoles", Params: map[string]string{"Marker": "cg"}}, want: `"IsTruncated":false,"Roles":{"Role":[]}}`},
		{give: request{Action: "ListPoliciesForRole", Params: map[string]string{"RoleName": "R"}}, want: `"Policies":{"Policy":[]}}`},
		{give: request{Action: "ListEntitiesForPolicy", Params: map[string]string{"PolicyType": "System", "PolicyName": encryptperm.KMSFullAccessPolicy}},
			want: `"Groups":{"Group":[]},"Users":{"User":[]},"Roles":{"Role":[]}}`},
		{give: request{Action: "ListPolicyVersions", Params: map[string]string{"PolicyType": "System", "PolicyName": encryptperm.KMSFullAccessPolicy}},
			want: `"PolicyVersions":{"PolicyVersion":[{"VersionId":"v3","IsDefaultVersion":true,"PolicyDocument":`},
	}
	if res := r.do(context.Background(), createRoleCall("R")); res.Status != 200 {
		t.Fatalf("create role: %s", res.Body)
	}
	for _, tt := range tests {
		res := r.do(context.Background(), tt.give)
		if res.Status != 200 || !strings.Contains(string(res.Body), tt.want) {
			t.Errorf("%s: %d %s, want it to contain %s", tt.give.Action, res.Status, res.Body, tt.want)
		}
	}
}

func TestDoRedactsAccessKey(t *testing.T) {
	r := New(nil)
	r.do(context.Background(), request{
		Action:      "GetRole",
		Params:      map[string]string{"RoleName": "R", "SecurityToken": "tok", "AccessKeyId": "LTAI5t"},
		AccessKeyID: "LTAI5t",
	})
	c := r.Calls()[0]
	want := RecordedCall{
		Action:      "GetRole",
		Params:      map[string]string{"RoleName": "R", "SecurityToken": Redacted, "AccessKeyId": Redacted},
		AccessKeyID: Redacted,
		RequestID:   c.RequestID,
		Code:        "EntityNotExist.Role",
		Status:      404,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("logged call (-want +got):\n%s", diff)
	}
}

func TestDoParamsAreCopied(t *testing.T) {
	r := New(nil)
	call := createRoleCall("R")
	r.do(context.Background(), call)
	call.Params["RoleName"] = "Changed"
	if got := r.Calls()[0].Params["RoleName"]; got != "R" {
		t.Errorf("logged RoleName = %q after the caller changed its map", got)
	}
}

func TestDoContextEndsHold(t *testing.T) {
	r := New(nil)
	h := r.HoldCall("CreateRole", 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan response, 1)
	go func() { done <- r.do(ctx, createRoleCall("R")) }()
	<-h.Held()
	cancel()
	res := <-done
	<-h.Done()
	if code := bodyOf(t, res)["Code"]; res.Status != http.StatusServiceUnavailable || code != "ServiceUnavailable" {
		t.Errorf("answer = %d %v, want 503 ServiceUnavailable", res.Status, code)
	}
	if _, ok := r.Role("R"); ok {
		t.Error("the abandoned call committed")
	}
	if c := r.Calls(); len(c) != 1 || c[0].Code != "ServiceUnavailable" {
		t.Errorf("call log = %+v, want the abandoned call", c)
	}
}

func TestDoContextEndsLatency(t *testing.T) {
	r := New(&Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := r.do(ctx, createRoleCall("R"))
	if res.Status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", res.Status)
	}
	if _, ok := r.Role("R"); ok {
		t.Error("the abandoned call committed")
	}
}

func TestDoContextEndedBefore(t *testing.T) {
	r := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := r.do(ctx, createRoleCall("R")); res.Status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", res.Status)
	}
	if _, ok := r.Role("R"); ok {
		t.Error("a call whose context had ended committed")
	}
}

func TestRequestIDsRepeatable(t *testing.T) {
	ids := func(seed int64) []string {
		r := New(&Options{Seed: seed})
		var out []string
		for range 3 {
			out = append(out, bodyOf(t, r.do(context.Background(), request{Action: "ListRoles"}))["RequestId"].(string))
		}
		return out
	}
	if diff := cmp.Diff(ids(1), ids(1)); diff != "" {
		t.Errorf("request IDs of two fakes with one seed (-first +second):\n%s", diff)
	}
	if cmp.Equal(ids(1), ids(2)) {
		t.Error("seeds 1 and 2 gave the same request IDs")
	}
}
