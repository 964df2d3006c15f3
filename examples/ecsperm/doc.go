// Command ecsperm gives Alibaba Cloud ECS the RAM permissions it needs to use
// KMS keys, from the shell: it plans, applies, revokes and checks the grants
// of the ECS documentation page "Encryption-related permissions"
// (https://alibabacloud.com/help/en/ecs/user-guide/encryption-related-permissions),
// explains ECS's error codes, and exports a reviewed plan as Terraform, a ROS
// template or an aliyun-cli script.
//
//	git clone <this repository> ecsperm && cd ecsperm
//	go install ./examples/ecsperm   # until the module is published; then go install github.com/ecsperm/ecsperm/examples/ecsperm@latest
//
//	ecsperm plan     -kind share-snapshot -accounts 2000000000000001 -key acs:kms:cn-hangzhou:1234567890123456:key/<id>
//	ecsperm apply    (same flags) [-yes]
//	ecsperm check    (same flags) [-recipient 2000000000000003]
//	ecsperm export   (same flags) -format terraform|ros|aliyun-cli
//	ecsperm revoke   (same flags) [-yes]
//	ecsperm diagnose AssumeRoleError
//	ecsperm audit    -key ARN | -region REGION [-trust-zone account|rd-…] [-seed FILE]
//	                 [-members all|fd-…|UID,… -region REGION]
//
// Every command that takes a grant takes the same flags: -kind
// share-snapshot, share-image or disk-encryption; -accounts UID,UID; -rd
// rd-…; -folder rd-…/r-…/fd-…; -key ARN (repeatable). Disk encryption without
// -key uses the console's system policy, AliyunECSDiskEncryptRolePolicy, on
// every key. -image m-… or -snapshot s-… with -region names the image or
// snapshot to share too (with -kind share-image or share-snapshot): apply
// shares it after the grant, finding its key when -key is not given; revoke
// unshares it first; check also says whether it is shared with the
// recipient, or waits for the recipient to accept the share's invitation.
// -service-key (with -kind share-image) grants AliyunKMSFullAccess for an
// image encrypted with the service key: a critical finding, which apply
// makes only with -accept EP001-ServiceKeyFullAccess (-accept CODE is
// repeatable, as Options.AcceptFindings).
//
// check answers for each account -accounts names (the explanation, then a
// line per recipient, "recipient UID: allowed" or "denied (missing: …)"),
// and exits 0 only when each is allowed; -recipient UID asks about that
// account instead, whether or not the grant names it, and needs no
// -accounts, -rd or -folder (-recipient-rd and -recipient-path place it in
// a resource directory). -rd or -folder alone name no account and need
// -recipient.
//
// audit reports every path by which a principal can make a service use the
// key (or every key of -region): the principal, the role it assumes and the
// trust statement that lets it in, the KMS actions the role's policies and
// the key policy allow and their statements, certain or "may" (what could
// not be judged is reported, never dropped), and findings with stable codes
// (EP201 outside the trust zone, EP202 opens every key, EP203 cannot judge,
// EP204 a key policy naming a whole account, EP205 a key policy naming
// another account's principal). -trust-zone account trusts the audited
// account alone; -trust-zone rd-… adds its resource directory, whose
// members it reads with Resource Manager's ListAccounts. It exits 1 when a
// path, certain or not, leaves the trust zone. -seed FILE loads a seed in
// examples/ramserver's form into the in-memory fake first.
//
// The target is an in-memory fake RAM by default, empty at start, so that
// nothing leaves the process; -real uses RAM, with the credentials of the
// Alibaba Cloud SDK's default chain (environment variables, the CLI profile,
// the credentials file, the instance role); -endpoint host:port uses another
// RAM endpoint, such as examples/ramserver, with credentials from the same
// chain (plain HTTP only on a loopback address). apply and revoke against
// anything but the in-memory fake show the plan and ask for "yes" on
// standard input, unless -yes is given.
//
// apply and revoke take -etcd host:port[,host:port] (or the variable
// ECSPERM_ETCD_ENDPOINTS): a lock per role on etcd (package
// encryptperm/etcdlock), so that processes that change one role at once
// take turns instead of losing each other's accounts. -etcd-cacert,
// -etcd-cert and -etcd-key configure TLS; ETCDCTL_USER (user or
// user:password) and ETCDCTL_PASSWORD, etcdctl's own variables, give the
// user; -etcd-wait bounds the wait for the lock (2m). With -yes the lock is
// held from the plan's read to the last write. After a person's "yes" the
// plan is made again under the lock and applied only if it is unchanged
// (otherwise the command shows the plan as it is now, writes nothing and
// exits 1), so that no lock is held while a person reads. Without -etcd,
// two processes that change one role's trust policy at once can each drop
// the other's accounts, with no error: RAM has no compare-and-swap.
//
// -members runs plan, apply, revoke, check or audit in member accounts of a
// resource directory, from its management account (package
// encryptperm/fleet): -members all, folders (fd-…, or the root's r-…, with
// the folders below them unless -subfolders=false) or member UIDs,
// comma-separated; -exclude UID,… leaves members out; -concurrency N bounds
// the members worked on at once. In each member it assumes the directory's
// access role, ResourceDirectoryAccountAccessRole, and applies the grant
// the grant flags describe there (-accounts, -rd and -folder still name the
// recipients of a share). Each member's outcome is a line on standard
// output as it finishes (a row of the JSON document with -json), with a
// progress line on standard error when it is a terminal and a log line per
// member otherwise; a member whose role cannot be assumed is one failed
// row, and running the command again converges only what is left. apply and
// revoke against anything but the in-memory fake (which then plays a demo
// directory) show the plan of every member on standard error, ask, and
// write only in the members the plan showed changes for, unless -yes is
// given. audit -members audits every key of -region in each member, with
// the member's own credentials: a member is contained when no path to its
// keys leaves the trust zone (-trust-zone account: the member alone;
// rd-…: the whole directory, read once from the management account), and
// exposed otherwise. The exit code is the highest of the members': 0 done,
// allowed, unchanged or contained; 1 denied, exposed, or changes pending
// with plan -detailed-exitcode; 3 failed, or the run stopped.
//
// -json makes every command print one JSON document on standard output: the
// plan, the result, the decisions, the diagnosis, the export, or the error,
// every field name in lowerCamelCase. -timeout D gives up after D (a write
// in flight then has an unknown outcome, which the command lists); -v logs
// each call (service, action, target, duration, code, request ID) on
// standard error, never a secret. On a terminal, standard error carries a
// line of the calls made so far, by service; apply ends with the calls by
// service ("13 calls (RAM 8, ECS 4, KMS 1)"). -help on each command shows
// its flags and an example.
//
// Exit codes: 0 done, allowed, or no changes; 1 denied (check), changes
// pending (plan -detailed-exitcode), not confirmed (any answer but "yes",
// or none: standard input closed), or a path that leaves the trust zone
// (audit); 2 usage or validation error, or a critical finding not
// accepted, before anything is contacted; 3 RAM, network or credential error,
// or a refusal that depends on what the account holds (a disabled or
// missing key, a missing image or snapshot, an image encrypted with the
// service key), told apart from a usage error because it came after the
// first call. Errors go to standard error as one block, with the cause and
// the fix where they are known; the fix points at -help only for a mistake
// in the flags.
package main
