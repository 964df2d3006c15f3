// This file holds what Check asks of the share step: one resource read,
// and whether it is shared with a recipient.

package share

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// Inspection is what Inspect read of one resource.
type Inspection struct {
	// Resource is the resource read.
	Resource Resource
	// Found reports whether it exists; Inspect reads no further when it
	// does not.
	Found bool
	// Encrypted reports whether it is, or may be, encrypted.
	Encrypted bool
	// KeyIDs are the IDs of the keys of its disks, sorted, each once.
	KeyIDs []string
	// ServiceKey reports that a disk is encrypted with the service key.
	ServiceKey bool
	// KeyUnknown reports that a disk may be encrypted with a key nothing
	// read names (see UnknownKeyReason).
	KeyUnknown bool
	// Owner is the owner's UID, when the resource says.
	Owner string

	w *want
}

// UnknownKeyReason says why the keys of an image cannot all be named.
func (in *Inspection) UnknownKeyReason() string { return in.w.unknownKeyReason() }

// Reaching is how a resource reaches a recipient.
type Reaching struct {
	// Shared is true when the resource is shared with the recipient.
	Shared bool
	// Pending is true when a resource share reaches the recipient whose
	// invitation it has not accepted yet, and nothing else shares the
	// resource with it.
	Pending bool
	// ShareID is the resource share that shares the resource, or whose
	// invitation is pending; empty when ECS shares it, or nothing does.
	ShareID string
	// Reason says which, for people.
	Reason string
}

// ReachOf says whether the resource is shared with the recipient: through
// ECS, or through a resource share whose target is the account, its
// directory (rdID) or a folder on its path (rdPath). An invitation not yet
// accepted is not a share: the answer is then Pending, with the share that
// waits for it.
func (in *Inspection) ReachOf(recipient, rdID, rdPath string) Reaching {
	return in.w.reach(recipient, rdID, rdPath)
}

// Inspect reads what Check needs of the one resource g names: whether it
// exists, its keys (an image's through the snapshots its disks are made
// of, read beside it when a list of the region's image snapshots answers
// for them, after it otherwise), and the resource shares that hold it
// (only with a Resource Sharing client). keyID, when set, filters that
// list. what names the question in the paths of a *Refusal.
func (s *Step) Inspect(ctx context.Context, what string, g Grant, keyID string) (*Inspection, error) {
	w, err := s.read.inspect(ctx, what, g, keyID)
	if err != nil {
		return nil, err
	}
	return &Inspection{Resource: w.res, Found: w.found, Encrypted: w.encrypted, KeyIDs: w.keyIDs,
		ServiceKey: w.serviceKey, KeyUnknown: w.keyUnknown, Owner: w.owner, w: w}, nil
}

// inspect is Inspect, on the want of the resource.
func (r *reader) inspect(ctx context.Context, what string, g Grant, keyID string) (*want, error) {
	w := collectWants([]Grant{g}, nil, what)[0]
	if err := r.cfg.checkServices([]*want{w}, false); err != nil {
		return nil, err
	}
	res := w.res
	fns := []func() error{}
	var st *regionShares
	var list snapList
	if res.Type == Image {
		fns = append(fns, func() error { return r.readImage(ctx, w) }, func() error { return r.readImageShares(ctx, w) })
		fns = append(fns, func() error { list = r.listSnapshots(ctx, res.Region, keyID); return nil })
	} else {
		fns = append(fns, func() error { return r.readSnapshots(ctx, res.Region, []*want{w}, nil) })
	}
	if r.cfg.Services.ResourceSharing {
		fns = append(fns, func() error {
			var err error
			st, err = r.readShares(ctx, res.Region)
			return err
		})
	}
	if err := parallel.All(fns...); err != nil {
		return nil, err
	}
	if !w.found {
		return w, nil
	}
	if res.Type == Image && list.covers(w) {
		w.keysFrom(list)
	} else if res.Type == Image && len(w.snapshots) > 0 {
		if err := r.readSnapshots(ctx, res.Region, nil, []*want{w}); err != nil {
			return nil, err
		}
	}
	w.shares = st.sharesOf(res)
	return w, nil
}

// reach is Inspection.ReachOf.
func (w *want) reach(recipient, rdID, rdPath string) Reaching {
	if slices.Contains(w.imageAccts, recipient) {
		return Reaching{Shared: true, Reason: fmt.Sprintf("ECS shares the %s with account %s", w.res.Type, recipient)}
	}
	// Targets in a fixed order, so that the same state gives the same
	// reason; a pending invitation is the answer only while nothing shares
	// the resource with the recipient.
	var r Reaching
	for _, sh := range w.shares {
		for _, t := range slices.Sorted(maps.Keys(sh.targets)) {
			reach := t == recipient || rdID != "" && t == rdID || rdPath != "" && slices.Contains(strings.Split(rdPath, "/"), t)
			if !reach {
				continue
			}
			if sh.targets[t] == "Associating" {
				if !r.Shared && !r.Pending {
					r = Reaching{Pending: true, ShareID: sh.id, Reason: fmt.Sprintf("resource share %s reaches %s through %s, but the invitation is pending: the recipient must accept it", sh.id, recipient, t)}
				}
				continue
			}
			r = Reaching{Shared: true, ShareID: sh.id, Reason: fmt.Sprintf("resource share %s shares the %s with %s", sh.id, w.res.Type, t)}
		}
	}
	if r.Reason == "" {
		r.Reason = fmt.Sprintf("the %s is not shared with account %s", w.res, recipient)
	}
	return r
}
