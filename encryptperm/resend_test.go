package encryptperm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestWriteResentOnlyAfterARefusal: a write is sent again at once only
// after an answer documented as a refusal before acting (throttling, or a
// code the caller lists in Options.Retry.ResendCodes). After a 503 the
// engine reads again, and sends the write again only in a new round, having
// read that it was not carried out; reads are still retried at once.
func TestWriteResentOnlyAfterARefusal(t *testing.T) {
	tests := []struct {
		name     string
		rules    []fake.Rule
		resend   []string
		wantErr  []error
		wantNot  []error // errors.Is must be false
		wantCode string  // the APIError's code errors.As reaches
		// wantCalls counts the calls of each action but the lists: the
		// key's GetKeyPolicy (the Apply's pre-flight, once) among them.
		wantCalls map[string]int
	}{
		{
			name:      "ServiceUnavailable on every CreatePolicy",
			rules:     []fake.Rule{{Action: "CreatePolicy", Code: "ServiceUnavailable"}},
			wantErr:   []error{encryptperm.ErrConflict},
			wantNot:   []error{encryptperm.ErrThrottled},
			wantCode:  "ServiceUnavailable",
			wantCalls: map[string]int{"DescribeKey": 1, "GetKeyPolicy": 1, "GetRole": 3, "GetPolicy": 3, "CreateRole": 1, "CreatePolicy": 2},
		},
		{
			name:      "throttled once",
			rules:     []fake.Rule{{Action: "CreatePolicy", Nth: 1, Code: "Throttling.User"}},
			wantCalls: map[string]int{"DescribeKey": 1, "GetKeyPolicy": 1, "GetRole": 1, "GetPolicy": 2, "CreateRole": 1, "CreatePolicy": 2, "AttachPolicyToRole": 1},
		},
		{
			name:      "a code the caller lists as a refusal",
			rules:     []fake.Rule{{Action: "CreatePolicy", Nth: 1, Code: "OperationConflict", Status: 409}},
			resend:    []string{"OperationConflict"},
			wantCalls: map[string]int{"DescribeKey": 1, "GetKeyPolicy": 1, "GetRole": 1, "GetPolicy": 2, "CreateRole": 1, "CreatePolicy": 2, "AttachPolicyToRole": 1},
		},
		{
			name:      "the same code not listed",
			rules:     []fake.Rule{{Action: "CreatePolicy", Nth: 1, Code: "OperationConflict", Status: 409}},
			wantNot:   []error{encryptperm.ErrThrottled, encryptperm.ErrConflict},
			wantCode:  "OperationConflict",
			wantCalls: map[string]int{"DescribeKey": 1, "GetKeyPolicy": 1, "GetRole": 1, "GetPolicy": 1, "CreateRole": 1, "CreatePolicy": 1},
		},
		{
			name:      "ServiceUnavailable on a read",
			rules:     []fake.Rule{{Action: "GetRole", Nth: 1, Code: "ServiceUnavailable"}},
			wantCalls: map[string]int{"DescribeKey": 1, "GetKeyPolicy": 1, "GetRole": 2, "GetPolicy": 2, "CreateRole": 1, "CreatePolicy": 1, "AttachPolicyToRole": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(&fake.Options{Faults: tt.rules})
			o := apFast()
			o.MaxRounds = 2
			o.Retry.ResendCodes = tt.resend
			res, err := encryptperm.NewApplier(f, o).Apply(context.Background(), apGrant(t, apAcctA))
			if len(tt.wantErr)+len(tt.wantNot) == 0 && tt.wantCode == "" && err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("Apply: %v, want %v", err, w)
				}
			}
			for _, w := range tt.wantNot {
				if errors.Is(err, w) {
					t.Errorf("Apply: %v; errors.Is(err, %v) holds", err, w)
				}
			}
			if tt.wantCode != "" {
				var ae *encryptperm.APIError
				if !errors.As(err, &ae) || ae.Code != tt.wantCode {
					t.Errorf("Apply: %v, want an APIError with code %s", err, tt.wantCode)
				}
			}
			if len(res.Unknown) != 0 {
				t.Errorf("Unknown = %v: a read showed every outcome", res.Unknown)
			}
			got := map[string]int{}
			for _, c := range f.Calls() {
				if c.Action != "ListPoliciesForRole" && c.Action != "ListPolicyVersions" {
					got[c.Action]++
				}
			}
			if diff := cmp.Diff(tt.wantCalls, got); diff != "" {
				t.Errorf("calls but the lists (-want +got):\n%s", diff)
			}
		})
	}
}
