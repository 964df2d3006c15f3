// Package fleet runs the encryptperm engine in every member account of an
// Alibaba Cloud resource directory, from the directory's management account:
// it plans, applies, revokes or checks grants in hundreds of members, or
// audits every path to their keys, with one call, with bounded
// concurrency, a row per member and totals.
//
//	r, err := fleet.NewSDKRunner(&fleet.Options{
//		Grants: func(m fleet.Member) ([]*encryptperm.Grant, error) {
//			g, err := encryptperm.DiskEncryption().Build()
//			return []*encryptperm.Grant{g}, err
//		},
//	})
//	rep, err := r.Apply(ctx, fleet.Scope{Folders: []string{"fd-Prod01"}})
//	fmt.Println(rep.Totals.Changed, rep.Totals.Failed, rep.Retry())
//
// # A run
//
// A run reads the directory (Resource Manager GetResourceDirectory, for its
// management account and root), then lists the members of its Scope a page
// at a time: ListAccounts for the whole directory or for accounts named by
// UID, ListAccountsForParent and ListFoldersForParent for folders with or
// without the folders below them. The management account is never a member
// of a scope, and Scope.Exclude leaves accounts out. Before the first member
// is worked on, the first page of every named folder is read, and for named
// accounts the whole directory, so that a folder or account the directory
// does not hold stops the run before anything is written.
//
// Members are worked on as they are listed, Options.Concurrency at once.
// In each: Options.Grants (or Options.Checks) gives what to do; STS
// AssumeRole of the access role (DefaultAccessRole, which the directory
// creates in its members trusting the management account, or
// Options.Role) gives temporary credentials, a Session; the engine
// (encryptperm.NewRAMApplier with Options.Engine and the Session as its
// Credential, or Options.NewApplier) plans, applies, revokes or checks.
// The Session renews its credentials with another AssumeRole when they
// come within Options.RenewBefore of expiring, by Options.Clock, so a long
// member never signs with expiring credentials. A member whose role cannot
// be assumed is one failed row with the reason (Stage assume, Code such as
// NoPermission or EntityNotExist.Role); the others go on.
//
// Throttling of the engine's calls is retried by the engine
// (Options.Engine.Retry); the Runner's own calls (the listings and
// AssumeRole) are retried after throttling, a server error or a transport
// error, since none of them changes anything. Every call honours the run's
// context: when it ends, listing stops, no member starts (those already
// listed are reported skipped), and a member's engine returns with the
// writes whose outcome is unknown, which its row lists.
//
// # Memory
//
// A run holds a page of the listing and one engine per member in flight:
// a member's Session, Applier, plan and result are dropped as soon as its
// row has gone to the Observer. The Report keeps totals, the UIDs of the
// members that changed, would change or were denied, and the rows of those
// that failed. So memory is bounded by the concurrency, not by the
// directory's size.
//
// # Reports and resuming
//
// Each member's Row goes to Options.Observer as the member finishes: its
// status (unchanged, pending, changed, allowed, denied, contained,
// exposed, failed, skipped), the changes planned or made, the writes whose
// outcome is unknown, the answers of a check, an audit's report, and why
// it failed. Rows and the Report marshal to
// JSON with lowerCamelCase names. A second run over the same scope
// converges only what is left: the engine writes nothing in a member that
// already holds its grants. Report.Retry gives a scope of the members that
// failed, to run those alone.
//
// # Audits
//
// Runner.Audit calls Options.Audit in each member with the member's
// Session, which signs the member's RAM and KMS clients (package
// encryptperm/audit reads them): a member whose audit.Report has a path
// that leaves its trust zone is exposed, the others contained. Like a plan,
// the report goes to the Observer with the row and is then dropped.
//
// # Errors
//
// A Scope that names nothing or holds a malformed ID is refused before any
// I/O with a *encryptperm.ValidationError (errors.Is(err,
// encryptperm.ErrInvalid)). The Runner's calls fail with errors that wrap
// the SDK's *errors.ServerError (errors.As) and the sentinel of package
// encryptperm that fits: ErrNotFound for EntityNotExist codes,
// ErrAccessDenied for NoPermission and refused credentials, ErrThrottled,
// ErrInvalid. The engine's errors are encryptperm's. No error or row holds
// an access key ID, secret, security token or signature.
//
// # Testing
//
// Package fake plays a resource directory: several accounts in one fake,
// STS AssumeRole, Resource Manager's listings, and one endpoint for them
// all. *fake.RAM satisfies Directory and STS in process (give
// Options.ConcurrentSTS and an Options.NewApplier that signs in with
// fake.RAM.Session), and fake.Start serves them to NewSDKRunner.
package fleet
