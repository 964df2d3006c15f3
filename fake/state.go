// This file holds the fake's RAM state: roles, policies, versions and
// attachments, with the system policies every account has.

package fake

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Policy types, as RAM spells them.
// The policy types as the fake stores them: encryptperm's, as strings.
const (
	policyTypeSystem = string(encryptperm.System)
	policyTypeCustom = string(encryptperm.Custom)
)

// The system policies the fake holds, with the documents RAM publishes for
// them.
const (
	kmsFullAccessDocument = `{"Version":"1","Statement":[{"Action":"kms:*","Resource":"*","Effect":"Allow"},` +
		`{"Action":"ram:CreateServiceLinkedRole","Condition":{"StringEquals":{"ram:ServiceName":` +
		`["secretsmanager-rds.kms.aliyuncs.com","keystore.kms.aliyuncs.com"]}},"Resource":"*","Effect":"Allow"}]}`
	diskEncryptRoleDocument = `{"Version":"1","Statement":[` +
		`{"Action":["kms:List*","kms:DescribeKey","kms:TagResource","kms:UntagResource"],` +
		`"Resource":["acs:kms:*:*:*","acs:kms:*:*:*/*"],"Effect":"Allow"},` +
		`{"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":["acs:kms:*:*:*/*"],"Effect":"Allow"}]}`
)

// dateLayout is the layout of RAM's dates.
const dateLayout = "2006-01-02T15:04:05Z"

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

// roleRec is a stored role.
type roleRec struct {
	name       string // as first spelled
	id         string
	desc       string
	maxSession int64
	trust      string
	created    time.Time
	updated    time.Time
	// visibleAt is when attach calls start to see the role (propagation
	// delay); zero for seeded roles.
	visibleAt time.Time
	// attached maps a policy key to its attach date.
	attached map[string]time.Time
}

// versionRec is a stored policy version.
type versionRec struct {
	num     int
	doc     string
	created time.Time
}

func (v *versionRec) id() string { return "v" + fmt.Sprint(v.num) }

// policyRec is a stored policy.
type policyRec struct {
	name     string
	typ      string
	desc     string
	created  time.Time
	updated  time.Time
	versions []*versionRec // ascending by num
	def      int           // num of the default version
	next     int           // num of the next version; never reused
	// visibleAt is when attach calls start to see the policy (propagation
	// delay); zero for system and seeded policies.
	visibleAt time.Time
	// attached maps a role key to its attach date.
	attached map[string]time.Time
}

func (p *policyRec) version(num int) *versionRec {
	for _, v := range p.versions {
		if v.num == num {
			return v
		}
	}
	return nil
}

func (p *policyRec) defaultVersion() *versionRec { return p.version(p.def) }

// state is the account's RAM state.
type state struct {
	roles    map[string]*roleRec   // by role key
	policies map[string]*policyRec // by policy key
	custom   int                   // number of custom policies
	roleSeq  uint64                // role IDs issued
}

// roleKey is the lookup key of a role name: RAM treats names without regard
// to case.
func roleKey(name string) string { return strings.ToLower(name) }

// policyKey is the lookup key of a policy of a type.
func policyKey(typ, name string) string { return typ + "/" + strings.ToLower(name) }

func newState() *state {
	s := &state{
		roles:    make(map[string]*roleRec),
		policies: make(map[string]*policyRec),
	}
	s.addSystem(encryptperm.KMSFullAccessPolicy, "Provides full access to Key Management Service (KMS).",
		kmsFullAccessDocument, 3, time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC))
	s.addSystem(encryptperm.DiskEncryptSystemPolicy, "The policy of the role ECS uses to encrypt disks with KMS keys.",
		diskEncryptRoleDocument, 1, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	return s
}

func (s *state) addSystem(name, desc, doc string, num int, created, updated time.Time) {
	s.policies[policyKey(policyTypeSystem, name)] = &policyRec{
		name:     name,
		typ:      policyTypeSystem,
		desc:     desc,
		created:  created,
		updated:  updated,
		versions: []*versionRec{{num: num, doc: doc, created: updated}},
		def:      num,
		next:     num + 1,
		attached: make(map[string]time.Time),
	}
}

// newRoleID returns a unique, RAM-looking numeric role ID.
func (s *state) newRoleID() string {
	s.roleSeq++
	return fmt.Sprintf("3%017d", s.roleSeq)
}

// sortedRoles returns the roles sorted by key.
func (s *state) sortedRoles() []*roleRec {
	keys := slices.Sorted(maps.Keys(s.roles))
	out := make([]*roleRec, len(keys))
	for i, k := range keys {
		out[i] = s.roles[k]
	}
	return out
}

// sortedPolicies returns the policies of typ ("" for both), sorted by name
// key and then type.
func (s *state) sortedPolicies(typ string) []*policyRec {
	var out []*policyRec
	for _, p := range s.policies {
		if typ == "" || p.typ == typ {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *policyRec) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), strings.Compare(a.typ, b.typ))
	})
	return out
}

// listKey is the order key of a listed policy.
func (p *policyRec) listKey() string { return strings.ToLower(p.name) + "\x00" + p.typ }

func sortPrincipals(ps []TrustedPrincipal) {
	slices.SortFunc(ps, func(a, b TrustedPrincipal) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Value, b.Value))
	})
}

// attachmentCounts returns the number of custom and system policies attached
// to a role.
func (s *state) attachmentCounts(r *roleRec) (custom, system int) {
	for k := range r.attached {
		if strings.HasPrefix(k, policyTypeCustom+"/") {
			custom++
		} else {
			system++
		}
	}
	return custom, system
}
