package encryptperm

// SetEnqueueHook makes a test hear when a caller waits behind a running batch.
func SetEnqueueHook(a Applier, f func(role string)) { a.(*engine).enqueued = f }

// MergeStatements and SubtractStatements are the generic statement merge, for
// tests.
var (
	MergeStatements    = mergeStatements
	SubtractStatements = subtractStatements
)
