package fake_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// BenchmarkEndpointServices measures calls per second of the ECS, Resource
// Sharing and KMS actions made with the official SDK clients against the
// endpoint. The encrypted share consults RAM on every call.
//
//	go test -run '^$' -bench 'BenchmarkEndpointServices' -benchtime 2s ./fake/
func BenchmarkEndpointServices(b *testing.B) {
	f := fake.New(nil)
	if err := fake.LoadSeedBytes(f, []byte(svcSeed)); err != nil {
		b.Fatal(err)
	}
	role := encryptperm.ShareImageRoleName
	if err := f.PutRole(fake.Role{Name: role, TrustPolicy: shareTrust(recipient)}); err != nil {
		b.Fatal(err)
	}
	if err := f.PutPolicy(fake.Policy{Name: "ShareKey", Type: string(encryptperm.Custom), DefaultVersion: "v1",
		Versions: []fake.PolicyVersion{{ID: "v1", Document: keyUse(svcKey)}}}); err != nil {
		b.Fatal(err)
	}
	if err := f.PutAttachment(role, string(encryptperm.Custom), "ShareKey"); err != nil {
		b.Fatal(err)
	}
	ep, err := fake.Start(f, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ep.Close() })
	ec, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		b.Fatal(err)
	}
	rc, err := ep.ResourceSharingClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		b.Fatal(err)
	}
	kc, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
	}{
		{"DescribeKey", func() error {
			r := kms.CreateDescribeKeyRequest()
			r.RegionId, r.KeyId = svcRegion, svcKey
			_, err := kc.DescribeKey(r)
			return err
		}},
		{"DescribeImages", func() error {
			r := ecs.CreateDescribeImagesRequest()
			r.RegionId = svcRegion
			_, err := ec.DescribeImages(r)
			return err
		}},
		{"ModifyImageSharePermissionEncrypted", func() error {
			r := ecs.CreateModifyImageSharePermissionRequest()
			r.RegionId, r.ImageId, r.AddAccount = svcRegion, sharedImage, &[]string{recipient}
			if _, err := ec.ModifyImageSharePermission(r); err != nil {
				return err
			}
			r = ecs.CreateModifyImageSharePermissionRequest()
			r.RegionId, r.ImageId, r.RemoveAccount = svcRegion, sharedImage, &[]string{recipient}
			_, err := ec.ModifyImageSharePermission(r)
			return err
		}},
		{"ListResourceShares", func() error {
			r := resourcesharing.CreateListResourceSharesRequest()
			r.RegionId, r.ResourceOwner = svcRegion, "Self"
			_, err := rc.ListResourceShares(r)
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				n++
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, n)
		})
	}
}
