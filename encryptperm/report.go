// This file holds what the engine reports: each Change, the Result of an
// Apply, ApplyPlan or Revoke, and each Call it made.

package encryptperm

import (
	"time"
)

// Result reports what an Apply, ApplyPlan or Revoke did.
type Result struct {
	// Changes lists the changes made, in order.
	Changes []Change `json:"changes"`
	// Unknown lists writes whose outcome is unknown: they may have been
	// carried out or not. A write whose answer was lost, or was a server
	// error (ServiceUnavailable, InternalError, another 5xx), is never
	// resent blindly: the engine reads again and, once the read tells, lists
	// the write in Changes if it took effect, or makes it again if not. A
	// write is listed here when the context ended, or a read again failed,
	// before the engine could tell.
	Unknown []Change `json:"unknown,omitempty"`
	// Calls lists every RAM call made, with its RequestId.
	Calls []Call `json:"calls"`
	// Writes counts the calls that change RAM, retries included.
	Writes int `json:"writes"`
	// Conflicts describes changes by someone else that the engine saw while
	// verifying its own: its changes that another writer undid, which it
	// made again, and policy versions another writer made between its read
	// and its write, whose content an Apply merges again (a Revoke only
	// reports them). See Locker for the loss no verification can see.
	Conflicts []string `json:"conflicts,omitempty"`
}

// Call records one call the engine made, to RAM, ECS, Resource Sharing or
// KMS.
type Call struct {
	// Action is the service's action, such as "GetRole".
	Action string `json:"action"`
	// Target names the role or policy.
	Target string `json:"target"`
	// Write is true for calls that change RAM.
	Write bool `json:"write"`
	// Attempt counts from 1; retries of one call have the same Action and Target.
	Attempt int `json:"attempt"`
	// Code is RAM's error code, "" on success. Calls that got no code from
	// RAM have one of these: "transport" when no answer came (a request
	// timeout included), "HTTP <status>" for an answer without a code,
	// "canceled" when the context ended during the call, "client" when the
	// client failed without answering (a nil response, or a panic),
	// "credentials" when no credentials could be obtained to sign the
	// request, which was then not sent.
	Code string `json:"code,omitempty"`
	// RequestID is the service's RequestId.
	RequestID string `json:"requestId,omitempty"`
	// Duration is how long the call took, in nanoseconds in JSON.
	Duration time.Duration `json:"durationNs"`
	// Service is the service called: "RAM", "ECS", "Resource Sharing" or
	// "KMS".
	Service string `json:"service,omitempty"`
}

// ChangeKind classifies a change by what it does to access.
type ChangeKind string

// The kinds of change.
const (
	// Broadening changes give someone more access.
	Broadening ChangeKind = "broadening"
	// Narrowing changes take access away.
	Narrowing ChangeKind = "narrowing"
	// Destructive changes delete something RAM cannot give back (a policy
	// version, a policy, a role).
	Destructive ChangeKind = "destructive"
	// Note is not a change: something a reviewer should know.
	Note ChangeKind = "note"
)

// Change is one step of a Plan or a Result.
type Change struct {
	// Kind says what the change does to access.
	Kind ChangeKind `json:"kind"`
	// Action is the RAM action that makes the change ("" for a Note).
	Action string `json:"action,omitempty"`
	// Role names the role concerned.
	Role string `json:"role,omitempty"`
	// Policy names the policy concerned.
	Policy string `json:"policy,omitempty"`
	// Summary says what changes, for people.
	Summary string `json:"summary"`
	// Kept marks, in a revoke's plan, a removal left out because a grant
	// the caller says stays (RevokeOptions.Keep) also names what it would
	// remove. Such a change is a Note: nothing is written for it.
	Kept bool `json:"kept,omitempty"`
	// Share holds, for a change of the share step in a Plan (Action
	// ModifyImageSharePermission, CreateResourceShare,
	// AssociateResourceShare or DisassociateResourceShare), what its call
	// sends; nil for every other change.
	Share *ShareWrite `json:"share,omitempty"`
}

// ShareWrite is what one write of the share step sends: the image or
// snapshot, and the targets ECS or Resource Sharing adds or takes out. It
// lets other tools carry out a reviewed plan's shares (package export
// declares them).
type ShareWrite struct {
	// Region is the region of the resource, and of the call.
	Region string `json:"region"`
	// ResourceType is ResourceImage or ResourceSnapshot.
	ResourceType ResourceType `json:"resourceType"`
	// ResourceID is the image (m-...) or snapshot (s-...).
	ResourceID string `json:"resourceId"`
	// Targets are the accounts ModifyImageSharePermission adds or removes
	// (at most 10 a call), or the accounts, resource directories (rd-...)
	// and folders (fd-...) a Resource Sharing call adds or takes out (at
	// most 5 a call).
	Targets []string `json:"targets"`
	// ShareID is the resource share written to. It is empty for
	// ModifyImageSharePermission, for CreateResourceShare, and for an
	// AssociateResourceShare to the share a CreateResourceShare before it
	// in the same plan makes, which ShareName names.
	ShareID string `json:"shareId,omitempty"`
	// ShareName is the name of the resource share a CreateResourceShare
	// makes, and of that share in the AssociateResourceShare calls that
	// follow it.
	ShareName string `json:"shareName,omitempty"`
	// AllowExternalTargets is set on a CreateResourceShare whose targets
	// include accounts outside the resource directory.
	AllowExternalTargets bool `json:"allowExternalTargets,omitempty"`
	// Remove is true for a call that takes the targets out.
	Remove bool `json:"remove,omitempty"`
}

// String returns the change on one line, marked + (broadening), - (narrowing),
// ! (destructive), = (a removal kept for a grant that stays) or ~ (other
// notes).
func (c Change) String() string {
	mark := map[ChangeKind]string{Broadening: "+", Narrowing: "-", Destructive: "!", Note: "~"}[c.Kind]
	if c.Kept {
		mark = "="
	}
	return mark + " " + c.Summary
}
