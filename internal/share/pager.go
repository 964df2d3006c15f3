// This file holds the bound every listing of the share step keeps to: a
// service that answers the same page token again, or pages without end,
// cannot keep a read going.

package share

import (
	"crypto/sha256"
	"fmt"
)

// pager bounds one listing: at most Limits.ListMaxPages pages, and never a
// page token the service has given before in the same listing. Tokens are
// remembered by their hash, so a hostile token costs no more memory than a
// short one.
type pager struct {
	action, target string
	max, pages     int
	seen           map[[sha256.Size]byte]bool
	limit          error // what an error past max wraps
}

// newPager returns the bound of one listing by action of target.
func newPager(cfg *Config, action, target string) *pager {
	return &pager{action: action, target: target, max: cfg.MaxPages, seen: map[[sha256.Size]byte]bool{}, limit: cfg.LimitExceeded}
}

// next counts a page read and takes the token it gave for the next page
// ("" when it was the last). It reports whether to read that page, or
// returns an error that names the call when the listing must end unread:
// a token given before, or a page past Limits.ListMaxPages (ErrLimitExceeded).
func (p *pager) next(token string) (bool, error) {
	p.pages++
	if token == "" {
		return false, nil
	}
	h := sha256.Sum256([]byte(token))
	if p.seen[h] {
		return false, fmt.Errorf("encryptperm: %s %s %q: the service gave the page token %s a second time: the listing would not end", serviceOf(p.action), p.action, p.target, quoteShort(token))
	}
	if p.pages >= p.max {
		return false, errorOf(p.limit, "encryptperm: %s %s %q: the listing has more than %d pages (Limits.ListMaxPages)", serviceOf(p.action), p.action, p.target, p.max)
	}
	p.seen[h] = true
	return true, nil
}

// serviceOf names the service of a listing's action.
func serviceOf(action string) string {
	if action == "DescribeImageSharePermission" {
		return "ECS"
	}
	return "Resource Sharing"
}

// quoteShort quotes s, cut to its first 64 bytes, so that a hostile value
// cannot make a message long.
func quoteShort(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
}
