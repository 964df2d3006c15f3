// Command ramserver runs the fake RAM's RPC endpoint on its own, so that any
// RAM client (the official SDKs, or a command-line client given a custom
// endpoint) can be pointed at an in-memory RAM:
//
//	go run ./examples/ramserver -addr 127.0.0.1:8080 \
//		-access-key-id ID -access-key-secret SECRET \
//		-account 1234567890123456 [-user ops] [-security-token TOKEN] \
//		[-account-key UID:ID:SECRET[:USER] ...] [-latency 20ms] \
//		[-read-timeout 30s] [-idle-timeout 2m] [-seed world.json]
//
// The same endpoint serves ECS, Resource Sharing, KMS, STS and Resource
// Manager. Without a seed that puts keys, KMS answers any well-formed key
// ID as an Enabled key of the account, in no instance; testdata/share.json
// holds a snapshot, an image and their keys, and a directory with a folder,
// for the README's walkthrough, and testdata/audit.json an account to
// audit. -seed loads their keys (with their KMS instance and key policy),
// images, snapshots and resource directory, and RAM's roles (with their
// trust policies and attachments) and custom policies (with their
// versions), from a JSON file in the form fake.LoadSeed documents,
// strictly: a file
// that is null, gives a field twice or spells one in another case, or
// gives an image a key that contradicts its snapshot's (among the other
// refusals LoadSeed lists) stops the command before it listens, with a
// message naming the field's path and quoting at most 100 bytes of a bad
// value.
//
// testdata/audit.json describes an account to audit: a directory, a key in
// a KMS instance whose key policy names a partner's role, share roles that
// trust the directory and an account outside it, and the disk role with
// AliyunKMSFullAccess:
//
//	go run ./examples/ramserver -access-key-id ID -access-key-secret SECRET \
//		-seed examples/ramserver/testdata/audit.json &
//	ALIBABA_CLOUD_ACCESS_KEY_ID=ID ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET go run ./examples/ecsperm audit \
//		-endpoint 127.0.0.1:8080 -key acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001 -trust-zone rd-3GabcD
//
// # A directory of accounts
//
// The seed's resourceDirectory may give the directory a tree: a root,
// folders under it (folderTree) and member accounts in them (accounts),
// beside the members and folders lists of a directory without one.
// testdata/directory.json is an example:
//
//	go run ./examples/ramserver -access-key-id ID -access-key-secret SECRET -user ops \
//		-seed examples/ramserver/testdata/directory.json
//
// The -account account is the directory's management account. Each account
// listed in accounts is a member with a RAM, ECS, Resource Sharing and KMS
// of its own and a role ResourceDirectoryAccountAccessRole that trusts the
// management account; keys, images and snapshots with an "account" field
// belong to that member. Resource Manager (2020-03-31) lists the directory
// to the management key: GetResourceDirectory, ListAccounts,
// ListAccountsForParent and ListFoldersForParent. STS (2015-04-01)
// AssumeRole issues temporary credentials for a member's role when its
// trust policy lets the caller in; the endpoint serves requests signed
// with them from the member's state until they expire. STS does not let an
// account's root identity assume roles, so give the main key a RAM user
// with -user to reach the members.
//
// -account-key adds a key of another account, which the endpoint adds to
// the fake when the key is first used: an account outside the directory
// that accepts a Resource Sharing invitation (ListResourceShareInvitations,
// AcceptResourceShareInvitation) with its own key, say. Its value is
// UID:ID:SECRET, or UID:ID:SECRET:USER for a RAM user's key; the secret
// may not hold a colon, and no refusal quotes it.
//
// It prints one line, "ramserver listening on http://ADDR", once it accepts
// requests, and stops cleanly on SIGINT or SIGTERM. Clients must use plain
// HTTP, sign with one of the given keys (and send the token, if one is
// given), and keep their clock within 15 minutes of the server's. Both
// signature methods are accepted: V1 (HMAC-SHA1), as the official Go SDK
// signs, and V3 (ACS3-HMAC-SHA256), the default of the current darabonba
// SDKs. A client that takes longer than -read-timeout to send one request
// is cut off, and oversize requests are refused in RAM's error format.
package main
