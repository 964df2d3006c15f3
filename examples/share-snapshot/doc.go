// Command share-snapshot lets other accounts' ECS use the customer key of an
// encrypted snapshot you share with them (scenario 1 of the ECS page
// "Encryption-related permissions"): it plans the role
// AliyunECSShareEncryptSnapshotDefaultRole, trusted by each account's ECS
// (<uid>@ecs.aliyuncs.com), and the custom policy
// EncryptPerm-ShareSnapshotKeys on the key; prints the plan; and applies it,
// adding to what the role already holds and removing nothing. It does not
// share the snapshot itself.
//
// By default it runs against an in-memory fake RAM, with demo accounts and a
// demo key unless -accounts and -key are given. With -real it talks to RAM
// over HTTPS with the credentials of the SDK's default chain
// (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a CLI
// profile, or the ECS instance role); -accounts and -key are then required
// (a missing one stops it with exit 2 before RAM is contacted), and it shows
// the plan and asks for "yes" before writing, unless -yes is given.
// -dry-run prints the plan and stops.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error; 3 RAM, network or credential error.
//
//	go run ./examples/share-snapshot -real -accounts 2000000000000001,2000000000000002 \
//	    -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
package main
