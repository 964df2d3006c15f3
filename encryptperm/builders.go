// This file holds the builders (DiskEncryption, ShareSnapshot, ShareImage) and
// the documents they write: the trust policies and the key policies, spread
// over numbered policies when the keys do not fit one.

package encryptperm

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// Default custom policy names, one per kind of grant. When the keys do not
// fit in one document, further policies are numbered: <name>-2, <name>-3, ...
const (
	DiskEncryptPolicyName   = ManagedPolicyPrefix + "DiskEncryptKeys"
	ShareSnapshotPolicyName = ManagedPolicyPrefix + "ShareSnapshotKeys"
	ShareImagePolicyName    = ManagedPolicyPrefix + "ShareImageKeys"
)

// DiskEncryptionBuilder builds the grant that lets ECS in the caller's own
// account use customer keys to encrypt disks, snapshots and images.
type DiskEncryptionBuilder struct {
	grantInput
}

// grantInput is what a grant is built from: a builder collects it through
// its With methods, and the check of a grant made elsewhere takes it from
// the grant (see inputOf), so that both are judged by the same rules.
type grantInput struct {
	kind     Kind
	accounts []string
	rds      []string
	folders  []string
	keyArgs
	serviceKey bool
	limits     *Limits
	policyName string
	resources  []Resource
}

// keyArgs collects the keys given to a builder, by Key or by ARN.
type keyArgs struct {
	keys    []Key
	arns    int // WithKeyARN calls so far, for the path of a bad ARN
	arnErrs []policy.FieldError
}

// addARN parses an ARN and keeps the key, or the problem for Build.
func (a *keyArgs) addARN(arn string) {
	i := a.arns
	a.arns++
	k, err := ParseKeyARN(arn)
	if err != nil {
		a.arnErrs = append(a.arnErrs, policy.FieldError{Path: fmt.Sprintf("KeyARNs[%d]", i), Value: arn, Reason: reasons(err)})
		return
	}
	a.keys = append(a.keys, k)
}

// DiskEncryption starts a grant for AliyunECSDiskEncryptDefaultRole, trusted by
// ecs.aliyuncs.com. Without WithKey it attaches the system policy
// AliyunECSDiskEncryptRolePolicy, as the console does (key use on every key of
// the account); with WithKey it attaches instead a custom policy scoped to the
// given keys.
func DiskEncryption() *DiskEncryptionBuilder { return &DiskEncryptionBuilder{} }

// WithKey scopes the grant to a customer key; call it once per key.
func (b *DiskEncryptionBuilder) WithKey(k Key) *DiskEncryptionBuilder {
	b.keys = append(b.keys, k)
	return b
}

// WithKeyARN is WithKey for a key ARN, acs:kms:<region>:<owner>:key/<id>. A
// malformed ARN is reported by Build.
func (b *DiskEncryptionBuilder) WithKeyARN(arn string) *DiskEncryptionBuilder {
	b.addARN(arn)
	return b
}

// WithLimits replaces DefaultLimits for this grant; zero fields keep RAM's
// defaults.
func (b *DiskEncryptionBuilder) WithLimits(l Limits) *DiskEncryptionBuilder {
	b.limits = &l
	return b
}

// WithPolicyName replaces the custom policy's name (default
// DiskEncryptPolicyName).
func (b *DiskEncryptionBuilder) WithPolicyName(name string) *DiskEncryptionBuilder {
	b.policyName = name
	return b
}

// Build validates the grant and returns it, or a *ValidationError that lists
// every problem.
func (b *DiskEncryptionBuilder) Build() (*Grant, error) { return b.buildDisk() }

// buildDisk builds a DiskEncryption grant.
func (b *grantInput) buildDisk() (*Grant, error) {
	var p problems
	l := resolveLimits(&p, b.limits)
	p.addAll(b.arnErrs, 0)
	keys := checkKeys(&p, b.keys)
	name := b.policyName
	if name == "" {
		name = DiskEncryptPolicyName
	}
	checkPolicyName(&p, "PolicyName", name, l)
	g := &Grant{
		Kind:   KindDiskEncryption,
		Keys:   keys,
		Limits: l,
		Role: Role{
			Name:        DiskEncryptRoleName,
			Description: "ECS uses this role to access KMS keys for encrypted disks, snapshots and images.",
			TrustPolicy: policy.New(policy.Statement{
				Effect:    policy.Allow,
				Action:    policy.Values{assumeRoleAction},
				Principal: &policy.Principal{Service: policy.Values{ecsService}},
			}),
		},
	}
	if len(keys) == 0 {
		g.Policies = []Attachment{{Name: DiskEncryptSystemPolicy, Type: System}}
		g.Findings = append(g.Findings, Finding{
			Code: FindingBroadSystemPolicy, Severity: SeverityInfo, Path: "Policies[0]",
			Message: DiskEncryptSystemPolicy + " lets ECS use every key of the account; WithKey scopes the role to the keys you name",
		})
	} else {
		g.Policies = spreadKeys(&p, name, "ECS uses these keys to encrypt disks, snapshots and images.", keys, l)
	}
	checkRoleName(&p, "Role.Name", g.Role.Name, l)
	if size := g.Role.TrustPolicy.Size(); size > l.TrustPolicyMaxLen {
		p.addLimit("Role.TrustPolicy", fmt.Sprintf("%d bytes", size), "the trust policy exceeds the limit of %d bytes (Limits.TrustPolicyMaxLen)", l.TrustPolicyMaxLen)
	}
	checkDescriptions(&p, g, l)
	if err := p.err("DiskEncryption grant"); err != nil {
		return nil, err
	}
	return g, nil
}

// ShareBuilder builds the grant that lets other accounts' ECS use the keys of
// shared encrypted snapshots or images.
type ShareBuilder struct {
	grantInput
}

// ShareSnapshot starts a grant for AliyunECSShareEncryptSnapshotDefaultRole,
// the role that lets recipients' ECS use the key of shared encrypted
// snapshots.
func ShareSnapshot() *ShareBuilder { return &ShareBuilder{grantInput{kind: KindShareSnapshot}} }

// ShareImage starts a grant for AliyunECSShareEncryptImageDefaultRole, the role
// that lets recipients' ECS use the key of shared encrypted images.
func ShareImage() *ShareBuilder { return &ShareBuilder{grantInput{kind: KindShareImage}} }

// WithAccounts shares with accounts, by UID (16 digits). Each becomes the
// principal <uid>@ecs.aliyuncs.com; duplicates collapse.
func (b *ShareBuilder) WithAccounts(uids ...string) *ShareBuilder {
	b.accounts = append(b.accounts, uids...)
	return b
}

// WithResourceDirectory shares with every account of a resource directory,
// by its ID (rd-...): the principal *@ecs.aliyuncs.com conditioned on
// sts:ServiceOwnerRDId.
func (b *ShareBuilder) WithResourceDirectory(rdID string) *ShareBuilder {
	b.rds = append(b.rds, rdID)
	return b
}

// WithFolder shares with the accounts in a resource directory folder and below
// it, by the folder's path rd-<id>/r-<root>/fd-<id>/... (without a trailing
// *): the principal *@ecs.aliyuncs.com conditioned on sts:ServiceOwnerRDPath
// StringLike "<path>*". The trailing * also matches sibling folders whose IDs
// begin with the same characters; Build reports that as an info finding.
func (b *ShareBuilder) WithFolder(rdPath string) *ShareBuilder {
	b.folders = append(b.folders, rdPath)
	return b
}

// WithImage names an image to share, by its region and ID (m-...); call it
// once per image. Only a ShareImage grant takes images. The Applier then
// shares the image itself, after the grant: with the accounts through ECS,
// with a resource directory or folder through Resource Sharing. Without
// WithKey the Applier finds the image's key (DescribeImages, then
// DescribeSnapshots) before it plans; an unencrypted image needs no role
// and no policy.
func (b *ShareBuilder) WithImage(region, imageID string) *ShareBuilder {
	b.resources = append(b.resources, Resource{Type: ResourceImage, Region: region, ID: imageID})
	return b
}

// WithSnapshot names a snapshot to share, by its region and ID (s-...);
// call it once per snapshot. Only a ShareSnapshot grant takes snapshots.
// The Applier shares it through Resource Sharing after the grant, and finds
// its key (DescribeSnapshots) when WithKey is not given.
func (b *ShareBuilder) WithSnapshot(region, snapshotID string) *ShareBuilder {
	b.resources = append(b.resources, Resource{Type: ResourceSnapshot, Region: region, ID: snapshotID})
	return b
}

// WithKey covers a customer key with a custom policy; call it once per key.
func (b *ShareBuilder) WithKey(k Key) *ShareBuilder {
	b.keys = append(b.keys, k)
	return b
}

// WithKeyARN is WithKey for a key ARN, acs:kms:<region>:<owner>:key/<id>. A
// malformed ARN is reported by Build.
func (b *ShareBuilder) WithKeyARN(arn string) *ShareBuilder {
	b.addARN(arn)
	return b
}

// WithServiceKey is for images encrypted with the ECS service key: the grant
// attaches the system policy AliyunKMSFullAccess, as the ECS page "Encryption-related permissions" says, and
// carries a critical finding. For snapshots Build refuses it: snapshots
// encrypted with the service key cannot be shared.
func (b *ShareBuilder) WithServiceKey() *ShareBuilder {
	b.serviceKey = true
	return b
}

// WithLimits replaces DefaultLimits for this grant; zero fields keep RAM's
// defaults.
func (b *ShareBuilder) WithLimits(l Limits) *ShareBuilder {
	b.limits = &l
	return b
}

// WithPolicyName replaces the custom policy's name (default
// ShareSnapshotPolicyName or ShareImagePolicyName).
func (b *ShareBuilder) WithPolicyName(name string) *ShareBuilder {
	b.policyName = name
	return b
}

func (b *grantInput) roleName() string {
	if b.kind == KindShareImage {
		return ShareImageRoleName
	}
	return ShareSnapshotRoleName
}

func (b *grantInput) noun() string {
	if b.kind == KindShareImage {
		return "image"
	}
	return "snapshot"
}

// Build validates the grant and returns it, or a *ValidationError that lists
// every problem at once.
func (b *ShareBuilder) Build() (*Grant, error) { return b.buildShare() }

// buildShare builds a ShareSnapshot or ShareImage grant.
func (b *grantInput) buildShare() (*Grant, error) {
	var p problems
	l := resolveLimits(&p, b.limits)
	p.addAll(b.arnErrs, 0)
	what := string(b.kind) + " grant"

	accounts := make([]string, 0, len(b.accounts))
	for i, uid := range b.accounts {
		n := p.count()
		checkAccount(&p, fmt.Sprintf("Accounts[%d]", i), uid)
		if p.count() == n {
			accounts = append(accounts, uid)
		}
	}
	sort.Strings(accounts)
	accounts = slices.Compact(accounts)

	rds := make([]string, 0, len(b.rds))
	for i, id := range b.rds {
		n := p.count()
		checkRDID(&p, fmt.Sprintf("ResourceDirectories[%d]", i), id)
		if p.count() == n {
			rds = append(rds, id)
		}
	}
	sort.Strings(rds)
	rds = slices.Compact(rds)

	folders := make([]string, 0, len(b.folders))
	for i, fp := range b.folders {
		n := p.count()
		checkFolderPath(&p, fmt.Sprintf("Folders[%d]", i), fp, l.FolderLevels)
		if p.count() == n {
			folders = append(folders, fp)
		}
	}
	sort.Strings(folders)
	folders = slices.Compact(folders)

	if len(b.accounts)+len(b.rds)+len(b.folders) == 0 {
		p.add("Audience", "", "no recipient: call WithAccounts, WithResourceDirectory or WithFolder")
	}

	resources := checkResources(&p, b.kind, b.resources)
	if n := len(accounts); len(resources) > 0 && n > shareCap(b.kind, l) {
		p.addLimit("Accounts", fmt.Sprint(n), "%d accounts, but ECS shares one %s with at most %d; share with a resource directory or folder to reach more", n, b.noun(), shareCap(b.kind, l))
	}

	keys := checkKeys(&p, b.keys)
	hasKeys := len(b.keys)+len(b.arnErrs) > 0
	switch {
	case b.serviceKey && len(b.resources) > 0:
		p.add("ServiceKey", "", "%s", serviceKeyReason(b.kind))
	case b.serviceKey && b.kind == KindShareSnapshot:
		p.add("ServiceKey", "", "snapshots encrypted with the service key cannot be shared; copy the snapshot with a customer key (CopySnapshot with Encrypted and KMSKeyId) and share the copy with WithKey")
	case b.serviceKey && hasKeys:
		p.add("ServiceKey", "", "a grant covers customer keys (WithKey) or the service key (WithServiceKey), not both; build two grants")
	case !b.serviceKey && !hasKeys && len(b.resources) == 0:
		p.add("Keys", "", "no key: call WithKey for the customer key that encrypts the %s, or WithServiceKey for an image encrypted with the service key", b.noun())
	}

	name := b.policyName
	if name == "" {
		name = ShareSnapshotPolicyName
		if b.kind == KindShareImage {
			name = ShareImagePolicyName
		}
	}
	checkPolicyName(&p, "PolicyName", name, l)

	g := &Grant{
		Kind:       b.kind,
		Audience:   Audience{Accounts: accounts, ResourceDirectories: rds, Folders: folders},
		Keys:       keys,
		ServiceKey: b.serviceKey,
		Resources:  resources,
		Limits:     l,
		policyName: b.policyName,
		Role: Role{
			Name:        b.roleName(),
			Description: fmt.Sprintf("Lets the recipients' ECS use the KMS keys of shared encrypted %ss.", b.noun()),
			TrustPolicy: ShareTrustPolicy(accounts, rds, folders),
		},
	}
	checkRoleName(&p, "Role.Name", g.Role.Name, l)
	checkTrustSize(&p, g, l)

	if b.serviceKey {
		g.Policies = []Attachment{{Name: KMSFullAccessPolicy, Type: System}}
		g.Findings = append(g.Findings, Finding{
			Code: FindingServiceKeyFullAccess, Severity: SeverityCritical, Path: "ServiceKey",
			Message: KMSFullAccessPolicy + " allows kms:* on every key of this account to the recipients' ECS, far more than sharing one image needs. " +
				"ECS may also refuse to share an image encrypted with the service key (InvalidOperation.ServiceKeyEncryptedImageUnsupported). " +
				"The narrow way: copy the image with a customer key (CopyImage with Encrypted and KMSKeyId), share the copy, and grant WithKey for that key.",
		})
	} else if len(keys) > 0 {
		g.Policies = spreadKeys(&p, name, fmt.Sprintf("Lets the recipients' ECS use these keys of shared encrypted %ss.", b.noun()), keys, l)
	}
	g.Findings = append(g.Findings, b.findings(g, l)...)
	checkDescriptions(&p, g, l)

	if err := p.err(what); err != nil {
		return nil, err
	}
	return g, nil
}

func (b *grantInput) findings(g *Grant, l Limits) []Finding {
	var out []Finding
	for i, f := range g.Audience.Folders {
		out = append(out, Finding{
			Code: FindingRDPathPrefix, Severity: SeverityInfo, Path: fmt.Sprintf("Folders[%d]", i),
			Message: fmt.Sprintf("the condition %q ends in *, so it also matches sibling folders whose IDs begin with the same characters as the last folder ID", f+"*"),
		})
	}
	most := shareCap(b.kind, l)
	if n := len(g.Audience.Accounts); n > most && len(g.Resources) == 0 {
		out = append(out, Finding{
			Code: FindingShareAccountLimit, Severity: SeverityWarning, Path: "Accounts",
			Message: fmt.Sprintf("%d accounts, but ECS shares one %s with at most %d; share with a resource directory or folder to reach more", n, b.noun(), most),
		})
	}
	if size := g.Role.TrustPolicy.Size(); size <= l.TrustPolicyMaxLen && size*5 > l.TrustPolicyMaxLen*4 {
		out = append(out, Finding{
			Code: FindingTrustPolicyNearLimit, Severity: SeverityWarning, Path: "Role.TrustPolicy",
			Message: fmt.Sprintf("the trust policy uses %d of its %d bytes; a resource directory or folder share has no per-account cost", size, l.TrustPolicyMaxLen),
		})
	}
	owners := map[string]bool{}
	for _, k := range g.Keys {
		owners[k.Owner] = true
	}
	for i, uid := range g.Audience.Accounts {
		if owners[uid] {
			out = append(out, Finding{
				Code: FindingSelfShare, Severity: SeverityWarning, Path: fmt.Sprintf("Accounts[%d]", i),
				Message: fmt.Sprintf("account %s owns a key of this grant; ECS does not share a %s with its own account", uid, b.noun()),
			})
		}
	}
	out = append(out, Finding{
		Code: FindingRecipientMustRekey, Severity: SeverityInfo, Path: "",
		Message: fmt.Sprintf("recipients must accept the share and re-encrypt with a key of their own when they copy the %s or create a disk from it", b.noun()),
	})
	return out
}

// ShareTrustPolicy returns the trust policy of a share role for an audience:
// one statement for the accounts, one for the resource directories, one for
// the folders, in the forms of the ECS page
// "Encryption-related permissions". Values are used as given: validate
// them first (Build does).
func ShareTrustPolicy(accounts, rds, folders []string) *policy.Document {
	d := policy.New()
	if len(accounts) > 0 {
		svc := make(policy.Values, 0, len(accounts))
		for _, uid := range accounts {
			svc = append(svc, accountECSPrincipal(uid))
		}
		d.Statement = append(d.Statement, policy.Statement{
			Effect: policy.Allow, Action: policy.Values{assumeRoleAction}, Principal: &policy.Principal{Service: svc},
		})
	}
	if len(rds) > 0 {
		d.Statement = append(d.Statement, policy.Statement{
			Effect: policy.Allow, Action: policy.Values{assumeRoleAction},
			Principal: &policy.Principal{Service: policy.Values{wildcardECSPrincipal}},
			Condition: policy.Condition{"StringEquals": {conditionRDID: slices.Clone(policy.Values(rds))}},
		})
	}
	if len(folders) > 0 {
		v := make(policy.Values, 0, len(folders))
		for _, f := range folders {
			v = append(v, f+"*")
		}
		d.Statement = append(d.Statement, policy.Statement{
			Effect: policy.Allow, Action: policy.Values{assumeRoleAction},
			Principal: &policy.Principal{Service: policy.Values{wildcardECSPrincipal}},
			Condition: policy.Condition{"StringLike": {conditionRDPath: v}},
		})
	}
	return d
}

// KeyPolicy returns the custom policy that lets ECS use the keys: kms:List* on
// each key container, and the key-use actions on each key ARN. For one key it
// is the policy of the ECS page "Encryption-related permissions".
func KeyPolicy(keys []Key) *policy.Document {
	var containers, arns []string
	for _, k := range keys {
		containers = append(containers, k.ContainerARN())
		arns = append(arns, k.ARN())
	}
	sort.Strings(containers)
	containers = slices.Compact(containers)
	sort.Strings(arns)
	arns = slices.Compact(arns)
	d := policy.New()
	for _, c := range containers {
		d.Statement = append(d.Statement, policy.Statement{Effect: policy.Allow, Action: policy.Values{listKeysAction}, Resource: policy.Values{c}})
	}
	if len(arns) > 0 {
		d.Statement = append(d.Statement, policy.Statement{Effect: policy.Allow, Action: slices.Clone(policy.Values(keyUseActions)), Resource: policy.Values(arns)})
	}
	return d
}

// numberedPolicyName returns the name of the i-th (0-based) policy of a
// spread: base, base-2, base-3, ...
func numberedPolicyName(base string, i int) string {
	if i == 0 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, i+1)
}

// packKeys splits keys, sorted by ARN and without duplicates, into runs of
// consecutive keys whose KeyPolicy fits in maxLen bytes, filling each group
// before starting the next; that gives the fewest such runs. A key whose
// policy alone exceeds maxLen is returned in a group of its own.
func packKeys(keys []Key, maxLen int) [][]Key {
	sorted := slices.Clone(keys)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ARN() < sorted[j].ARN() })
	sorted = slices.CompactFunc(sorted, func(a, b Key) bool { return a == b })
	var groups [][]Key
	var cur []Key
	for _, k := range sorted {
		next := append(slices.Clone(cur), k)
		if len(cur) > 0 && KeyPolicy(next).Size() > maxLen {
			groups = append(groups, cur)
			cur = []Key{k}
			continue
		}
		cur = next
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// spreadKeys builds the custom policies for keys, as many as the size limit
// needs, and reports when that is more than a role can hold.
func spreadKeys(p *problems, name, description string, keys []Key, l Limits) []Attachment {
	groups := packKeys(keys, l.PolicyDocumentMaxLen)
	out := make([]Attachment, 0, len(groups))
	for i, g := range groups {
		d := KeyPolicy(g)
		if d.Size() > l.PolicyDocumentMaxLen {
			p.addLimit(fmt.Sprintf("Keys[%s]", g[0].ID), g[0].ARN(), "the policy for this key alone is %d bytes; RAM allows %d", d.Size(), l.PolicyDocumentMaxLen)
		}
		out = append(out, Attachment{Name: numberedPolicyName(name, i), Type: Custom, Document: d, Description: description})
	}
	// The base name is checked by the caller; report the longest numbered
	// name once, when only numbering makes it too long.
	if len(out) > 1 && len(name) <= l.PolicyNameMaxLen {
		if last := out[len(out)-1].Name; len(last) > l.PolicyNameMaxLen {
			p.addLimit("PolicyName", last, "numbered policy name is longer than %d characters; shorten the name with WithPolicyName", l.PolicyNameMaxLen)
		}
	}
	if len(out) > l.CustomPoliciesPerRole {
		p.addLimit("Keys", fmt.Sprint(len(keys)), "%d keys need %d custom policies of at most %d bytes, but a role holds at most %d custom policies", len(keys), len(out), l.PolicyDocumentMaxLen, l.CustomPoliciesPerRole)
	}
	return out
}

// checkTrustSize reports a trust policy over its limit, saying how many
// accounts fit.
func checkTrustSize(p *problems, g *Grant, l Limits) {
	size := g.Role.TrustPolicy.Size()
	if size <= l.TrustPolicyMaxLen {
		return
	}
	a := g.Audience
	fit := sort.Search(len(a.Accounts)+1, func(n int) bool {
		return ShareTrustPolicy(a.Accounts[:n], a.ResourceDirectories, a.Folders).Size() > l.TrustPolicyMaxLen
	}) - 1
	if fit < 0 {
		fit = 0
	}
	p.addLimit("Role.TrustPolicy", fmt.Sprintf("%d bytes", size),
		"the trust policy exceeds the limit of %d bytes (Limits.TrustPolicyMaxLen; RAM publishes no figure, so the default is conservative): %d of the %d accounts fit. "+
			"Share with a resource directory (WithResourceDirectory) or a folder (WithFolder) instead: one statement reaches every member account, with no per-account cost",
		l.TrustPolicyMaxLen, fit, len(a.Accounts))
}

// checkDescriptions reports a role or policy description over RAM's limit,
// counted in characters.
func checkDescriptions(p *problems, g *Grant, l Limits) {
	check := func(path, d string) {
		if n := utf8.RuneCountInString(d); n > l.DescriptionMaxLen {
			p.addLimit(path, "", "%d characters; RAM allows at most %d", n, l.DescriptionMaxLen)
		}
	}
	check("Role.Description", g.Role.Description)
	for i, a := range g.Policies {
		check(fmt.Sprintf("Policies[%d].Description", i), a.Description)
	}
}

func checkKeys(p *problems, keys []Key) []Key {
	out := make([]Key, 0, len(keys))
	for i, k := range keys {
		n := p.count()
		checkKey(p, fmt.Sprintf("Keys[%d]", i), k)
		if p.count() == n {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN() < out[j].ARN() })
	return slices.CompactFunc(out, func(a, b Key) bool { return a == b })
}

func resolveLimits(p *problems, l *Limits) Limits {
	if l == nil {
		return DefaultLimits()
	}
	checkLimits(p, *l)
	return l.WithDefaults()
}

// reasons joins the reasons of a *ValidationError, or returns err's text.
func reasons(err error) string {
	if ve, ok := err.(*ValidationError); ok {
		var rs []string
		for _, pr := range ve.Problems {
			rs = append(rs, pr.Reason)
		}
		return strings.Join(rs, "; ")
	}
	return err.Error()
}
