// This file holds Finding, its Severity and the codes of the findings the
// builders report.

package encryptperm

import "fmt"

// Severity says how serious a Finding is.
type Severity string

// Severities of a Finding, from least to most serious. A critical finding
// stops Apply unless Options.AcceptFindings names its code.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityError    Severity = "error"
	SeverityCritical Severity = "critical"
)

// Finding codes this library reports. Codes are stable: tests and callers may
// match on them, and Options.AcceptFindings names them.
const (
	// FindingServiceKeyFullAccess: the grant attaches AliyunKMSFullAccess,
	// which allows kms:* on every key of the account to the recipients' ECS.
	FindingServiceKeyFullAccess = "EP001-ServiceKeyFullAccess"
	// FindingUnconditionedWildcardPrincipal: a statement trusts
	// *@ecs.aliyuncs.com (or another wildcard principal) with no condition.
	FindingUnconditionedWildcardPrincipal = "EP002-UnconditionedWildcardPrincipal"
	// FindingRDPathPrefix: a folder condition ends in *, so it also matches
	// sibling folders whose IDs start with the same characters.
	FindingRDPathPrefix = "EP003-RDPathPrefixMatch"
	// FindingShareAccountLimit: more accounts than ECS lets one snapshot or
	// image be shared with.
	FindingShareAccountLimit = "EP004-ShareAccountLimit"
	// FindingTrustPolicyNearLimit: the trust policy uses most of its size limit.
	FindingTrustPolicyNearLimit = "EP005-TrustPolicyNearLimit"
	// FindingKMSWildcardAction: kms:* granted.
	FindingKMSWildcardAction = "EP006-KMSWildcardAction"
	// FindingWildcardKeyResource: key-use actions on Resource "*".
	FindingWildcardKeyResource = "EP007-WildcardKeyResource"
	// FindingMissingKeyAction: a key-use action that ECS needs is not allowed.
	FindingMissingKeyAction = "EP008-MissingKeyAction"
	// FindingRecipientMustRekey: recipients must copy with their own key.
	FindingRecipientMustRekey = "EP009-RecipientMustRekey"
	// FindingBroadSystemPolicy: a system policy grants key use on every key
	// where a custom policy could name the keys.
	FindingBroadSystemPolicy = "EP010-BroadSystemPolicy"
	// FindingSelfShare: a recipient account owns a key of the grant.
	FindingSelfShare = "EP011-SelfShare"
	// FindingUnreadableStatement: a statement holds a value this library
	// cannot read, so what it allows is unknown.
	FindingUnreadableStatement = "EP012-UnreadableStatement"
)

// Finding is one observation about a grant or a document: something a reviewer
// should know before it reaches RAM. Severity is one of SeverityInfo,
// SeverityWarning, SeverityError or SeverityCritical; a grant with a critical
// finding is applied only when the caller accepts its Code.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
}

// String returns the finding on one line.
func (f Finding) String() string {
	if f.Path == "" {
		return fmt.Sprintf("%s [%s]: %s", f.Severity, f.Code, f.Message)
	}
	return fmt.Sprintf("%s [%s] %s: %s", f.Severity, f.Code, f.Path, f.Message)
}
