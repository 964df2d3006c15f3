package fake_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func TestFaultCodes(t *testing.T) {
	tests := []struct {
		name           string
		give           fake.Rule
		wantCode       string
		wantStatus     int
		wantMessage    string
		wantRetryAfter string
	}{
		{name: "throttling with retry-after", give: fake.Rule{Action: "GetRole", Code: "Throttling.User", RetryAfter: 1500 * time.Millisecond},
			wantCode: "Throttling.User", wantStatus: 400, wantMessage: "Request was denied due to user flow control.", wantRetryAfter: "1500"},
		{name: "service unavailable", give: fake.Rule{Action: "GetRole", Code: "ServiceUnavailable"}, wantCode: "ServiceUnavailable", wantStatus: 503,
			wantMessage: "The request has failed due to a temporary failure of the server."},
		{name: "internal error", give: fake.Rule{Code: "InternalError"}, wantCode: "InternalError", wantStatus: 500, wantMessage: "An internal error occurred."},
		{name: "own status and message", give: fake.Rule{Code: "Throttling.User", Status: 429, Message: "slow down"}, wantCode: "Throttling.User", wantStatus: 429, wantMessage: "slow down"},
		{name: "unknown code", give: fake.Rule{Code: "Odd.Failure"}, wantCode: "Odd.Failure", wantStatus: 500},
		// Codes of ECS and KMS take their default message too, before and
		// after the call is served.
		{name: "another service's code", give: fake.Rule{Code: "Forbidden.KeyNotFound"}, wantCode: "Forbidden.KeyNotFound", wantStatus: 404,
			wantMessage: "The specified Key is not found."},
		{name: "another service's code after commit", give: fake.Rule{Code: "InvalidImageId.NotFound", AfterCommit: true}, wantCode: "InvalidImageId.NotFound", wantStatus: 404,
			wantMessage: "The specified ImageId does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{tt.give}})
			if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: ecsTrust}); err != nil {
				t.Fatal(err)
			}
			_, err := coreGetRole(f, "ShareRole")
			se := serverError(t, err)
			got := fmt.Sprintf("%s %d %q %q", se.ErrorCode(), se.HttpStatus(), se.Message(), http.Header(se.RespHeaders).Get("x-acs-retry-after"))
			want := fmt.Sprintf("%s %d %q %q", tt.wantCode, tt.wantStatus, tt.wantMessage, tt.wantRetryAfter)
			if tt.wantMessage == "" {
				got = fmt.Sprintf("%s %d", se.ErrorCode(), se.HttpStatus())
				want = fmt.Sprintf("%s %d", tt.wantCode, tt.wantStatus)
			}
			if got != want {
				t.Errorf("error = %s, want %s", got, want)
			}
			if se.RequestId() == "" {
				t.Error("fault answer has no RequestId")
			}
		})
	}
}

func TestFaultStatusFromOptions(t *testing.T) {
	f, _ := newFake(t, &fake.Options{
		Statuses: map[string]int{"Throttling.User": 503},
		Faults:   []fake.Rule{{Code: "Throttling.User"}},
	})
	_, err := coreGetRole(f, "ShareRole")
	if got := serverError(t, err).HttpStatus(); got != 503 {
		t.Errorf("status = %d, want Options.Statuses' 503", got)
	}
}

func TestFaultNth(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreatePolicyVersion", Nth: 2, Code: "InternalError"}}})
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	var got []string
	for range 3 {
		_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, false, "")
		got = append(got, errCode(t, err))
	}
	if diff := cmp.Diff([]string{"", "InternalError", ""}, got); diff != "" {
		t.Errorf("codes of three CreatePolicyVersion calls (-want +got):\n%s", diff)
	}
	if ids, _ := versionIDs(t, f, "KeyPolicy"); ids != "v1,v2,v3" {
		t.Errorf("versions = %s, want v1,v2,v3: the refused call must not commit", ids)
	}
	fired := f.Fired()
	want := []fake.FiredRule{{Index: 0, Rule: fake.Rule{Action: "CreatePolicyVersion", Nth: 2, Code: "InternalError"}, Action: "CreatePolicyVersion", Call: 2}}
	if diff := cmp.Diff(want, fired, cmpopts.IgnoreFields(fake.FiredRule{}, "RequestID")); diff != "" {
		t.Errorf("Fired() (-want +got):\n%s", diff)
	}
	if len(fired) == 0 || len(f.Calls()) < 3 {
		t.Fatalf("%d rules fired over %d calls, want 1 over at least 3", len(fired), len(f.Calls()))
	}
	if fired[0].RequestID != f.Calls()[2].RequestID {
		t.Errorf("fired RequestID %q, want the second CreatePolicyVersion's %q", fired[0].RequestID, f.Calls()[2].RequestID)
	}
}

func TestFaultFirstMatchWins(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{
		{Action: "GetRole", Code: "InternalError"},
		{Code: "ServiceUnavailable"},
		{Action: "GetRole", Code: "Throttling.User"},
	}})
	_, err := coreGetRole(f, "ShareRole")
	get := ram.CreateGetPolicyRequest()
	get.PolicyType, get.PolicyName = "System", encryptperm.KMSFullAccessPolicy
	_, err2 := f.GetPolicy(get)
	got := []string{errCode(t, err), errCode(t, err2)}
	if diff := cmp.Diff([]string{"InternalError", "ServiceUnavailable"}, got); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	var idx []int
	for _, fr := range f.Fired() {
		idx = append(idx, fr.Index)
	}
	if diff := cmp.Diff([]int{0, 1}, idx); diff != "" {
		t.Errorf("fired rule indexes (-want +got):\n%s", diff)
	}
}

func TestSetAndAddFaults(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Code: "InternalError"}}})
	f.SetFaults()
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "EntityNotExist.Role" {
		t.Errorf("after SetFaults(): error = %v, want the real answer", err)
	}
	f.AddFault(fake.Rule{Action: "GetRole", Code: "ServiceUnavailable"})
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "ServiceUnavailable" {
		t.Errorf("after AddFault: error = %v, want ServiceUnavailable", err)
	}
	f.SetFaults(fake.Rule{Action: "GetRole", Code: "Throttling.User"})
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "Throttling.User" {
		t.Errorf("after SetFaults(rule): error = %v, want Throttling.User", err)
	}
	f.Reset()
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "InternalError" {
		t.Errorf("after Reset: error = %v, want Options.Faults' InternalError", err)
	}
}

func TestLoseAnswer(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreateRole", Nth: 1, LoseAnswer: true}}})
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "ShareRole"
	req.AssumeRolePolicyDocument = ecsTrust
	_, err := f.CreateRole(req)
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Op != "Post" || !errors.Is(err, io.EOF) {
		t.Fatalf("error = %#v, want the *url.Error of a dropped connection", err)
	}
	if !strings.Contains(ue.URL, "Action=CreateRole") || !strings.Contains(ue.URL, "RoleName=ShareRole") {
		t.Errorf("URL = %q, want the call's parameters", ue.URL)
	}
	if _, ok := f.Role("ShareRole"); !ok {
		t.Error("the role does not exist: a lost answer must still commit")
	}
	calls := f.Calls()
	if c := calls[len(calls)-1]; !c.Lost || c.Code != "" || c.Status != 200 {
		t.Errorf("logged call = %+v, want a lost success", c)
	}
	// The retry sees what the lost call did.
	if _, err := f.CreateRole(req); errCode(t, err) != "EntityAlreadyExists.Role" {
		t.Errorf("retry: error = %v, want EntityAlreadyExists.Role", err)
	}
}

func TestLoseAnswerWithCode(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreateRole", Code: "InternalError", LoseAnswer: true}}})
	_, err := f.CreateRole(func() *ram.CreateRoleRequest {
		req := ram.CreateCreateRoleRequest()
		req.RoleName, req.AssumeRolePolicyDocument = "ShareRole", ecsTrust
		return req
	}())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("error = %v, want a transport error", err)
	}
	if _, ok := f.Role("ShareRole"); ok {
		t.Error("the role exists: a lost refusal must not commit")
	}
}

func TestRandomThrottle(t *testing.T) {
	pattern := func(seed int64) string {
		f, _ := newFake(t, &fake.Options{ThrottleRate: 0.5, Seed: seed})
		var b strings.Builder
		for range 64 {
			_, err := coreGetRole(f, "x")
			switch errCode(t, err) {
			case "Throttling.User":
				b.WriteByte('T')
			case "EntityNotExist.Role":
				b.WriteByte('.')
			default:
				t.Fatalf("error = %v", err)
			}
		}
		return b.String()
	}
	a, b, c := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Errorf("same seed, different runs:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same run %s", a)
	}
	if n := strings.Count(a, "T"); n < 16 || n > 48 {
		t.Errorf("%d of 64 calls throttled at rate 0.5: %s", n, a)
	}

	f, _ := newFake(t, &fake.Options{ThrottleRate: 1, ThrottleRetryAfter: 2 * time.Second})
	_, err := coreGetRole(f, "x")
	se := serverError(t, err)
	if se.ErrorCode() != "Throttling.User" || se.HttpStatus() != 400 || http.Header(se.RespHeaders).Get("x-acs-retry-after") != "2000" {
		t.Errorf("throttle = %s %d retry-after %q, want Throttling.User 400 2000", se.ErrorCode(), se.HttpStatus(), http.Header(se.RespHeaders).Get("x-acs-retry-after"))
	}
	if fr := f.Fired(); len(fr) != 1 || fr[0].Index != -1 || fr[0].Rule.Code != "Throttling.User" {
		t.Errorf("Fired() = %+v, want one throttle with Index -1", fr)
	}

	// A matching rule takes precedence over the throttle.
	f, _ = newFake(t, &fake.Options{ThrottleRate: 1, Faults: []fake.Rule{{Action: "GetRole"}}})
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "EntityNotExist.Role" {
		t.Errorf("with a matching pass-through rule: error = %v, want EntityNotExist.Role", err)
	}
}

func TestPropagationDelay(t *testing.T) {
	f, clock := newFake(t, &fake.Options{PropagationDelay: 10 * time.Second})
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	if _, err := coreGetRole(f, "ShareRole"); err != nil {
		t.Errorf("GetRole right after CreateRole: %v; the delay applies to attach calls only", err)
	}
	if err := coreAttach(f, "System", encryptperm.KMSFullAccessPolicy, "ShareRole"); errCode(t, err) != "EntityNotExist.Role" {
		t.Errorf("attach to a new role: error = %v, want EntityNotExist.Role", err)
	}
	clock.Advance(10 * time.Second)
	mustAttach(t, f, "System", encryptperm.KMSFullAccessPolicy, "ShareRole")

	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	if err := coreAttach(f, "Custom", "KeyPolicy", "ShareRole"); errCode(t, err) != "EntityNotExist.Policy" {
		t.Errorf("attach a new policy: error = %v, want EntityNotExist.Policy", err)
	}
	clock.Advance(9 * time.Second)
	if err := coreAttach(f, "Custom", "KeyPolicy", "ShareRole"); errCode(t, err) != "EntityNotExist.Policy" {
		t.Errorf("attach a policy 9s old: error = %v, want EntityNotExist.Policy", err)
	}
	clock.Advance(time.Second)
	mustAttach(t, f, "Custom", "KeyPolicy", "ShareRole")

	// Seeded entities are visible at once.
	if err := f.PutRole(fake.Role{Name: "Seeded", TrustPolicy: ecsTrust}); err != nil {
		t.Fatal(err)
	}
	mustAttach(t, f, "Custom", "KeyPolicy", "Seeded")
}

func TestFaultLatency(t *testing.T) {
	tests := []struct {
		name string
		opts fake.Options
	}{
		{name: "rule", opts: fake.Options{Faults: []fake.Rule{{Action: "GetRole", Latency: 30 * time.Millisecond}}}},
		{name: "every call", opts: fake.Options{Latency: 30 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, &tt.opts)
			start := time.Now()
			_, err := coreGetRole(f, "x")
			if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
				t.Errorf("call took %v, want at least 30ms", elapsed)
			}
			if errCode(t, err) != "EntityNotExist.Role" {
				t.Errorf("error = %v, want the real answer after the delay", err)
			}
		})
	}
}

// TestHoldInterleaving forces the lost update of two writers: A reads and
// starts its write, B writes in between, then A's write lands on top.
func TestHoldInterleaving(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	docA := strings.Replace(ecsTrust, "ecs.aliyuncs.com", "1111@ecs.aliyuncs.com", 1)
	docB := strings.Replace(ecsTrust, "ecs.aliyuncs.com", "2222@ecs.aliyuncs.com", 1)
	update := func(doc string) error {
		req := ram.CreateUpdateRoleRequest()
		req.RoleName, req.NewAssumeRolePolicyDocument = "ShareRole", doc
		_, err := f.UpdateRole(req)
		return err
	}

	h := f.HoldCall("UpdateRole", 1)
	errA := make(chan error, 1)
	go func() { errA <- update(docA) }()
	<-h.Held()

	if err := update(docB); err != nil { // the second UpdateRole is not held
		t.Fatal(err)
	}
	if doc, _ := f.TrustPolicy("ShareRole"); doc != docB {
		t.Fatalf("while A is held, trust = %s, want B's", doc)
	}
	select {
	case <-h.Done():
		t.Fatal("the held call finished before Release")
	default:
	}

	h.Release()
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	if doc, _ := f.TrustPolicy("ShareRole"); doc != docA {
		t.Errorf("after release, trust = %s, want A's: A committed last", doc)
	}
	var order []string
	for _, c := range f.Calls() {
		if c.Action == "UpdateRole" {
			order = append(order, c.Params["NewAssumeRolePolicyDocument"])
		}
	}
	if diff := cmp.Diff([]string{docB, docA}, order); diff != "" {
		t.Errorf("commit order (-want +got):\n%s", diff)
	}
}

func TestHoldEveryCallUntilRelease(t *testing.T) {
	f, _ := newFake(t, nil)
	h := &fake.Hold{} // the zero value works as NewHold's does
	f.AddFault(fake.Rule{Action: "GetRole", Hold: h, Code: "InternalError"})
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := coreGetRole(f, "x"); errs <- err }()
	}
	<-h.Held()
	h.Release()
	h.Release() // harmless
	for range 2 {
		if err := <-errs; errCode(t, err) != "InternalError" {
			t.Errorf("held call: error = %v, want the rule's InternalError after release", err)
		}
	}
	// Once released, the hold lets later calls through.
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "InternalError" {
		t.Errorf("later call: error = %v, want InternalError", err)
	}
}

func TestCallLogRedacts(t *testing.T) {
	f, _ := newFake(t, nil)
	req := ram.CreateGetRoleRequest()
	req.RoleName = "ShareRole"
	// Secrets that a caller put among the parameters by mistake.
	req.GetQueryParams()["AccessKeySecret"] = "s3cret"
	req.GetQueryParams()["signature"] = "sig"
	_, _ = f.GetRole(req)
	calls := f.Calls()
	want := []fake.RecordedCall{{
		Action:    "GetRole",
		Params:    map[string]string{"RoleName": "ShareRole", "AccessKeySecret": fake.Redacted, "signature": fake.Redacted},
		RequestID: calls[0].RequestID,
		// Parameters GetRole does not take are refused, not ignored.
		Code:   "InvalidParameter.NotSupported",
		Status: 400,
	}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("Calls() (-want +got):\n%s", diff)
	}
}

func TestMaxCalls(t *testing.T) {
	f, _ := newFake(t, &fake.Options{MaxCalls: 2})
	for _, n := range []string{"a", "b", "c"} {
		_, _ = coreGetRole(f, n)
	}
	var got []string
	for _, c := range f.Calls() {
		got = append(got, c.Params["RoleName"])
	}
	if diff := cmp.Diff([]string{"b", "c"}, got); diff != "" {
		t.Errorf("kept calls (-want +got):\n%s", diff)
	}
}

func TestReset(t *testing.T) {
	f, _ := newFake(t, nil)
	mustCreateRole(t, f, "ShareRole", ecsTrust)
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	mustAttach(t, f, "Custom", "KeyPolicy", "ShareRole")
	f.AddFault(fake.Rule{Action: "GetRole", Nth: 1, Code: "InternalError"})
	_, _ = coreGetRole(f, "ShareRole")

	f.Reset()
	if len(f.Roles()) != 0 || len(f.Attachments()) != 0 || len(f.Calls()) != 0 || len(f.Fired()) != 0 || len(f.Faults()) != 0 {
		t.Errorf("after Reset: roles %v attachments %v calls %v fired %v faults %v", f.Roles(), f.Attachments(), f.Calls(), f.Fired(), f.Faults())
	}
	if _, ok := f.Policy(string(encryptperm.System), encryptperm.KMSFullAccessPolicy); !ok {
		t.Error("after Reset the system policies are gone")
	}
	// Call counts start again, and role IDs too.
	f.AddFault(fake.Rule{Action: "GetRole", Nth: 1, Code: "InternalError"})
	if _, err := coreGetRole(f, "x"); errCode(t, err) != "InternalError" {
		t.Errorf("first GetRole after Reset: error = %v, want InternalError", err)
	}
	if got := mustCreateRole(t, f, "ShareRole", ecsTrust).Role.RoleId; got != "300000000000000001" {
		t.Errorf("first RoleId after Reset = %s", got)
	}
}

func TestAfterCommitServesThenAnswersCode(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreatePolicyVersion", Nth: 1, Code: "InternalError", AfterCommit: true}}})
	mustCreatePolicy(t, f, "KeyPolicy", keyPolicy)
	_, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, "")
	se := serverError(t, err)
	if got := fmt.Sprintf("%s %d %q", se.ErrorCode(), se.HttpStatus(), se.Message()); got != `InternalError 500 "An internal error occurred."` {
		t.Errorf("error = %s, want InternalError 500", got)
	}
	if ids, def := versionIDs(t, f, "KeyPolicy"); ids != "v1,v2" || def != "v2" {
		t.Errorf("versions = %s (default %s), want v1,v2 (default v2): the call must commit before its answer fails", ids, def)
	}
	calls := f.Calls()
	if len(calls) == 0 {
		t.Fatal("no call logged")
	}
	if c := calls[len(calls)-1]; c.Code != "InternalError" || c.Status != 500 || c.Lost {
		t.Errorf("logged call = %+v, want InternalError 500, not lost", c)
	}
	// A resend writes a second version: the fault really committed.
	if _, err := coreCreateVersion(f, "KeyPolicy", keyPolicy2, true, ""); err != nil {
		t.Fatalf("resend: %v", err)
	}
	if ids, _ := versionIDs(t, f, "KeyPolicy"); ids != "v1,v2,v3" {
		t.Errorf("versions after a resend = %s, want v1,v2,v3", ids)
	}
}

func TestAfterCommitOnAFailingCallChangesNothing(t *testing.T) {
	f, _ := newFake(t, &fake.Options{Faults: []fake.Rule{{Action: "CreateRole", Code: "ServiceUnavailable", AfterCommit: true}}})
	if err := f.PutRole(fake.Role{Name: "ShareRole", TrustPolicy: ecsTrust}); err != nil {
		t.Fatal(err)
	}
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "ShareRole"
	req.AssumeRolePolicyDocument = `{"Version":"1","Statement":[]}`
	_, err := f.CreateRole(req)
	if got := errCode(t, err); got != "ServiceUnavailable" {
		t.Errorf("error = %q, want the rule's ServiceUnavailable in place of EntityAlreadyExists.Role", got)
	}
	if doc, _ := f.TrustPolicy("ShareRole"); doc != ecsTrust {
		t.Errorf("trust policy = %s, want the first role's unchanged", doc)
	}
}
