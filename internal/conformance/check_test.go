package conformance

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// TestCheckAgreesWithFakeECS applies the seed scenarios, then asks, for each
// access and each way of breaking it, both Check (reading RAM through the
// client under test) and the fake's own ECS-side simulation. They must give
// the decision the table says, for the reason it names.
func TestCheckAgreesWithFakeECS(t *testing.T) {
	const (
		uid1, uid2, stranger = "2000000000000001", "2000000000000002", "2000000000000099"
		rd, folder           = "rd-3GabcD", "rd-3GabcD/r-Wm12cd/fd-bOnB34ef"
	)
	otherKey := encryptperm.Key{Region: keyA.Region, Owner: keyA.Owner, ID: "key-hzzother0000000"}
	otherRegion := encryptperm.Key{Region: "cn-shanghai", Owner: keyA.Owner, ID: keyA.ID}
	build := func(t *testing.T) []*encryptperm.Grant {
		snap, err := encryptperm.ShareSnapshot().WithAccounts(uid1, uid2).WithKey(keyA).Build()
		if err != nil {
			t.Fatal(err)
		}
		img, err := encryptperm.ShareImage().WithResourceDirectory(rd).WithFolder(folder).WithKey(keyA).Build()
		if err != nil {
			t.Fatal(err)
		}
		return []*encryptperm.Grant{snap, img}
	}
	tests := []struct {
		name    string
		give    encryptperm.Access
		allowed bool
		missing string // an action the Decision must name as missing
	}{
		{name: "account snapshot", give: encryptperm.Access{Recipient: uid1, Resource: encryptperm.ResourceSnapshot, Key: keyA}, allowed: true},
		{name: "second account", give: encryptperm.Access{Recipient: uid2, Resource: encryptperm.ResourceSnapshot, Key: keyA}, allowed: true},
		{name: "stranger", give: encryptperm.Access{Recipient: stranger, Resource: encryptperm.ResourceSnapshot, Key: keyA}, missing: "sts:AssumeRole"},
		{name: "wrong key", give: encryptperm.Access{Recipient: uid1, Resource: encryptperm.ResourceSnapshot, Key: otherKey}, missing: "kms:Decrypt"},
		{name: "wrong region", give: encryptperm.Access{Recipient: uid1, Resource: encryptperm.ResourceSnapshot, Key: otherRegion}, missing: "kms:Decrypt"},
		{name: "image, no role for accounts", give: encryptperm.Access{Recipient: uid1, Resource: encryptperm.ResourceImage, Key: keyA}, missing: "sts:AssumeRole"},
		{name: "image, rd member", give: encryptperm.Access{Recipient: stranger, RDID: rd, Resource: encryptperm.ResourceImage, Key: keyA}, allowed: true},
		{name: "image, wrong rd", give: encryptperm.Access{Recipient: stranger, RDID: "rd-Other1", RDPath: "rd-Other1/r-Aa1", Resource: encryptperm.ResourceImage, Key: keyA}, missing: "sts:AssumeRole"},
		{name: "image, folder member", give: encryptperm.Access{Recipient: stranger, RDID: "rd-Other1", RDPath: folder + "/fd-child1", Resource: encryptperm.ResourceImage, Key: keyA}, allowed: true},
	}
	forEachBackend(t, func(t *testing.T, be backend) {
		f := fake.New(nil)
		a := be.applier(t, f, fastOptions())
		if _, err := a.Apply(context.Background(), build(t)...); err != nil {
			t.Fatal(err)
		}
		client := checkClient(t, be, f)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := encryptperm.Check(context.Background(), client, tt.give)
				if err != nil {
					t.Fatal(err)
				}
				sim := f.SimulateECS(tt.give)
				if got.Allowed != tt.allowed || sim.Allowed != tt.allowed {
					t.Errorf("Check allowed = %v, fake ECS allowed = %v, want %v\nCheck: %s\nfake: %s", got.Allowed, sim.Allowed, tt.allowed, got.Explanation(), sim.Explanation())
				}
				if tt.missing != "" && (!contains(got.Missing, tt.missing) || !contains(sim.Missing, tt.missing)) {
					t.Errorf("Check missing %v, fake ECS missing %v, want %s among them", got.Missing, sim.Missing, tt.missing)
				}
				if got.Reason == "" {
					t.Error("Check gave no reason")
				}
			})
		}
	})
}

// TestFakeECSFailsClosed: what the fake cannot tell, it refuses, and says why.
func TestFakeECSFailsClosed(t *testing.T) {
	f := fake.New(nil)
	// A role whose trust statement hangs on a condition key the access
	// does not carry.
	if err := f.PutRole(fake.Role{Name: encryptperm.ShareImageRoleName, TrustPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}]}`}); err != nil {
		t.Fatal(err)
	}
	d := f.SimulateECS(encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceImage, Key: keyA})
	if d.Allowed {
		t.Fatalf("allowed without the resource directory context:\n%s", d.Explanation())
	}
	if !strings.Contains(d.Explanation(), "sts:ServiceOwnerRDId") {
		t.Errorf("explanation does not name the missing condition key:\n%s", d.Explanation())
	}
	// No role at all.
	d = f.SimulateECS(encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceSnapshot, Key: keyA})
	if d.Allowed || d.Reason == "" {
		t.Errorf("missing role: allowed = %v, reason %q", d.Allowed, d.Reason)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkClient returns the RAM client Check reads through for a backend: the
// fake itself in process, or an SDK client over the fake's endpoint.
func checkClient(t *testing.T, be backend, f *fake.RAM) encryptperm.RAM {
	if be.name == "fake-in-process" {
		return f
	}
	ep := startEndpoint(t, f, nil)
	c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return sdkRAMKMS{c, kc}
}

// sdkRAMKMS is the SDK's RAM and KMS clients as one: Check reads the role
// through the first and the key's policy through the second.
type sdkRAMKMS struct {
	*ram.Client
	kms *kms.Client
}

func (c sdkRAMKMS) DescribeKey(r *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	return c.kms.DescribeKey(r)
}

func (c sdkRAMKMS) GetKeyPolicy(r *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	return c.kms.GetKeyPolicy(r)
}

// TestApplierCheckRidesOutThrottling: the package's Check makes each read
// once, so a throttled read fails it; the Applier's Check retries.
func TestApplierCheckRidesOutThrottling(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		f := fake.New(nil)
		a := be.applier(t, f, fastOptions())
		g, err := encryptperm.ShareSnapshot().WithAccounts("2000000000000001").WithKey(keyA).Build()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		access := encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceSnapshot, Key: keyA}
		f.SetFaults(fake.Rule{Action: "GetRole", Nth: 0, Code: "Throttling.User"})
		if _, err := encryptperm.Check(context.Background(), f, access); !errors.Is(err, encryptperm.ErrThrottled) {
			t.Fatalf("Check under throttling: %v, want ErrThrottled", err)
		}
		calls := 0
		for _, c := range f.Calls() {
			if c.Action == "GetRole" {
				calls++
			}
		}
		f.SetFaults(fake.Rule{Action: "GetRole", Nth: calls + 1, Code: "Throttling.User"})
		checker := a
		d, err := checker.Check(context.Background(), access)
		if err != nil {
			t.Fatalf("Applier's Check: %v", err)
		}
		if !d.Allowed {
			t.Errorf("Applier's Check denied:\n%s", d.Explanation())
		}
	})
}
