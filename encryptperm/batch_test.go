package encryptperm_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestApplyBatchesWaitingCallers holds the first caller's CreateRole in the
// fake, lets 15 more callers queue behind it, then releases it: the 15 are
// applied as one batch, with one trust policy write for all of them.
func TestApplyBatchesWaitingCallers(t *testing.T) {
	f := fake.New(nil)
	hold := f.HoldCall("CreateRole", 1)
	a := encryptperm.NewApplier(f, nil)
	queued := make(chan string, 16)
	encryptperm.SetEnqueueHook(a, func(role string) { queued <- role })
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-hzbatch01"}

	apply := func(uid string) error {
		g, err := encryptperm.ShareSnapshot().WithAccounts(uid).WithKey(key).Build()
		if err != nil {
			return err
		}
		_, err = a.Apply(context.Background(), g)
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Add(1)
	go func() { defer wg.Done(); errs <- apply("5000000000000000") }()
	<-hold.Held()
	for i := 1; i < 16; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- apply(fmt.Sprintf("50000000000000%02d", i)) }()
	}
	for range 15 {
		<-queued
	}
	hold.Release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	principals, _ := f.TrustedPrincipals(encryptperm.ShareSnapshotRoleName)
	if len(principals) != 16 {
		t.Errorf("trust holds %d principals, want 16: %v", len(principals), principals)
	}
	writes := map[string]int{}
	for _, c := range f.Calls() {
		switch c.Action {
		case "CreateRole", "UpdateRole", "CreatePolicy", "CreatePolicyVersion", "AttachPolicyToRole":
			writes[c.Action]++
		}
	}
	want := map[string]int{"CreateRole": 1, "CreatePolicy": 1, "AttachPolicyToRole": 1, "UpdateRole": 1}
	if fmt.Sprint(writes) != fmt.Sprint(want) {
		t.Errorf("writes = %v, want %v (the 15 waiting callers in one UpdateRole)", writes, want)
	}
}
