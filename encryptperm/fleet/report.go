// This file holds what a run reports: a Row per member, streamed to the
// Observer as each member finishes, and the Report's totals.

package fleet

import (
	"context"
	"errors"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
)

// Op is what a run does in each member.
type Op string

// The operations of a run.
const (
	// OpPlan reads each member and says what Apply would change.
	OpPlan Op = "plan"
	// OpApply converges each member to hold its grants.
	OpApply Op = "apply"
	// OpRevokePlan reads each member and says what Revoke would change.
	OpRevokePlan Op = "revoke-plan"
	// OpRevoke removes what the grants name from each member.
	OpRevoke Op = "revoke"
	// OpCheck asks, in each member, the questions Options.Checks gives.
	OpCheck Op = "check"
	// OpAudit audits each member with Options.Audit: every path by which
	// a principal can make a service use the member's keys.
	OpAudit Op = "audit"
)

// Status is how a member's work ended.
type Status string

// The statuses of a row.
const (
	// StatusUnchanged: nothing to change (a plan), or nothing changed (an
	// apply or revoke whose member already held what was asked).
	StatusUnchanged Status = "unchanged"
	// StatusPending: a plan with changes.
	StatusPending Status = "pending"
	// StatusChanged: an apply or revoke that wrote.
	StatusChanged Status = "changed"
	// StatusAllowed: every question of a check was answered allowed.
	StatusAllowed Status = "allowed"
	// StatusDenied: a question of a check was answered not allowed.
	StatusDenied Status = "denied"
	// StatusContained: an audit found no path that reaches outside its
	// trust zone.
	StatusContained Status = "contained"
	// StatusExposed: an audit found a path, certain or not, that reaches
	// outside its trust zone (audit.Report.LeavesTrustZone).
	StatusExposed Status = "exposed"
	// StatusFailed: the member's work failed; Row.Stage says where and
	// Row.Error why. An apply or revoke may have written before it failed
	// (Row.Changes), and writes whose outcome is unknown are in
	// Row.Unknown.
	StatusFailed Status = "failed"
	// StatusSkipped: the member was listed, but the run's context ended
	// before its work began. Nothing was called in it.
	StatusSkipped Status = "skipped"
)

// Stage names where a member's work failed.
type Stage string

// The stages of a member's work.
const (
	// StageGrants: Options.Grants or Options.Checks refused the member;
	// nothing was called in it.
	StageGrants Stage = "grants"
	// StageAssume: the access role could not be assumed (the role is
	// missing, does not trust the caller, or STS refused); nothing was
	// called in the member.
	StageAssume Stage = "assume"
	// StageEngine: the engine, or for an audit Options.Audit, failed in
	// the member.
	StageEngine Stage = "engine"
)

// Row is one member's outcome.
type Row struct {
	// Member is the account.
	Member Member `json:"member"`
	// Status is how its work ended.
	Status Status `json:"status"`
	// Changes are, for a plan, the changes pending, and for an apply or
	// revoke, the changes made.
	Changes []encryptperm.Change `json:"changes,omitempty"`
	// Unknown lists writes whose outcome is unknown (see
	// encryptperm.Result.Unknown).
	Unknown []encryptperm.Change `json:"unknown,omitempty"`
	// Conflicts are the changes by others the engine saw (see
	// encryptperm.Result.Conflicts).
	Conflicts []string `json:"conflicts,omitempty"`
	// Findings are the grants' findings, for a plan. They are the same in
	// every member whose grants are the same, so a Row's JSON leaves them
	// out: show them once, from the grants (encryptperm.Grant.Findings).
	Findings []encryptperm.Finding `json:"-"`
	// Checks are the answers of a check.
	Checks []Answer `json:"checks,omitempty"`
	// Audit is the member's audit report, for an audit. Like Plan and
	// Result, a Row holds it only until the Observer returns: a member's
	// report can be large, and the run keeps none of them.
	Audit *audit.Report `json:"audit,omitempty"`
	// Writes counts the calls that changed the member.
	Writes int `json:"writes"`
	// Assumed counts the AssumeRole calls that succeeded for the member: 1,
	// and one more for each renewal of its credentials.
	Assumed int `json:"assumed"`
	// Stage says where a failed member's work stopped.
	Stage Stage `json:"stage,omitempty"`
	// Code is the cloud's error code of the failure, when it has one, such
	// as NoPermission or EntityNotExist.Role.
	Code string `json:"code,omitempty"`
	// Error says why the member failed, with no secret in it.
	Error string `json:"error,omitempty"`

	// Err is the error itself, for errors.Is and errors.As.
	Err error `json:"-"`
	// Plan and Result are the engine's own answers, for an Observer that
	// wants them; a Row holds them only until the Observer returns.
	Plan   *encryptperm.Plan   `json:"-"`
	Result *encryptperm.Result `json:"-"`
}

// Answer is one question of a check, answered in a member.
type Answer struct {
	// Recipient is the account whose ECS would use the key.
	Recipient string `json:"recipient,omitempty"`
	// Resource is what the key encrypts.
	Resource encryptperm.ResourceType `json:"resource"`
	// Key is the key's ARN, when the question names one.
	Key string `json:"key,omitempty"`
	// Allowed is the answer.
	Allowed bool `json:"allowed"`
	// Missing lists the actions not allowed.
	Missing []string `json:"missing,omitempty"`
	// Reason sums the answer up in one sentence.
	Reason string `json:"reason"`
}

// Totals counts the rows of a run by status, and what they did.
type Totals struct {
	// Members counts every row; the others count the rows of each status.
	Members   int `json:"members"`
	Unchanged int `json:"unchanged"`
	Pending   int `json:"pending"`
	Changed   int `json:"changed"`
	Allowed   int `json:"allowed"`
	Denied    int `json:"denied"`
	Contained int `json:"contained"`
	Exposed   int `json:"exposed"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	// Writes counts the writes of every member.
	Writes int `json:"writes"`
	// Unknown counts the writes whose outcome is unknown.
	Unknown int `json:"unknown"`
}

// Report is what a run did. It holds totals and what needs acting on, not
// a row per member: every row goes to the Observer as its member finishes,
// so that a run's memory is bounded by its concurrency, not by the
// directory's size. What it keeps grows only by a UID per member that
// changed, would change, was denied or is exposed, and a row per member
// that failed.
type Report struct {
	// Op is what the run did.
	Op Op `json:"op"`
	// Directory is the directory's ID, rd-….
	Directory string `json:"directory,omitempty"`
	// Complete is true when every member of the scope was listed and
	// worked on; false when the listing failed or the context ended.
	Complete bool `json:"complete"`
	// Totals counts the rows.
	Totals Totals `json:"totals"`
	// Changed names the members that changed (apply, revoke) or would
	// change (plan), in the order they finished.
	Changed []string `json:"changed,omitempty"`
	// Denied names the members where a check was not allowed.
	Denied []string `json:"denied,omitempty"`
	// Exposed names the members whose audit found a path that reaches
	// outside its trust zone.
	Exposed []string `json:"exposed,omitempty"`
	// Failed holds the rows of the members that failed, each with its
	// stage and reason.
	Failed []*Row `json:"failed,omitempty"`
}

// Retry returns a scope of the members that failed, to run again for what
// is left. A run over the whole scope converges the same members (the
// others are already done and are only read); this one does not read the
// others at all. It is the zero Scope when none failed.
func (rep *Report) Retry() Scope {
	var sc Scope
	for _, row := range rep.Failed {
		sc.Accounts = append(sc.Accounts, row.Member.UID)
	}
	return sc
}

// add counts row.
func (rep *Report) add(row *Row) {
	t := &rep.Totals
	t.Members++
	t.Writes += row.Writes
	t.Unknown += len(row.Unknown)
	switch row.Status {
	case StatusUnchanged:
		t.Unchanged++
	case StatusPending:
		t.Pending++
		rep.Changed = append(rep.Changed, row.Member.UID)
	case StatusChanged:
		t.Changed++
		rep.Changed = append(rep.Changed, row.Member.UID)
	case StatusAllowed:
		t.Allowed++
	case StatusDenied:
		t.Denied++
		rep.Denied = append(rep.Denied, row.Member.UID)
	case StatusContained:
		t.Contained++
	case StatusExposed:
		t.Exposed++
		rep.Exposed = append(rep.Exposed, row.Member.UID)
	case StatusFailed:
		t.Failed++
		kept := *row
		kept.Plan, kept.Result, kept.Audit = nil, nil, nil
		rep.Failed = append(rep.Failed, &kept)
	case StatusSkipped:
		t.Skipped++
	}
}

// Observer follows a run as it goes, so that a program can show progress
// and stream each member's row (to a terminal, a log, a JSON document)
// without the run holding them.
type Observer interface {
	// StartMember is called when work on a member begins; the function it
	// returns is called once with the member's row when the work ends
	// (failed, skipped and denied members included). Calls for different
	// members come from several goroutines at once.
	StartMember(ctx context.Context, m Member) (end func(row *Row))
}

// codeOf returns the cloud's error code in err, if any.
func codeOf(err error) string {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.code
	}
	var ae *encryptperm.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
