// This file holds the pre-flight read of the keys that grants without
// images or snapshots name: made beside RAM's first reads, so that it costs
// no level of its own, and waited for before any write uses a key.

package encryptperm

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ecsperm/ecsperm/internal/parallel"
	"github.com/ecsperm/ecsperm/internal/share"
)

// keyCheck is the read of the keys some grants name, running in the
// background, and its verdict.
type keyCheck struct {
	done chan struct{}
	err  error
}

// wait waits for the check and returns its error: a *ValidationError
// listing every key KMS does not find (wrapping ErrNotFound too) or names
// in another account or region, or the error of a failed read. A nil
// check passes.
func (kc *keyCheck) wait() error {
	if kc == nil {
		return nil
	}
	<-kc.done
	return kc.err
}

// gate returns wait as a gate for the RAM target, or nil for a nil check.
func (kc *keyCheck) gate() func() error {
	if kc == nil {
		return nil
	}
	return kc.wait
}

// startKeyCheck reads, in the background, every key named by a grant that
// names no image or snapshot (the share step reads the keys of those that
// do), with KMS DescribeKey by the key's ARN in its region (so that a key
// of another account is read there), each key once. It returns
// nil when there is nothing to read, or no KMS client to read it with: the
// keys of a grant given to an Applier over RAM alone are not checked.
//
// A key is refused when KMS does not find it (ErrNotFound), and when KMS
// names it in another account or region than the grant does (the grant
// would allow a key ECS never uses). A key that is not Enabled is not
// refused here: a grant may come before the key is enabled.
func (t *shareTarget) startKeyCheck(ctx context.Context, rec *recorder, grants []*Grant) *keyCheck {
	if !t.cfg.Services.KMS {
		return nil
	}
	byRegion := map[string][]string{}
	for _, g := range grants {
		if len(g.Resources) > 0 {
			continue
		}
		for _, k := range g.Keys {
			if !slices.Contains(byRegion[k.Region], k.ARN()) {
				byRegion[k.Region] = append(byRegion[k.Region], k.ARN())
			}
		}
	}
	if len(byRegion) == 0 {
		return nil
	}
	kc := &keyCheck{done: make(chan struct{})}
	go func() {
		defer close(kc.done)
		step := t.step(rec)
		var mu sync.Mutex
		found := map[[2]string]*share.KeyMeta{}
		fns := make([]func() error, 0, len(byRegion))
		for region, ids := range byRegion {
			fns = append(fns, func() error {
				metas, err := step.DescribeKeys(ctx, region, ids)
				mu.Lock()
				defer mu.Unlock()
				for i, m := range metas {
					found[[2]string{region, ids[i]}] = m
				}
				return err
			})
		}
		if err := parallel.All(fns...); err != nil {
			kc.err = err
			return
		}
		kc.err = judgeKeys(grants, found)
	}()
	return kc
}

// judgeKeys refuses, every problem at once, the keys of grants without
// resources that KMS did not find (found, by region and ARN, holds nil for
// them) or names otherwise than the grant.
func judgeKeys(grants []*Grant, found map[[2]string]*share.KeyMeta) error {
	var p problems
	notFound := false
	for gi, g := range grants {
		if len(g.Resources) > 0 {
			continue
		}
		for ki, k := range g.Keys {
			path := fmt.Sprintf("grants[%d].Keys[%d]", gi, ki)
			m := found[[2]string{k.Region, k.ARN()}]
			if m == nil {
				notFound = true
				p.add(path, k.ARN(), "KMS does not find key %s in %s of account %s: a grant for a key that does not exist lets ECS use nothing; create the key, or name one KMS holds", k.ID, k.Region, k.Owner)
				continue
			}
			named, err := ParseKeyARN(m.ARN)
			switch {
			case err != nil:
				p.add(path, k.ARN(), "KMS answered the ARN %q for key %s, which is not a key ARN", m.ARN, k.ID)
			case named != k:
				p.add(path, k.ARN(), "KMS names this key %s, but the grant names it %s: the grant would allow a key ECS never uses; name the key as KMS does", named.ARN(), k.ARN())
			}
		}
	}
	verr := p.err("grants")
	if verr == nil {
		return nil
	}
	var extra []error
	if notFound {
		extra = append(extra, ErrNotFound)
	}
	return &preflightError{verr.(*ValidationError), extra}
}
