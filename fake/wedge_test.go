package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// wedgeGuard is how long a call may take before the test calls the fake
// wedged. It only bounds a failure: a call that works answers at once.
const wedgeGuard = 20 * time.Second

// within runs call and fails the test if it does not return within
// wedgeGuard: a fake that kept its lock after a panic never answers again.
func within(t *testing.T, what string, call func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		call()
	}()
	select {
	case <-done:
	case <-time.After(wedgeGuard):
		t.Fatalf("%s did not return within %v: the fake is wedged", what, wedgeGuard)
	}
}

// rawGet sends a signed query to the endpoint and returns the answer; it
// reports errors rather than failing, as it runs beside the test.
func rawGet(base string, q url.Values) (status int, body gatewayBody, raw []byte, err error) {
	resp, err := http.Get(base + "/?" + q.Encode())
	if err != nil {
		return 0, body, nil, err
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	return resp.StatusCode, body, raw, err
}

// A PageNumber of 2^63-1 made the page's offset overflow and the handler
// panic while it held the fake's lock, so that every later call hung. The
// value is refused as ECS refuses one out of range, and the next call is
// answered.
func TestHugePageNumberIsRefusedAndTheFakeAnswersOn(t *testing.T) {
	f, _ := seeded(t, nil)
	ep := start(t, f, nil)
	c, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	rc := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	tests := []struct {
		name string
		ecs  func() error
	}{
		{"over the endpoint", func() error {
			req := ecs.CreateDescribeImagesRequest()
			req.RegionId, req.PageNumber = svcRegion, "9223372036854775807"
			_, err := c.DescribeImages(req)
			return err
		}},
		{"in process", func() error {
			req := ecs.CreateDescribeImagesRequest()
			req.RegionId, req.PageNumber = svcRegion, "9223372036854775807"
			_, err := f.DescribeImages(req)
			return err
		}},
		{"PageNumber at the bound, PageSize at its most", func() error {
			req := ecs.CreateDescribeImagesRequest()
			req.RegionId, req.PageNumber, req.PageSize = svcRegion, "2147483647", "100"
			resp, err := c.DescribeImages(req)
			if err == nil && (len(resp.Images.Image) != 0 || resp.PageNumber != 2147483647 || resp.TotalCount != 4) {
				t.Errorf("a page past the end: %d images, PageNumber %d, TotalCount %d; want none, 2147483647, 4", len(resp.Images.Image), resp.PageNumber, resp.TotalCount)
			}
			return err
		}},
	}
	wantCode := map[string]string{"over the endpoint": "InvalidParameter.PageNumber", "in process": "InvalidParameter.PageNumber"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			within(t, "DescribeImages", func() { err = tt.ecs() })
			code := ""
			if err != nil {
				code = errCode(t, err)
			}
			if code != wantCode[tt.name] {
				t.Errorf("DescribeImages: code %q, want %q", code, wantCode[tt.name])
			}
			within(t, "the next GetRole", func() {
				req := ram.CreateGetRoleRequest()
				req.RoleName = "Missing"
				_, err = rc.GetRole(req)
			})
			if code := errCode(t, err); code != "EntityNotExist.Role" {
				t.Errorf("the next GetRole: %q, want EntityNotExist.Role", code)
			}
		})
	}
}

// Paging values outside the services' ranges are refused with each
// parameter's code, before anything is listed; the bounds RAM and the
// services do not publish can be set.
func TestPagingBounds(t *testing.T) {
	f, _ := seeded(t, &fake.Options{Paging: fake.Paging{MaxItems: 50, MaxTokenBytes: 8}})
	long := make([]byte, 9)
	for i := range long {
		long[i] = '1'
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"PageNumber past 2^31-1", func() error {
			req := ecs.CreateDescribeSnapshotsRequest()
			req.RegionId, req.PageNumber = svcRegion, "2147483648"
			_, err := f.DescribeSnapshots(req)
			return err
		}, "InvalidParameter.PageNumber"},
		{"PageSize past 100", func() error {
			req := ecs.CreateDescribeImageSharePermissionRequest()
			req.RegionId, req.ImageId, req.PageSize = svcRegion, sharedImage, "101"
			_, err := f.DescribeImageSharePermission(req)
			return err
		}, "InvalidParameter.PageSize"},
		{"MaxResults past 100", func() error {
			req := resourcesharing.CreateListResourceSharesRequest()
			req.RegionId, req.ResourceOwner, req.MaxResults = svcRegion, "Self", "101"
			_, err := f.ListResourceShares(req)
			return err
		}, "InvalidParameter.MaxResults"},
		{"NextToken longer than the bound", func() error {
			req := resourcesharing.CreateListResourceSharesRequest()
			req.RegionId, req.ResourceOwner, req.NextToken = svcRegion, "Self", string(long)
			_, err := f.ListResourceShares(req)
			return err
		}, "InvalidParameter.NextToken"},
		{"MaxItems past the bound set", func() error {
			req := ram.CreateListRolesRequest()
			req.MaxItems = "51"
			_, err := f.ListRoles(req)
			return err
		}, "InvalidParameter.MaxItems"},
		{"MaxItems at the bound set", func() error {
			req := ram.CreateListRolesRequest()
			req.MaxItems = "50"
			_, err := f.ListRoles(req)
			return err
		}, ""},
		{"Marker longer than the bound", func() error {
			req := ram.CreateListRolesRequest()
			req.Marker = "QUJDREVGR0hJ" // base64 of nine bytes, twelve long
			_, err := f.ListRoles(req)
			return err
		}, "InvalidParameter.Marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			within(t, tt.name, func() { err = tt.call() })
			code := ""
			if err != nil {
				code = errCode(t, err)
			}
			if code != tt.want {
				t.Errorf("code %q, want %q", code, tt.want)
			}
		})
	}
}

// A panic while the fake serves a call (here, in a clock the test gives it)
// is answered with RAM's 500 InternalError and a RequestId, is logged as
// such, and leaves the fake answering: every lock is released.
func TestPanicIsAnsweredInternalError(t *testing.T) {
	var boom atomic.Bool
	f := fake.New(&fake.Options{Clock: func() time.Time {
		if boom.Load() {
			panic("clock broke")
		}
		return serverTime
	}})
	ep := start(t, f, &fake.ServerOptions{Clock: func() time.Time { return serverTime }})

	// In process.
	boom.Store(true)
	var err error
	within(t, "GetRole in process", func() {
		req := ram.CreateGetRoleRequest()
		req.RoleName = "Any"
		_, err = f.GetRole(req)
	})
	se := serverError(t, err)
	if se.ErrorCode() != "InternalError" || se.HttpStatus() != http.StatusInternalServerError || se.RequestId() == "" {
		t.Errorf("in process: %s %d RequestId %q, want InternalError 500 with a RequestId", se.ErrorCode(), se.HttpStatus(), se.RequestId())
	}

	// Over the endpoint, signed by hand to read the body.
	var (
		status int
		body   gatewayBody
		raw    []byte
	)
	within(t, "GetRole over the endpoint", func() {
		q := sign(http.MethodGet, rpcParams(fake.DefaultAccessKeyID, "GetRole", serverTime, "n-1", map[string]string{"RoleName": "Any"}), fake.DefaultAccessKeySecret)
		status, body, raw, err = rawGet(ep.URL(), q)
	})
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusInternalServerError || body.Code != "InternalError" || body.RequestID == "" || body.HostID != "ram.aliyuncs.com" {
		t.Errorf("over the endpoint: %d %s, want 500 with RAM's InternalError body", status, raw)
	}

	// The fake answers on, and logged both calls.
	boom.Store(false)
	within(t, "GetRole after the panics", func() {
		req := ram.CreateGetRoleRequest()
		req.RoleName = "Any"
		_, err = f.GetRole(req)
	})
	if code := errCode(t, err); code != "EntityNotExist.Role" {
		t.Errorf("after the panics: %q, want EntityNotExist.Role", code)
	}
	var got []string
	for _, c := range f.Calls() {
		got = append(got, c.Action+" "+c.Code)
	}
	if diff := cmp.Diff([]string{"GetRole InternalError", "GetRole InternalError", "GetRole EntityNotExist.Role"}, got); diff != "" {
		t.Errorf("call log (-want +got):\n%s", diff)
	}
}

// A panic in the endpoint's own checks, before the fake sees the call, is
// answered 500 InternalError too.
func TestEndpointPanicIsAnsweredInternalError(t *testing.T) {
	f := fake.New(nil)
	var boom atomic.Bool
	ep := start(t, f, &fake.ServerOptions{Clock: func() time.Time {
		if boom.Load() {
			panic("server clock broke")
		}
		return serverTime
	}})
	boom.Store(true)
	var (
		status int
		body   gatewayBody
		raw    []byte
		err    error
	)
	within(t, "a call whose check panics", func() {
		q := sign(http.MethodGet, rpcParams(fake.DefaultAccessKeyID, "GetRole", serverTime, "n-1", map[string]string{"RoleName": "Any"}), fake.DefaultAccessKeySecret)
		status, body, raw, err = rawGet(ep.URL(), q)
	})
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusInternalServerError || body.Code != "InternalError" || body.RequestID == "" {
		t.Errorf("got %d %s, want 500 InternalError with a RequestId", status, raw)
	}
	boom.Store(false)
	within(t, "the next call", func() {
		q := sign(http.MethodGet, rpcParams(fake.DefaultAccessKeyID, "GetRole", serverTime, "n-2", map[string]string{"RoleName": "Any"}), fake.DefaultAccessKeySecret)
		status, body, raw, err = rawGet(ep.URL(), q)
	})
	if err != nil || status != http.StatusNotFound || body.Code != "EntityNotExist.Role" {
		t.Errorf("the next call: %d %s %v, want 404 EntityNotExist.Role", status, raw, err)
	}
}
