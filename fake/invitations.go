// This file holds Resource Sharing's invitations: a share with an account
// outside the resource directory waits until that account accepts it.

package fake

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

// InvitationValidity is how long a Resource Sharing invitation may be
// accepted, as Resource Sharing documents it: seven days.
const InvitationValidity = 7 * 24 * time.Hour

// Invitation statuses, as Resource Sharing spells them.
const (
	// InvitationPending is the status of an invitation not yet answered.
	InvitationPending = "Pending"
	// InvitationAccepted is the status of an accepted invitation.
	InvitationAccepted = "Accepted"
	// InvitationCancelled is the status of an invitation whose target the
	// sharer removed before it was answered.
	InvitationCancelled = "Cancelled"
	// InvitationExpired is the status of an invitation left unanswered for
	// InvitationValidity.
	InvitationExpired = "Expired"
)

var invitationIDFormat = regexp.MustCompile(`^i-[A-Za-z0-9]{6,40}$`)

// invitation is an invitation of an account outside the directory to a
// share.
type invitation struct {
	id               string
	owner, recipient string // account UIDs
	region, shareID  string
	created          time.Time
	status           string // Pending, Accepted or Cancelled; Expired is worked out
}

// statusAt is the invitation's status at now.
func (inv *invitation) statusAt(now time.Time) string {
	if inv.status == InvitationPending && !now.Before(inv.created.Add(InvitationValidity)) {
		return InvitationExpired
	}
	return inv.status
}

// inviteLocked records the invitations a share call of owner's share s
// sends: one per target it added that waits for an invitation.
func (r *RAM) inviteLocked(s *shareRec, targets []ShareEntry, now time.Time) {
	w := r.w
	for _, t := range targets {
		if t.Status != AssociationAssociating {
			continue
		}
		inv := &invitation{
			id: "i-" + w.randomText(12), owner: r.opts.AccountID, recipient: t.ID,
			region: s.region, shareID: s.id, created: now, status: InvitationPending,
		}
		w.invitations[inv.id] = inv
		w.received[t.ID] = append(w.received[t.ID], inv)
	}
}

// cancelInvitationsLocked cancels the pending invitations of share s to
// the targets a call removed.
func (r *RAM) cancelInvitationsLocked(s *shareRec, removed []ShareEntry, now time.Time) {
	for _, t := range removed {
		if t.Type != targetAccount {
			continue
		}
		for _, inv := range r.w.received[t.ID] {
			if inv.shareID == s.id && inv.owner == r.opts.AccountID && inv.statusAt(now) == InvitationPending {
				inv.status = InvitationCancelled
			}
		}
	}
}

// acceptLocked accepts inv for its recipient: the share's target of the
// recipient becomes Associated.
func (w *world) acceptLocked(inv *invitation, now time.Time) *apiError {
	switch inv.statusAt(now) {
	case InvitationAccepted:
		return newServiceError("InvitationStatus.AlreadyAccepted")
	case InvitationExpired:
		return newServiceError("InvitationStatus.Expired")
	case InvitationCancelled:
		return newServiceError("InvitationStatus.Cancelled")
	}
	owner, ok := w.accounts[inv.owner]
	var s *shareRec
	if ok {
		s, ok = owner.svc.shares[inv.shareID]
	}
	i := -1
	if ok {
		i = indexEntry(s.targets, ShareEntry{Type: targetAccount, ID: inv.recipient})
	}
	if i < 0 {
		// The share or its target went some other way; the invitation is
		// void.
		inv.status = InvitationCancelled
		return newServiceError("InvitationStatus.Cancelled")
	}
	s.targets[i].Status = AssociationAssociated
	s.updated = now
	inv.status = InvitationAccepted
	return nil
}

type rsInvitation struct {
	ResourceShareInvitationID string `json:"ResourceShareInvitationId"`
	ResourceShareID           string `json:"ResourceShareId"`
	ResourceShareName         string `json:"ResourceShareName"`
	SenderAccountID           string `json:"SenderAccountId"`
	ReceiverAccountID         string `json:"ReceiverAccountId"`
	CreateTime                string `json:"CreateTime"`
	Status                    string `json:"Status"`
}

func (w *world) invitationBody(inv *invitation, now time.Time) rsInvitation {
	name := ""
	if owner, ok := w.accounts[inv.owner]; ok {
		if s, ok := owner.svc.shares[inv.shareID]; ok {
			name = s.name
		}
	}
	return rsInvitation{inv.id, inv.shareID, name, inv.owner, inv.recipient, formatDate(inv.created), inv.statusAt(now)}
}

type bodyInvitations struct {
	RequestID                string         `json:"RequestId"`
	NextToken                string         `json:"NextToken,omitempty"`
	ResourceShareInvitations []rsInvitation `json:"ResourceShareInvitations"`
}

// maxInvitationFilter is how many ResourceShareIds.N, and how many
// ResourceShareInvitationIds.N, ListResourceShareInvitations takes.
const maxInvitationFilter = 5

func (r *RAM) listResourceShareInvitations(p params, rid string, now time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	ids, n := repeated(p, "ResourceShareInvitationIds", 0)
	if n > maxInvitationFilter {
		return nil, errorf("InvalidParameter.ResourceShareInvitationIds", "At most %d ResourceShareInvitationIds can be given.", maxInvitationFilter)
	}
	shares, n := repeated(p, "ResourceShareIds", 0)
	if n > maxInvitationFilter {
		return nil, errorf("InvalidParameter.ResourceShareIds", "At most %d ResourceShareIds can be given.", maxInvitationFilter)
	}
	var all []*invitation
	for _, inv := range r.w.received[r.opts.AccountID] {
		if inv.region == reg && (ids == nil || slices.Contains(ids, inv.id)) && (shares == nil || slices.Contains(shares, inv.shareID)) {
			all = append(all, inv)
		}
	}
	page, next, e := pageTokens(r.paging, p, all)
	if e != nil {
		return nil, e
	}
	b := bodyInvitations{RequestID: rid, NextToken: next, ResourceShareInvitations: make([]rsInvitation, 0, len(page))}
	for _, inv := range page {
		b.ResourceShareInvitations = append(b.ResourceShareInvitations, r.w.invitationBody(inv, now))
	}
	return b, nil
}

type bodyInvitation struct {
	RequestID               string       `json:"RequestId"`
	ResourceShareInvitation rsInvitation `json:"ResourceShareInvitation"`
}

func (r *RAM) acceptResourceShareInvitation(p params, rid string, now time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	id, ok := p["ResourceShareInvitationId"]
	if !ok || id == "" {
		return nil, newServiceError("MissingParameter.ResourceShareInvitationId")
	}
	if !invitationIDFormat.MatchString(id) {
		return nil, newServiceError("InvalidParameter.ResourceShareInvitationId")
	}
	inv, ok := r.w.invitations[id]
	if !ok || inv.recipient != r.opts.AccountID || inv.region != reg {
		return nil, newServiceError("EntityNotExists.ResourceShareInvitation")
	}
	if e := r.w.acceptLocked(inv, now); e != nil {
		return nil, e
	}
	return bodyInvitation{rid, r.w.invitationBody(inv, now)}, nil
}

// AcceptInvitation accepts, on behalf of the account recipient, its pending
// invitation to the resource share shareID of this account, directly: it
// bypasses fault rules and the call log, as the Put methods do. The
// recipient's target of the share becomes Associated. It fails when the
// share has no pending invitation for recipient (none was sent, it was
// accepted, it expired, or the target was removed).
func (r *RAM) AcceptInvitation(shareID, recipient string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, inv := range r.w.received[recipient] {
		if inv.shareID != shareID || inv.owner != r.opts.AccountID {
			continue
		}
		if st := inv.statusAt(now); st != InvitationPending {
			continue
		}
		if e := r.w.acceptLocked(inv, now); e != nil {
			return fmt.Errorf("fake: accept invitation of %s to %s: %s", recipient, shareID, e.Message)
		}
		return nil
	}
	return fmt.Errorf("fake: accept invitation of %s to %s: no pending invitation", recipient, shareID)
}

// ListResourceShareInvitations lists the invitations the account received,
// in the request's region, in the order they were sent.
func (r *RAM) ListResourceShareInvitations(request *resourcesharing.ListResourceShareInvitationsRequest) (*resourcesharing.ListResourceShareInvitationsResponse, error) {
	response := resourcesharing.CreateListResourceShareInvitationsResponse()
	return response, r.invokeService(request, response)
}

// AcceptResourceShareInvitation accepts an invitation the account received:
// the sharer's target of the account becomes Associated.
func (r *RAM) AcceptResourceShareInvitation(request *resourcesharing.AcceptResourceShareInvitationRequest) (*resourcesharing.AcceptResourceShareInvitationResponse, error) {
	response := resourcesharing.CreateAcceptResourceShareInvitationResponse()
	return response, r.invokeService(request, response)
}
