package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// The scenarios also run through the current SDK generation's core client,
// darabonba's generic CallApi, with its default signature (V3,
// ACS3-HMAC-SHA256), over the endpoint.
func init() {
	backends = append(backends, backend{
		name: "darabonba-v3-over-http",
		applier: func(t *testing.T, f *fake.RAM, o encryptperm.Options) encryptperm.Applier {
			ep := startEndpoint(t, f, nil)
			return encryptperm.NewApplier(newV3RAM(t, ep.Addr(), fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret, ""), &o)
		},
	})
}

// v3RAM is encryptperm.RAM over darabonba's CallApi: each call takes the
// parameters of the official SDK's request as the query, and the JSON answer
// fills the SDK's response struct.
type v3RAM struct{ c *openapi.Client }

func newV3RAM(t testing.TB, addr, id, secret, token string) *v3RAM {
	t.Helper()
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(id),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(addr),
		Protocol:        dara.String("HTTP"),
		NoProxy:         dara.String(addr),
	}
	if token != "" {
		cfg.SecurityToken = dara.String(token)
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &v3RAM{c: c}
}

// call sends RAM's action with req's parameters and decodes the answer
// into resp. A RAM error becomes the official SDK's *errors.ServerError, as
// the library expects from any client.
func (v *v3RAM) call(action string, req requests.AcsRequest, resp any) error {
	return v.callVersion(action, fake.APIVersion, req, resp)
}

// callVersion is call on another service's API version.
func (v *v3RAM) callVersion(action, version string, req requests.AcsRequest, resp any) error {
	if err := requests.InitParams(req); err != nil {
		return err
	}
	q := map[string]*string{}
	for k, val := range req.GetQueryParams() {
		q[k] = dara.String(val)
	}
	for k, val := range req.GetFormParams() {
		q[k] = dara.String(val)
	}
	if r := req.GetRegionId(); r != "" {
		// The V1 SDK adds RegionId as it signs; here it goes as a parameter.
		q["RegionId"] = dara.String(r)
	}
	params := &openapiutil.Params{
		Action: dara.String(action), Version: dara.String(version),
		Protocol: dara.String("HTTP"), Pathname: dara.String("/"), Method: dara.String("POST"),
		AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("string"),
	}
	out, err := v.c.CallApi(params, &openapiutil.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	if err != nil {
		var se *tea.SDKError
		if errors.As(err, &se) && dara.IntValue(se.StatusCode) >= 400 && se.Data != nil {
			return sdkerrors.NewServerError(dara.IntValue(se.StatusCode), dara.StringValue(se.Data), "")
		}
		return fmt.Errorf("v3 client: %s: %w", action, err)
	}
	body, _ := out["body"].(string)
	if err := json.Unmarshal([]byte(body), resp); err != nil {
		return fmt.Errorf("v3 client: %s: decode %q: %w", action, body, err)
	}
	return nil
}

func (v *v3RAM) CreateRole(r *ram.CreateRoleRequest) (*ram.CreateRoleResponse, error) {
	resp := ram.CreateCreateRoleResponse()
	return resp, v.call("CreateRole", r, resp)
}

func (v *v3RAM) GetRole(r *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	resp := ram.CreateGetRoleResponse()
	return resp, v.call("GetRole", r, resp)
}

func (v *v3RAM) UpdateRole(r *ram.UpdateRoleRequest) (*ram.UpdateRoleResponse, error) {
	resp := ram.CreateUpdateRoleResponse()
	return resp, v.call("UpdateRole", r, resp)
}

func (v *v3RAM) DeleteRole(r *ram.DeleteRoleRequest) (*ram.DeleteRoleResponse, error) {
	resp := ram.CreateDeleteRoleResponse()
	return resp, v.call("DeleteRole", r, resp)
}

func (v *v3RAM) ListRoles(r *ram.ListRolesRequest) (*ram.ListRolesResponse, error) {
	resp := ram.CreateListRolesResponse()
	return resp, v.call("ListRoles", r, resp)
}

func (v *v3RAM) CreatePolicy(r *ram.CreatePolicyRequest) (*ram.CreatePolicyResponse, error) {
	resp := ram.CreateCreatePolicyResponse()
	return resp, v.call("CreatePolicy", r, resp)
}

func (v *v3RAM) GetPolicy(r *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	resp := ram.CreateGetPolicyResponse()
	return resp, v.call("GetPolicy", r, resp)
}

func (v *v3RAM) DeletePolicy(r *ram.DeletePolicyRequest) (*ram.DeletePolicyResponse, error) {
	resp := ram.CreateDeletePolicyResponse()
	return resp, v.call("DeletePolicy", r, resp)
}

func (v *v3RAM) CreatePolicyVersion(r *ram.CreatePolicyVersionRequest) (*ram.CreatePolicyVersionResponse, error) {
	resp := ram.CreateCreatePolicyVersionResponse()
	return resp, v.call("CreatePolicyVersion", r, resp)
}

func (v *v3RAM) GetPolicyVersion(r *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	resp := ram.CreateGetPolicyVersionResponse()
	return resp, v.call("GetPolicyVersion", r, resp)
}

func (v *v3RAM) ListPolicyVersions(r *ram.ListPolicyVersionsRequest) (*ram.ListPolicyVersionsResponse, error) {
	resp := ram.CreateListPolicyVersionsResponse()
	return resp, v.call("ListPolicyVersions", r, resp)
}

func (v *v3RAM) DeletePolicyVersion(r *ram.DeletePolicyVersionRequest) (*ram.DeletePolicyVersionResponse, error) {
	resp := ram.CreateDeletePolicyVersionResponse()
	return resp, v.call("DeletePolicyVersion", r, resp)
}

func (v *v3RAM) SetDefaultPolicyVersion(r *ram.SetDefaultPolicyVersionRequest) (*ram.SetDefaultPolicyVersionResponse, error) {
	resp := ram.CreateSetDefaultPolicyVersionResponse()
	return resp, v.call("SetDefaultPolicyVersion", r, resp)
}

func (v *v3RAM) AttachPolicyToRole(r *ram.AttachPolicyToRoleRequest) (*ram.AttachPolicyToRoleResponse, error) {
	resp := ram.CreateAttachPolicyToRoleResponse()
	return resp, v.call("AttachPolicyToRole", r, resp)
}

func (v *v3RAM) DetachPolicyFromRole(r *ram.DetachPolicyFromRoleRequest) (*ram.DetachPolicyFromRoleResponse, error) {
	resp := ram.CreateDetachPolicyFromRoleResponse()
	return resp, v.call("DetachPolicyFromRole", r, resp)
}

func (v *v3RAM) ListPoliciesForRole(r *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	resp := ram.CreateListPoliciesForRoleResponse()
	return resp, v.call("ListPoliciesForRole", r, resp)
}

func (v *v3RAM) ListEntitiesForPolicy(r *ram.ListEntitiesForPolicyRequest) (*ram.ListEntitiesForPolicyResponse, error) {
	resp := ram.CreateListEntitiesForPolicyResponse()
	return resp, v.call("ListEntitiesForPolicy", r, resp)
}

// DescribeKey and GetKeyPolicy are KMS's, which Check reads.
func (v *v3RAM) DescribeKey(r *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	resp := kms.CreateDescribeKeyResponse()
	return resp, v.callVersion("DescribeKey", fake.KMSAPIVersion, r, resp)
}

func (v *v3RAM) GetKeyPolicy(r *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	resp := kms.CreateGetKeyPolicyResponse()
	return resp, v.callVersion("GetKeyPolicy", fake.KMSAPIVersion, r, resp)
}

var (
	_ encryptperm.RAM = (*v3RAM)(nil)
	_ encryptperm.KMS = (*v3RAM)(nil)
)

// TestV3ClientKeys checks darabonba's STS and wrong-secret paths over the
// endpoint: a token travels in x-acs-security-token and is accepted; a wrong
// secret is refused RAM-style and reaches nothing.
func TestV3ClientKeys(t *testing.T) {
	f := fake.New(nil)
	ep := startEndpoint(t, f, &fake.ServerOptions{Credentials: []fake.Credential{
		{AccessKeyID: "STS.key", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"},
	}})
	get := func(c *v3RAM) error {
		req := ram.CreateListRolesRequest()
		_, err := c.ListRoles(req)
		return err
	}
	if err := get(newV3RAM(t, ep.Addr(), "STS.key", "sts-secret", "sts-token")); err != nil {
		t.Fatalf("ListRoles with an STS key: %v", err)
	}
	tests := []struct {
		name, secret, token, wantCode string
	}{
		{"wrong secret", "nope", "sts-token", "SignatureDoesNotMatch"},
		{"wrong token", "sts-secret", "other", "InvalidSecurityToken.MismatchWithAccessKey"},
		{"no token", "sts-secret", "", "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tt := range tests {
		err := get(newV3RAM(t, ep.Addr(), "STS.key", tt.secret, tt.token))
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) || se.ErrorCode() != tt.wantCode {
			t.Errorf("%s: error = %v, want %s", tt.name, err, tt.wantCode)
		}
		if err != nil && (strings.Contains(err.Error(), "sts-token") || strings.Contains(err.Error(), "sts-secret")) {
			t.Errorf("%s: error %q holds a secret", tt.name, err)
		}
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("fake saw %d calls, want only the accepted one", n)
	}
}
