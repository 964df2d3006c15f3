// Command directory-disk-encryption lets ECS in every member account of a
// resource directory folder use customer keys to encrypt disks: from the
// directory's management account, it lists the members of the folder (and
// of the folders below it, unless -subfolders=false), assumes the
// directory's access role ResourceDirectoryAccountAccessRole in each, and
// brings the role AliyunECSDiskEncryptDefaultRole with the console's system
// policy AliyunECSDiskEncryptRolePolicy to each, adding to what a member
// holds. It plans across the folder first, printing a line per member that
// would change, then applies and prints a line per member as it finishes,
// and the totals.
//
// By default it runs against an in-memory fake that plays a small
// directory (fd-Prod01 holds two members, one in a folder below it). With
// -real it works in your directory with the SDK's default credentials,
// which must be those of a RAM user or role of the management account
// (STS does not let an account's root identity assume roles); it then
// needs -folder, and it asks for "yes" after the plan unless -yes is
// given.
//
// A member whose access role cannot be assumed is reported with the reason,
// and the others go on; running the command again converges only what is
// left.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error; 3 a member failed, or a Resource Manager, STS, RAM, network or
// credential error.
//
//	go run ./examples/directory-disk-encryption -real -folder fd-Prod01 -concurrency 10
package main
