package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
	"github.com/ecsperm/ecsperm/fake"
)

// pgGuard is how many calls of the listing under test the mocks answer
// before they refuse: without a bound in the engine, a listing that never
// ends stops there and the test fails on the count instead of hanging.
const pgGuard = 100

// pgCounter counts the calls of each action the mocks answered.
type pgCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *pgCounter) inc(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[action]++
	return c.n[action]
}

func (c *pgCounter) get(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[action]
}

// pgRS is a mock Resource Sharing that passes every call to f, except the
// listing attack answers: attack gets the call's number and the fake's
// answer, and returns the answer to give.
func pgRS(ctrl *gomock.Controller, f *fake.RAM, c *pgCounter, action string, attack func(n int, resp any) any) *mock.MockResourceSharing {
	m := mock.NewMockResourceSharing(ctrl)
	guard := func(a string) (int, error) {
		n := c.inc(a)
		if a == action && n > pgGuard {
			return n, fmt.Errorf("mock: %s called %d times", a, n)
		}
		return n, nil
	}
	m.EXPECT().ListResourceShares(gomock.Any()).DoAndReturn(func(r *resourcesharing.ListResourceSharesRequest) (*resourcesharing.ListResourceSharesResponse, error) {
		n, err := guard("ListResourceShares")
		if err != nil {
			return nil, err
		}
		// The fake would refuse a token it did not give: serve it the
		// first page.
		r.NextToken = ""
		resp, err := f.ListResourceShares(r)
		if err == nil && action == "ListResourceShares" {
			resp = attack(n, resp).(*resourcesharing.ListResourceSharesResponse)
		}
		return resp, err
	}).AnyTimes()
	m.EXPECT().ListResourceShareAssociations(gomock.Any()).DoAndReturn(func(r *resourcesharing.ListResourceShareAssociationsRequest) (*resourcesharing.ListResourceShareAssociationsResponse, error) {
		n, err := guard("ListResourceShareAssociations")
		if err != nil {
			return nil, err
		}
		r.NextToken = ""
		resp, err := f.ListResourceShareAssociations(r)
		if err == nil && action == "ListResourceShareAssociations" {
			resp = attack(n, resp).(*resourcesharing.ListResourceShareAssociationsResponse)
		}
		return resp, err
	}).AnyTimes()
	m.EXPECT().CheckSharingWithResourceDirectoryStatus(gomock.Any()).DoAndReturn(f.CheckSharingWithResourceDirectoryStatus).AnyTimes()
	// No write may be made: gomock fails the test on an unexpected call.
	return m
}

// pgECS is a mock ECS that passes every call to f, and answers
// DescribeImageSharePermission as attack says when action names it.
func pgECS(ctrl *gomock.Controller, f *fake.RAM, c *pgCounter, action string, attack func(n int, resp any) any) *mock.MockECS {
	m := mock.NewMockECS(ctrl)
	m.EXPECT().DescribeImages(gomock.Any()).DoAndReturn(f.DescribeImages).AnyTimes()
	m.EXPECT().DescribeSnapshots(gomock.Any()).DoAndReturn(f.DescribeSnapshots).AnyTimes()
	m.EXPECT().DescribeImageSharePermission(gomock.Any()).DoAndReturn(func(r *ecs.DescribeImageSharePermissionRequest) (*ecs.DescribeImageSharePermissionResponse, error) {
		n := c.inc("DescribeImageSharePermission")
		if action == "DescribeImageSharePermission" && n > pgGuard {
			return nil, fmt.Errorf("mock: DescribeImageSharePermission called %d times", n)
		}
		resp, err := f.DescribeImageSharePermission(r)
		if err == nil && action == "DescribeImageSharePermission" {
			resp = attack(n, resp).(*ecs.DescribeImageSharePermissionResponse)
		}
		return resp, err
	}).AnyTimes()
	return m
}

// TestPagingNeverLoopsForever: a service that gives the same page token
// again, or pages without end, ends the share step's read with an error
// that names the call, after the calls written out below, in Check and in
// Apply alike; Apply writes nothing.
func TestPagingNeverLoopsForever(t *testing.T) {
	sameToken := func(_ int, resp any) any {
		switch r := resp.(type) {
		case *resourcesharing.ListResourceSharesResponse:
			r.NextToken = "again"
		case *resourcesharing.ListResourceShareAssociationsResponse:
			r.NextToken = "again"
		}
		return resp
	}
	newToken := func(n int, resp any) any {
		switch r := resp.(type) {
		case *resourcesharing.ListResourceSharesResponse:
			r.NextToken = fmt.Sprintf("page-%d", n+1)
		case *resourcesharing.ListResourceShareAssociationsResponse:
			r.NextToken = fmt.Sprintf("page-%d", n+1)
		}
		return resp
	}
	long := strings.Repeat("x", 1<<20)
	longToken := func(_ int, resp any) any {
		resp.(*resourcesharing.ListResourceSharesResponse).NextToken = long
		return resp
	}
	endless := func(n int, resp any) any {
		r := resp.(*ecs.DescribeImageSharePermissionResponse)
		r.TotalCount = 1 << 30
		r.Accounts.Account = []ecs.Account{{AliyunId: fmt.Sprintf("30000000%08d", n)}}
		return r
	}
	snapshot := encryptperm.ShareSnapshot().WithSnapshot(shRegion, shSnapshot).WithAccounts(apAcctA)
	image := encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA)
	tests := []struct {
		name     string
		action   string
		attack   func(n int, resp any) any
		maxPages int // Options.Limits.ListMaxPages; 0 keeps the default
		give     *encryptperm.ShareBuilder
		wantIn   []string // what the error says
		wantLim  bool     // errors.Is(err, ErrLimitExceeded)
		// The calls of action, per Check and per Apply: the listing is
		// read once by each, twice for Check's Target associations and
		// Resource associations.
		wantCheck, wantApply int
	}{
		{
			name: "ListResourceShares gives the same token", action: "ListResourceShares", attack: sameToken, give: snapshot,
			wantIn: []string{`ListResourceShares "cn-hangzhou"`, `page token "again" a second time`}, wantCheck: 2, wantApply: 2,
		},
		{
			name: "ListResourceShareAssociations gives the same token", action: "ListResourceShareAssociations", attack: sameToken, give: snapshot,
			wantIn: []string{`ListResourceShareAssociations "cn-hangzhou/`, `page token "again" a second time`}, wantCheck: 4, wantApply: 4,
		},
		{
			// The error quotes the start of the token only.
			name: "ListResourceShares gives a 1 MiB token twice", action: "ListResourceShares", attack: longToken, give: snapshot,
			wantIn: []string{`page token "` + long[:64] + `"... (1048576 bytes) a second time`}, wantCheck: 2, wantApply: 2,
		},
		{
			name: "ListResourceShares pages without end", action: "ListResourceShares", attack: newToken, maxPages: 5, give: snapshot,
			wantIn: []string{`ListResourceShares "cn-hangzhou"`, "more than 5 pages (Limits.ListMaxPages)"}, wantLim: true, wantCheck: 5, wantApply: 5,
		},
		{
			name: "ListResourceShareAssociations pages without end", action: "ListResourceShareAssociations", attack: newToken, maxPages: 3, give: snapshot,
			wantIn: []string{`ListResourceShareAssociations "cn-hangzhou/`, "more than 3 pages (Limits.ListMaxPages)"}, wantLim: true, wantCheck: 6, wantApply: 6,
		},
		{
			name: "DescribeImageSharePermission pages without end", action: "DescribeImageSharePermission", attack: endless, maxPages: 4, give: image,
			wantIn: []string{`DescribeImageSharePermission "m-bp1shared01"`, "more than 4 pages (Limits.ListMaxPages)"}, wantLim: true, wantCheck: 4, wantApply: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := shareFake(t, nil)
			ctrl := gomock.NewController(t)
			var c pgCounter
			o := apFast()
			o.Limits.ListMaxPages = tt.maxPages
			o.ResourceSharing = pgRS(ctrl, f, &c, tt.action, tt.attack)
			o.ECS = pgECS(ctrl, f, &c, tt.action, tt.attack)
			a := encryptperm.NewApplier(f, o)
			g := mustBuild(t, tt.give)
			check := func() error {
				typ := encryptperm.ResourceSnapshot
				if g.Kind == encryptperm.KindShareImage {
					typ = encryptperm.ResourceImage
				}
				_, err := a.Check(ctx, encryptperm.Access{Recipient: apAcctA, Resource: typ, ResourceID: g.Resources[0].ID, Region: shRegion})
				return err
			}
			var writes int
			apply := func() error {
				res, err := a.Apply(ctx, g)
				writes = res.Writes
				return err
			}
			for _, run := range []struct {
				what string
				fn   func() error
				want int
			}{{"Check", check, tt.wantCheck}, {"Apply", apply, tt.wantApply}} {
				before := c.get(tt.action)
				err := run.fn()
				if err == nil {
					t.Fatalf("%s: no error", run.what)
				}
				for _, w := range tt.wantIn {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not say %q", run.what, err, w)
					}
				}
				if len(err.Error()) > 1000 {
					t.Errorf("%s: the error is %d bytes long", run.what, len(err.Error()))
				}
				if got := errors.Is(err, encryptperm.ErrLimitExceeded); got != tt.wantLim {
					t.Errorf("%s: errors.Is(err, ErrLimitExceeded) = %v, want %v", run.what, got, tt.wantLim)
				}
				if diff := cmp.Diff(run.want, c.get(tt.action)-before); diff != "" {
					t.Errorf("%s: calls of %s (-want +got):\n%s", run.what, tt.action, diff)
				}
			}
			if writes != 0 {
				t.Errorf("Apply wrote %d times", writes)
			}
		})
	}
}
