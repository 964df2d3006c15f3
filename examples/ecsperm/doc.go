// Command ecsperm gives Alibaba Cloud ECS the RAM permissions it needs to use
// KMS keys, from the shell: it plans, applies, revokes and checks the grants
// of the ECS documentation page "Encryption-related permissions"
// (https://alibabacloud.com/help/en/ecs/user-guide/encryption-related-permissions),
// explains ECS's error codes, and exports a reviewed plan as Terraform, a ROS
// template or an aliyun-cli script.
//
//	go install github.com/ecsperm/ecsperm/examples/ecsperm@latest
//
//	ecsperm plan     -kind share-snapshot -accounts 2000000000000001 -key acs:kms:cn-hangzhou:1234567890123456:key/<id>
//	ecsperm apply    (same flags) [-yes]
//	ecsperm check    (same flags) [-recipient 2000000000000003]
//	ecsperm export   (same flags) -format terraform|ros|aliyun-cli
//	ecsperm revoke   (same flags) [-yes]
//	ecsperm diagnose AssumeRoleError
//	ecsperm audit    -key ARN | -region REGION [-trust-zone account|rd-…] [-seed FILE]
//
// Every command that takes a grant takes the same flags: -kind
// share-snapshot, share-image or disk-encryption; -accounts UID,UID; -rd
// rd-…; -folder rd-…/r-…/fd-…; -key ARN (repeatable). Disk encryption without
// -key uses the console's system policy, AliyunECSDiskEncryptRolePolicy, on
// every key. -image m-… or -snapshot s-… with -region names the image or
// snapshot to share too (with -kind share-image or share-snapshot): apply
// shares it after the grant, finding its key when -key is not given; revoke
// unshares it first; check also says whether it is shared with the
// recipient.
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
// -json makes every command print one JSON document on standard output: the
// plan, the result, the decisions, the diagnosis, the export, or the error.
// -help on each command shows its flags and an example.
//
// Exit codes: 0 done, allowed, or no changes; 1 denied (check), changes
// pending (plan -detailed-exitcode), not confirmed, or a path that leaves
// the trust zone (audit); 2 usage or validation
// error, before anything is contacted; 3 RAM, network or credential error,
// or a refusal that depends on what the account holds (a disabled or
// missing key, a missing image or snapshot, an image encrypted with the
// service key), told apart from a usage error because it came after the
// first call. Errors go to standard error as one block, with the cause and
// the fix where they are known.
package main
