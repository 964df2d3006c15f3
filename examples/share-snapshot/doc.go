// Command share-snapshot shares an encrypted snapshot with other accounts,
// and gives their ECS the use of its key, in one Apply (the seed page's
// scenario 1): it finds the snapshot's key itself unless -key names it,
// grants the share role, shares the snapshot through Resource Sharing, and
// then checks each recipient. Accounts outside the resource directory get
// an invitation they must accept; the output says so.
//
// By default it runs against the in-memory fake, which plays RAM, ECS,
// Resource Sharing and KMS, seeded with the snapshot and its key. With
// -real it talks to Alibaba Cloud over HTTPS with the credentials of the
// SDK's default chain (ALIBABA_CLOUD_ACCESS_KEY_ID and
// ALIBABA_CLOUD_ACCESS_KEY_SECRET, a CLI profile, or the ECS instance role).
//
//	go run ./examples/share-snapshot -accounts 2000000000000001,2234567890123456
//	go run ./examples/share-snapshot -snapshot s-bp1shared01 -region cn-hangzhou \
//	    -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
package main
