// Command share-image shares an encrypted custom image, and gives the
// recipients' ECS the use of its key, in one Apply: with accounts (ECS
// ModifyImageSharePermission), with a Resource Directory (-rd) or with one
// of its folders (-folder) through Resource Sharing (the seed page's
// scenarios 1 to 3). It finds the image's key itself unless -key names it,
// prints the plan, applies it, and then checks each recipient.
//
// By default it runs against the in-memory fake, which plays RAM, ECS,
// Resource Sharing and KMS, seeded with the image and its key. With -real
// it talks to Alibaba Cloud over HTTPS with the credentials of the SDK's
// default chain.
//
//	go run ./examples/share-image -accounts 2000000000000001,2000000000000002,2000000000000003
//	go run ./examples/share-image -rd rd-3GabcD
//	go run ./examples/share-image -folder rd-3GabcD/r-Wm12cd/fd-bOnB34ef
package main
