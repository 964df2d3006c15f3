// This file holds what reading a KMS key policy needs beyond a RAM policy:
// the principal that names a whole account, and the question whether a
// statement might deny.

package policy

import "strings"

// AccountPrincipal reports whether v is the principal by which a KMS key
// policy names a whole account, acs:ram::<uid>:* (the prefix in any case),
// and returns the account's UID.
func AccountPrincipal(v string) (uid string, ok bool) {
	const pre = "acs:ram::"
	if len(v) < len(pre) || !strings.EqualFold(v[:len(pre)], pre) || !strings.HasSuffix(v, ":*") {
		return "", false
	}
	uid = v[len(pre) : len(v)-2]
	if uid == "" || strings.Trim(uid, "0123456789") != "" {
		return "", false
	}
	return uid, true
}

// AccountsAsThemselves returns a key policy in which each RAM principal
// acs:ram::<uid>:* of an Allow statement is read as the account itself,
// acs:ram::<uid>:root, which names no role or user: KMS does not say
// whether it lets every identity of the account in, or leaves the decision
// to the account's own RAM policies, and the second reading allows less.
// The map gives, for each statement changed, by index, the principal as
// written. When nothing changes, doc itself is returned with a nil map;
// doc is never changed.
func AccountsAsThemselves(doc *Document) (*Document, map[int]string) {
	var out *Document
	var changed map[int]string
	for i, s := range doc.Statement {
		if s.Effect != Allow || s.Principal == nil {
			continue
		}
		for j, v := range s.Principal.RAM {
			uid, ok := AccountPrincipal(v)
			if !ok {
				continue
			}
			if out == nil {
				out, changed = doc.Clone(), map[int]string{}
			}
			out.Statement[i].Principal.RAM[j] = "acs:ram::" + uid + ":root"
			changed[i] = v
		}
	}
	if out == nil {
		return doc, nil
	}
	return out, changed
}

// MayDeny reports whether a Deny, or a statement whose effect cannot be
// read, might apply to req, though none is known to apply: the set's
// answer for req is then not certain.
func (ps *PolicySet) MayDeny(req *Request) bool {
	for _, o := range ps.Explain(req) {
		if o.Applies == MatchUnknown && o.Effect != Allow {
			return true
		}
	}
	return false
}
