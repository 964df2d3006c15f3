package fake_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// The call log kept every parameter whole: sixteen calls with a 4 MiB KeyId
// pinned 64 MiB. It keeps the first bytes of each value and a marker, in
// memory of its own, so that MaxCalls bounds what the log holds.
func TestCallLogKeepsABoundedPrefix(t *testing.T) {
	const (
		calls = 16
		big   = 4 << 20
	)
	f := fake.New(nil)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range calls {
		// A value of its own per call, as each request over the wire has.
		req := kms.CreateDescribeKeyRequest()
		req.RegionId = "cn-hangzhou"
		req.KeyId = strings.Repeat(string(rune('a'+i)), big)
		if _, err := f.DescribeKey(req); err == nil {
			t.Fatal("DescribeKey of a key that does not exist succeeded")
		}
	}
	after := heap()
	grew := int64(after) - int64(before)
	if grew > 8<<20 {
		t.Errorf("the heap grew by %d bytes over %d calls with a %d-byte KeyId; want at most %d", grew, calls, big, 8<<20)
	}
	t.Logf("the heap grew by %d bytes over %d calls", grew, calls)
	got := f.Calls()
	if len(got) != calls {
		t.Fatalf("%d calls logged, want %d", len(got), calls)
	}
	for i, c := range got {
		want := strings.Repeat(string(rune('a'+i)), fake.DefaultMaxCallValueBytes) + fmt.Sprintf("…[%d more bytes]", big-fake.DefaultMaxCallValueBytes)
		if c.Params["KeyId"] != want {
			t.Errorf("call %d: KeyId of %d bytes logged, want the first %d and a marker", i, len(c.Params["KeyId"]), fake.DefaultMaxCallValueBytes)
		}
		if c.Params["RegionId"] != "cn-hangzhou" {
			t.Errorf("call %d: RegionId %q, want it whole", i, c.Params["RegionId"])
		}
	}
}

// A value is cut on a character boundary, and the bound can be set; short
// values and documents are kept whole.
func TestCallLogCutsOnACharacterBoundary(t *testing.T) {
	f := fake.New(&fake.Options{MaxCallValueBytes: 10})
	req := ram.CreateGetRoleRequest()
	req.RoleName = "abcdefghi€xyz" // € is three bytes, from byte 9 to 12
	_, _ = f.GetRole(req)
	req = ram.CreateGetRoleRequest()
	req.RoleName = "short"
	_, _ = f.GetRole(req)
	var got []string
	for _, c := range f.Calls() {
		got = append(got, c.Params["RoleName"])
	}
	want := []string{"abcdefghi…[6 more bytes]", "short"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged RoleNames (-want +got):\n%s", diff)
	}
}

// A call with more parameters than the log keeps is logged with the first
// ones by name, and says how many it left out.
func TestCallLogBoundsTheNumberOfParameters(t *testing.T) {
	f := fake.New(nil)
	ep := start(t, f, nil)
	c, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	req := ecsShareRequest(100)
	_, _ = c.ModifyImageSharePermission(req)
	calls := f.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls logged, want 1", len(calls))
	}
	// 100 AddAccount.N, ImageId and RegionId: 102 parameters.
	if got := []int{len(calls[0].Params), calls[0].Omitted}; !cmp.Equal(got, []int{64, 38}) {
		t.Errorf("kept %d parameters and left out %d, want 64 and 38", got[0], got[1])
	}
}

// ecsShareRequest asks to share an image with n accounts.
func ecsShareRequest(n int) *ecs.ModifyImageSharePermissionRequest {
	req := ecs.CreateModifyImageSharePermissionRequest()
	req.RegionId, req.ImageId = svcRegion, sharedImage
	accounts := make([]string, n)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("2%015d", i)
	}
	req.AddAccount = &accounts
	return req
}
