package fake_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestConcurrentWriters runs writers and readers at once; under -race it
// checks the locking, and the final state checks that no write was lost.
func TestConcurrentWriters(t *testing.T) {
	f := fake.New(nil)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				role := fmt.Sprintf("role-%d-%d", w, i)
				policy := fmt.Sprintf("policy-%d-%d", w, i)
				cr := ram.CreateCreateRoleRequest()
				cr.RoleName, cr.AssumeRolePolicyDocument = role, ecsTrust
				if _, err := f.CreateRole(cr); err != nil {
					errs <- err
				}
				cp := ram.CreateCreatePolicyRequest()
				cp.PolicyName, cp.PolicyDocument = policy, keyPolicy
				if _, err := f.CreatePolicy(cp); err != nil {
					errs <- err
				}
				if _, err := coreCreateVersion(f, policy, keyPolicy2, true, ""); err != nil {
					errs <- err
				}
				if err := coreAttach(f, "Custom", policy, role); err != nil {
					errs <- err
				}
				// Every worker also attaches the same system policy.
				if err := coreAttach(f, "System", encryptperm.KMSFullAccessPolicy, role); err != nil {
					errs <- err
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range each {
				_ = f.Roles()
				_ = f.Policies()
				_ = f.Attachments()
				_ = f.Calls()
				_, _ = f.ListRoles(ram.CreateListRolesRequest())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(f.Roles()); n != workers*each {
		t.Errorf("%d roles, want %d", n, workers*each)
	}
	if n := len(f.Attachments()); n != 2*workers*each {
		t.Errorf("%d attachments, want %d", n, 2*workers*each)
	}
	le := ram.CreateListEntitiesForPolicyRequest()
	le.PolicyType, le.PolicyName = "System", encryptperm.KMSFullAccessPolicy
	resp, err := f.ListEntitiesForPolicy(le)
	if err != nil || len(resp.Roles.Role) != workers*each {
		t.Errorf("roles of %s = %d, %v; want %d", encryptperm.KMSFullAccessPolicy, len(resp.Roles.Role), err, workers*each)
	}
}
