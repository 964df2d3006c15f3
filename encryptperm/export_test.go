package encryptperm

// SetEnqueueHook makes a test hear when a caller waits behind a running batch.
func SetEnqueueHook(a Applier, f func(role string)) { a.(*engine).enqueued = f }

// MergeStatements and SubtractStatements are the generic statement merge, for
// tests.
var (
	MergeStatements    = mergeStatements
	SubtractStatements = subtractStatements
)

// Names the package keeps to itself, for the external tests.
var (
	PackKeys           = packKeys
	NumberedPolicyName = numberedPolicyName
	SystemPolicyNames  = systemPolicyNames
)

// Condition keys of the share trust policies, for the external tests.
const (
	ConditionRDID   = conditionRDID
	ConditionRDPath = conditionRDPath
)

// Helpers of the builders and the catalog, for the external tests.
var (
	AccountECSPrincipal = accountECSPrincipal
	SystemPolicy        = systemPolicy
)

// Spellings the builders use, for the external tests.
const (
	WildcardECSPrincipal = wildcardECSPrincipal
	AssumeRoleAction     = assumeRoleAction
)
