package encryptperm

// SetEnqueueHook makes a test hear when a caller waits behind a running batch.
func SetEnqueueHook(a Applier, f func(role string)) { a.(*engine).pipe.ram.batch.enqueued = f }

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

// ReadsLeftAfter records, in a fresh proof of a role's writes, the steps
// named ("created" for a new policy, whose document is read again later;
// "doubt" for a write that leaves the state in doubt, as a raced version
// does), and returns how many reads again the next level would make.
func ReadsLeftAfter(steps ...string) int {
	p := &proof{next: &roleState{policies: map[string]*policyState{}}}
	for _, s := range steps {
		switch s {
		case "created":
			p.createdPolicy("P", "P", "v1")
		case "doubt":
			p.doubtAll()
		}
	}
	return len(p.takeReads())
}
