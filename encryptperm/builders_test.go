package encryptperm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	rampolicy "github.com/ecsperm/ecsperm/encryptperm/policy"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// The ECS page's placeholders, filled in as testdata/seed/README.md lists: the
// same values as the seed vectors.
const (
	dtSeedOwner  = "1234567890123456"
	dtSeedUID1   = "2000000000000001"
	dtSeedUID2   = "2000000000000002"
	dtSeedRD     = "rd-3GabcD"
	dtSeedFolder = "rd-3GabcD/r-Wm12cd/fd-bOnB34ef"
	dtSeedRegion = "cn-hangzhou"
	dtSeedKeyID  = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
)

var dtSeedKey = encryptperm.Key{Region: dtSeedRegion, Owner: dtSeedOwner, ID: dtSeedKeyID}

// dtSeedVectorNames are the ECS page's documents, kept byte for byte under
// testdata/seed.
var dtSeedVectorNames = []string{"trust-accounts", "trust-rd", "trust-folder", "kms-key-policy"}

func dtSeedVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dtBuild builds or fails the test.
func dtBuild(t testing.TB, b interface {
	Build() (*encryptperm.Grant, error)
}) *encryptperm.Grant {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

// dtAccounts returns n distinct account UIDs, in order.
func dtAccounts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("2%015d", i+1)
	}
	return out
}

// dtKeys returns n distinct keys spread over two regions and two owners.
func dtKeys(n int) []encryptperm.Key {
	regions := []string{"cn-hangzhou", "cn-shanghai"}
	owners := []string{dtSeedOwner, "1234567890123457"}
	out := make([]encryptperm.Key, n)
	for i := range out {
		out[i] = encryptperm.Key{
			Region: regions[i%2],
			Owner:  owners[(i/2)%2],
			ID:     fmt.Sprintf("0b1f4a2c-3d5e-4f60-8a7b-%012d", i),
		}
	}
	return out
}

func TestSeedVectors(t *testing.T) {
	share := func(kind func() *encryptperm.ShareBuilder) func(func(*encryptperm.ShareBuilder)) *encryptperm.Grant {
		return func(aud func(*encryptperm.ShareBuilder)) *encryptperm.Grant {
			b := kind().WithKey(dtSeedKey)
			aud(b)
			return dtBuild(t, b)
		}
	}
	accounts := func(b *encryptperm.ShareBuilder) { b.WithAccounts(dtSeedUID2, dtSeedUID1) }
	rd := func(b *encryptperm.ShareBuilder) { b.WithResourceDirectory(dtSeedRD) }
	folder := func(b *encryptperm.ShareBuilder) { b.WithFolder(dtSeedFolder) }
	trust := func(g *encryptperm.Grant) *rampolicy.Document { return g.Role.TrustPolicy }
	policy := func(g *encryptperm.Grant) *rampolicy.Document {
		if len(g.Policies) != 1 || g.Policies[0].Type != encryptperm.Custom {
			t.Fatalf("policies = %+v, want one custom policy", g.Policies)
		}
		return g.Policies[0].Document
	}

	tests := []struct {
		name   string
		vector string
		give   func() *rampolicy.Document
	}{
		{"snapshot accounts trust", "trust-accounts", func() *rampolicy.Document { return trust(share(encryptperm.ShareSnapshot)(accounts)) }},
		{"image accounts trust", "trust-accounts", func() *rampolicy.Document { return trust(share(encryptperm.ShareImage)(accounts)) }},
		{"snapshot rd trust", "trust-rd", func() *rampolicy.Document { return trust(share(encryptperm.ShareSnapshot)(rd)) }},
		{"image rd trust", "trust-rd", func() *rampolicy.Document { return trust(share(encryptperm.ShareImage)(rd)) }},
		{"snapshot folder trust", "trust-folder", func() *rampolicy.Document { return trust(share(encryptperm.ShareSnapshot)(folder)) }},
		{"image folder trust", "trust-folder", func() *rampolicy.Document { return trust(share(encryptperm.ShareImage)(folder)) }},
		{"snapshot key policy", "kms-key-policy", func() *rampolicy.Document { return policy(share(encryptperm.ShareSnapshot)(accounts)) }},
		{"image key policy", "kms-key-policy", func() *rampolicy.Document { return policy(share(encryptperm.ShareImage)(rd)) }},
		{"disk encryption key policy", "kms-key-policy", func() *rampolicy.Document {
			return policy(dtBuild(t, encryptperm.DiskEncryption().WithKey(dtSeedKey)))
		}},
		{"KeyPolicy", "kms-key-policy", func() *rampolicy.Document { return encryptperm.KeyPolicy([]encryptperm.Key{dtSeedKey}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := dtParse(t, string(dtSeedVector(t, tt.vector)))
			got := tt.give()
			if !want.Equal(got) {
				t.Errorf("document differs from seed vector %s by meaning:\nwant %s\ngot  %s", tt.vector, want.JSON(), got.JSON())
			}
			if again := dtParse(t, string(got.JSON())); !again.Equal(want) {
				t.Errorf("the built document does not parse back strictly to the vector: %s", got.JSON())
			}
		})
	}
}

func TestSeedRoleNames(t *testing.T) {
	tests := []struct {
		name string
		give interface {
			Build() (*encryptperm.Grant, error)
		}
		want string
	}{
		{"disk encryption", encryptperm.DiskEncryption(), "AliyunECSDiskEncryptDefaultRole"},
		{"share snapshot", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey), "AliyunECSShareEncryptSnapshotDefaultRole"},
		{"share image", encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithKey(dtSeedKey), "AliyunECSShareEncryptImageDefaultRole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dtBuild(t, tt.give).Role.Name; got != tt.want {
				t.Errorf("Role.Name = %q, want %q", got, tt.want)
			}
		})
	}
}

// dtRenderGrant writes what a grant holds besides its documents, for a golden file.
func dtRenderGrant(g *encryptperm.Grant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kind %s\nrole %s\nrole description %s\n", g.Kind, g.Role.Name, g.Role.Description)
	for _, a := range g.Policies {
		fmt.Fprintf(&b, "policy %s %s", a.Type, a.Name)
		if a.Document != nil {
			fmt.Fprintf(&b, " (%d bytes): %s", a.Document.Size(), a.Description)
		}
		b.WriteString("\n")
	}
	for _, f := range g.Findings {
		fmt.Fprintf(&b, "finding %s\n", f)
	}
	return b.String()
}

func TestGoldenGrants(t *testing.T) {
	tests := []struct {
		name string
		give interface {
			Build() (*encryptperm.Grant, error)
		}
	}{
		{"snapshot-accounts", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1, dtSeedUID2).WithKey(dtSeedKey)},
		{"snapshot-rd", encryptperm.ShareSnapshot().WithResourceDirectory(dtSeedRD).WithKey(dtSeedKey)},
		{"snapshot-folder", encryptperm.ShareSnapshot().WithFolder(dtSeedFolder).WithKey(dtSeedKey)},
		{"image-accounts", encryptperm.ShareImage().WithAccounts(dtSeedUID1, dtSeedUID2).WithKey(dtSeedKey)},
		{"image-service-key", encryptperm.ShareImage().WithAccounts(dtSeedUID1, dtSeedUID2).WithServiceKey()},
		{"snapshot-all-audiences", encryptperm.ShareSnapshot().
			WithAccounts(dtSeedUID2, dtSeedUID1).WithResourceDirectory(dtSeedRD).WithFolder(dtSeedFolder).
			WithKey(dtSeedKey).WithKey(encryptperm.Key{Region: "cn-shanghai", Owner: dtSeedOwner, ID: "key-shz6a9b8c7d6e5f4"})},
		{"disk-system-policy", encryptperm.DiskEncryption()},
		{"disk-keys", encryptperm.DiskEncryption().WithKey(dtSeedKey).
			WithKeyARN("acs:kms:cn-beijing:1234567890123456:key/key-bjz0123456789abcd")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := dtBuild(t, tt.give)
			dtGolden(t, tt.name+".grant.golden", []byte(dtRenderGrant(g)))
			dtGolden(t, tt.name+".trust.golden", append(g.Role.TrustPolicy.JSON(), '\n'))
			n := 0
			for _, a := range g.Policies {
				if a.Document == nil {
					continue
				}
				n++
				name := fmt.Sprintf("%s.policy.golden", tt.name)
				if n > 1 {
					name = fmt.Sprintf("%s.policy-%d.golden", tt.name, n)
				}
				dtGolden(t, name, append(a.Document.JSON(), '\n'))
			}
		})
	}
}

func TestShareAccountsDedupedAndSorted(t *testing.T) {
	g := dtBuild(t, encryptperm.ShareSnapshot().
		WithAccounts(dtSeedUID2, dtSeedUID1, dtSeedUID2).
		WithAccounts(dtSeedUID1).
		WithKey(dtSeedKey))
	if diff := cmp.Diff([]string{dtSeedUID1, dtSeedUID2}, g.Audience.Accounts); diff != "" {
		t.Errorf("Audience.Accounts mismatch (-want +got):\n%s", diff)
	}
	want := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}],"Version":"1"}`
	if diff := cmp.Diff(want, g.Role.TrustPolicy.String()); diff != "" {
		t.Errorf("trust policy mismatch (-want +got):\n%s", diff)
	}
	if n := len(g.Role.TrustPolicy.Statement); n != 1 {
		t.Fatalf("trust policy has %d statements, want 1", n)
	}
	if diff := cmp.Diff(rampolicy.Values{dtSeedUID1 + "@ecs.aliyuncs.com", dtSeedUID2 + "@ecs.aliyuncs.com"},
		g.Role.TrustPolicy.Statement[0].Principal.Service); diff != "" {
		t.Errorf("principals are not sorted and deduplicated in the model (-want +got):\n%s", diff)
	}
}

func TestSeveralAudiencesOneTrustPolicy(t *testing.T) {
	const (
		rd2     = "rd-9ZyxW"
		folder2 = "rd-3GabcD/r-Wm12cd/fd-aAa1/fd-bBb2"
	)
	g := dtBuild(t, encryptperm.ShareImage().
		WithAccounts(dtSeedUID1).
		WithResourceDirectory(dtSeedRD).WithResourceDirectory(rd2).WithResourceDirectory(dtSeedRD).
		WithFolder(dtSeedFolder).WithFolder(folder2).
		WithKey(dtSeedKey))
	assume := rampolicy.Values{encryptperm.AssumeRoleAction}
	wildcard := &rampolicy.Principal{Service: rampolicy.Values{encryptperm.WildcardECSPrincipal}}
	want := rampolicy.New(
		rampolicy.Statement{Effect: rampolicy.Allow, Action: assume, Principal: &rampolicy.Principal{Service: rampolicy.Values{dtSeedUID1 + "@ecs.aliyuncs.com"}}},
		rampolicy.Statement{Effect: rampolicy.Allow, Action: assume, Principal: wildcard,
			Condition: rampolicy.Condition{"StringEquals": {"sts:ServiceOwnerRDId": {rd2, dtSeedRD}}}},
		rampolicy.Statement{Effect: rampolicy.Allow, Action: assume, Principal: wildcard,
			Condition: rampolicy.Condition{"StringLike": {"sts:ServiceOwnerRDPath": {folder2 + "*", dtSeedFolder + "*"}}}},
	)
	if !want.Equal(g.Role.TrustPolicy) {
		t.Errorf("trust policy mismatch:\nwant %s\ngot  %s", want.JSON(), g.Role.TrustPolicy.JSON())
	}
	if got := len(g.Role.TrustPolicy.Statement); got != 3 {
		t.Errorf("trust policy has %d statements, want 3 (one per kind of audience)", got)
	}
	wantAudience := encryptperm.Audience{
		Accounts:            []string{dtSeedUID1},
		ResourceDirectories: []string{dtSeedRD, rd2},
		Folders:             []string{folder2, dtSeedFolder},
	}
	if diff := cmp.Diff(wantAudience, g.Audience); diff != "" {
		t.Errorf("Audience mismatch (-want +got):\n%s", diff)
	}
	var folderFindings []string
	for _, f := range g.Findings {
		if f.Code == encryptperm.FindingRDPathPrefix {
			folderFindings = append(folderFindings, f.Path)
		}
	}
	if diff := cmp.Diff([]string{"Folders[0]", "Folders[1]"}, folderFindings); diff != "" {
		t.Errorf("folder findings mismatch (-want +got):\n%s", diff)
	}
}

func TestShareTrustPolicyEmpty(t *testing.T) {
	d := encryptperm.ShareTrustPolicy(nil, nil, nil)
	if len(d.Statement) != 0 || d.Version != "1" {
		t.Errorf("ShareTrustPolicy(nil, nil, nil) = %s, want a version-1 document with no statement", d.JSON())
	}
}

func TestKeysInSeveralContainers(t *testing.T) {
	other := "1234567890123457"
	keys := []encryptperm.Key{
		{Region: "cn-hangzhou", Owner: dtSeedOwner, ID: dtSeedKeyID},
		{Region: "cn-hangzhou", Owner: dtSeedOwner, ID: "key-hzz0000000000001"},
		{Region: "cn-shanghai", Owner: dtSeedOwner, ID: "key-shz0000000000002"},
		{Region: "cn-hangzhou", Owner: other, ID: "key-hzz0000000000003"},
		{Region: "cn-hangzhou", Owner: dtSeedOwner, ID: dtSeedKeyID}, // a duplicate
	}
	b := encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1)
	for _, k := range keys {
		b.WithKey(k)
	}
	g := dtBuild(t, b)
	if len(g.Policies) != 1 {
		t.Fatalf("got %d policies, want 1", len(g.Policies))
	}
	list := func(c string) rampolicy.Statement {
		return rampolicy.Statement{Effect: rampolicy.Allow, Action: rampolicy.Values{"kms:List*"}, Resource: rampolicy.Values{c}}
	}
	want := rampolicy.New(
		list("acs:kms:cn-hangzhou:1234567890123456:key"),
		list("acs:kms:cn-hangzhou:1234567890123457:key"),
		list("acs:kms:cn-shanghai:1234567890123456:key"),
		rampolicy.Statement{Effect: rampolicy.Allow, Action: encryptperm.KeyUseActions(), Resource: rampolicy.Values{
			"acs:kms:cn-hangzhou:1234567890123456:key/" + dtSeedKeyID,
			"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz0000000000001",
			"acs:kms:cn-shanghai:1234567890123456:key/key-shz0000000000002",
			"acs:kms:cn-hangzhou:1234567890123457:key/key-hzz0000000000003",
		}},
	)
	got := g.Policies[0].Document
	if !want.Equal(got) {
		t.Errorf("key policy mismatch:\nwant %s\ngot  %s", want.JSON(), got.JSON())
	}
	if n := len(got.Statement); n != 4 {
		t.Errorf("got %d statements, want 4: one kms:List* per container and one for key use", n)
	}
	if got, want := len(g.Keys), 4; got != want {
		t.Errorf("Grant.Keys has %d keys, want %d (duplicates collapse)", got, want)
	}
}

func TestKeyPolicyEmpty(t *testing.T) {
	d := encryptperm.KeyPolicy(nil)
	if len(d.Statement) != 0 {
		t.Errorf("KeyPolicy(nil) = %s, want no statement", d.JSON())
	}
}

func TestDiskEncryption(t *testing.T) {
	t.Run("system policy without keys", func(t *testing.T) {
		g := dtBuild(t, encryptperm.DiskEncryption())
		want := []encryptperm.Attachment{{Name: "AliyunECSDiskEncryptRolePolicy", Type: encryptperm.System}}
		if diff := cmp.Diff(want, g.Policies); diff != "" {
			t.Errorf("Policies mismatch (-want +got):\n%s", diff)
		}
		wantTrust := dtParse(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`)
		if !wantTrust.Equal(g.Role.TrustPolicy) {
			t.Errorf("trust policy = %s, want %s", g.Role.TrustPolicy.JSON(), wantTrust.JSON())
		}
		if !slices.ContainsFunc(g.Findings, func(f encryptperm.Finding) bool {
			return f.Code == encryptperm.FindingBroadSystemPolicy && f.Severity == encryptperm.SeverityInfo
		}) {
			t.Errorf("findings = %v, want an info %s", g.Findings, encryptperm.FindingBroadSystemPolicy)
		}
		if len(g.Critical()) != 0 {
			t.Errorf("Critical() = %v, want none", g.Critical())
		}
		if g.Kind != encryptperm.KindDiskEncryption {
			t.Errorf("Kind = %q, want %q", g.Kind, encryptperm.KindDiskEncryption)
		}
	})
	t.Run("custom policy with keys", func(t *testing.T) {
		k2 := encryptperm.Key{Region: "cn-beijing", Owner: dtSeedOwner, ID: "key-bjz0123456789abcd"}
		g := dtBuild(t, encryptperm.DiskEncryption().WithKey(dtSeedKey).WithKey(k2))
		if len(g.Policies) != 1 {
			t.Fatalf("Policies = %+v, want one", g.Policies)
		}
		a := g.Policies[0]
		if encryptperm.DiskEncryptPolicyName != "EncryptPerm-DiskEncryptKeys" {
			t.Errorf("DiskEncryptPolicyName = %q, want the documented EncryptPerm-DiskEncryptKeys", encryptperm.DiskEncryptPolicyName)
		}
		if a.Name != encryptperm.DiskEncryptPolicyName || a.Type != encryptperm.Custom {
			t.Errorf("policy = %s %s, want Custom %s", a.Type, a.Name, encryptperm.DiskEncryptPolicyName)
		}
		if want := encryptperm.KeyPolicy([]encryptperm.Key{k2, dtSeedKey}); !want.Equal(a.Document) {
			t.Errorf("policy = %s, want %s", a.Document.JSON(), want.JSON())
		}
		if slices.ContainsFunc(g.Findings, func(f encryptperm.Finding) bool { return f.Code == encryptperm.FindingBroadSystemPolicy }) {
			t.Errorf("a scoped grant reports %s", encryptperm.FindingBroadSystemPolicy)
		}
	})
}

func TestServiceKey(t *testing.T) {
	t.Run("image attaches AliyunKMSFullAccess with a critical finding", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithServiceKey())
		want := []encryptperm.Attachment{{Name: "AliyunKMSFullAccess", Type: encryptperm.System}}
		if diff := cmp.Diff(want, g.Policies); diff != "" {
			t.Errorf("Policies mismatch (-want +got):\n%s", diff)
		}
		if !g.ServiceKey {
			t.Errorf("ServiceKey = false, want true")
		}
		crit := g.Critical()
		if len(crit) != 1 || crit[0].Code != encryptperm.FindingServiceKeyFullAccess {
			t.Fatalf("Critical() = %v, want one %s", crit, encryptperm.FindingServiceKeyFullAccess)
		}
		for _, want := range []string{"kms:*", "every key", "InvalidOperation.ServiceKeyEncryptedImageUnsupported", "copy the image with a customer key"} {
			if !strings.Contains(crit[0].Message, want) {
				t.Errorf("finding message %q does not say %q", crit[0].Message, want)
			}
		}
	})
	t.Run("snapshot refuses it and says why", func(t *testing.T) {
		_, err := encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithServiceKey().Build()
		ve := dtValidationError(t, err)
		if diff := cmp.Diff([]string{"ServiceKey"}, dtPaths(ve)); diff != "" {
			t.Fatalf("problem paths mismatch (-want +got):\n%s", diff)
		}
		for _, want := range []string{"cannot be shared", "copy the snapshot with a customer key"} {
			if !strings.Contains(ve.Problems[0].Reason, want) {
				t.Errorf("reason %q does not say %q", ve.Problems[0].Reason, want)
			}
		}
	})
}

func TestPolicyNames(t *testing.T) {
	tests := []struct {
		name string
		give interface {
			Build() (*encryptperm.Grant, error)
		}
		want string
	}{
		{"disk default", encryptperm.DiskEncryption().WithKey(dtSeedKey), "EncryptPerm-DiskEncryptKeys"},
		{"snapshot default", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey), "EncryptPerm-ShareSnapshotKeys"},
		{"image default", encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithKey(dtSeedKey), "EncryptPerm-ShareImageKeys"},
		{"disk override", encryptperm.DiskEncryption().WithKey(dtSeedKey).WithPolicyName("Team-A-Disk"), "Team-A-Disk"},
		{"share override", encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithKey(dtSeedKey).WithPolicyName("EncryptPerm-Team-B"), "EncryptPerm-Team-B"},
		{"empty override keeps the default", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey).WithPolicyName(""), "EncryptPerm-ShareSnapshotKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := dtBuild(t, tt.give)
			if got := g.Policies[0].Name; got != tt.want {
				t.Errorf("policy name = %q, want %q", got, tt.want)
			}
			// Building again gives the same name: it is deterministic.
			if got := dtBuild(t, tt.give).Policies[0].Name; got != tt.want {
				t.Errorf("second build: policy name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNumberedPolicyName(t *testing.T) {
	tests := []struct {
		give int
		want string
	}{
		{0, "base"},
		{1, "base-2"},
		{2, "base-3"},
		{9, "base-10"},
	}
	for _, tt := range tests {
		if got := encryptperm.NumberedPolicyName("base", tt.give); got != tt.want {
			t.Errorf("NumberedPolicyName(base, %d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

var dtFitRE = regexp.MustCompile(`: (\d+) of the (\d+) accounts fit`)

// dtAccountsThatFit reads how many accounts fit from a trust policy limit error.
func dtAccountsThatFit(t *testing.T, err error) int {
	t.Helper()
	ve := dtValidationError(t, err)
	if !errors.Is(err, encryptperm.ErrLimitExceeded) {
		t.Errorf("errors.Is(err, ErrLimitExceeded) = false, want true")
	}
	for _, p := range ve.Problems {
		if p.Path != "Role.TrustPolicy" {
			continue
		}
		for _, want := range []string{"WithResourceDirectory", "WithFolder", "no per-account cost", "TrustPolicyMaxLen"} {
			if !strings.Contains(p.Reason, want) {
				t.Errorf("reason %q does not mention %q", p.Reason, want)
			}
		}
		m := dtFitRE.FindStringSubmatch(p.Reason)
		if m == nil {
			t.Fatalf("reason %q does not say how many accounts fit", p.Reason)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	t.Fatalf("no Role.TrustPolicy problem in %v", err)
	return 0
}

func TestTrustPolicyOverLimit(t *testing.T) {
	tests := []struct {
		name   string
		limits *encryptperm.Limits
		with   func(*encryptperm.ShareBuilder)
	}{
		{name: "default limit"},
		{name: "lowered limit", limits: &encryptperm.Limits{TrustPolicyMaxLen: 600}},
		{name: "lowered limit with an rd and a folder", limits: &encryptperm.Limits{TrustPolicyMaxLen: 800}, with: func(b *encryptperm.ShareBuilder) {
			b.WithResourceDirectory(dtSeedRD).WithFolder(dtSeedFolder)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := func(n int) (*encryptperm.Grant, error) {
				b := encryptperm.ShareSnapshot().WithAccounts(dtAccounts(n)...).WithKey(dtSeedKey)
				if tt.limits != nil {
					b.WithLimits(*tt.limits)
				}
				if tt.with != nil {
					tt.with(b)
				}
				return b.Build()
			}
			_, err := build(300)
			fit := dtAccountsThatFit(t, err)
			if fit <= 0 || fit >= 300 {
				t.Fatalf("%d accounts fit, want between 1 and 299", fit)
			}
			g, err := build(fit)
			if err != nil {
				t.Fatalf("the %d accounts said to fit do not: %v", fit, err)
			}
			max := encryptperm.DefaultLimits().TrustPolicyMaxLen
			if tt.limits != nil {
				max = tt.limits.TrustPolicyMaxLen
			}
			if size := g.Role.TrustPolicy.Size(); size > max {
				t.Errorf("trust policy is %d bytes, over %d", size, max)
			}
			_, err = build(fit + 1)
			if got := dtAccountsThatFit(t, err); got != fit {
				t.Errorf("with %d accounts the error says %d fit, want %d", fit+1, got, fit)
			}
		})
	}
	t.Run("an rd share has no per-account cost", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithResourceDirectory(dtSeedRD).WithKey(dtSeedKey))
		if size := g.Role.TrustPolicy.Size(); size > 300 {
			t.Errorf("rd trust policy is %d bytes", size)
		}
	})
}

func TestSpreadKeysOverNumberedPolicies(t *testing.T) {
	const max = 1000
	keys := dtKeys(12)
	b := encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithLimits(encryptperm.Limits{PolicyDocumentMaxLen: max})
	for _, k := range keys {
		b.WithKey(k)
	}
	g := dtBuild(t, b)
	if len(g.Policies) < 2 {
		t.Fatalf("got %d policies, want the keys spread over several", len(g.Policies))
	}
	seen := map[string]int{}
	for i, a := range g.Policies {
		if want := encryptperm.NumberedPolicyName(encryptperm.ShareSnapshotPolicyName, i); a.Name != want {
			t.Errorf("Policies[%d].Name = %q, want %q", i, a.Name, want)
		}
		if a.Type != encryptperm.Custom {
			t.Errorf("Policies[%d].Type = %q, want Custom", i, a.Type)
		}
		if size := a.Document.Size(); size > max {
			t.Errorf("Policies[%d] is %d bytes, over %d", i, size, max)
		}
		parsed := dtParse(t, a.Document.String())
		containers := map[string]bool{}
		var lists []string
		for _, s := range parsed.Statement {
			if s.Action.Contains("kms:List*") {
				lists = append(lists, s.Resource...)
				continue
			}
			for _, arn := range s.Resource {
				seen[arn]++
				containers[arn[:strings.LastIndex(arn, "/")]] = true
			}
		}
		var want []string
		for c := range containers {
			want = append(want, c)
		}
		sort.Strings(want)
		sort.Strings(lists)
		if diff := cmp.Diff(want, lists); diff != "" {
			t.Errorf("Policies[%d] lists other containers than its keys' (-want +got):\n%s", i, diff)
		}
	}
	want := map[string]int{}
	for _, k := range keys {
		want[k.ARN()] = 1
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("keys are not covered exactly once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"EncryptPerm-ShareSnapshotKeys", "EncryptPerm-ShareSnapshotKeys-2"}, []string{g.Policies[0].Name, g.Policies[1].Name}); diff != "" {
		t.Errorf("policy names mismatch (-want +got):\n%s", diff)
	}
}

func TestSpreadKeysLimits(t *testing.T) {
	tests := []struct {
		name      string
		limits    encryptperm.Limits
		keys      int
		want      []string
		wantLimit bool
	}{
		{
			name:      "more policies than a role holds",
			limits:    encryptperm.Limits{PolicyDocumentMaxLen: 500, CustomPoliciesPerRole: 2},
			keys:      10,
			want:      []string{"Keys"},
			wantLimit: true,
		},
		{
			name:      "one key too big for a policy",
			limits:    encryptperm.Limits{PolicyDocumentMaxLen: 100},
			keys:      1,
			want:      []string{"Keys[0b1f4a2c-3d5e-4f60-8a7b-000000000000]"},
			wantLimit: true,
		},
		{
			name:      "numbered name too long",
			limits:    encryptperm.Limits{PolicyDocumentMaxLen: 500, PolicyNameMaxLen: 29},
			keys:      3,
			want:      []string{"PolicyName"},
			wantLimit: true,
		},
		{
			name:      "negative limits",
			limits:    encryptperm.Limits{PolicyDocumentMaxLen: -1},
			keys:      1,
			want:      []string{"Limits"},
			wantLimit: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithLimits(tt.limits)
			for _, k := range dtKeys(tt.keys) {
				b.WithKey(k)
			}
			_, err := b.Build()
			ve := dtValidationError(t, err)
			if diff := cmp.Diff(tt.want, dtPaths(ve)); diff != "" {
				t.Errorf("problem paths mismatch (-want +got):\n%s\n%v", diff, err)
			}
			if got := errors.Is(err, encryptperm.ErrLimitExceeded); got != tt.wantLimit {
				t.Errorf("errors.Is(err, ErrLimitExceeded) = %v, want %v", got, tt.wantLimit)
			}
		})
	}
}

func TestPackKeys(t *testing.T) {
	keys := dtKeys(40)
	keys = append(keys, keys[3], keys[7]) // duplicates
	for _, max := range []int{100, 400, 600, 1000, 2000, 6144, 100000} {
		t.Run(strconv.Itoa(max), func(t *testing.T) {
			groups := encryptperm.PackKeys(keys, max)
			var flat []string
			for i, g := range groups {
				if len(g) == 0 {
					t.Fatalf("group %d is empty", i)
				}
				if size := encryptperm.KeyPolicy(g).Size(); size > max && len(g) > 1 {
					t.Errorf("group %d of %d keys is %d bytes, over %d", i, len(g), size, max)
				}
				if i+1 < len(groups) {
					// Fewest runs: the next key would not have fitted.
					next := append(slices.Clone(g), groups[i+1][0])
					if size := encryptperm.KeyPolicy(next).Size(); size <= max {
						t.Errorf("group %d could have taken the next key (%d bytes <= %d)", i, size, max)
					}
				}
				for _, k := range g {
					flat = append(flat, k.ARN())
				}
			}
			var want []string
			for _, k := range keys {
				want = append(want, k.ARN())
			}
			sort.Strings(want)
			want = slices.Compact(want)
			if diff := cmp.Diff(want, flat); diff != "" {
				t.Errorf("groups do not cover every key once, in ARN order (-want +got):\n%s", diff)
			}
		})
	}
	if got := encryptperm.PackKeys(nil, 6144); len(got) != 0 {
		t.Errorf("PackKeys(nil) = %v, want no group", got)
	}
}

func TestShareFindings(t *testing.T) {
	codes := func(g *encryptperm.Grant) map[string]encryptperm.Finding {
		out := map[string]encryptperm.Finding{}
		for _, f := range g.Findings {
			out[f.Code] = f
		}
		return out
	}
	t.Run("folder prefix", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithFolder(dtSeedFolder).WithKey(dtSeedKey))
		f, ok := codes(g)[encryptperm.FindingRDPathPrefix]
		if !ok {
			t.Fatalf("findings = %v, want %s", g.Findings, encryptperm.FindingRDPathPrefix)
		}
		want := encryptperm.Finding{Code: encryptperm.FindingRDPathPrefix, Severity: encryptperm.SeverityInfo, Path: "Folders[0]"}
		if diff := cmp.Diff(want, encryptperm.Finding{Code: f.Code, Severity: f.Severity, Path: f.Path}); diff != "" {
			t.Errorf("finding mismatch (-want +got):\n%s", diff)
		}
		for _, want := range []string{dtSeedFolder + "*", "sibling folders"} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("message %q does not say %q", f.Message, want)
			}
		}
	})
	t.Run("no folder finding without folders", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithResourceDirectory(dtSeedRD).WithKey(dtSeedKey))
		if _, ok := codes(g)[encryptperm.FindingRDPathPrefix]; ok {
			t.Errorf("an rd share reports %s", encryptperm.FindingRDPathPrefix)
		}
	})
	t.Run("recipients must rekey", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithKey(dtSeedKey))
		if f := codes(g)[encryptperm.FindingRecipientMustRekey]; f.Severity != encryptperm.SeverityInfo {
			t.Errorf("findings = %v, want an info %s", g.Findings, encryptperm.FindingRecipientMustRekey)
		}
	})
	t.Run("self share", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1, dtSeedOwner).WithKey(dtSeedKey))
		f := codes(g)[encryptperm.FindingSelfShare]
		if f.Severity != encryptperm.SeverityWarning || f.Path != "Accounts[0]" {
			t.Errorf("self-share finding = %+v, want a warning on Accounts[0]", f)
		}
	})
	t.Run("account limits of ECS", func(t *testing.T) {
		tests := []struct {
			name string
			b    *encryptperm.ShareBuilder
			n    int
			want bool
		}{
			{"snapshot at 64", encryptperm.ShareSnapshot(), 64, false},
			{"snapshot at 65", encryptperm.ShareSnapshot(), 65, true},
			{"image at 50", encryptperm.ShareImage(), 50, false},
			{"image at 51", encryptperm.ShareImage(), 51, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				g := dtBuild(t, tt.b.WithAccounts(dtAccounts(tt.n)...).WithKey(dtSeedKey))
				_, got := codes(g)[encryptperm.FindingShareAccountLimit]
				if got != tt.want {
					t.Errorf("%s reported = %v, want %v", encryptperm.FindingShareAccountLimit, got, tt.want)
				}
			})
		}
	})
	t.Run("trust policy near its limit", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtAccounts(100)...).WithKey(dtSeedKey))
		if f := codes(g)[encryptperm.FindingTrustPolicyNearLimit]; f.Path != "Role.TrustPolicy" {
			t.Errorf("findings = %v, want %s", g.Findings, encryptperm.FindingTrustPolicyNearLimit)
		}
		g = dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtAccounts(10)...).WithKey(dtSeedKey))
		if _, ok := codes(g)[encryptperm.FindingTrustPolicyNearLimit]; ok {
			t.Errorf("10 accounts reported %s", encryptperm.FindingTrustPolicyNearLimit)
		}
	})
}

func TestParseKeyARN(t *testing.T) {
	tests := []struct {
		give      string
		want      encryptperm.Key
		wantPaths []string
	}{
		{give: "acs:kms:cn-hangzhou:1234567890123456:key/" + dtSeedKeyID, want: dtSeedKey},
		{give: "acs:kms:cn-shanghai:1234567890123456:key/key-shz62d7f5e8xyz", want: encryptperm.Key{Region: "cn-shanghai", Owner: dtSeedOwner, ID: "key-shz62d7f5e8xyz"}},
		{give: "", wantPaths: []string{"ARN"}},
		{give: "acs:ram:cn-hangzhou:1234567890123456:key/" + dtSeedKeyID, wantPaths: []string{"ARN"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:alias/my-key", wantPaths: []string{"ARN"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:key", wantPaths: []string{"ARN"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:key/a:b", wantPaths: []string{"ARN"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:key/", wantPaths: []string{"ARN.ID"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:key/*", wantPaths: []string{"ARN.ID"}},
		{give: "acs:kms:cn-hangzhou:1234567890123456:key/alias-x", wantPaths: []string{"ARN.ID"}},
		{give: "acs:kms:*:1234567890123456:key/" + dtSeedKeyID, wantPaths: []string{"ARN.Region"}},
		{give: "acs:kms:cn-hangzhou:*:key/" + dtSeedKeyID, wantPaths: []string{"ARN.Owner"}},
		{give: "acs:kms::123:key/x", wantPaths: []string{"ARN.Region", "ARN.Owner", "ARN.ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := encryptperm.ParseKeyARN(tt.give)
			if tt.wantPaths == nil {
				if err != nil {
					t.Fatalf("ParseKeyARN: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("key mismatch (-want +got):\n%s", diff)
				}
				if got.ARN() != tt.give || got.String() != tt.give {
					t.Errorf("ARN() = %q, want %q", got.ARN(), tt.give)
				}
				return
			}
			ve := dtValidationError(t, err)
			if diff := cmp.Diff(tt.wantPaths, dtPaths(ve)); diff != "" {
				t.Errorf("problem paths mismatch (-want +got):\n%s", diff)
			}
			if got != (encryptperm.Key{}) {
				t.Errorf("ParseKeyARN returned %+v with its error", got)
			}
		})
	}
}

func TestKeyARNs(t *testing.T) {
	if got, want := dtSeedKey.ARN(), "acs:kms:cn-hangzhou:1234567890123456:key/"+dtSeedKeyID; got != want {
		t.Errorf("ARN() = %q, want %q", got, want)
	}
	if got, want := dtSeedKey.ContainerARN(), "acs:kms:cn-hangzhou:1234567890123456:key"; got != want {
		t.Errorf("ContainerARN() = %q, want %q", got, want)
	}
}

func TestWithKeyARN(t *testing.T) {
	good := "acs:kms:cn-hangzhou:1234567890123456:key/" + dtSeedKeyID
	t.Run("good", func(t *testing.T) {
		g := dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKeyARN(good))
		if diff := cmp.Diff([]encryptperm.Key{dtSeedKey}, g.Keys); diff != "" {
			t.Errorf("Keys mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("bad ones are named by their position", func(t *testing.T) {
		for _, b := range []interface {
			Build() (*encryptperm.Grant, error)
		}{
			encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKeyARN(good).WithKeyARN("bad").WithKeyARN(good).WithKeyARN("acs:kms:x:1:key/y"),
			encryptperm.DiskEncryption().WithKeyARN(good).WithKeyARN("bad").WithKeyARN(good).WithKeyARN("acs:kms:x:1:key/y"),
		} {
			_, err := b.Build()
			ve := dtValidationError(t, err)
			if diff := cmp.Diff([]string{"KeyARNs[1]", "KeyARNs[3]"}, dtPaths(ve)); diff != "" {
				t.Errorf("problem paths mismatch (-want +got):\n%s", diff)
			}
			if len(ve.Problems) == 0 {
				t.Fatal("no problem listed")
			}
			if ve.Problems[0].Value != "bad" {
				t.Errorf("value = %q, want %q", ve.Problems[0].Value, "bad")
			}
		}
	})
}

func TestDefaultLimitsApplyWithoutWithLimits(t *testing.T) {
	g := dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey))
	if diff := cmp.Diff(encryptperm.DefaultLimits(), g.Limits); diff != "" {
		t.Errorf("Limits mismatch (-want +got):\n%s", diff)
	}
	g = dtBuild(t, encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey).WithLimits(encryptperm.Limits{TrustPolicyMaxLen: 2048}))
	want := encryptperm.DefaultLimits()
	want.TrustPolicyMaxLen = 2048
	if diff := cmp.Diff(want, g.Limits); diff != "" {
		t.Errorf("Limits with one override mismatch (-want +got):\n%s", diff)
	}
}
