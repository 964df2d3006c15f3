// This file holds the RAM operations called in process, with the SDK's request
// and response types.

package fake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// The in-process methods take and return the SDK's own types. Each one turns
// the SDK request into the parameters the SDK would send, runs the call, and
// builds the SDK response from the same status, headers and JSON body the
// endpoint sends, through the SDK's own unmarshalling. Errors are therefore
// the SDK's: *errors.ServerError for RAM's refusals, and for a lost answer the
// *url.Error that a *ram.Client with its default configuration (AutoRetry
// off) returns when the connection drops.

// CreateRole creates a role with a trust policy.
func (r *RAM) CreateRole(request *ram.CreateRoleRequest) (*ram.CreateRoleResponse, error) {
	response := ram.CreateCreateRoleResponse()
	return response, r.invoke(request, response)
}

// GetRole reads a role and its trust policy.
func (r *RAM) GetRole(request *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	response := ram.CreateGetRoleResponse()
	return response, r.invoke(request, response)
}

// UpdateRole replaces a role's trust policy, description or maximum session duration; parameters left empty are unchanged.
func (r *RAM) UpdateRole(request *ram.UpdateRoleRequest) (*ram.UpdateRoleResponse, error) {
	response := ram.CreateUpdateRoleResponse()
	return response, r.invoke(request, response)
}

// DeleteRole deletes a role that has no attached policies.
func (r *RAM) DeleteRole(request *ram.DeleteRoleRequest) (*ram.DeleteRoleResponse, error) {
	response := ram.CreateDeleteRoleResponse()
	return response, r.invoke(request, response)
}

// ListRoles lists roles sorted by name, one page at a time (Marker, MaxItems; 100 a page by default).
func (r *RAM) ListRoles(request *ram.ListRolesRequest) (*ram.ListRolesResponse, error) {
	response := ram.CreateListRolesResponse()
	return response, r.invoke(request, response)
}

// CreatePolicy creates a custom policy whose first version, v1, is its default.
func (r *RAM) CreatePolicy(request *ram.CreatePolicyRequest) (*ram.CreatePolicyResponse, error) {
	response := ram.CreateCreatePolicyResponse()
	return response, r.invoke(request, response)
}

// GetPolicy reads a system or custom policy and its default version.
func (r *RAM) GetPolicy(request *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	response := ram.CreateGetPolicyResponse()
	return response, r.invoke(request, response)
}

// DeletePolicy deletes a custom policy that is attached to no role and has no version but its default.
func (r *RAM) DeletePolicy(request *ram.DeletePolicyRequest) (*ram.DeletePolicyResponse, error) {
	response := ram.CreateDeletePolicyResponse()
	return response, r.invoke(request, response)
}

// CreatePolicyVersion adds a version to a custom policy, honouring SetAsDefault and RotateStrategy.
func (r *RAM) CreatePolicyVersion(request *ram.CreatePolicyVersionRequest) (*ram.CreatePolicyVersionResponse, error) {
	response := ram.CreateCreatePolicyVersionResponse()
	return response, r.invoke(request, response)
}

// GetPolicyVersion reads one version of a policy.
func (r *RAM) GetPolicyVersion(request *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	response := ram.CreateGetPolicyVersionResponse()
	return response, r.invoke(request, response)
}

// ListPolicyVersions lists every version of a policy, oldest first.
func (r *RAM) ListPolicyVersions(request *ram.ListPolicyVersionsRequest) (*ram.ListPolicyVersionsResponse, error) {
	response := ram.CreateListPolicyVersionsResponse()
	return response, r.invoke(request, response)
}

// DeletePolicyVersion deletes a version of a custom policy that is not its default.
func (r *RAM) DeletePolicyVersion(request *ram.DeletePolicyVersionRequest) (*ram.DeletePolicyVersionResponse, error) {
	response := ram.CreateDeletePolicyVersionResponse()
	return response, r.invoke(request, response)
}

// SetDefaultPolicyVersion makes a version of a custom policy its default.
func (r *RAM) SetDefaultPolicyVersion(request *ram.SetDefaultPolicyVersionRequest) (*ram.SetDefaultPolicyVersionResponse, error) {
	response := ram.CreateSetDefaultPolicyVersionResponse()
	return response, r.invoke(request, response)
}

// AttachPolicyToRole attaches a system or custom policy to a role.
func (r *RAM) AttachPolicyToRole(request *ram.AttachPolicyToRoleRequest) (*ram.AttachPolicyToRoleResponse, error) {
	response := ram.CreateAttachPolicyToRoleResponse()
	return response, r.invoke(request, response)
}

// DetachPolicyFromRole detaches a policy from a role.
func (r *RAM) DetachPolicyFromRole(request *ram.DetachPolicyFromRoleRequest) (*ram.DetachPolicyFromRoleResponse, error) {
	response := ram.CreateDetachPolicyFromRoleResponse()
	return response, r.invoke(request, response)
}

// ListPoliciesForRole lists the policies attached to a role, sorted by name.
func (r *RAM) ListPoliciesForRole(request *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	response := ram.CreateListPoliciesForRoleResponse()
	return response, r.invoke(request, response)
}

// ListEntitiesForPolicy lists the roles a policy is attached to; the fake has no users or groups, so those lists are empty.
func (r *RAM) ListEntitiesForPolicy(request *ram.ListEntitiesForPolicyRequest) (*ram.ListEntitiesForPolicyResponse, error) {
	response := ram.CreateListEntitiesForPolicyResponse()
	return response, r.invoke(request, response)
}

// ListPolicies lists policies sorted by name, one page at a time, optionally of one PolicyType. It is not part of encryptperm.RAM.
func (r *RAM) ListPolicies(request *ram.ListPoliciesRequest) (*ram.ListPoliciesResponse, error) {
	response := ram.CreateListPoliciesResponse()
	return response, r.invoke(request, response)
}

// sdkCommonParams are the RPC protocol's own parameters, which the core
// never sees.
var sdkCommonParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "RegionId": true,
	"AccessKeyId": true, "Signature": true, "SignatureMethod": true, "SignatureVersion": true,
	"SignatureNonce": true, "SignatureType": true, "Timestamp": true, "SecurityToken": true,
	"BearerToken": true,
}

// invoke runs one in-process call and fills response as the SDK would.
func (r *RAM) invoke(req requests.AcsRequest, response responses.AcsResponse) error {
	if !usable(req) {
		return errors.NewClientError(errors.DefaultClientErrorCode,
			"fake: the request is nil or was not made by its ram.Create...Request function", nil)
	}
	// The SDK fills the query from the request's fields the same way just
	// before it signs.
	if err := requests.InitParams(req); err != nil {
		return err
	}
	p := requestParams(req, func(k string) bool { return !sdkCommonParams[k] })
	action := req.GetActionName()
	return r.answerSDK(req, response, action, p)
}

// requestParams gathers the query and form parameters of req that keep
// accepts.
func requestParams(req requests.AcsRequest, keep func(name string) bool) map[string]string {
	p := make(map[string]string)
	for _, m := range []map[string]string{req.GetQueryParams(), req.GetFormParams()} {
		for k, v := range m {
			if keep(k) {
				p[k] = v
			}
		}
	}
	return p
}

// answerSDK runs action with params p in process and fills the SDK response
// the way the SDK fills it from an HTTP answer, so that an in-process call
// and a call over the wire decode alike.
func (r *RAM) answerSDK(req requests.AcsRequest, response responses.AcsResponse, action string, p map[string]string) error {
	res := r.do(context.Background(), request{Action: action, Params: p})
	if res.Lost {
		return lostError(req, action, p)
	}
	body := bytes.Clone(res.Body)
	h := res.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	hr := &http.Response{
		Status:        fmt.Sprintf("%d %s", res.Status, http.StatusText(res.Status)),
		StatusCode:    res.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}
	err := responses.Unmarshal(response, hr, req.GetAcceptFormat())
	if se, ok := err.(*errors.ServerError); ok {
		se.RespHeaders = response.GetHttpHeaders()
	}
	return err
}

// usable reports whether request is a non-nil SDK request whose embedded
// RPC request is set, as the ram.Create...Request functions make them.
func usable(req requests.AcsRequest) bool {
	v := reflect.ValueOf(req)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	e := v.Elem()
	if e.Kind() != reflect.Struct || e.NumField() == 0 {
		return false
	}
	f := e.Field(0)
	return f.Kind() != reflect.Pointer || !f.IsNil()
}

// lostError is the error a *ram.Client returns when the connection drops
// before the answer: the transport's *url.Error, unwrapped by the SDK. Its URL
// holds the call's parameters, and no secret, since in-process calls have
// none.
func lostError(req requests.AcsRequest, action string, p map[string]string) error {
	q := make(url.Values, len(p)+3)
	for k, v := range p {
		q.Set(k, v)
	}
	q.Set("Action", action)
	q.Set("Format", "JSON")
	q.Set("Version", req.GetVersion())
	u := "http://" + hostID + "/?" + q.Encode()
	return &url.Error{Op: methodName(req.GetMethod()), URL: u, Err: io.EOF}
}

// methodName spells an HTTP method as url.Error does: "Post", "Get".
func methodName(m string) string {
	if m == "" {
		m = http.MethodPost
	}
	return m[:1] + strings.ToLower(m[1:])
}
