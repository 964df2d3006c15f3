// Package encryptperm grants Alibaba Cloud ECS the RAM permissions it needs to
// use KMS keys: to encrypt disks, snapshots and images with a customer key, and
// to share encrypted snapshots and images with other accounts, a Resource
// Directory, or one of its folders.
//
// Builders turn intent into validated documents:
//
//	g, err := encryptperm.ShareSnapshot().
//		WithAccounts("2000000000000001").
//		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-hzabc"}).
//		Build()
//
// A *Grant holds the role, its trust policy and its permission policies, with
// findings a reviewer should see. Nothing in a builder does I/O.
//
// # Documents
//
// Package policy holds RAM's policy language: policy.Document, policy.Parse
// (strict, for what a user hands in), policy.Read (faithful, for what RAM
// returns), canonical JSON, equality by meaning and the evaluator that Check
// and Simulate use. Grant.Role.TrustPolicy and Attachment.Document are
// *policy.Document values; Limits.Read bounds what this package reads.
//
// # Applying
//
// An Applier makes RAM hold what grants say: NewRAMApplier builds its own SDK
// clients (HTTPS, the SDK's default credential chain), NewApplier runs over a
// client you give it (the SDK's *ram.Client, the fake, a mock). Plan shows
// what would change, classified as broadening, narrowing or destructive;
// Apply and ApplyPlan converge RAM additively, keeping statements others
// wrote; Revoke removes what a grant names; RevokePlan shows what it would
// remove; Check asks whether access works. Every capability is a method of
// the Applier interface. Retries, contexts, concurrency and lost answers are
// handled as the Applier's documentation says.
//
// Each level of independent calls goes out at once: the reads of every role
// an Apply names, then the writes that depend on nothing, then the
// attachments. Writes are verified from RAM's answers where RAM returns what
// was written (CreateRole and UpdateRole carry the trust policy as stored,
// CreatePolicyVersion the new version); what an answer leaves out, such as
// a new policy's document, is read again beside the next level of writes.
// So adding an account costs two round trips, a role made from nothing
// three. A writer in another process who changes a role after this
// engine's last write to it is not seen: it never was, since no read after
// the last write can rule out a write after that read. RAM has no
// compare-and-swap; Options.Locker is the guarantee. Options.VerifyByReading
// adds a read after the last write, which catches such a writer only when
// it comes before that read.
//
// Plan and Apply read each key a grant names (KMS DescribeKey, in the
// key's region) beside RAM's first reads, so that it costs no round trip of
// its own, and no write waits for more: a key KMS does not find is refused
// with ErrNotFound, and one KMS names in another account or region than
// the grant with ErrInvalid, before any write and also when RAM holds the
// grant already. The key is read with the Applier's KMS client (NewRAMApplier
// builds one; NewApplier uses Options.KMS, or the RAM client when it
// implements KMS, as the fake does); an Applier without one, over the SDK's
// *ram.Client alone or a RAM mock, does not read keys. Revoke reads none: a
// grant for a key deleted since must still be revocable.
//
// Every method that takes grants validates them first, with the builders'
// own rules: each grant is built again from its kind, audience, keys and
// limits, and anything the builder would not have made (a wildcard key, a
// trust statement its audience does not call for, a policy of its own) is
// refused before any I/O, with a *ValidationError. Apply also refuses a
// critical finding the caller has not accepted in Options.AcceptFindings.
//
// # Revoking
//
// Revoke is the inverse of a grant's content. RAM records no owner of a
// principal or a key, so when two grants name the same account, revoking
// one would take it from the other too: RevokeWith and RevokePlanWith take
// RevokeOptions.Keep, the grants that stay, whose content is not removed,
// and the plan marks each removal left out for them (Change.Kept). Revoke
// leaves every statement it did not write alone, in the library's own
// policies as well, and deletes a policy or a role only when nothing else,
// foreign content included, is left in it: a custom policy only when empty
// and named with ManagedPolicyPrefix, a role only when its trust policy is
// left empty and no policy the library did not create is attached.
//
// # Sharing
//
// A share grant that names its images (ShareImage().WithImage) or snapshots
// (ShareSnapshot().WithSnapshot) makes the Applier share them too, in the
// same call. Before any write it reads each resource (ECS DescribeImages,
// and DescribeSnapshots for the snapshots an image's disks are made of,
// which alone carry the keys; a data disk may have a key of its own: the
// first page of the region's encrypted image snapshots is listed beside
// DescribeImages, and the snapshots it does not list are read by ID), each
// key (KMS DescribeKey), the current shares (ECS
// DescribeImageSharePermission; Resource Sharing ListResourceShares and
// ListResourceShareAssociations) and, for a directory or folder audience,
// CheckSharingWithResourceDirectoryStatus; it then refuses, all problems at
// once with their paths, a missing resource, a resource encrypted with the
// service key or with another key than the grant names, a key that is
// missing, not Enabled or in another region, an audience over ECS's caps
// (Limits.ImageShareAccounts, Limits.SnapshotShareAccounts), the owner's
// own account, and a directory whose sharing is off. It grants exactly the
// keys it found (an unencrypted resource needs no role), and once RAM holds
// the grant it shares additively: an image with accounts through ECS
// ModifyImageSharePermission (10 accounts a call), an image with a
// directory or folder and a snapshot with anyone through Resource Sharing
// (CreateResourceShare or AssociateResourceShare, 5 targets a call,
// AllowExternalTargets for accounts). A share holding only that resource is
// reused, whoever made it; one holding other resources is never added to.
// ECS's view of RAM lags a fresh grant: a share refused with
// AssumeRoleError or InvalidParameter.KMSKeyId.CMKUnauthorized right after
// it is retried for up to Options.ShareWait. No share write is sent again
// before a read shows what the earlier attempt did (the image's accounts,
// the region's resource shares, a share's targets): only what is still
// missing is sent, and a CreateResourceShare that took effect is never made
// twice; a failure that may have been carried out (a lost answer, a 5xx) is
// read the same way. Invitations not yet accepted are reported as Note
// changes. Revoke unshares first, then removes the grant: it reads every
// resource share of the region (an image's too, whose accounts the library
// shares with through ECS), and takes the grant's recipients out of ECS's
// share permission (RemoveAccount.N) and out of every resource share whose
// only resource is the one revoked, whoever made it
// (DisassociateResourceShare); a resource share that also holds other
// resources is refused with ErrConflict, naming it, before any write. The
// clients come from
// the RAM client when it implements ECS, ResourceSharing and KMS (the fake
// does), from Options otherwise; NewRAMApplier builds all four. ApplyPlan
// reads the resources and their shares again, so only RAM's part of a plan
// can be stale; the share part is additive and converges from what it
// reads.
//
// An Apply reads RAM beside the share step's first reads (the library's
// policy names do not depend on the key), under the roles' in-process locks
// and Options.Locker, taken before those reads and held until RAM has
// converged; a key the grant names (WithKey) is read in that first level
// too, and so is a key this Applier found for the resource before (an
// image's or snapshot's keys do not change; the keys judged are still the
// ones read from the resource now). A key found through a snapshot is
// otherwise read in a level of its own, after the snapshot. Every key's
// state is read whether anything is to be written or not: when RAM already
// holds the grant and every resource is shared with its whole audience, a
// key that is disabled, pending deletion or gone still fails the Apply,
// naming the key, since no recipient can use the resource. So a cold image
// share costs 5 levels (4 with WithKey), and a warm one 1 level on the
// Applier that found its key before and 2 on a new one; when the image's
// snapshot is not on the first page of the region's encrypted image
// snapshots, it costs one level more (6, 2 and 3), as the README's "Round
// trips of a share" says. ECS names an
// image's key only through the snapshots its disks are made of (every
// disk's, whatever DescribeImages says of its encryption), so the key
// costs dependent reads after the image's, and a grant cannot go to RAM
// before its key is known and checked.
//
// # Checking
//
// Check answers whether a recipient account's ECS can assume the share role
// and use a key, reading RAM through the same RAM interface, and explains
// each step; with Access.ResourceID it also finds the key of a named image
// or snapshot, reads the key's state (a key that is not Enabled, or that
// KMS does not find, is a step not allowed; one a service manages is
// refused, as Apply refuses it) and says whether the resource is shared
// with the recipient: Decision.Shared, or Decision.SharePending while the
// recipient has not accepted the invitation of Decision.ResourceShareID
// (an account outside the resource directory accepts it with its own
// credentials; the fake's RAM.AcceptInvitation does it in tests).
// Step.Action lists every step's name. Simulate
// does the same on documents. Diagnose maps ECS and KMS
// error codes to the grant that fixes them.
//
// # Errors
//
// Build returns a *ValidationError listing every problem, each with a field
// path. Errors wrap the sentinels ErrNotFound, ErrConflict, ErrLimitExceeded,
// ErrThrottled, ErrAccessDenied, ErrInvalid, ErrStale, ErrNoCredentials and
// ErrLockLost (a lock of Options.Locker was lost, so no write was made
// after that): test them with errors.Is. No error, log line, Observer call, Plan or Result
// holds an access key ID, secret, security token or signature (see Redact).
//
// # Testing
//
// Package fake holds an in-memory RAM that satisfies the RAM interface and an
// HTTP endpoint that speaks RAM's RPC protocol, so code that uses this package
// can be tested offline; the same *fake.RAM plays ECS, Resource Sharing and
// KMS for sharing code, with images, snapshots, keys, shares and
// invitations (Example_shareSnapshotWithAnAccount). Package
// encryptperm/mock holds gomock mocks of RAM, ECS, ResourceSharing and KMS
// for error paths the fake cannot express; its documentation lists the
// reads each Applier method makes, mock.ExpectEmptyAccount answers RAM's,
// and mock.ExpectShareReads and mock.ExpectShareWrites the share step's.
package encryptperm
