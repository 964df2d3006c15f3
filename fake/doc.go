// Package fake is an in-memory Alibaba Cloud RAM for offline tests. It holds
// one account's roles, custom policies and their versions, the system
// policies this module uses, and role attachments; it answers with RAM's error
// codes and HTTP statuses; it can inject faults; it records every call; and
// an HTTP endpoint serves the same state over RAM's RPC protocol, so that the
// official SDK, or any other RAM client, can be pointed at it. Beside that
// account it can hold others, members of a resource directory it manages,
// reached with STS AssumeRole (see Accounts and a resource directory).
//
// [New] returns a [*RAM]. Its methods CreateRole, GetRole, UpdateRole,
// DeleteRole, ListRoles, CreatePolicy, GetPolicy, DeletePolicy, ListPolicies,
// CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
// DeletePolicyVersion, SetDefaultPolicyVersion, AttachPolicyToRole,
// DetachPolicyFromRole, ListPoliciesForRole and ListEntitiesForPolicy take and
// return the SDK's own types (package services/ram), so *RAM satisfies
// encryptperm.RAM and stands wherever a *ram.Client does:
//
//	f := fake.New(nil)
//	req := ram.CreateGetRoleRequest()
//	req.RoleName = "AliyunECSShareEncryptSnapshotDefaultRole"
//	_, err := f.GetRole(req) // *errors.ServerError, EntityNotExist.Role, 404
//
// Every call, in process or through the endpoint, runs through one core that
// produces the status, headers and JSON body the endpoint sends. The
// in-process methods hand that answer to the SDK's own unmarshalling, so both
// paths give callers the same response structs and the same errors.
//
// The fake is safe for concurrent use. It stores and returns copies, and lists
// in sorted order. Its time comes from [Options].Clock, so dates and the
// propagation delay can be driven by a test.
//
// # Names
//
// RAM treats role and policy names without regard to case: "ShareRole" and
// "sharerole" are one role, and creating the second fails with
// EntityAlreadyExists.Role. The fake looks names up and checks uniqueness the
// same way, and answers with the spelling the entity was created with.
//
// # Errors
//
// Refusals come back as the SDK's *errors.ServerError (package
// sdk/errors), with RAM's RequestId, HostId "ram.aliyuncs.com", Code and
// Message, and RespHeaders set. The codes and their default HTTP statuses:
//
//	Missing<Param>                                      400  a required parameter is absent (e.g. MissingRoleName) *
//	InvalidParameter.RoleName.InvalidChars / .Length    400  letters, digits, "." and "-"; Limits.RoleNameMaxLen
//	InvalidParameter.PolicyName.InvalidChars / .Length  400  letters, digits and "-"; Limits.PolicyNameMaxLen
//	InvalidParameter.AssumeRolePolicyDocument.Length    400  Limits.TrustPolicyMaxLen bytes
//	InvalidParameter.NewAssumeRolePolicyDocument.Length 400  the same, on UpdateRole
//	InvalidParameter.PolicyDocument.Length              400  Limits.PolicyDocumentMaxLen bytes
//	InvalidParameter.Description.Length                 400  Limits.DescriptionMaxLen characters
//	InvalidParameter.NewDescription.Length              400  the same, on UpdateRole *
//	InvalidParameter.MaxSessionDuration                 400  outside Limits.Min/MaxSessionDuration *
//	InvalidParameter.NewMaxSessionDuration              400  the same, on UpdateRole *
//	InvalidParameter.PolicyType                         400  not "System" or "Custom"
//	InvalidParameter.VersionId.Format                   400  not v1, v2, ...
//	InvalidParameter.SetAsDefault / .RotateStrategy     400  an unknown value *
//	InvalidParameter.MaxItems / .Marker                 400  MaxItems outside 1..Paging.MaxItems, a marker the fake did not issue *
//	MalformedPolicyDocument                             400  the document breaks RAM's grammar; the message says how (409 in a newer RAM page) *
//	EntityNotExist.Role / .Policy / .Policy.Version     404
//	EntityNotExist.Role.Policy                          404  DetachPolicyFromRole of a policy not attached *
//	EntityAlreadyExists.Role / .Policy                  409
//	EntityAlreadyExists.Role.Policy                     409  the policy is already attached *
//	DeleteConflict.Role.Policy                          409  DeleteRole while policies are attached
//	DeleteConflict.Policy.Role                          409  DeletePolicy while attached to a role *
//	DeleteConflict.Policy.Version                       409  DeletePolicy while other versions exist
//	DeleteConflict.Policy.Version.Default               409  DeletePolicyVersion of the default
//	LimitExceeded.Policy.Version                        409  Limits.VersionsPerPolicy, without rotation
//	LimitExceeded.Role.Policy                           409  Limits.CustomPoliciesPerRole / SystemPoliciesPerRole
//	LimitExceeded.Role / LimitExceeded.Policy           409  Limits.RolesPerAccount / CustomPoliciesPerAccount
//	InvalidAction.NotFound                              404  an action the fake does not serve *
//	Throttling.User (also Throttling, Throttling.Api)   400  fault rules and the random throttle *
//	ServiceUnavailable                                  503  fault rules; a call abandoned by its context
//	InternalError                                       500  fault rules; a panic while the fake serves a call
//	NoPermission                                        403  fault rules
//
// A star marks a code or status that RAM's published pages do not confirm;
// it follows the nearest evidence (RAM's gateway conventions, SDK fixtures,
// sibling codes). [Options].Statuses overrides the status of any code.
//
// Parameters are checked first (presence, form, length, then the document's
// grammar), the account's state after. RAM does not publish its order.
//
// An answer lost by a fault ([Rule].LoseAnswer) reaches an in-process caller
// as the *url.Error (wrapping io.EOF) that a *ram.Client with its default
// configuration returns when the server drops the connection. The endpoint
// really drops the connection.
//
// # Fault injection
//
// Fault rules ([Rule]) are set with [Options].Faults, [RAM.SetFaults] and
// [RAM.AddFault]. For each call the fake counts the call per action, then
// tries the rules in order; the first that matches wins, and no other rule or
// the random throttle applies to that call. A rule matches on Action (empty:
// any) and Nth (the call's 1-based number among calls of that action since
// New or Reset; 0: every call). A matching rule:
//
//   - waits Latency (and [Options].Latency applies to every call);
//   - holds the call before it commits when Hold is set, until the test calls
//     [Hold.Release] ([RAM.HoldCall] adds such a rule and returns the hold;
//     [Hold.Held] tells when a call is waiting, [Hold.Done] when it finished);
//   - answers Code (with Status, Message and an x-acs-retry-after header of
//     RetryAfter in milliseconds) without touching state, or serves the call;
//   - with AfterCommit, serves the call first and then answers Code in place
//     of the real answer, so a write commits although the caller sees an
//     error (a 5xx such as InternalError leaves the outcome unknown);
//   - drops the answer when LoseAnswer is set. Without Code the call has
//     committed, so the caller sees a transport error although state changed;
//     with Code nothing committed.
//
// When no rule matches, [Options].ThrottleRate refuses the call with
// Throttling.User and x-acs-retry-after ([Options].ThrottleRetryAfter), with a
// generator seeded by [Options].Seed so that runs repeat. [RAM.Fired] records
// every call a rule or the throttle acted on. [Options].PropagationDelay hides
// roles and custom policies created through the API from AttachPolicyToRole
// (EntityNotExist.Role or EntityNotExist.Policy) until that long after their
// creation by the fake's clock.
//
// Waits end early when the call's context ends (only endpoint calls have one);
// the call then does not commit and is answered ServiceUnavailable.
//
// A panic while the fake works on a call, in its own code or in a clock a
// test gave it, is answered as RAM answers an internal fault, 500
// InternalError with a RequestId, and is recorded in the call log. Every lock
// is released on every path, so one bad call never wedges the fake.
//
// # Inspection
//
// [RAM.Roles], [RAM.Role], [RAM.TrustPolicy], [RAM.TrustedPrincipals],
// [RAM.Policies], [RAM.Policy], [RAM.PolicyVersions], [RAM.Attachments] and
// [RAM.AttachmentsOf] read state without going through RAM's API, so they
// neither count as calls nor meet faults. [RAM.Calls] returns the call log:
// action, parameters, request ID, result code and status, with access key
// IDs, signatures, secrets and security tokens replaced by [Redacted].
// [Options].MaxCalls bounds the log, and [Options].MaxCallValueBytes what it
// keeps of each parameter (a longer value is logged as its first bytes and
// a marker). [RAM.Reset] returns the fake to its state after New.
//
// [RAM.PutRole], [RAM.PutPolicy] and [RAM.PutAttachment] seed state directly,
// past faults, count limits and the propagation delay: a role whose trust
// policy holds statements this module never writes, a policy that already has
// five versions, a further system policy. Seeded documents must still follow
// RAM's grammar.
//
// # ECS's side
//
// [RAM.SimulateECS] plays the other half of a share: would ECS in a
// recipient account (with its resource directory context) be able to assume
// the share role and use the key, and why not. It evaluates the fake's
// current documents with an evaluator of its own, written apart from the
// library's so that the two check each other, and fails closed: a key,
// action or service that is RAM's only when case is folded as Unicode
// folds it (a long s, a Kelvin sign, a dotless or dotted i), and a
// condition value that its operator cannot read (NumericNotEquals on a
// directory ID), never let ECS in, as the library never says allowed on
// them.
//
// # RPC endpoint
//
// [NewServer] wraps a *RAM in an http.Handler that speaks RAM's RPC protocol
// with signature checks, and [Start] serves it on a loopback port. Calls
// through the endpoint share the fake's state, faults and call log with
// in-process calls.
//
// The endpoint accepts both signature methods RAM's clients use: V1
// (HMAC-SHA1 in the Signature parameter), as the official Go SDK and older
// clients sign, and V3 (ACS3-HMAC-SHA256 in the Authorization header), the
// default of the current darabonba SDKs in every language. A V3 request
// names its API in x-acs-action and x-acs-version, and may carry parameters
// in the query, a form body or a JSON body; see Server for its checks.
//
// # Client parity
//
// What has been verified against the endpoint, per client family, and how:
//
//	client family          signature     verified by
//	V1 SDK (alibaba-cloud- HMAC-SHA1     the conformance scenarios through
//	  sdk-go *ram.Client)                *ram.Client and NewRAMApplier over
//	                                     Start; signing vectors from the SDK's
//	                                     own tests; refusals (wrong secret,
//	                                     skew, replay, token) in this package
//	V3 SDK (darabonba-     ACS3-HMAC-    the conformance scenarios through
//	  openapi v2 CallApi)  SHA256        CallApi with its default signature
//	                                     over Start; CreateRole/GetRole and an
//	                                     error over examples/ramserver; signing
//	                                     vectors checked against darabonba's
//	                                     own signing code
//	raw HTTP               V1 or V3      hand-signed requests in this
//	                                     package's tests: every gateway refusal,
//	                                     V3 refusals (wrong secret, altered
//	                                     header, query or body, replayed nonce,
//	                                     stale date, unsupported algorithm,
//	                                     unsigned x-acs-* header), params in
//	                                     query, form and JSON body, slow bodies
//	                                     and oversize requests
//
// # Response fields
//
// Each operation fills the fields RAM's API reference (version 2015-05-01,
// and the response models Alibaba generates from it for its current SDKs)
// lists for it, and sends no other. The Go SDK's structs are shared between
// operations, so most answers leave some of their fields empty. Every answer
// also has RequestId. The package's tests check this field by field, in
// process and over the endpoint (in JSON and in XML), in the struct and in
// the body.
//
//	CreateRole              Role: RoleId RoleName Arn Description AssumeRolePolicyDocument
//	                        MaxSessionDuration CreateDate
//	GetRole, UpdateRole     Role: the same and UpdateDate
//	ListRoles               IsTruncated, Marker (when truncated); Roles.Role[]: RoleId RoleName
//	                        Arn Description MaxSessionDuration CreateDate UpdateDate
//	CreatePolicy            Policy: PolicyName PolicyType Description DefaultVersion CreateDate
//	GetPolicy               Policy: PolicyName PolicyType Description DefaultVersion CreateDate
//	                        UpdateDate AttachmentCount; DefaultPolicyVersion: VersionId
//	                        IsDefaultVersion PolicyDocument CreateDate
//	CreatePolicyVersion,    PolicyVersion: VersionId IsDefaultVersion PolicyDocument CreateDate
//	  GetPolicyVersion
//	ListPolicyVersions      PolicyVersions.PolicyVersion[]: the same four
//	ListPoliciesForRole     Policies.Policy[]: PolicyName PolicyType Description DefaultVersion
//	                        AttachDate
//	ListEntitiesForPolicy   Roles.Role[]: RoleId RoleName Arn Description AttachDate;
//	                        Users.User[] and Groups.Group[] always empty
//	ListPolicies            IsTruncated, Marker (when truncated); Policies.Policy[]: as
//	                        GetPolicy's Policy
//	DeleteRole, DeletePolicy, DeletePolicyVersion, SetDefaultPolicyVersion,
//	AttachPolicyToRole, DetachPolicyFromRole: RequestId only
//
// Where RAM's reference and the Go SDK's structs differ (a star marks what
// the fake infers):
//
//   - Role has UpdateDate and AttachDate in every answer's struct; RAM's
//     CreateRole answer has no UpdateDate, and only ListEntitiesForPolicy
//     has AttachDate (Policy.AttachDate likewise only in ListPoliciesForRole).
//   - GetPolicy's Policy.PolicyDocument is in both, but the reference marks it
//     deprecated; the fake leaves it empty *, and the document is in
//     DefaultPolicyVersion.
//   - ListRoles and ListPolicies items have Tags.Tag[] (TagKey, TagValue) in
//     the reference, not in the struct. The fake has no tags and sends no
//     Tags *.
//   - ListPolicyVersions items have PolicyDocument in the current reference and
//     the struct; RAM's 2021 pages left it out.
//   - ListEntitiesForPolicy's users (UserId UserName DisplayName AttachDate)
//     and groups (GroupName Comments AttachDate) have fewer fields in the
//     reference than the SDK's User and Group; the fake lists none.
//   - Resource Management's copies of the role operations (2020-03-31) add
//     RolePrincipalName; RAM's reference does not have it, nor does the fake.
//
// Values the reference does not pin down: a policy's UpdateDate moves on
// CreatePolicyVersion, DeletePolicyVersion and SetDefaultPolicyVersion *;
// AttachmentCount counts role attachments only (the fake has no users or
// groups); a Description that is empty is left out of the body rather than
// sent as "" *.
//
// # ECS, Resource Sharing and KMS
//
// The same *RAM also plays the three services a share of an encrypted
// snapshot or image touches, on the same state, fault rules, call log and
// endpoint. It satisfies encryptperm.ECS, encryptperm.ResourceSharing and
// encryptperm.KMS with the SDK's own types (packages services/ecs,
// services/resourcesharing and services/kms); set each request's RegionId
// in process, as the SDK's client sets it from its region over the wire.
// The endpoint tells the services apart by Version: besides RAM's it
// accepts 2014-05-26 (ECS), 2020-01-10 (Resource Sharing), 2016-01-20
// (KMS), 2015-04-01 (STS) and 2020-03-31 (Resource Manager), each for its
// own actions only (an action of another service answers
// InvalidAction.NotFound), with the same signature checks; RegionId
// reaches these actions. [Endpoint.ECSClient],
// [Endpoint.ResourceSharingClient], [Endpoint.KMSClient],
// [Endpoint.STSClient] and [Endpoint.ResourceManagerClient] return the
// SDK's clients pointed at it, and [Endpoint.Aim] points any SDK client,
// with any credential, at it.
//
// Seed the world with [RAM.PutKey], [RAM.PutImage], [RAM.PutSnapshot] and
// [RAM.PutResourceDirectory], or all at once with [LoadSeed], which reads
// this JSON strictly (null anywhere, an unknown field, a field given twice
// or spelled in another case, a value of the wrong type, a malformed ID, a
// kmsKeyId no key in the region has, a key, image or snapshot given twice,
// or an image whose encryption contradicts its snapshot's is refused with
// [ErrInvalidSeed] and an error naming the field's path, quoting at most 100
// bytes of a bad value, and nothing is loaded):
//
//	{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true,
//	                       "members": ["2234567890123456"], "folders": ["fd-Folder01"]},
//	 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
//	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
//	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}],
//	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}
//
// A seed can describe RAM's side too (see Seed): "roles", each with its
// "trust" policy and "attached" policies, and "policies", each with a
// "document" or several "versions", in any account of the seed.
//
// An image or snapshot with neither kmsKeyId nor serviceKey is unencrypted.
//
// KMS of an account that no key was put in (by PutKey or a seed) answers
// DescribeKey for any well-formed key ID, in any region asked, as an
// Enabled customer key of that account with no key policy, so that code
// and demos that name a key work on a fake nobody seeded. Once a key is
// put in the account, its KMS knows only the keys put, and any other key
// is Forbidden.KeyNotFound; Reset forgets them. Images and snapshots name
// only keys put.
// members and folders are the fake's own additions: the directory's other
// accounts (shared with without an invitation) and the root and folder IDs
// that may be targets. [RAM.Keys], [RAM.Images], [RAM.ImageSharedWith],
// [RAM.Snapshots], [RAM.ResourceShares] and [RAM.Invitations] show the
// state, shares included.
//
// Actions served, and the codes each can give besides fault rules' codes
// and Missing<Parameter> (400). A star marks a code or status the fake
// infers; the rest are ECS's and KMS's published ones.
//
//	ECS 2014-05-26
//	  DescribeImages                InvalidParameter.PageSize 400*, InvalidParameter.PageNumber 400*
//	  DescribeSnapshots             the same, InvalidParameter.SnapshotIds 400*
//	  DescribeImageSharePermission  the same, InvalidImageId.NotFound 404
//	  ModifyImageSharePermission    InvalidImageId.NotFound 404, InvalidAccount.NotFound 404
//	                                (malformed UID), InvalidAccount.Forbbiden 404 (the owner
//	                                itself), QuotaExceed.ShareImageUser 403 (over 50 accounts),
//	                                InvalidOperation.ServiceKeyEncryptedImageUnsupported 403,
//	                                InvalidParameter.KMSKeyId.CMKNotEnabled 403, AssumeRoleError 403,
//	                                InvalidParameter.KMSKeyId.CMKUnauthorized 403,
//	                                InvalidParameter.IsPublic 400* (community images are not modelled)
//	Resource Sharing 2020-01-10
//	  CreateResourceShare, AssociateResourceShare
//	                                InvalidParameter.ResourceShareName 400*,
//	                                InvalidParameter.AllowExternalTargets 400*,
//	                                InvalidParameter.Resources 400*, InvalidParameter.Targets 400*
//	                                (more than 5 a call, malformed, the owner itself),
//	                                InvalidParameter.ResourceType 400* (only Image and Snapshot),
//	                                EntityNotExists.ResourceShare 404*, EntityNotExists.Resource 404*,
//	                                EntityNotExists.Target 404*, OperationDenied.SharingWithRdDisabled 403*,
//	                                OperationDenied.ExternalTargetsNotAllowed 403*, and for an
//	                                encrypted resource the ECS codes above (403*), and
//	                                InvalidOperation.ServiceKeyEncryptedSnapshotUnsupported 403*
//	  DisassociateResourceShare     EntityNotExists.ResourceShare 404*, EntityNotExists.Resource 404*,
//	                                InvalidParameter.Resources 400*, InvalidParameter.Targets 400*
//	  ListResourceShares, ListSharedTargets, ListSharedResources, ListResourceShareAssociations
//	                                InvalidParameter.ResourceOwner 400*, InvalidParameter.AssociationType 400*,
//	                                InvalidParameter.MaxResults 400*, InvalidParameter.NextToken 400*
//	  CheckSharingWithResourceDirectoryStatus  none
//	  ListResourceShareInvitations, AcceptResourceShareInvitation
//	                                see Accounts and a resource directory
//	KMS 2016-01-20
//	  DescribeKey                   Forbidden.KeyNotFound 404* (also for a key of another region;
//	                                none before a key is put, see above)
//	  GetKeyPolicy, SetKeyPolicy    Forbidden.KeyNotFound 404*, UnsupportedOperation 400* (a key
//	                                of the default kind, in no instance), Forbidden.ResourceNotFound
//	                                404* (a PolicyName other than default), InvalidParameter 400
//	                                (SetKeyPolicy: over MaxKeyPolicyBytes, or a document KMS's
//	                                grammar refuses)
//	  ListKeys                      InvalidParameter.PageSize 400*, InvalidParameter.PageNumber 400*,
//	                                InvalidParameter.NotSupported 400 (Filters)
//
// A KMS call names its key by ID, in the request's region, or by ARN
// (acs:kms:<region>:<uid>:key/<id>), of any account the fake holds.
// DescribeKey reports a key's instance as DKMSInstanceId. A key in an
// instance (Key.Instance, "instance" in a seed) has a key policy: the one
// given (Key.Policy, "policy"), or else the one KMS gives a new key,
// [DefaultKeyPolicy]; [RAM.KeyPolicy] shows it. A key policy follows
// RAM's grammar, with a Resource and a Principal of RAM identities in
// every statement and a Sid of at most 128 characters. The codes of
// SetKeyPolicy and GetKeyPolicy for a key in no instance are not
// published *.
//
// Sharing an encrypted image (ModifyImageSharePermission) or an encrypted
// snapshot or image (Resource Sharing) plays ECS consulting RAM and KMS: the
// key must be Enabled, then, for each new recipient account (each account a
// directory or folder target reaches), [RAM.SimulateECS] must allow ECS in
// that account to assume the share role and use the key, the key's policy
// included: a Deny in it refuses the share, and its Allow of the share
// role lets the role use the key without a RAM policy on it (the key
// container's kms:ListKeys still comes from RAM). Only what a call
// adds is judged (a new resource for every recipient, a new target for the
// resources already shared), never what the share already holds, so a call
// costs the same on a share of any size. A refused
// assume-role step answers AssumeRoleError; a refused KMS step,
// InvalidParameter.KMSKeyId.CMKUnauthorized. A refused call changes
// nothing. ModifyImageSharePermission reads at most 10 AddAccount.N and 10
// RemoveAccount.N and ignores the rest, as ECS documents; Resource Sharing
// refuses more than 5 resources or 5 targets a call. Targets outside the
// directory need AllowExternalTargets and stay Associating, with a pending
// invitation; directory and folder targets need the directory's sharing on.
//
// [Rule].ECSViewLag holds ECS's view of RAM back: a share call the rule
// matches judges the share roles as they were that long ago by
// [Options].Clock. While such a rule is in force, the fake keeps the share
// roles' past states (only changes made through RAM calls, not Put…).
//
// As in ECS, DescribeImages says whether an image is encrypted but not
// which key encrypts it: its disk device mapping names the snapshot the
// image is made from (Image.SnapshotID, "snapshotId" in a seed), and
// DescribeSnapshots gives that snapshot's KMSKeyId (Usage "image"). An
// encrypted snapshot with no KMSKeyId is encrypted with the service key.
// DescribeSnapshots without SnapshotIds lists the region's snapshots,
// filtered by Encrypted and KMSKeyId when given, in order of their IDs; the
// order ECS lists them in is not documented, and the fake does not try to
// match it.
//
// An image's data disks (Image.DataDisks, "dataDisks" in a seed) follow its
// system disk in the disk device mapping, each made from a snapshot of its
// own with a key of its own; a disk marked Unflagged leaves Encrypted out of
// its mapping, so that only its snapshot tells. ECS shares an image only when
// the share role covers every disk's key.
//
// Limits of this part: DescribeImages reads RegionId, ImageId and paging and
// ignores its other filters (every image is the account's own); images,
// snapshots and keys are created only by seeding; ResourceOwner=OtherAccounts
// lists nothing (shares are listed by their owner only); an invitation can be
// accepted but not rejected. Errors carry HostId "ram.aliyuncs.com" whatever
// the service. Where a directory has no root (no "root", and no r-… in
// "folders"), which folder holds whom is not known: a folder target reaches
// every member, and ECS judges them without a path, so a trust policy that
// only a path satisfies lets none of them in.
//
// # Accounts and a resource directory
//
// One fake can hold several accounts. The account [New] made is the fake's
// own: the endpoint's account, and the management account of its resource
// directory. [RAM.AddAccount] adds another, [RAM.Account] returns the
// *RAM of an account the fake holds, and [RAM.Accounts] lists them. Each
// account has a RAM, ECS, Resource Sharing and KMS of its own, with every
// in-process and inspection method; all share the fake's lock (so a
// call costs the same whatever the number of accounts: each lookup is a
// map's), its Options but the AccountID, its fault rules and its call log.
// [Rule].Account limits a rule to the calls that act on one account, and
// Nth then counts that account's calls; [RecordedCall].Account and
// [FiredRule].Account name the account a call acted on (empty for the
// fake's own), and [RAM.Calls] and [RAM.Fired] show an account's own.
// [RAM.Reset] resets the whole fake, dropping the accounts New did not
// make.
//
// A [Credential] of the endpoint names the account its key belongs to
// (Account) and the RAM user (User; empty for the account's root
// identity). The endpoint serves each request from the state of the
// account its key belongs to, and adds that account to the fake the first
// time the key is used if the fake does not hold it.
//
// [RAM.PutResourceDirectory] (or a seed's resourceDirectory) gives the
// directory a tree: Root, FolderTree (each folder with its parent, at most
// Limits.FolderLevels levels below the root) and Accounts (member accounts,
// each in a folder). Members and Folders keep their meaning; Members not
// among Accounts sit in the root. Each account listed in Accounts is held by
// the fake and gets the directory's access role, trusting the management
// account ({"RAM": ["acs:ram::<management>:root"]}), unless it has a role of
// that name already. The role's name is Options.AccessRoleName,
// [DefaultAccessRoleName] (ResourceDirectoryAccountAccessRole) by default:
// Alibaba Cloud's page on the RAM roles of a resource directory lists it,
// in members, as a role whose trusted entity is an Alibaba Cloud account.
// That the directory creates it in the members created in it, and not in
// the accounts invited into it (listed here in Members only), and that no
// policy is attached (the fake authorizes no call, so the role's
// AdministratorAccess would change nothing), are the fake's reading *.
//
// Resource Manager (2020-03-31) lists the directory. The management account
// may call all four; a member only GetResourceDirectory.
//
//	GetResourceDirectory   ResourceDirectory: ResourceDirectoryId MasterAccountId
//	                       MasterAccountName RootFolderId CreateTime
//	                       ControlPolicyStatus MemberDeletionStatus
//	ListAccounts           PageNumber PageSize TotalCount; Accounts.Account[]:
//	                       AccountId DisplayName FolderId ResourceDirectoryId
//	                       ResourceDirectoryPath JoinMethod JoinTime ModifyTime
//	                       Status Type, sorted by AccountId, the management
//	                       account included
//	ListAccountsForParent  the same, of one folder (ParentFolderId, required),
//	                       without ResourceDirectoryPath
//	ListFoldersForParent   PageNumber PageSize TotalCount; Folders.Folder[]:
//	                       FolderId FolderName CreateTime, the folders right
//	                       below ParentFolderId (the root when it is empty),
//	                       sorted by ID
//
// Paging is PageNumber (from 1) and PageSize (1 to 100, 10 by default), as
// Resource Manager documents; QueryKeyword keeps the accounts or folders
// whose name or ID holds it, without regard to case; Tag.N filters are
// refused with InvalidParameter.NotSupported rather than ignored. A member
// created in the directory is listed as JoinMethod created, Type
// ResourceAccount, Status CreateSuccess; the management account and a
// member in Members only as invited, CloudAccount, InviteSuccess *. An
// account's ResourceDirectoryPath is its folder's path and its UID
// (rd-…/r-…/fd-…/<uid>), as Resource Manager's examples show. The codes:
//
//	EntityNotExists.ResourceDirectory  404  the caller's account is in no directory
//	EntityNotExists.Folder             404  ParentFolderId is no folder of the directory
//	InvalidParameter.ParentFolderId    400  ParentFolderId is not r-… or fd-…
//	MissingParentFolderId              400  ListAccountsForParent without one *
//	NoPermission                       403  a member lists the directory *
//	InvalidParameter.PageNumber/.PageSize/.IncludeTags  400 *
//
// STS (2015-04-01) AssumeRole issues temporary credentials (an AccessKeyId
// STS.…, an AccessKeySecret, a SecurityToken and an Expiration) for a
// role of any account the fake holds, named by RoleArn
// acs:ram::<uid>:role/<name>, with AssumedRoleUser Arn
// acs:ram::<uid>:role/<name>/<RoleSessionName> and AssumedRoleId
// <RoleId>:<RoleSessionName>. The role's trust policy decides, read by the
// fake's own evaluator: a RAM principal acs:ram::<uid>:root lets in every
// identity of that account, acs:ram::<uid>:user/<name> one RAM user, and
// acs:ram::<uid>:role/<name> the sessions of one role; a pattern in a RAM
// principal, and a condition the request does not answer (only
// sts:ExternalId, from ExternalId, is given), let no one in. The caller is
// the RAM identity of the key (its Credential's User), or, for temporary
// credentials, the role's session; in process, an administrator of the
// account whose *RAM is called, whom only a principal naming the account's
// root lets in. STS does not let an account's root identity (a key with no
// User) assume roles. The credentials last DurationSeconds (900 up to the
// role's MaxSessionDuration; 3600 by default) by Options.Clock. The
// endpoint serves requests signed with them (V1's SecurityToken parameter,
// V3's x-acs-security-token header) from the role's account, acting as the
// session, until they expire; [RAM.Session] gives the same in process.
// [Rule].Account selects AssumeRole calls by the account of the role they
// name, so a test can fail the assumption into one member. The codes:
//
//	NoPermission                      403  the root identity calls *; the trust policy
//	                                       does not let the caller in *
//	EntityNotExist.Role               404  no such role, or no such account *
//	InvalidParameter.RoleArn          400  RoleArn not acs:ram::<uid>:role/<name> *
//	InvalidParameter.RoleSessionName  400  not 2 to 64 of A-Z a-z 0-9 . @ - _
//	InvalidParameter.DurationSeconds  400  under 900, or over the role's MaxSessionDuration
//	InvalidParameter.ExternalId       400  not 2 to 1224 of A-Z a-z 0-9 _ + = , . @ : / - *
//	InvalidParameter.PolicyGrammar    400  a session Policy that breaks RAM's grammar
//	MissingRoleArn, MissingRoleSessionName  400
//	InvalidSecurityToken.Expired      400  (the endpoint, Session) the credentials expired *
//
// A session Policy is read for its grammar only: the fake authorizes no
// call. The fake remembers temporary credentials until an hour after they
// expire, and then answers them as unknown (InvalidAccessKeyId.NotFound).
//
// A share whose target is a folder reaches the accounts in that folder and
// in every folder below it, the sharer excepted; a share with the directory
// reaches every account of it. ECS judges a member of the directory with
// its sts:ServiceOwnerRDId and its sts:ServiceOwnerRDPath: its account path
// (rd-…/r-…/fd-…/<uid>), or, with Options.RDPathOmitsAccount, its folder's
// (rd-…/r-…/fd-…). Which of the two RAM sets is not published *. A member
// may share too: the management account is then a recipient like any
// member, at its place in the tree.
//
// An account outside the directory that a share targets (with
// AllowExternalTargets) is sent an invitation, valid for
// [InvitationValidity]; its target stays Associating until it accepts. The
// recipient lists its invitations (ListResourceShareInvitations: Pending,
// Accepted, Cancelled once the sharer removed the target, Expired) and
// accepts one (AcceptResourceShareInvitation) with its own key through the
// endpoint, or in process on its *RAM; [RAM.AcceptInvitation] accepts on
// its behalf, past faults and the call log. The target is then Associated.
// An invitation left to expire, or cancelled, leaves its target
// Associating; Resource Sharing may mark it otherwise *. The codes, as
// Resource Sharing documents them (a star: inferred):
//
//	MissingParameter.ResourceShareInvitationId  400
//	InvalidParameter.ResourceShareInvitationId  400  not i-…
//	EntityNotExists.ResourceShareInvitation     409  no such invitation to this account in the region
//	InvitationStatus.AlreadyAccepted            409
//	InvitationStatus.Expired                    409
//	InvitationStatus.Cancelled                  409  *
//	InvalidParameter.ResourceShareIds / .ResourceShareInvitationIds  400  more than 5 *
//
// A seed places keys, images and snapshots in a member with "account"
// (Key.Account, Image.Account, Snapshot.Account, which the Put methods
// follow too); the account must be the fake's, one it holds, or a member of
// the seed's directory, and a resource's key must be of its own account.
//
// # Differences from RAM
//
// The fake models what this module needs, and no more. Known differences:
//
//   - Only roles, custom and system policies, policy versions and role
//     attachments exist. There are no users, groups, user or group
//     attachments, access keys, service-linked roles or tags;
//     ListEntitiesForPolicy always lists no users and no groups. Actions
//     outside the list above answer InvalidAction.NotFound. A parameter an
//     action does not implement (Tag.N.Key and Tag.N.Value included) is
//     refused with 400 InvalidParameter.NotSupported, never ignored.
//     DeletePolicy with CascadingDelete=true deletes every version, as RAM
//     documents; attachments still block it.
//   - Only two system policies exist, AliyunKMSFullAccess (version v3 only)
//     and AliyunECSDiskEncryptRolePolicy (v1), with the documents RAM
//     publishes; their dates and descriptions are made up. More can be seeded
//     with PutPolicy.
//   - Custom and system policies have separate name spaces: a custom policy
//     may take a system policy's name. RAM may refuse that.
//   - The statuses and codes starred under Errors are inferred, not
//     published; so is the order of checks.
//   - Documents are checked with RAM's published grammar: Version "1", a
//     non-empty Statement array, Effect Allow or Deny, Action or NotAction,
//     Resource or NotResource (for policies), a Principal of RAM, Service or
//     Federated (for trust policies, keys in any case), and a Condition of
//     operator, key and value(s). Keys RAM does not define, unknown condition
//     operators, and the form of action, resource and principal strings are
//     not checked; RAM may be stricter. Duplicate JSON keys are accepted
//     (the last wins).
//   - A statement with keys that differ only in case, such as "Effect":"Deny"
//     and "effect":"Allow", is accepted and stored as given, key order kept:
//     the fake's grammar matches statement keys exactly, so "effect" is a key
//     RAM does not define and "Effect" is the one checked. What RAM does is
//     inferred, not published: it may refuse such a document, or read either
//     key *. SimulateECS reads such a statement as unreadable (package
//     encryptperm's Statement.Opaque) and fails closed.
//   - Documents are stored with insignificant whitespace removed and key order
//     kept. RAM reformats what it stores too, but perhaps differently, so
//     compare documents by meaning, never by bytes.
//   - Names keep the spelling given at creation, in answers and in ARNs; RAM
//     has been seen to answer some ARNs in lower case.
//   - The fields each answer fills are listed under Response fields.
//     Markers are opaque strings of the fake's own; MaxItems runs from 1 to
//     1000, 100 by default. [Options].Paging sets the paging bounds RAM and
//     the services do not publish (MaxItems, PageNumber, the length of a
//     Marker or NextToken).
//   - RoleIds are unique and shaped like RAM's, but derived from a counter.
//     RequestIds are random unless [Options].Seed is set; then they are
//     derived from a counter and the seed, so runs repeat.
//   - UpdateDate of roles and policies is their creation date until they are
//     updated; CreateRole's answer has none, as RAM documents.
//   - UpdateRole sets UpdateDate on every success, even when nothing changed.
//   - The propagation delay is a model of eventual consistency, not a
//     measured behaviour; RAM publishes none. The random throttle is a fixed
//     rate per call, not RAM's quotas.
//   - In-process calls are not authenticated and no call is authorized:
//     NoPermission comes only from fault rules, from STS AssumeRole (the
//     trust policy, the root identity) and from Resource Manager's listings
//     called by a member. The in-process fake never retries; a *ram.Client
//     with AutoRetry on would retry transport errors and 5xx answers itself.
//   - STS, Resource Manager and the invitations are modelled for what a run
//     across a directory needs: no OIDC or SAML role, no GetCallerIdentity,
//     no delegated administrator, no directory changes through the API
//     (only PutResourceDirectory and seeds), no rejection of invitations.
//     STS's rate limits are not modelled; fault rules can play them.
//   - The trust policy size limit (Limits.TrustPolicyMaxLen, 4096 bytes) is
//     unconfirmed; RAM has the error code but publishes no number.
//   - The RPC endpoint (Server) answers XML built from its JSON answer
//     (element order as in JSON; RAM's own XML may differ in detail), and
//     refuses bearer tokens and V3 algorithms other than ACS3-HMAC-SHA256
//     (ACS3-HMAC-SM3, ACS3-RSA-SHA256). The codes and statuses of its gateway checks (missing common
//     parameters, signature method and version, timestamp, security token)
//     are partly inferred; see Server. Its RequestIds for refused requests
//     are random, and refused requests are neither logged in Calls nor
//     counted by fault rules. In a SignatureDoesNotMatch message the
//     values of SecurityToken, BearerToken and AccessKeySecret are
//     redacted, so the SDK's hint about a wrong secret works only for
//     requests without them; no refusal quotes a secret (see Server). RAM's 4 KB limit on GET
//     requests is not enforced.
package fake
