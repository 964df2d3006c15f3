// Command disk-encryption lets ECS in your own account use customer keys to
// encrypt disks, snapshots and images: the role AliyunECSDiskEncryptDefaultRole,
// scoped to the keys you name (or, with no -key, the console's system policy,
// which covers every key).
//
// By default it runs against the in-memory fake RAM; -real applies to RAM with
// the SDK's default credentials.
//
//	go run ./examples/disk-encryption -key acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc
package main
