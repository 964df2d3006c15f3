package fake

import (
	"slices"
	"strings"
	"testing"
)

// TestPageOf: PageNumber and PageSize (1 to 100, default 10) cut the page
// of an ECS listing; a page past the end is empty, and a bad value is
// refused with its own code.
func TestPageOf(t *testing.T) {
	all := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	tests := []struct {
		p         params
		num, size int
		page      []int
		code      string
	}{
		{params{}, 1, 10, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, ""},
		{params{"PageNumber": "2"}, 2, 10, []int{11, 12}, ""},
		{params{"PageNumber": "2", "PageSize": "5"}, 2, 5, []int{6, 7, 8, 9, 10}, ""},
		{params{"PageNumber": "4", "PageSize": "5"}, 4, 5, []int{}, ""},
		{params{"PageNumber": "0"}, 0, 0, nil, "InvalidParameter.PageNumber"},
		{params{"PageNumber": "x"}, 0, 0, nil, "InvalidParameter.PageNumber"},
		{params{"PageSize": "101"}, 0, 0, nil, "InvalidParameter.PageSize"},
		{params{"PageSize": "0"}, 0, 0, nil, "InvalidParameter.PageSize"},
		{params{"PageNumber": "9223372036854775807"}, 0, 0, nil, "InvalidParameter.PageNumber"},
		{params{"PageNumber": "2147483648"}, 0, 0, nil, "InvalidParameter.PageNumber"},
		{params{"PageNumber": "2147483647", "PageSize": "100"}, 2147483647, 100, []int{}, ""},
		{params{"PageNumber": "3", "PageSize": "5"}, 3, 5, []int{11, 12}, ""},
	}
	for _, tt := range tests {
		num, size, page, e := pageOf(Paging{}.withDefaults(), tt.p, all)
		code := ""
		if e != nil {
			code = e.Code
		}
		if num != tt.num || size != tt.size || !slices.Equal(page, tt.page) || code != tt.code {
			t.Errorf("pageOf(%v) = %d, %d, %v, %q; want %d, %d, %v, %q", tt.p, num, size, page, code, tt.num, tt.size, tt.page, tt.code)
		}
	}
}

// TestPageTokens: MaxResults (1 to 100, default 20) and NextToken (an
// offset the fake issued) cut the page of a Resource Sharing listing; the
// page is never nil, the last page has no next token, and a bad value is
// refused with its own code.
func TestPageTokens(t *testing.T) {
	all := make([]int, 25)
	for i := range all {
		all[i] = i
	}
	tests := []struct {
		p     params
		all   []int
		first int
		n     int
		next  string
		code  string
	}{
		{params{}, all, 0, 20, "20", ""},
		{params{"NextToken": "20"}, all, 20, 5, "", ""},
		{params{"MaxResults": "10", "NextToken": "10"}, all, 10, 10, "20", ""},
		{params{}, nil, 0, 0, "", ""},
		{params{"MaxResults": "0"}, all, 0, 0, "", "InvalidParameter.MaxResults"},
		{params{"MaxResults": "101"}, all, 0, 0, "", "InvalidParameter.MaxResults"},
		{params{"NextToken": "26"}, all, 0, 0, "", "InvalidParameter.NextToken"},
		{params{"NextToken": "0"}, all, 0, 0, "", "InvalidParameter.NextToken"},
		{params{"NextToken": strings.Repeat("0", 256) + "1"}, all, 0, 0, "", "InvalidParameter.NextToken"},
		{params{"NextToken": strings.Repeat("0", 255) + "1"}, all, 1, 20, "21", ""},
	}
	for _, tt := range tests {
		page, next, e := pageTokens(Paging{}.withDefaults(), tt.p, tt.all)
		if tt.code != "" {
			if e == nil || e.Code != tt.code || page != nil {
				t.Errorf("pageTokens(%v) = %v, %v; want error %s", tt.p, page, e, tt.code)
			}
			continue
		}
		if e != nil || page == nil || len(page) != tt.n || (tt.n > 0 && page[0] != tt.first) || next != tt.next {
			t.Errorf("pageTokens(%v) = %v, %q, %v; want %d items from %d, next %q", tt.p, page, next, e, tt.n, tt.first, tt.next)
		}
	}
}

// TestRegionalID: RegionId comes first, then the named ID; each missing
// one is named in its own code.
func TestRegionalID(t *testing.T) {
	tests := []struct {
		p        params
		reg, id  string
		wantCode string
	}{
		{params{"RegionId": "cn-hangzhou", "ImageId": "m-1"}, "cn-hangzhou", "m-1", ""},
		{params{"ImageId": "m-1"}, "", "", "MissingRegionId"},
		{params{"RegionId": "cn-hangzhou"}, "", "", "MissingImageId"},
		{params{}, "", "", "MissingRegionId"},
	}
	for _, tt := range tests {
		reg, id, e := regionalID(tt.p, "ImageId")
		code := ""
		if e != nil {
			code = e.Code
		}
		if reg != tt.reg || id != tt.id || code != tt.wantCode {
			t.Errorf("regionalID(%v) = %q, %q, %q; want %q, %q, %q", tt.p, reg, id, code, tt.reg, tt.id, tt.wantCode)
		}
	}
}
