// This file holds the checks of single values: accounts, resource directory
// IDs, folder paths, keys (and ParseKeyARN), regions, role and policy
// names, limits.

package encryptperm

import (
	"fmt"
	"regexp"
	"strings"
)

// The identifier formats the builders accept. Alibaba publishes only masked
// examples of most of them, so the rules are deliberately narrow: anything
// that could widen access (wildcards, separators, whitespace) is refused.
var (
	accountRE = regexp.MustCompile(`^[0-9]{16}$`)
	rdIDRE    = regexp.MustCompile(`^rd-[A-Za-z0-9]+$`)
	rootRE    = regexp.MustCompile(`^r-[A-Za-z0-9]+$`)
	folderRE  = regexp.MustCompile(`^fd-[A-Za-z0-9]+$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+){1,4}$`)
	uuidRE    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	keyIDRE   = regexp.MustCompile(`^key-[A-Za-z0-9]+$`)
	roleRE    = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	policyRE  = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

// forbidden reports why s cannot be an identifier, or "" if it has none of
// the characters that would change its meaning in a policy.
func forbidden(s string) string {
	switch {
	case s == "":
		return "empty"
	case strings.ContainsAny(s, "*?"):
		return "contains a wildcard (* or ?); wildcards would widen access and are refused"
	case strings.ContainsAny(s, "@"):
		return "contains @; give the bare ID, the builder writes the principal"
	case strings.IndexFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xA0 || r > 0x7f
	}) >= 0:
		return "contains whitespace or a non-ASCII character"
	}
	return ""
}

func checkAccount(p *problems, path, uid string) {
	if why := forbidden(uid); why != "" {
		p.add(path, uid, "%s", why)
		return
	}
	if !accountRE.MatchString(uid) {
		p.add(path, uid, "not an account UID: want 16 decimal digits")
	}
}

func checkRDID(p *problems, path, id string) {
	if why := forbidden(id); why != "" {
		p.add(path, id, "%s", why)
		return
	}
	if !rdIDRE.MatchString(id) {
		p.add(path, id, "not a resource directory ID: want rd- followed by letters and digits")
	}
}

func checkFolderPath(p *problems, path, rdPath string, levels int) {
	if strings.HasSuffix(rdPath, "*") && forbidden(strings.TrimSuffix(rdPath, "*")) == "" {
		p.add(path, rdPath, "leave out the trailing *: the builder adds it")
		return
	}
	if why := forbidden(rdPath); why != "" {
		p.add(path, rdPath, "%s", why)
		return
	}
	parts := strings.Split(rdPath, "/")
	switch {
	case len(parts) < 2:
		p.add(path, rdPath, "not a folder path: want rd-<id>/r-<root>[/fd-<id>...]")
		return
	case len(parts)-2 > levels:
		p.add(path, rdPath, "%d folder levels below the root; a resource directory has at most %d", len(parts)-2, levels)
		return
	}
	if !rdIDRE.MatchString(parts[0]) {
		p.add(path, rdPath, "first element %q is not a resource directory ID (rd-...)", parts[0])
	}
	if !rootRE.MatchString(parts[1]) {
		p.add(path, rdPath, "second element %q is not a root folder ID (r-...)", parts[1])
	}
	for _, fd := range parts[2:] {
		if !folderRE.MatchString(fd) {
			p.add(path, rdPath, "element %q is not a folder ID (fd-...)", fd)
		}
	}
}

func checkKey(p *problems, path string, k Key) {
	checkRegion(p, path+".Region", k.Region)
	if why := forbidden(k.Owner); why != "" {
		p.add(path+".Owner", k.Owner, "%s", why)
	} else if !accountRE.MatchString(k.Owner) {
		p.add(path+".Owner", k.Owner, "not an account UID: want the key owner's 16 decimal digits")
	}
	if why := forbidden(k.ID); why != "" {
		p.add(path+".ID", k.ID, "%s", why)
	} else if !uuidRE.MatchString(k.ID) && !keyIDRE.MatchString(k.ID) {
		p.add(path+".ID", k.ID, "not a KMS key ID: want a UUID or key- followed by letters and digits (an alias is not accepted)")
	}
}

func checkRegion(p *problems, path, region string) {
	if why := forbidden(region); why != "" {
		p.add(path, region, "%s", why)
		return
	}
	if !regionRE.MatchString(region) {
		p.add(path, region, "not a region ID: want lower-case words joined by hyphens, such as cn-hangzhou")
	}
}

func checkRoleName(p *problems, path, name string, l Limits) {
	switch {
	case name == "":
		p.add(path, name, "empty")
	case len(name) > l.RoleNameMaxLen:
		p.addLimit(path, name, "%d characters; RAM allows at most %d", len(name), l.RoleNameMaxLen)
	case !roleRE.MatchString(name):
		p.add(path, name, "RAM role names hold only letters, digits, periods and hyphens")
	}
}

func checkPolicyName(p *problems, path, name string, l Limits) {
	switch {
	case name == "":
		p.add(path, name, "empty")
	case len(name) > l.PolicyNameMaxLen:
		p.addLimit(path, name, "%d characters; RAM allows at most %d", len(name), l.PolicyNameMaxLen)
	case !policyRE.MatchString(name):
		p.add(path, name, "RAM policy names hold only letters, digits and hyphens")
	}
}

func checkLimits(p *problems, l Limits) {
	if l.RoleNameMaxLen < 0 || l.PolicyDocumentMaxLen < 0 || l.TrustPolicyMaxLen < 0 || l.VersionsPerPolicy < 0 ||
		l.CustomPoliciesPerRole < 0 || l.SystemPoliciesPerRole < 0 || l.PolicyNameMaxLen < 0 {
		p.add("Limits", fmt.Sprintf("%+v", l), "limits cannot be negative; zero means RAM's default")
	}
}

// ParseKeyARN parses acs:kms:<region>:<owner>:key/<id> into a Key. The parts
// are validated as the builders validate a Key; the error is a
// *ValidationError.
func ParseKeyARN(arn string) (Key, error) {
	var p problems
	parts := strings.Split(arn, ":")
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "kms" || !strings.HasPrefix(parts[4], "key/") {
		p.add("ARN", arn, "not a KMS key ARN: want acs:kms:<region>:<owner>:key/<id>")
		return Key{}, p.err("key ARN")
	}
	k := Key{Region: parts[2], Owner: parts[3], ID: strings.TrimPrefix(parts[4], "key/")}
	checkKey(&p, "ARN", k)
	if err := p.err("key ARN"); err != nil {
		return Key{}, err
	}
	return k, nil
}
