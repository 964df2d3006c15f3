// Package audit answers, for an Alibaba Cloud account, who can make a
// service use a KMS key, and through which path:
//
//	principal → assumes role R (its trust statement) → R's policies and the key policy (their statements) → KMS actions
//
// An Auditor reads the account's roles and custom policies (one paged
// listing of each), then, side by side through a pool of clients, each
// role's trust policy and attachments and each policy's default version,
// each policy read once however many roles attach it, and the key's
// metadata and KMS key policy. It judges every role with KMS's rules, as
// encryptperm.Check does: an explicit Deny in the role's policies or the
// key policy denies; otherwise, for a role of the key's own account, an
// Allow in either suffices, and for a role of another account both must
// allow. For each role that may use the key it reports every principal
// the role's trust policy lets in: a service of one account
// (<uid>@ecs.aliyuncs.com), of the role's own account (ecs.aliyuncs.com),
// every account of a resource directory or of a folder (a pattern such as
// *@ecs.aliyuncs.com with its sts:ServiceOwnerRDId or sts:ServiceOwnerRDPath
// condition), a RAM identity of an account, or a pattern that names any
// account; and the principals the key policy names itself (users, roles of
// other accounts).
//
// Each path carries its actions, the statements that allow them, the trust
// statement and its conditions, and findings with stable codes: a path that
// reaches outside the caller's trust zone (FindingOutsideTrustZone), one
// whose statements open every key (FindingOpensEveryKey), and one that
// could not be judged (FindingCannotJudge): a document that cannot be read,
// a condition the audit cannot answer, a principal whose own policies it
// does not read. Such a path is reported as "may" (Path.Certain false),
// never dropped. A Report marshals to JSON and prints as a table (Table).
//
// Named accounts and the trust zone's members are judged with the whole
// trust policy, as Check judges them: a path lists, in Principal.Accounts,
// the accounts it lets in for certain, so that for the share role of a
// resource type, an account listed on a certain path that allows every
// action ECS needs is one Check says allowed, and an account no path lists,
// certain or not, is one Check says not allowed.
//
// # Errors
//
// A read that fails after its retries (throttling, server and transport
// errors are retried) fails the audit with an *Error, which names the call
// and, through errors.Is, the sentinel of package encryptperm that fits
// its code (ErrNotFound, ErrAccessDenied, ErrThrottled). A role deleted
// since the listing, and a policy RAM does not know, are not errors. Errors
// never hold a secret.
//
// # Testing
//
// The fake (package fake) is both a RAM and a KMS client of an audit, and
// its seed describes roles, policies and key policies:
//
//	f := fake.New(nil)
//	_ = fake.LoadSeedBytes(f, seed)
//	rep, err := audit.New(f, f, &audit.Options{NewClients: func() (audit.RAM, audit.KMS, error) { return f, f, nil }}).Key(ctx, key)
package audit
