// This file holds what Check asks of the share step: one resource read,
// and whether it is shared with a recipient.

package encryptperm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/internal/parallel"
)

// inspect reads what Check needs of the one resource g names: whether it
// exists, its keys (an image's through the snapshots its disks are made
// of, read beside it when a list of the region's image snapshots answers
// for them, after it otherwise), and the resource shares that hold it
// (only with a Resource Sharing client). keyID, when set, filters that
// list. It reads no further once the resource is not found. what names the
// question in paths.
func (r *shareReader) inspect(ctx context.Context, what string, g shareGrant, keyID string) (*resWant, error) {
	w := collectWants([]shareGrant{g}, nil, what)[0]
	if err := r.cfg.checkServices([]*resWant{w}, false); err != nil {
		return nil, err
	}
	res := w.res
	fns := []func() error{}
	var st *shareState
	var list snapList
	if res.Type == ResourceImage {
		fns = append(fns, func() error { return r.readImage(ctx, w) }, func() error { return r.readImageShares(ctx, w) })
		fns = append(fns, func() error { list = r.listSnapshots(ctx, res.Region, keyID); return nil })
	} else {
		fns = append(fns, func() error { return r.readSnapshots(ctx, res.Region, []*resWant{w}, nil) })
	}
	if r.cfg.rs {
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
	if res.Type == ResourceImage && list.covers(w) {
		w.keysFrom(list)
	} else if res.Type == ResourceImage && len(w.snapshots) > 0 {
		if err := r.readSnapshots(ctx, res.Region, nil, []*resWant{w}); err != nil {
			return nil, err
		}
	}
	w.shares = st.sharesOf(res)
	return w, nil
}

// reach says whether the resource is shared with the recipient: through
// ECS, or through a resource share whose target is the account, its
// directory (rdID) or a folder on its path (rdPath). An invitation not yet
// accepted is not a share.
func (w *resWant) reach(recipient, rdID, rdPath string) (allowed bool, reason string) {
	if slices.Contains(w.imageAccts, recipient) {
		return true, fmt.Sprintf("ECS shares the %s with account %s", w.res.Type, recipient)
	}
	// Targets in a fixed order, so that the same state gives the same
	// reason; a pending invitation is the reason only while nothing shares
	// the resource with the recipient.
	for _, sh := range w.shares {
		for _, t := range slices.Sorted(maps.Keys(sh.targets)) {
			reach := t == recipient || rdID != "" && t == rdID || rdPath != "" && slices.Contains(strings.Split(rdPath, "/"), t)
			if !reach {
				continue
			}
			if sh.targets[t] == "Associating" {
				if !allowed {
					reason = fmt.Sprintf("resource share %s reaches %s through %s, but the invitation is pending: the recipient must accept it", sh.id, recipient, t)
				}
				continue
			}
			allowed, reason = true, fmt.Sprintf("resource share %s shares the %s with %s", sh.id, w.res.Type, t)
		}
	}
	if reason == "" {
		reason = fmt.Sprintf("the %s is not shared with account %s", w.res, recipient)
	}
	return allowed, reason
}
