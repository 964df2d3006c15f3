// Package policy is RAM's policy language: documents, their strict and
// faithful reading, canonical JSON, equality by meaning, and a compiled
// evaluator. It knows nothing of ECS, KMS, roles or grants; package
// encryptperm builds its documents with it.
//
// # Documents
//
// A Document is a policy, a trust policy or a KMS key policy: a Version
// and a list of Statement values, each with an Effect, actions, resources, a
// Principal and a Condition. A key policy names RAM identities as
// principals ({"RAM": ["acs:ram::<uid>:*", "acs:ram::<uid>:role/<name>"]}),
// which RequestPrincipal.RAM is matched against, and labels statements with
// a Sid, which both readers keep in Statement.Extra (Parse takes one of at
// most MaxSidLen characters). AccountPrincipal tells the principal that
// names a whole account, and AccountsAsThemselves reads each such
// principal of an Allow as the account itself, the narrower of the two
// readings KMS leaves open. Parse reads what a user hands in strictly: unknown or duplicate
// keys, a Version other than "1" and a bad Effect are errors that name their
// path. Read reads what RAM returns faithfully: anything that is a JSON
// object parses, and keys or shapes this package does not model are kept
// and written back unchanged. json.Unmarshal into a Document reads as Read
// does. Both refuse documents beyond Limits (size and depth), which
// DefaultLimits sets far above anything RAM stores; Limits.Parse and
// Limits.Read take other bounds.
//
// A Document marshals with encoding/json (or String, JSON, Indent) to
// canonical JSON: keys sorted, lists sorted and without duplicates, a
// one-element list as a plain string. Document.Equal compares by meaning, as
// RAM does: a string equals a one-element list, and order and duplicates do
// not matter. Size is the length RAM counts against its limits.
//
// # Evaluation
//
// Compile turns documents into a PolicySet; PolicySet.Eval answers one
// Request (an action, a resource, a principal, condition keys) without
// allocating, and PolicySet.Explain says why, statement by statement. An
// explicit Deny wins, otherwise an Allow is needed. A statement this package
// cannot judge (a condition key the request lacks, an element it could not
// read, a condition value that is not of its operator's type, such as
// NumericNotEquals on "rd-abc", negated operators included) makes the answer
// uncertain: EvalResult.Allowed is true only when nothing could change it,
// so callers fail closed.
//
// # Case
//
// RAM compares keys, actions and principals without regard to case, but
// does not document how it folds letters outside ASCII. This package
// compares them by ASCII folding and is certain only of that. A name that is
// RAM's only when case is folded as Unicode folds it (a long s in
// "ſtatement", a dotless or dotted i in "Conditıon" or "Condİtion", a Kelvin
// sign in "\u212Ams:*", a sharp s or a ligature) cannot be read one way for
// certain: such a document key makes Read refuse the document, such a
// statement key makes the statement opaque, such a Principal key makes the
// principal unreadable, and an action, principal, condition key or
// StringEqualsIgnoreCase value that matches only that way leaves its
// statement undecidable. What cannot be judged may deny and never allows.
// CompareFold tells the three cases apart for other code.
//
// # Errors
//
// Parse and Read return a *ValidationError that lists every problem with its
// path. It wraps ErrInvalid, and ErrLimitExceeded when a document is beyond
// Limits. These sentinels are the very values of encryptperm.ErrInvalid and
// encryptperm.ErrLimitExceeded, and encryptperm.ValidationError is this
// type, so callers of either package test errors the same way.
package policy
