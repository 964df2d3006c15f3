package fake

import (
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// shareCostFixture is a fake holding an encrypted snapshot, the share role
// that lets ECS of every account use its key, and one resource share of the
// snapshot with n account targets outside the directory. The targets are
// put in place directly: through the API, a share of thousands would take
// as long to build as the cost it is built to measure.
func shareCostFixture(tb testing.TB, n int) (*RAM, string) {
	tb.Helper()
	const (
		region = "cn-hangzhou"
		keyID  = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	)
	r := New(&Options{MaxCalls: 100})
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(r.PutKey(Key{Region: region, ID: keyID}))
	must(r.PutSnapshot(Snapshot{Region: region, ID: "s-bp1shared01", KMSKeyID: keyID}))
	must(r.PutRole(Role{Name: encryptperm.ShareSnapshotRoleName, TrustPolicy: `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`}))
	must(r.PutPolicy(Policy{Name: "ShareKey", Versions: []PolicyVersion{{ID: "v1", Document: `{"Version":"1","Statement":[` +
		`{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:` + DefaultAccountID + `:key"},` +
		`{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":"acs:kms:cn-hangzhou:` + DefaultAccountID + `:key/` + keyID + `"}]}`}}}))
	must(r.PutAttachment(encryptperm.ShareSnapshotRoleName, "Custom", "ShareKey"))

	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId, req.ResourceShareName, req.AllowExternalTargets = region, "costs", "true"
	req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: "s-bp1shared01", ResourceType: "Snapshot"}}
	resp, err := r.CreateResourceShare(req)
	must(err)
	id := resp.ResourceShare.ResourceShareId
	func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		s := r.svc.shares[id]
		for i := range n {
			s.targets = append(s.targets, ShareEntry{Type: targetAccount, ID: fmt.Sprintf("3%015d", i), Status: AssociationAssociating, External: true})
		}
	}()
	return r, id
}

// addTargets associates five new accounts with share id, and disassociates
// them again, so that the share keeps its size.
func addTargets(tb testing.TB, r *RAM, id string, round int) {
	tb.Helper()
	targets := make([]string, MaxShareEntriesPerCall)
	for i := range targets {
		targets[i] = fmt.Sprintf("4%09d%06d", round, i)
	}
	add := resourcesharing.CreateAssociateResourceShareRequest()
	add.RegionId, add.ResourceShareId, add.Targets = "cn-hangzhou", id, &targets
	if _, err := r.AssociateResourceShare(add); err != nil {
		tb.Fatal(err)
	}
	rm := resourcesharing.CreateDisassociateResourceShareRequest()
	rm.RegionId, rm.ResourceShareId, rm.Targets = "cn-hangzhou", id, &targets
	if _, err := r.DisassociateResourceShare(rm); err != nil {
		tb.Fatal(err)
	}
}

// Adding five targets to a share judged every recipient of the share again
// under the fake's lock, so a call on a share of 1,000 targets cost 200
// times one on a small share. Only what a call adds is judged: the five new
// recipients of the share's snapshot, whatever the share's size.
func TestShareCallJudgesOnlyWhatItAdds(t *testing.T) {
	for _, n := range []int{0, 10, 1000} {
		t.Run(fmt.Sprintf("%d targets", n), func(t *testing.T) {
			r, id := shareCostFixture(t, n)
			before := r.judgments.Load()
			addTargets(t, r, id, 0)
			if got := r.judgments.Load() - before; got != MaxShareEntriesPerCall {
				t.Errorf("the call judged %d recipients, want %d", got, MaxShareEntriesPerCall)
			}
			shares := r.ResourceShares()
			if len(shares) != 1 || len(shares[0].Targets) != n {
				t.Errorf("the share holds %d targets after the round trip, want %d", len(shares[0].Targets), n)
			}
		})
	}
}

// BenchmarkShareAddTargets measures AssociateResourceShare with five new
// targets (and the DisassociateResourceShare that takes them away again) on
// shares of 10 and 2,000 targets; the two should cost about the same.
//
//	go test -run '^$' -bench 'BenchmarkShareAddTargets' -benchtime 2s ./fake/
func BenchmarkShareAddTargets(b *testing.B) {
	for _, n := range []int{10, 2000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			r, id := shareCostFixture(b, n)
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				round++
				addTargets(b, r, id, round)
			}
		})
	}
}
