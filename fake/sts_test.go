package fake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/acs3"
)

// Keys of the management account's RAM users.
const (
	opsKey    = "LTAI-ops"
	opsSecret = "ops-secret"
	devKey    = "LTAI-dev"
	devSecret = "dev-secret"
)

// accessRoleARN is the ARN of the access role in the member uid.
func accessRoleARN(uid string) string {
	return "acs:ram::" + uid + ":role/" + fake.DefaultAccessRoleName
}

// stsEndpoint serves f with the root key, and the keys of two RAM users of
// the management account, ops and dev.
func stsEndpoint(t *testing.T, f *fake.RAM) *fake.Endpoint {
	t.Helper()
	return start(t, f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		{AccessKeyID: opsKey, AccessKeySecret: opsSecret, User: "ops"},
		{AccessKeyID: devKey, AccessKeySecret: devSecret, User: "dev"},
	}})
}

func assumeReq(arn, name string, seconds int) *sts.AssumeRoleRequest {
	req := sts.CreateAssumeRoleRequest()
	req.RoleArn, req.RoleSessionName = arn, name
	if seconds > 0 {
		req.DurationSeconds = requests.NewInteger(seconds)
	}
	return req
}

func TestAssumeRoleThroughTheEndpoint(t *testing.T) {
	f, clock := newDirectoryFake(t, nil)
	ep := stsEndpoint(t, f)
	c, err := ep.STSClient(opsKey, opsSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.AssumeRole(assumeReq(accessRoleARN(memProd), "fleet", 900))
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	role, _ := f.Account(memProd).Role(fake.DefaultAccessRoleName)
	wantUser := sts.AssumedRoleUser{AssumedRoleId: role.ID + ":fleet", Arn: "acs:ram::2000000000000001:role/ResourceDirectoryAccountAccessRole/fleet"}
	if diff := cmp.Diff(wantUser, resp.AssumedRoleUser); diff != "" {
		t.Errorf("AssumedRoleUser (-want +got):\n%s", diff)
	}
	cr := resp.Credentials
	if cr.Expiration != "2026-01-02T03:19:05Z" || !strings.HasPrefix(cr.AccessKeyId, "STS.") || len(cr.AccessKeyId) != 32 ||
		len(cr.AccessKeySecret) != 40 || !strings.HasPrefix(cr.SecurityToken, "CAIS") {
		t.Errorf("Credentials = %+v, want STS.… (32 characters), a 40-character secret, a CAIS… token, expiring at t0+900s", cr)
	}

	// The credentials sign in to the member: what they create lands there.
	member, err := ep.ClientWithSecurityToken(cr.AccessKeyId, cr.AccessKeySecret, cr.SecurityToken)
	if err != nil {
		t.Fatal(err)
	}
	create := ram.CreateCreateRoleRequest()
	create.RoleName, create.AssumeRolePolicyDocument = "Landed", ecsTrust
	cresp, err := member.CreateRole(create)
	if err != nil {
		t.Fatalf("CreateRole with the temporary credentials: %v", err)
	}
	if cresp.Role.Arn != "acs:ram::2000000000000001:role/Landed" {
		t.Errorf("Arn = %s, want the member's", cresp.Role.Arn)
	}
	if _, ok := f.Role("Landed"); ok {
		t.Error("the role landed in the management account")
	}
	rm, err := resourcemanager.NewClientWithOptions(fake.ClientRegion, sdk.NewConfig().WithAutoRetry(false), credentials.NewStsTokenCredential(cr.AccessKeyId, cr.AccessKeySecret, cr.SecurityToken))
	if err != nil {
		t.Fatal(err)
	}
	ep.Aim(&rm.Client)
	rd, err := rm.GetResourceDirectory(resourcemanager.CreateGetResourceDirectoryRequest())
	if err != nil || rd.ResourceDirectory.ResourceDirectoryId != dirID {
		t.Errorf("GetResourceDirectory as the member: %v, %+v", err, rd)
	}

	live := newV3(ep.Addr(), "GetRole", time.Now(), "n-live", url.Values{"RoleName": {"Landed"}}, nil, "")
	live.header.Set(acs3.HeaderSecurityToken, cr.SecurityToken)
	if a := live.sign(cr.AccessKeyId, cr.AccessKeySecret).send(t); a.status != http.StatusOK {
		t.Errorf("V3 with the temporary credentials: %d %s, want 200 from the member", a.status, a.raw)
	}

	// Expired by the fake's clock: refused over V1 and V3 alike.
	clock.Advance(900 * time.Second)
	_, err = member.GetRole(func() *ram.GetRoleRequest { r := ram.CreateGetRoleRequest(); r.RoleName = "Landed"; return r }())
	if se := serverError(t, err); se.ErrorCode() != "InvalidSecurityToken.Expired" || se.HttpStatus() != http.StatusBadRequest {
		t.Errorf("a call with expired credentials: %d %s, want 400 InvalidSecurityToken.Expired", se.HttpStatus(), se.ErrorCode())
	}
	v3 := newV3(ep.Addr(), "GetRole", time.Now(), "n-expired", url.Values{"RoleName": {"Landed"}}, nil, "")
	v3.header.Set(acs3.HeaderSecurityToken, cr.SecurityToken)
	if a := v3.sign(cr.AccessKeyId, cr.AccessKeySecret).send(t); a.status != http.StatusBadRequest || a.body.Code != "InvalidSecurityToken.Expired" {
		t.Errorf("V3 with expired credentials: %d %s, want 400 InvalidSecurityToken.Expired", a.status, a.raw)
	}
	for _, acct := range []*fake.RAM{f, f.Account(memProd)} {
		b, _ := json.Marshal(acct.Calls())
		if strings.Contains(string(b), cr.AccessKeySecret) || strings.Contains(string(b), cr.SecurityToken) {
			t.Errorf("the call log of %s holds the temporary secret or token", acct.AccountID())
		}
	}
}

func TestAssumeRoleRefusals(t *testing.T) {
	f, _ := newDirectoryFake(t, nil)
	web := f.Account(memWeb)
	if err := web.PutRole(fake.Role{Name: "OpsOnly", TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::1234567890123456:user/ops"]}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	if err := web.PutRole(fake.Role{Name: "Elsewhere", TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::9000000000000009:root"]}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	if err := web.PutRole(fake.Role{Name: "External", TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::1234567890123456:root"]},"Condition":{"StringEquals":{"sts:ExternalId":"ticket-42"}}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	if err := web.PutRole(fake.Role{Name: "AnyUser", TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::1234567890123456:user/*"]}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	ep := stsEndpoint(t, f)
	arn := func(name string) string { return "acs:ram::" + memWeb + ":role/" + name }
	tests := []struct {
		name       string
		key        string
		give       *sts.AssumeRoleRequest
		set        func(*sts.AssumeRoleRequest)
		wantCode   string
		wantStatus int
	}{
		{name: "the root identity", key: testKeyID, give: assumeReq(accessRoleARN(memWeb), "s1", 0), wantCode: "NoPermission", wantStatus: 403},
		{name: "the trusted user", key: opsKey, give: assumeReq(arn("OpsOnly"), "s1", 0)},
		{name: "another user", key: devKey, give: assumeReq(arn("OpsOnly"), "s1", 0), wantCode: "NoPermission", wantStatus: 403},
		{name: "a role that trusts another account", key: opsKey, give: assumeReq(arn("Elsewhere"), "s1", 0), wantCode: "NoPermission", wantStatus: 403},
		{name: "a pattern in a RAM principal", key: opsKey, give: assumeReq(arn("AnyUser"), "s1", 0), wantCode: "NoPermission", wantStatus: 403},
		{name: "the external ID", key: opsKey, give: assumeReq(arn("External"), "s1", 0), set: func(r *sts.AssumeRoleRequest) { r.ExternalId = "ticket-42" }},
		{name: "another external ID", key: opsKey, give: assumeReq(arn("External"), "s1", 0), set: func(r *sts.AssumeRoleRequest) { r.ExternalId = "ticket-43" }, wantCode: "NoPermission", wantStatus: 403},
		{name: "no external ID", key: opsKey, give: assumeReq(arn("External"), "s1", 0), wantCode: "NoPermission", wantStatus: 403},
		{name: "no such role", key: opsKey, give: assumeReq(arn("Nope"), "s1", 0), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "an account the fake does not hold", key: opsKey, give: assumeReq(accessRoleARN("9000000000000009"), "s1", 0), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "an invited member without the access role", key: opsKey, give: assumeReq(accessRoleARN(memInvite), "s1", 0), wantCode: "EntityNotExist.Role", wantStatus: 404},
		{name: "a malformed ARN", key: opsKey, give: assumeReq("acs:ram::12:role/x", "s1", 0), wantCode: "InvalidParameter.RoleArn", wantStatus: 400},
		{name: "no ARN", key: opsKey, give: assumeReq("", "s1", 0), wantCode: "MissingRoleArn", wantStatus: 400},
		{name: "no session name", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "", 0), wantCode: "MissingRoleSessionName", wantStatus: 400},
		{name: "a one-character session name", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "a", 0), wantCode: "InvalidParameter.RoleSessionName", wantStatus: 400},
		{name: "899 seconds", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 899), wantCode: "InvalidParameter.DurationSeconds", wantStatus: 400},
		{name: "900 seconds", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 900)},
		{name: "the role's maximum", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 3600)},
		{name: "past the role's maximum", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 3601), wantCode: "InvalidParameter.DurationSeconds", wantStatus: 400},
		{name: "a session policy", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 0), set: func(r *sts.AssumeRoleRequest) {
			r.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole","Resource":"*"}]}`
		}},
		{name: "a session policy RAM would refuse", key: opsKey, give: assumeReq(accessRoleARN(memWeb), "s1", 0), set: func(r *sts.AssumeRoleRequest) { r.Policy = "{" }, wantCode: "InvalidParameter.PolicyGrammar", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := map[string]string{testKeyID: testSecret, opsKey: opsSecret, devKey: devSecret}[tt.key]
			c, err := ep.STSClient(tt.key, secret)
			if err != nil {
				t.Fatal(err)
			}
			if tt.set != nil {
				tt.set(tt.give)
			}
			_, err = c.AssumeRole(tt.give)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v, want credentials", err)
				}
				return
			}
			se := serverError(t, err)
			if se.ErrorCode() != tt.wantCode || se.HttpStatus() != tt.wantStatus {
				t.Errorf("answer = %d %s (%s), want %d %s", se.HttpStatus(), se.ErrorCode(), se.Message(), tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestAssumeRoleInProcess(t *testing.T) {
	f, clock := newDirectoryFake(t, nil)
	resp, err := f.AssumeRole(assumeReq(accessRoleARN(memTest), "fleet", 1800))
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := resp.Credentials
	cred := fake.Credential{AccessKeyID: cr.AccessKeyId, AccessKeySecret: cr.AccessKeySecret, SecurityToken: cr.SecurityToken}
	member, err := f.Session(cred)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if member.AccountID() != memTest {
		t.Errorf("the session's account = %s, want %s", member.AccountID(), memTest)
	}
	mustCreateRole(t, member, "Landed", ecsTrust)
	if _, ok := f.Account(memTest).Role("Landed"); !ok {
		t.Error("the role created through the session is not in the member")
	}

	// A session may assume a role that trusts the session's role.
	other := f.Account(memProd)
	if err := other.PutRole(fake.Role{Name: "Chained", TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::2000000000000003:role/ResourceDirectoryAccountAccessRole"]}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.AssumeRole(assumeReq("acs:ram::"+memProd+":role/Chained", "hop", 0)); err != nil {
		t.Errorf("the session assumes a role that trusts its role: %v", err)
	}
	if _, err := f.AssumeRole(assumeReq("acs:ram::"+memProd+":role/Chained", "hop", 0)); errCode(t, err) != "NoPermission" {
		t.Errorf("the management account assumes a role that trusts only a member's role: %v, want NoPermission", err)
	}

	refusals := map[string]string{}
	check := func(name string, c fake.Credential) {
		_, err := f.Session(c)
		se := serverError(t, err)
		refusals[name] = se.ErrorCode() + " " + http.StatusText(se.HttpStatus())
	}
	check("unknown key", fake.Credential{AccessKeyID: "STS.nobody", AccessKeySecret: cr.AccessKeySecret, SecurityToken: cr.SecurityToken})
	check("wrong token", fake.Credential{AccessKeyID: cr.AccessKeyId, AccessKeySecret: cr.AccessKeySecret, SecurityToken: "CAISother"})
	check("wrong secret", fake.Credential{AccessKeyID: cr.AccessKeyId, AccessKeySecret: "other", SecurityToken: cr.SecurityToken})
	clock.Advance(1800 * time.Second)
	check("expired", cred)
	_, err = coreGetRole(member, "Landed")
	if code := errCode(t, err); code != "InvalidSecurityToken.Expired" {
		t.Errorf("a call through the session once it expired: %q, want InvalidSecurityToken.Expired", code)
	}
	// An hour after it expired, the fake forgets it once it issues more.
	clock.Advance(time.Hour)
	if _, err := f.AssumeRole(assumeReq(accessRoleARN(memTest), "again", 0)); err != nil {
		t.Fatal(err)
	}
	check("forgotten", cred)
	want := map[string]string{
		"unknown key":  "InvalidAccessKeyId.NotFound Not Found",
		"wrong token":  "InvalidSecurityToken.MismatchWithAccessKey Bad Request",
		"wrong secret": "InvalidSecurityToken.MismatchWithAccessKey Bad Request",
		"expired":      "InvalidSecurityToken.Expired Bad Request",
		"forgotten":    "InvalidAccessKeyId.NotFound Not Found",
	}
	if diff := cmp.Diff(want, refusals); diff != "" {
		t.Errorf("Session refusals (-want +got):\n%s", diff)
	}
}

func TestAssumeRoleFaultsPerMember(t *testing.T) {
	f, _ := newDirectoryFake(t, &fake.Options{Faults: []fake.Rule{{Account: memWeb, Action: "AssumeRole", Code: "NoPermission"}}})
	got := map[string]string{}
	for _, uid := range []string{memProd, memWeb, memTest} {
		_, err := f.AssumeRole(assumeReq(accessRoleARN(uid), "fleet", 0))
		got[uid] = errCode(t, err)
	}
	want := map[string]string{memProd: "", memWeb: "NoPermission", memTest: ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AssumeRole codes per member (-want +got):\n%s", diff)
	}
	var logged []string
	for _, c := range f.Account(memWeb).Calls() {
		logged = append(logged, c.Account+" "+c.Action+" "+c.Code)
	}
	if diff := cmp.Diff([]string{memWeb + " AssumeRole NoPermission"}, logged); diff != "" {
		t.Errorf("the member's call log (-want +got):\n%s", diff)
	}
}
