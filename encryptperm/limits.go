// This file holds Limits, every RAM limit the library enforces.

package encryptperm

import "github.com/ecsperm/ecsperm/encryptperm/policy"

// Limits holds every RAM (and related ECS and Resource Directory) limit this
// library enforces. The builders, the engine and the fake read the same table,
// so a test that lowers a limit sees the same behaviour on every side.
//
// DefaultLimits returns RAM's published values. Values that no primary source
// confirms are marked UNCONFIRMED below; they are conservative guesses, and
// callers who know better can override them with WithLimits or Options.Limits.
// A zero field means "use the default".
type Limits struct {
	// RoleNameMaxLen is the longest role name: 64 characters.
	RoleNameMaxLen int
	// PolicyNameMaxLen is the longest policy name: 128 characters.
	PolicyNameMaxLen int
	// DescriptionMaxLen is the longest role or policy description: 1024 characters.
	DescriptionMaxLen int
	// PolicyDocumentMaxLen is the longest custom policy document, counted in
	// bytes of its compact JSON: 6144 (older RAM pages said 2048, then 4096).
	PolicyDocumentMaxLen int
	// TrustPolicyMaxLen is the longest trust policy (AssumeRolePolicyDocument).
	// UNCONFIRMED: RAM has an error code for it but publishes no number. The
	// default, 4096 bytes, holds more than the 64 accounts a snapshot can be
	// shared with.
	TrustPolicyMaxLen int
	// VersionsPerPolicy is the number of versions a custom policy may keep: 5.
	VersionsPerPolicy int
	// CustomPoliciesPerRole is the number of custom policies attachable to one
	// role: 10 (5 in 2021). Adjustable by quota.
	CustomPoliciesPerRole int
	// SystemPoliciesPerRole is the number of system policies attachable to one
	// role: 20. Adjustable by quota.
	SystemPoliciesPerRole int
	// RolesPerAccount is the number of roles in one account: 1000. Adjustable by quota.
	RolesPerAccount int
	// CustomPoliciesPerAccount is the number of custom policies in one account:
	// 1500 (200 in older pages). Adjustable by quota.
	CustomPoliciesPerAccount int
	// MinSessionDuration and MaxSessionDuration bound a role's
	// MaxSessionDuration, in seconds: 3600 and 43200.
	MinSessionDuration int
	// MaxSessionDuration is the upper bound of a role's MaxSessionDuration: 43200 s.
	MaxSessionDuration int
	// FolderLevels is the deepest folder level of a resource directory, the
	// root folder excluded: 5.
	FolderLevels int
	// SnapshotShareAccounts is the number of accounts one snapshot can be shared
	// with: 64 (an ECS limit, reported as a finding).
	SnapshotShareAccounts int
	// ImageShareAccounts is the number of accounts one image can be shared with:
	// 50 (an ECS limit, reported as a finding).
	ImageShareAccounts int
	// ListMaxItems is the largest page the engine asks ListRoles and
	// ListPolicies for. UNCONFIRMED: RAM's default page is 100; its ceiling is
	// not published, and 1000 is the common value.
	ListMaxItems int
	// ListMaxPages is the most pages the engine reads of one listing
	// (ListResourceShares, ListResourceShareAssociations,
	// DescribeImageSharePermission): 1000. A listing with more pages, or
	// one whose service gives a page token it gave before, ends with an
	// error that names the call, so that a service that pages without end
	// cannot keep Check or Apply calling it. No service publishes such a
	// bound; 1000 pages of 100 is far above what one account holds.
	ListMaxPages int
	// Read bounds the documents this library reads, so that a hostile
	// document cannot exhaust memory. Its defaults are far above anything
	// RAM stores. An Applier's Check reads with Options.Limits.Read; the
	// package's Check and an Applier's own reads use the defaults, as do
	// policy.Parse and policy.Read; policy.Limits.Parse and
	// policy.Limits.Read take the bounds given.
	Read policy.Limits
}

// DefaultLimits returns RAM's published limits, with the unconfirmed ones set
// conservatively (see Limits).
func DefaultLimits() Limits {
	return Limits{
		RoleNameMaxLen:           64,
		PolicyNameMaxLen:         128,
		DescriptionMaxLen:        1024,
		PolicyDocumentMaxLen:     6144,
		TrustPolicyMaxLen:        4096,
		VersionsPerPolicy:        5,
		CustomPoliciesPerRole:    10,
		SystemPoliciesPerRole:    20,
		RolesPerAccount:          1000,
		CustomPoliciesPerAccount: 1500,
		MinSessionDuration:       3600,
		MaxSessionDuration:       43200,
		FolderLevels:             5,
		SnapshotShareAccounts:    64,
		ImageShareAccounts:       50,
		ListMaxItems:             100,
		ListMaxPages:             1000,
		Read:                     policy.DefaultLimits(),
	}
}

// WithDefaults returns l with every zero field replaced by its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.RoleNameMaxLen, d.RoleNameMaxLen)
	fill(&l.PolicyNameMaxLen, d.PolicyNameMaxLen)
	fill(&l.DescriptionMaxLen, d.DescriptionMaxLen)
	fill(&l.PolicyDocumentMaxLen, d.PolicyDocumentMaxLen)
	fill(&l.TrustPolicyMaxLen, d.TrustPolicyMaxLen)
	fill(&l.VersionsPerPolicy, d.VersionsPerPolicy)
	fill(&l.CustomPoliciesPerRole, d.CustomPoliciesPerRole)
	fill(&l.SystemPoliciesPerRole, d.SystemPoliciesPerRole)
	fill(&l.RolesPerAccount, d.RolesPerAccount)
	fill(&l.CustomPoliciesPerAccount, d.CustomPoliciesPerAccount)
	fill(&l.MinSessionDuration, d.MinSessionDuration)
	fill(&l.MaxSessionDuration, d.MaxSessionDuration)
	fill(&l.FolderLevels, d.FolderLevels)
	fill(&l.SnapshotShareAccounts, d.SnapshotShareAccounts)
	fill(&l.ImageShareAccounts, d.ImageShareAccounts)
	fill(&l.ListMaxItems, d.ListMaxItems)
	fill(&l.ListMaxPages, d.ListMaxPages)
	l.Read = l.Read.WithDefaults()
	return l
}
