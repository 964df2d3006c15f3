// Command share-snapshot shares an encrypted snapshot with other accounts,
// and lets their ECS use its key, in one Apply (scenario 1 of the ECS page
// "Encryption-related permissions"): it finds the snapshot's key itself
// unless -key names it, plans the role AliyunECSShareEncryptSnapshotDefaultRole
// trusted by each account's ECS (<uid>@ecs.aliyuncs.com) and the custom
// policy EncryptPerm-ShareSnapshotKeys on that key, and the share through
// Resource Sharing; prints the plan; applies it, sharing only after RAM
// holds the grant, adding and removing nothing else; and then checks each
// recipient. Accounts outside the resource directory get an invitation
// they must accept; the output says so.
//
// By default it runs against an in-memory fake that plays RAM, ECS,
// Resource Sharing and KMS, seeded with a demo snapshot and its key, with
// demo accounts unless -accounts is given. With -real it talks to Alibaba
// Cloud over HTTPS with the credentials of the SDK's default chain
// (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a CLI
// profile, or the ECS instance role); -accounts, -snapshot and -region are
// then required (a missing one stops it with exit 2 before anything is
// contacted), and it shows the plan and asks for "yes" before writing,
// unless -yes is given. -dry-run prints the plan and stops.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error, before anything is contacted; 3 cloud, network or credential
// error, or a refusal that depends on what the account holds (a missing
// resource, a disabled key, another key than -key).
//
//	go run ./examples/share-snapshot
//	go run ./examples/share-snapshot -real -region cn-hangzhou -snapshot s-bp1shared01 \
//	    -accounts 2000000000000001,2000000000000002
package main
