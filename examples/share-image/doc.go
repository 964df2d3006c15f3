// Command share-image shares an encrypted custom image, and lets the
// recipients' ECS use its key, in one Apply (scenarios 1 to 3 of the ECS
// page "Encryption-related permissions"): with accounts (ECS
// ModifyImageSharePermission), or with a resource directory (-rd) or one of
// its folders (-folder) through Resource Sharing. It finds the image's key
// itself unless -key names it, plans the role
// AliyunECSShareEncryptImageDefaultRole and the custom policy
// EncryptPerm-ShareImageKeys on that key beside the share, prints the plan,
// applies it (the share only after RAM holds the grant, adding and removing
// nothing else), and then checks each recipient.
//
// By default it runs against an in-memory fake that plays RAM, ECS,
// Resource Sharing and KMS, seeded with a demo image, its key and a
// resource directory, with three demo accounts unless -accounts, -rd or
// -folder is given. With -real it talks to Alibaba Cloud over HTTPS with
// the credentials of the SDK's default chain; -image, -region and an
// audience (-accounts, -rd or -folder) are then required (a missing one
// stops it with exit 2 before anything is contacted), and it shows the
// plan and asks for "yes" before writing, unless -yes is given.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error, before anything is contacted; 3 cloud, network or credential
// error, or a refusal that depends on what the account holds (a missing
// resource, a disabled key, another key than -key).
//
//	go run ./examples/share-image
//	go run ./examples/share-image -rd rd-3GabcD
//	go run ./examples/share-image -folder rd-3GabcD/r-Wm12cd/fd-bOnB34ef
//	go run ./examples/share-image -real -region cn-hangzhou -image m-bp1mine01 -accounts 2000000000000001
package main
