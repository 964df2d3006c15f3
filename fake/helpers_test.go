package fake_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// t0 is the start time of the test clocks.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// t0Date is t0 as RAM writes dates.
const t0Date = "2026-01-02T03:04:05Z"

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newFake returns a fake whose clock starts at t0, configured by opts.
func newFake(t *testing.T, opts *fake.Options) (*fake.RAM, *testClock) {
	t.Helper()
	c := &testClock{now: t0}
	var o fake.Options
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = c.Now
	}
	return fake.New(&o), c
}

// Documents RAM accepts.
const (
	ecsTrust = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	// ecsTrustPretty is ecsTrust as a person writes it.
	ecsTrustPretty = `{
  "Statement": [
    {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}
  ],
  "Version": "1"
}`
	keyPolicy  = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key/k1"]}]}`
	keyPolicy2 = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key/k1"]}]}`
)

// serverError returns err as the SDK's server error, failing the test when it
// is not one.
func serverError(t *testing.T, err error) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *errors.ServerError", err, err)
	}
	return se
}

// errCode returns the code of a server error, or "" for nil.
func errCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	return serverError(t, err).ErrorCode()
}

func mustCreateRole(t *testing.T, f *fake.RAM, name, trust string) *ram.CreateRoleResponse {
	t.Helper()
	req := ram.CreateCreateRoleRequest()
	req.RoleName = name
	req.AssumeRolePolicyDocument = trust
	resp, err := f.CreateRole(req)
	if err != nil {
		t.Fatalf("create role %q: %v", name, err)
	}
	return resp
}

func mustCreatePolicy(t *testing.T, f *fake.RAM, name, doc string) *ram.CreatePolicyResponse {
	t.Helper()
	req := ram.CreateCreatePolicyRequest()
	req.PolicyName = name
	req.PolicyDocument = doc
	resp, err := f.CreatePolicy(req)
	if err != nil {
		t.Fatalf("create policy %q: %v", name, err)
	}
	return resp
}

func coreCreateVersion(f *fake.RAM, name, doc string, setDefault bool, rotate string) (*ram.CreatePolicyVersionResponse, error) {
	req := ram.CreateCreatePolicyVersionRequest()
	req.PolicyName = name
	req.PolicyDocument = doc
	req.SetAsDefault = requests.NewBoolean(setDefault)
	req.RotateStrategy = rotate
	return f.CreatePolicyVersion(req)
}

func coreAttach(f *fake.RAM, typ, policy, role string) error {
	req := ram.CreateAttachPolicyToRoleRequest()
	req.PolicyType = typ
	req.PolicyName = policy
	req.RoleName = role
	_, err := f.AttachPolicyToRole(req)
	return err
}

func mustAttach(t *testing.T, f *fake.RAM, typ, policy, role string) {
	t.Helper()
	if err := coreAttach(f, typ, policy, role); err != nil {
		t.Fatalf("attach %s policy %q to %q: %v", typ, policy, role, err)
	}
}

func coreGetRole(f *fake.RAM, name string) (*ram.GetRoleResponse, error) {
	req := ram.CreateGetRoleRequest()
	req.RoleName = name
	return f.GetRole(req)
}

// versionIDs returns the IDs of a policy's versions and its default.
func versionIDs(t *testing.T, f *fake.RAM, name string) (ids string, def string) {
	t.Helper()
	vs, ok := f.PolicyVersions(string(encryptperm.Custom), name)
	if !ok {
		t.Fatalf("policy %q does not exist", name)
	}
	var s []string
	for _, v := range vs {
		s = append(s, v.ID)
		if v.IsDefault {
			def = v.ID
		}
	}
	return strings.Join(s, ","), def
}
