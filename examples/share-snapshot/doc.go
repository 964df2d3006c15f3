// Command share-snapshot lets other accounts' ECS use the customer key of an
// encrypted snapshot you share with them (the seed page's scenario 1).
//
// By default it runs against the in-memory fake RAM. With -real it talks to
// RAM over HTTPS with the credentials of the SDK's default chain
// (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a CLI
// profile, or the ECS instance role).
//
//	go run ./examples/share-snapshot -accounts 2000000000000001,2000000000000002 \
//	    -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
package main
