// This file holds the checks and the rules of the images and snapshots a
// share grant names.

package encryptperm

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
)

var (
	imageIDRE    = regexp.MustCompile(`^m-[A-Za-z0-9]{4,40}$`)
	snapshotIDRE = regexp.MustCompile(`^s-[A-Za-z0-9]{4,40}$`)
)

// checkResources validates the resources of a share grant of kind, and
// returns the valid ones sorted, without duplicates.
func checkResources(p *problems, kind Kind, rs []Resource) []Resource {
	out := make([]Resource, 0, len(rs))
	for i, r := range rs {
		path := fmt.Sprintf("Resources[%d]", i)
		n := p.count()
		switch {
		case r.Type == ResourceImage && kind != KindShareImage:
			p.add(path, r.ID, "an image on a %s grant: name images with ShareImage().WithImage", kind)
		case r.Type == ResourceSnapshot && kind != KindShareSnapshot:
			p.add(path, r.ID, "a snapshot on a %s grant: name snapshots with ShareSnapshot().WithSnapshot", kind)
		case r.Type != ResourceImage && r.Type != ResourceSnapshot:
			p.add(path+".Type", string(r.Type), "want image or snapshot")
		}
		checkRegion(p, path+".Region", r.Region)
		re, want := imageIDRE, "an image ID: m- followed by 4 to 40 letters and digits"
		if r.Type == ResourceSnapshot {
			re, want = snapshotIDRE, "a snapshot ID: s- followed by 4 to 40 letters and digits"
		}
		if why := forbidden(r.ID); why != "" {
			p.add(path+".ID", r.ID, "%s", why)
		} else if !re.MatchString(r.ID) {
			p.add(path+".ID", r.ID, "not %s", want)
		}
		if p.count() == n {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return resourceLess(out[i], out[j]) })
	return slices.Compact(out)
}

func resourceLess(a, b Resource) bool {
	if a.Region != b.Region {
		return a.Region < b.Region
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.ID < b.ID
}

// shareCap is how many accounts ECS shares one resource of the kind with.
func shareCap(kind Kind, l Limits) int {
	if kind == KindShareImage {
		return l.ImageShareAccounts
	}
	return l.SnapshotShareAccounts
}

// serviceKeyReason says why a resource encrypted with the service key
// cannot be shared, and the way out.
func serviceKeyReason(kind Kind) string {
	if kind == KindShareImage {
		return "ECS does not share an image encrypted with the service key (InvalidOperation.ServiceKeyEncryptedImageUnsupported); " +
			"copy the image with a customer key (CopyImage with Encrypted=true and KMSKeyId), share the copy, and let the Applier find its key or name it with WithKey"
	}
	return "ECS does not share a snapshot encrypted with the service key; " +
		"copy the snapshot with a customer key (CopySnapshot with Encrypted=true and KMSKeyId), share the copy, and let the Applier find its key or name it with WithKey"
}

// hasResources reports whether a grant names an image or snapshot.
func hasResources(grants ...[]*Grant) bool {
	for _, gs := range grants {
		for _, g := range gs {
			if g != nil && len(g.Resources) > 0 {
				return true
			}
		}
	}
	return false
}
