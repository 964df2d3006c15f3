// Command disk-encryption lets ECS in your own account use customer keys to
// encrypt disks, snapshots and images: it plans the role
// AliyunECSDiskEncryptDefaultRole, trusted by ecs.aliyuncs.com, with the
// custom policy EncryptPerm-DiskEncryptKeys scoped to the keys you name with
// -key (or, with no -key, the console's system policy
// AliyunECSDiskEncryptRolePolicy, which covers every key), prints the plan
// and applies it, adding to what the role holds. -detach-broader also
// detaches that system policy when keys are named.
//
// By default it runs against an in-memory fake RAM. With -real it applies to
// RAM with the SDK's default credentials; it then needs -key, or -all-keys to
// confirm that the system policy on every key is meant (without either it
// stops with exit 2 before RAM is contacted), and it shows the plan and asks
// for "yes" before writing, unless -yes is given.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error; 3 RAM, network or credential error.
//
//	go run ./examples/disk-encryption -real -key acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc
package main
