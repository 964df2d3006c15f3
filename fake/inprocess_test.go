package fake

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// plainHandler serves r over HTTP with no authentication at all: just
// enough of the RPC protocol to show that the SDK, reading the core's answers
// off the wire, builds what the in-process methods build.
func plainHandler(r *RAM) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := make(map[string]string)
		for k, v := range req.Form {
			if !sdkCommonParams[k] {
				p[k] = v[0]
			}
		}
		res := r.do(req.Context(), request{Action: req.Form.Get("Action"), Params: p, AccessKeyID: req.Form.Get("AccessKeyId")})
		if res.Lost {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.Status)
		_, _ = w.Write(res.Body)
	})
}

// outcome is what a caller can observe of one call.
type outcome struct {
	Resp    any
	Status  int
	Body    string
	Headers map[string]string
	Err     string
}

// observe reduces a call's result to what both paths must agree on.
func observe(resp responses.AcsResponse, err error) outcome {
	var o outcome
	var se *sdkerrors.ServerError
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		o.Err = fmt.Sprintf("ServerError %s %d %s %s %q", se.ErrorCode(), se.HttpStatus(), se.RequestId(), se.HostId(), se.Message())
		o.Headers = pick(se.RespHeaders)
	case errors.As(err, &ue):
		o.Err = fmt.Sprintf("url.Error %s %v", ue.Op, ue.Err)
		return o
	case err != nil:
		o.Err = fmt.Sprintf("%T %v", err, err)
		return o
	}
	o.Resp = resp
	o.Status = resp.GetHttpStatus()
	o.Body = resp.GetHttpContentString()
	if o.Headers == nil {
		o.Headers = pick(resp.GetHttpHeaders())
	}
	return o
}

func pick(h map[string][]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"Content-Type", "X-Acs-Request-Id", "X-Acs-Retry-After"} {
		if v := http.Header(h).Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

func TestInProcessMatchesWire(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := func() *Options {
		return &Options{
			Clock: func() time.Time { return at },
			// A seed makes RequestIds repeatable, so both sides match.
			Seed: 7,
			Faults: []Rule{
				{Action: "GetRole", Nth: 2, Code: "Throttling.User", RetryAfter: 1500 * time.Millisecond},
				{Action: "DeleteRole", Nth: 1, LoseAnswer: true},
			},
		}
	}
	local := New(opts())
	remote := New(opts())
	srv := httptest.NewServer(plainHandler(remote))
	defer srv.Close()
	client, err := ram.NewClientWithAccessKey("cn-hangzhou", "LTAI-test", "secret")
	if err != nil {
		t.Fatal(err)
	}
	client.Domain = srv.Listener.Addr().String()

	const policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:*:*:key/k1"}]}`
	steps := []struct {
		name string
		call func(c encryptperm.RAM) (responses.AcsResponse, error)
	}{
		{"CreateRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateCreateRoleRequest()
			req.RoleName, req.AssumeRolePolicyDocument, req.Description = "ShareRole", coreTrust, "d"
			req.MaxSessionDuration = requests.NewInteger(7200)
			return c.CreateRole(req)
		}},
		{"CreateRole again", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateCreateRoleRequest()
			req.RoleName, req.AssumeRolePolicyDocument = "sharerole", coreTrust
			return c.CreateRole(req)
		}},
		{"GetRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "ShareRole"
			return c.GetRole(req)
		}},
		{"GetRole throttled", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateGetRoleRequest()
			req.RoleName = "ShareRole"
			return c.GetRole(req)
		}},
		{"UpdateRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateUpdateRoleRequest()
			req.RoleName, req.NewDescription = "ShareRole", "shares <images> & snapshots"
			return c.UpdateRole(req)
		}},
		{"UpdateRole malformed", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateUpdateRoleRequest()
			req.RoleName, req.NewAssumeRolePolicyDocument = "ShareRole", `{"Version":"1"}`
			return c.UpdateRole(req)
		}},
		{"ListRoles", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateListRolesRequest()
			req.MaxItems = requests.NewInteger(1)
			return c.ListRoles(req)
		}},
		{"CreatePolicy", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateCreatePolicyRequest()
			req.PolicyName, req.PolicyDocument = "KeyPolicy", policy
			return c.CreatePolicy(req)
		}},
		{"CreatePolicyVersion", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateCreatePolicyVersionRequest()
			req.PolicyName, req.PolicyDocument = "KeyPolicy", policy
			req.SetAsDefault = requests.NewBoolean(true)
			req.RotateStrategy = "DeleteOldestNonDefaultVersionWhenLimitExceeded"
			return c.CreatePolicyVersion(req)
		}},
		{"GetPolicy", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateGetPolicyRequest()
			req.PolicyName, req.PolicyType = "KeyPolicy", "Custom"
			return c.GetPolicy(req)
		}},
		{"GetPolicyVersion", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateGetPolicyVersionRequest()
			req.PolicyName, req.PolicyType, req.VersionId = "KeyPolicy", "Custom", "v1"
			return c.GetPolicyVersion(req)
		}},
		{"GetPolicyVersion bad ID", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateGetPolicyVersionRequest()
			req.PolicyName, req.PolicyType, req.VersionId = "KeyPolicy", "Custom", "1"
			return c.GetPolicyVersion(req)
		}},
		{"ListPolicyVersions", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateListPolicyVersionsRequest()
			req.PolicyName, req.PolicyType = "KeyPolicy", "Custom"
			return c.ListPolicyVersions(req)
		}},
		{"SetDefaultPolicyVersion", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateSetDefaultPolicyVersionRequest()
			req.PolicyName, req.VersionId = "KeyPolicy", "v1"
			return c.SetDefaultPolicyVersion(req)
		}},
		{"DeletePolicyVersion", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDeletePolicyVersionRequest()
			req.PolicyName, req.VersionId = "KeyPolicy", "v2"
			return c.DeletePolicyVersion(req)
		}},
		{"AttachPolicyToRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateAttachPolicyToRoleRequest()
			req.PolicyType, req.PolicyName, req.RoleName = "Custom", "KeyPolicy", "ShareRole"
			return c.AttachPolicyToRole(req)
		}},
		{"AttachPolicyToRole again", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateAttachPolicyToRoleRequest()
			req.PolicyType, req.PolicyName, req.RoleName = "Custom", "KeyPolicy", "ShareRole"
			return c.AttachPolicyToRole(req)
		}},
		{"ListPoliciesForRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateListPoliciesForRoleRequest()
			req.RoleName = "ShareRole"
			return c.ListPoliciesForRole(req)
		}},
		{"ListEntitiesForPolicy", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateListEntitiesForPolicyRequest()
			req.PolicyName, req.PolicyType = "KeyPolicy", "Custom"
			return c.ListEntitiesForPolicy(req)
		}},
		{"DeletePolicy attached", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDeletePolicyRequest()
			req.PolicyName = "KeyPolicy"
			return c.DeletePolicy(req)
		}},
		{"DetachPolicyFromRole", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDetachPolicyFromRoleRequest()
			req.PolicyType, req.PolicyName, req.RoleName = "Custom", "KeyPolicy", "ShareRole"
			return c.DetachPolicyFromRole(req)
		}},
		{"DeletePolicy", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDeletePolicyRequest()
			req.PolicyName = "KeyPolicy"
			return c.DeletePolicy(req)
		}},
		{"DeleteRole answer lost", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDeleteRoleRequest()
			req.RoleName = "ShareRole"
			return c.DeleteRole(req)
		}},
		{"DeleteRole gone", func(c encryptperm.RAM) (responses.AcsResponse, error) {
			req := ram.CreateDeleteRoleRequest()
			req.RoleName = "ShareRole"
			return c.DeleteRole(req)
		}},
	}
	opt := cmp.Options{
		cmpopts.IgnoreTypes(&responses.BaseResponse{}),
	}
	for _, st := range steps {
		want := observe(st.call(client))
		got := observe(st.call(local))
		if diff := cmp.Diff(want, got, opt); diff != "" {
			t.Errorf("%s: in process differs from the wire (-wire +in-process):\n%s", st.name, diff)
		}
	}
}
