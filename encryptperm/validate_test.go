package encryptperm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

func TestBuildRejects(t *testing.T) {
	key := func(region, owner, id string) encryptperm.Key {
		return encryptperm.Key{Region: region, Owner: owner, ID: id}
	}
	snap := func() *encryptperm.ShareBuilder { return encryptperm.ShareSnapshot().WithKey(dtSeedKey) }
	toAccount := func() *encryptperm.ShareBuilder { return encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1) }
	type builder interface {
		Build() (*encryptperm.Grant, error)
	}
	tests := []struct {
		name string
		give builder
		// want lists the problem paths, in order.
		want []string
		// wantValue is the first problem's value.
		wantValue string
		// wantReason, when set, must appear in the first problem's reason.
		wantReason string
	}{
		// Account UIDs.
		{name: "account of 15 digits", give: snap().WithAccounts("200000000000001"), want: []string{"Accounts[0]"}, wantValue: "200000000000001", wantReason: "16 decimal digits"},
		{name: "account of 17 digits", give: snap().WithAccounts("20000000000000001"), want: []string{"Accounts[0]"}, wantValue: "20000000000000001"},
		{name: "account with letters", give: snap().WithAccounts("200000000000000a"), want: []string{"Accounts[0]"}},
		{name: "account empty", give: snap().WithAccounts(""), want: []string{"Accounts[0]"}, wantReason: "empty"},
		{name: "account a star", give: snap().WithAccounts("*"), want: []string{"Accounts[0]"}, wantReason: "wildcard"},
		{name: "account with a star", give: snap().WithAccounts("200000000000000*"), want: []string{"Accounts[0]"}, wantReason: "wildcard"},
		{name: "account with a question mark", give: snap().WithAccounts("200000000000000?"), want: []string{"Accounts[0]"}, wantReason: "wildcard"},
		{name: "account with a space", give: snap().WithAccounts("2000000000000001 "), want: []string{"Accounts[0]"}, wantReason: "whitespace"},
		{name: "account with a tab", give: snap().WithAccounts("20000000\t00000001"), want: []string{"Accounts[0]"}, wantReason: "whitespace"},
		{name: "account with a newline", give: snap().WithAccounts("2000000000000001\n"), want: []string{"Accounts[0]"}, wantReason: "whitespace"},
		{name: "account with a no-break space", give: snap().WithAccounts("2000000000000001\u00a0"), want: []string{"Accounts[0]"}, wantReason: "whitespace"},
		{name: "account as a principal", give: snap().WithAccounts("2000000000000001@ecs.aliyuncs.com"), want: []string{"Accounts[0]"}, wantReason: "contains @"},
		{name: "account of Arabic-Indic digits", give: snap().WithAccounts("٢٠٠٠٠٠٠٠٠٠٠٠٠٠٠١"), want: []string{"Accounts[0]"}, wantReason: "non-ASCII"},
		{name: "account of full-width digits", give: snap().WithAccounts("２０００００００００００００００１"), want: []string{"Accounts[0]"}, wantReason: "non-ASCII"},
		{name: "second account bad", give: snap().WithAccounts(dtSeedUID1, "x", dtSeedUID2), want: []string{"Accounts[1]"}, wantValue: "x"},

		// Resource directory IDs.
		{name: "rd without prefix", give: snap().WithResourceDirectory("3GabcD"), want: []string{"ResourceDirectories[0]"}, wantReason: "rd- followed by"},
		{name: "rd prefix only", give: snap().WithResourceDirectory("rd-"), want: []string{"ResourceDirectories[0]"}},
		{name: "rd upper-case prefix", give: snap().WithResourceDirectory("RD-3GabcD"), want: []string{"ResourceDirectories[0]"}},
		{name: "rd with underscore", give: snap().WithResourceDirectory("rd-3Gab_cD"), want: []string{"ResourceDirectories[0]"}},
		{name: "rd a star", give: snap().WithResourceDirectory("*"), want: []string{"ResourceDirectories[0]"}, wantReason: "wildcard"},
		{name: "rd with a star", give: snap().WithResourceDirectory("rd-*"), want: []string{"ResourceDirectories[0]"}, wantReason: "wildcard"},
		{name: "rd with a space", give: snap().WithResourceDirectory("rd-3Gab cD"), want: []string{"ResourceDirectories[0]"}, wantReason: "whitespace"},
		{name: "rd a path", give: snap().WithResourceDirectory(dtSeedFolder), want: []string{"ResourceDirectories[0]"}},
		{name: "rd empty", give: snap().WithResourceDirectory(""), want: []string{"ResourceDirectories[0]"}, wantReason: "empty"},

		// Folder paths.
		{name: "folder missing root", give: snap().WithFolder("rd-3GabcD/fd-bOnB34ef"), want: []string{"Folders[0]"}, wantReason: "root folder ID (r-...)"},
		{name: "folder missing rd", give: snap().WithFolder("r-Wm12cd/fd-bOnB34ef"), want: []string{"Folders[0]", "Folders[0]"}},
		{name: "folder only an rd", give: snap().WithFolder("rd-3GabcD"), want: []string{"Folders[0]"}, wantReason: "not a folder path"},
		{name: "folder six levels", give: snap().WithFolder("rd-a/r-b/fd-1/fd-2/fd-3/fd-4/fd-5/fd-6"), want: []string{"Folders[0]"}, wantReason: "6 folder levels"},
		{name: "folder trailing star", give: snap().WithFolder(dtSeedFolder + "*"), want: []string{"Folders[0]"}, wantReason: "leave out the trailing *"},
		{name: "folder star inside", give: snap().WithFolder("rd-3GabcD/r-*/fd-bOnB34ef"), want: []string{"Folders[0]"}, wantReason: "wildcard"},
		{name: "folder two trailing stars", give: snap().WithFolder(dtSeedFolder + "**"), want: []string{"Folders[0]"}, wantReason: "wildcard"},
		{name: "folder question mark", give: snap().WithFolder(dtSeedFolder + "?"), want: []string{"Folders[0]"}, wantReason: "wildcard"},
		{name: "folder trailing slash", give: snap().WithFolder(dtSeedFolder + "/"), want: []string{"Folders[0]"}, wantReason: `element ""`},
		{name: "folder element not fd", give: snap().WithFolder("rd-3GabcD/r-Wm12cd/bOnB34ef"), want: []string{"Folders[0]"}, wantReason: "fd-"},
		{name: "folder with a space", give: snap().WithFolder("rd-3GabcD/r-Wm12cd/ fd-bOnB34ef"), want: []string{"Folders[0]"}, wantReason: "whitespace"},
		{name: "folder with @", give: snap().WithFolder("rd-3GabcD/r-Wm12cd@x"), want: []string{"Folders[0]"}},
		{name: "folder empty", give: snap().WithFolder(""), want: []string{"Folders[0]"}},

		// Keys.
		{name: "region upper case", give: toAccount().WithKey(key("CN-HANGZHOU", dtSeedOwner, dtSeedKeyID)), want: []string{"Keys[0].Region"}, wantReason: "cn-hangzhou"},
		{name: "region with underscore", give: toAccount().WithKey(key("cn_hangzhou", dtSeedOwner, dtSeedKeyID)), want: []string{"Keys[0].Region"}},
		{name: "region one word", give: toAccount().WithKey(key("hangzhou", dtSeedOwner, dtSeedKeyID)), want: []string{"Keys[0].Region"}},
		{name: "region a star", give: toAccount().WithKey(key("*", dtSeedOwner, dtSeedKeyID)), want: []string{"Keys[0].Region"}, wantReason: "wildcard"},
		{name: "region empty", give: toAccount().WithKey(key("", dtSeedOwner, dtSeedKeyID)), want: []string{"Keys[0].Region"}},
		{name: "owner of 15 digits", give: toAccount().WithKey(key(dtSeedRegion, "123456789012345", dtSeedKeyID)), want: []string{"Keys[0].Owner"}, wantReason: "16 decimal digits"},
		{name: "owner a star", give: toAccount().WithKey(key(dtSeedRegion, "*", dtSeedKeyID)), want: []string{"Keys[0].Owner"}, wantReason: "wildcard"},
		{name: "owner masked", give: toAccount().WithKey(key(dtSeedRegion, "123456789012****", dtSeedKeyID)), want: []string{"Keys[0].Owner"}, wantReason: "wildcard"},
		{name: "owner empty", give: toAccount().WithKey(key(dtSeedRegion, "", dtSeedKeyID)), want: []string{"Keys[0].Owner"}},
		{name: "key id an alias", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "alias/my-key")), want: []string{"Keys[0].ID"}, wantReason: "alias is not accepted"},
		{name: "key id key- only", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "key-")), want: []string{"Keys[0].ID"}},
		{name: "key id short UUID", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4")), want: []string{"Keys[0].ID"}},
		{name: "key id a star", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "*")), want: []string{"Keys[0].ID"}, wantReason: "wildcard"},
		{name: "key id masked", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "key-hzz630494463ejqjx****")), want: []string{"Keys[0].ID"}, wantReason: "wildcard"},
		{name: "key id with a slash", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "key-a/b")), want: []string{"Keys[0].ID"}},
		{name: "key id empty", give: toAccount().WithKey(key(dtSeedRegion, dtSeedOwner, "")), want: []string{"Keys[0].ID"}},
		{name: "every key field bad", give: toAccount().WithKey(dtSeedKey).WithKey(key("x", "y", "z")), want: []string{"Keys[1].Region", "Keys[1].Owner", "Keys[1].ID"}},
		{name: "disk key bad", give: encryptperm.DiskEncryption().WithKey(key(dtSeedRegion, dtSeedOwner, "alias/x")), want: []string{"Keys[0].ID"}},

		// Names.
		{name: "policy name with underscore", give: toAccount().WithKey(dtSeedKey).WithPolicyName("Team_Keys"), want: []string{"PolicyName"}, wantReason: "letters, digits and hyphens"},
		{name: "policy name with a period", give: toAccount().WithKey(dtSeedKey).WithPolicyName("Team.Keys"), want: []string{"PolicyName"}},
		{name: "policy name with a space", give: encryptperm.DiskEncryption().WithKey(dtSeedKey).WithPolicyName("Team Keys"), want: []string{"PolicyName"}},
		{name: "policy name too long", give: toAccount().WithKey(dtSeedKey).WithPolicyName(strings.Repeat("a", 129)), want: []string{"PolicyName"}, wantReason: "129 characters"},
		{name: "role name over a lowered limit", give: toAccount().WithKey(dtSeedKey).WithLimits(encryptperm.Limits{RoleNameMaxLen: 20}), want: []string{"Role.Name"}, wantValue: encryptperm.ShareSnapshotRoleName},
		{name: "disk role name over a lowered limit", give: encryptperm.DiskEncryption().WithLimits(encryptperm.Limits{RoleNameMaxLen: 20}), want: []string{"Role.Name"}},
		{name: "description over a lowered limit", give: toAccount().WithKey(dtSeedKey).WithLimits(encryptperm.Limits{DescriptionMaxLen: 10}), want: []string{"Role.Description", "Policies[0].Description"}},

		// Limits.
		{name: "disk trust policy over a lowered limit", give: encryptperm.DiskEncryption().WithLimits(encryptperm.Limits{TrustPolicyMaxLen: 50}), want: []string{"Role.TrustPolicy"}, wantReason: "TrustPolicyMaxLen"},
		{name: "negative limit", give: toAccount().WithKey(dtSeedKey).WithLimits(encryptperm.Limits{TrustPolicyMaxLen: -1}), want: []string{"Limits"}, wantReason: "cannot be negative"},
		{name: "negative disk limit", give: encryptperm.DiskEncryption().WithLimits(encryptperm.Limits{CustomPoliciesPerRole: -5}), want: []string{"Limits"}},

		// Audience and keys.
		{name: "no audience", give: snap(), want: []string{"Audience"}, wantReason: "WithAccounts, WithResourceDirectory or WithFolder"},
		{name: "empty accounts call", give: snap().WithAccounts(), want: []string{"Audience"}},
		{name: "neither key", give: encryptperm.ShareImage().WithAccounts(dtSeedUID1), want: []string{"Keys"}, wantReason: "WithServiceKey"},
		{name: "both keys", give: encryptperm.ShareImage().WithAccounts(dtSeedUID1).WithKey(dtSeedKey).WithServiceKey(), want: []string{"ServiceKey"}, wantReason: "not both"},
		{name: "snapshot with the service key", give: encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithServiceKey(), want: []string{"ServiceKey"}, wantReason: "copy the snapshot with a customer key"},
		{name: "bad key ARN", give: toAccount().WithKeyARN("acs:kms:cn-hangzhou:1234567890123456:alias/x"), want: []string{"KeyARNs[0]"}, wantReason: "not a KMS key ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.give.Build()
			if g != nil {
				t.Errorf("Build returned a grant with its error")
			}
			ve := dtValidationError(t, err)
			if diff := cmp.Diff(tt.want, dtPaths(ve)); diff != "" {
				t.Fatalf("problem paths mismatch (-want +got):\n%s\n%v", diff, err)
			}
			first := ve.Problems[0]
			if tt.wantValue != "" && first.Value != tt.wantValue {
				t.Errorf("value = %q, want %q", first.Value, tt.wantValue)
			}
			if tt.wantReason != "" && !strings.Contains(first.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", first.Reason, tt.wantReason)
			}
			if first.Reason == "" {
				t.Errorf("problem %q has no reason", first.Path)
			}
			if !ve.Has(first.Path) {
				t.Errorf("Has(%q) = false", first.Path)
			}
		})
	}
}

func TestBuildAccepts(t *testing.T) {
	tests := []struct {
		name string
		give interface {
			Build() (*encryptperm.Grant, error)
		}
	}{
		{"UUID key", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(dtSeedKey)},
		{"upper-case UUID key", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(encryptperm.Key{Region: dtSeedRegion, Owner: dtSeedOwner, ID: strings.ToUpper(dtSeedKeyID)})},
		{"key- key", encryptperm.ShareSnapshot().WithAccounts(dtSeedUID1).WithKey(encryptperm.Key{Region: "ap-southeast-1", Owner: dtSeedOwner, ID: "key-sgp62d7f5e8a1b2c3"})},
		{"folder five levels", encryptperm.ShareImage().WithFolder("rd-a/r-b/fd-1/fd-2/fd-3/fd-4/fd-5").WithKey(dtSeedKey)},
		{"root folder", encryptperm.ShareImage().WithFolder("rd-a/r-b").WithKey(dtSeedKey)},
		{"longest policy name", encryptperm.DiskEncryption().WithKey(dtSeedKey).WithPolicyName(strings.Repeat("a", 128))},
		{"region with three parts", encryptperm.DiskEncryption().WithKey(encryptperm.Key{Region: "cn-north-2-gov-1", Owner: dtSeedOwner, ID: dtSeedKeyID})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dtBuild(t, tt.give)
		})
	}
}

func TestBuildListsEveryProblem(t *testing.T) {
	_, err := encryptperm.ShareSnapshot().
		WithAccounts(dtSeedUID1, "123", "*", dtSeedUID2+"@ecs.aliyuncs.com").
		WithResourceDirectory("rd-*").
		WithFolder(dtSeedFolder + "*").
		WithFolder("rd-a/fd-b").
		WithKey(encryptperm.Key{Region: "Hangzhou", Owner: "1", ID: "alias/k"}).
		WithKeyARN("nope").
		WithServiceKey().
		WithPolicyName("bad name").
		WithLimits(encryptperm.Limits{PolicyDocumentMaxLen: -1}).
		Build()
	ve := dtValidationError(t, err)
	want := []string{
		"Limits",
		"KeyARNs[0]",
		"Accounts[1]",
		"Accounts[2]",
		"Accounts[3]",
		"ResourceDirectories[0]",
		"Folders[0]",
		"Folders[1]",
		"Keys[0].Region",
		"Keys[0].Owner",
		"Keys[0].ID",
		"ServiceKey",
		"PolicyName",
	}
	if diff := cmp.Diff(want, dtPaths(ve)); diff != "" {
		t.Errorf("problem paths mismatch (-want +got):\n%s\n%v", diff, err)
	}
	if got := strings.Count(err.Error(), "\n\t"); got != len(want) {
		t.Errorf("Error() lists %d problems, want %d:\n%v", got, len(want), err)
	}
	if !strings.HasPrefix(err.Error(), "encryptperm: invalid ShareSnapshot grant: 13 problems\n") {
		t.Errorf("Error() = %q, want the count of problems first", err)
	}
	if errors.Is(err, encryptperm.ErrLimitExceeded) {
		t.Errorf("errors.Is(err, ErrLimitExceeded) = true, want false: no limit is exceeded")
	}
	for _, p := range ve.Problems {
		if p.Reason == "" {
			t.Errorf("problem %q has no reason", p.Path)
		}
	}
}

func TestValidationErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		give *encryptperm.ValidationError
		want string
	}{
		{
			name: "one problem with a value",
			give: &encryptperm.ValidationError{What: "thing", Problems: []policy.FieldError{{Path: "A", Value: "v", Reason: "bad"}}},
			want: "encryptperm: invalid thing: 1 problem\n\tA \"v\": bad",
		},
		{
			name: "two problems, no what",
			give: &encryptperm.ValidationError{Problems: []policy.FieldError{{Path: "A", Reason: "bad"}, {Path: "B", Reason: "worse"}}},
			want: "encryptperm: invalid input: 2 problems\n\tA: bad\n\tB: worse",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.give.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(tt.give, encryptperm.ErrInvalid) || errors.Is(tt.give, encryptperm.ErrLimitExceeded) {
				t.Errorf("a plain ValidationError must wrap ErrInvalid only")
			}
		})
	}
}

// dtCheckGrant asserts what every grant a builder returns must hold:
// its documents parse back strictly and equal themselves, and none trusts a
// wildcard principal without a condition.
func dtCheckGrant(t interface {
	Helper()
	Fatalf(string, ...any)
}, g *encryptperm.Grant) {
	t.Helper()
	docs := []*policy.Document{g.Role.TrustPolicy}
	for _, a := range g.Policies {
		switch a.Type {
		case encryptperm.Custom:
			if a.Document == nil {
				t.Fatalf("custom policy %s has no document", a.Name)
			}
			docs = append(docs, a.Document)
		case encryptperm.System:
			if a.Document != nil {
				t.Fatalf("system policy %s has a document", a.Name)
			}
		default:
			t.Fatalf("policy %s has type %q", a.Name, a.Type)
		}
	}
	if len(g.Policies) == 0 {
		t.Fatalf("grant attaches no policy")
	}
	for _, d := range docs {
		for _, f := range encryptperm.Lint(d) {
			if f.Code == encryptperm.FindingUnconditionedWildcardPrincipal || f.Severity == encryptperm.SeverityCritical {
				t.Fatalf("grant document %s has critical finding %v", d.JSON(), f)
			}
		}
		for _, s := range d.Statement {
			if s.Effect == policy.Allow && s.Principal != nil && len(s.Condition) == 0 {
				for _, p := range s.Principal.Service {
					if strings.ContainsAny(p, "*?") {
						t.Fatalf("unconditioned wildcard principal %q in %s", p, d.JSON())
					}
				}
			}
		}
		back, err := policy.Parse(d.JSON())
		if err != nil {
			t.Fatalf("grant document %s does not parse back strictly: %v", d.JSON(), err)
		}
		if !back.Equal(d) {
			t.Fatalf("grant document %s parses back as %s", d.JSON(), back.JSON())
		}
	}
	if size := g.Role.TrustPolicy.Size(); size > g.Limits.TrustPolicyMaxLen {
		t.Fatalf("trust policy of %d bytes, over %d", size, g.Limits.TrustPolicyMaxLen)
	}
	for _, a := range g.Policies {
		if a.Document != nil && a.Document.Size() > g.Limits.PolicyDocumentMaxLen {
			t.Fatalf("policy %s of %d bytes, over %d", a.Name, a.Document.Size(), g.Limits.PolicyDocumentMaxLen)
		}
	}
}

// dtIDGen draws identifiers: mostly valid ones, so that many grants build, and
// otherwise nearly valid or hostile ones. Shrinking leads to valid ones.
func dtIDGen(valid ...string) *rapid.Generator[string] {
	hostile := rapid.OneOf(
		rapid.SampledFrom([]string{"", "*", "?", "*@ecs.aliyuncs.com", "rd-*", "rd-a/r-b*", "rd-a/r-b/fd-c*", " ", "@", "acs:kms:*:*:key/*", "٢", "\u00a0"}),
		rapid.StringMatching(`[a-z0-9*?@/ -]{0,20}`),
		rapid.String(),
		rapid.Custom(func(t *rapid.T) string {
			// A valid identifier with one character inserted.
			s := rapid.SampledFrom(valid).Draw(t, "base")
			c := rapid.SampledFrom([]string{"*", "?", "@", " ", "\t", "/", "٣", "-", "a"}).Draw(t, "char")
			i := rapid.IntRange(0, len(s)).Draw(t, "at")
			return s[:i] + c + s[i:]
		}),
	)
	return rapid.Custom(func(t *rapid.T) string {
		if rapid.IntRange(0, 9).Draw(t, "hostile") < 9 {
			return rapid.SampledFrom(valid).Draw(t, "valid")
		}
		return hostile.Draw(t, "value")
	})
}

func TestBuildNeverWidensAccess(t *testing.T) {
	accounts := dtIDGen(dtSeedUID1, dtSeedUID2, "1000000000000000", dtSeedOwner)
	rds := dtIDGen(dtSeedRD, "rd-x9bL", "rd-St0")
	folders := dtIDGen(dtSeedFolder, "rd-3GabcD/r-Wm12cd", "rd-a/r-b/fd-1/fd-2/fd-3/fd-4/fd-5")
	regions := dtIDGen(dtSeedRegion, "cn-shanghai", "ap-southeast-1")
	owners := dtIDGen(dtSeedOwner, dtSeedUID1)
	keyIDs := dtIDGen(dtSeedKeyID, "key-hzz630494463ejqjx", "key-a")
	names := dtIDGen("EncryptPerm-Team", "a", "A-1")
	built, refused := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.IntRange(0, 2).Draw(t, "kind")
		var limits *encryptperm.Limits
		if rapid.IntRange(0, 2).Draw(t, "limits") == 0 {
			limits = &encryptperm.Limits{
				TrustPolicyMaxLen:     rapid.IntRange(-1, 1500).Draw(t, "trustMax"),
				PolicyDocumentMaxLen:  rapid.IntRange(-1, 1500).Draw(t, "policyMax"),
				CustomPoliciesPerRole: rapid.IntRange(-1, 4).Draw(t, "perRole"),
				PolicyNameMaxLen:      rapid.IntRange(0, 40).Draw(t, "nameMax"),
			}
		}
		var keys []encryptperm.Key
		for range rapid.IntRange(0, 4).Draw(t, "keys") {
			keys = append(keys, encryptperm.Key{
				Region: regions.Draw(t, "region"), Owner: owners.Draw(t, "owner"), ID: keyIDs.Draw(t, "id"),
			})
		}
		arns := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string {
			if rapid.IntRange(0, 9).Draw(t, "arnHostile") == 9 {
				return rapid.String().Draw(t, "arn")
			}
			return "acs:kms:" + regions.Draw(t, "arnRegion") + ":" + owners.Draw(t, "arnOwner") + ":key/" + keyIDs.Draw(t, "arnID")
		}), 0, 2).Draw(t, "arns")
		name := ""
		if rapid.Bool().Draw(t, "named") {
			name = names.Draw(t, "policyName")
		}

		var b interface {
			Build() (*encryptperm.Grant, error)
		}
		if kind == 0 {
			d := encryptperm.DiskEncryption()
			for _, k := range keys {
				d.WithKey(k)
			}
			for _, a := range arns {
				d.WithKeyARN(a)
			}
			if limits != nil {
				d.WithLimits(*limits)
			}
			d.WithPolicyName(name)
			b = d
		} else {
			s := encryptperm.ShareSnapshot()
			if kind == 2 {
				s = encryptperm.ShareImage()
			}
			s.WithAccounts(rapid.SliceOfN(accounts, 0, 5).Draw(t, "accounts")...)
			for _, id := range rapid.SliceOfN(rds, 0, 2).Draw(t, "rds") {
				s.WithResourceDirectory(id)
			}
			for _, p := range rapid.SliceOfN(folders, 0, 2).Draw(t, "folders") {
				s.WithFolder(p)
			}
			for _, k := range keys {
				s.WithKey(k)
			}
			for _, a := range arns {
				s.WithKeyARN(a)
			}
			if rapid.IntRange(0, 3).Draw(t, "serviceKey") == 0 {
				s.WithServiceKey()
			}
			if limits != nil {
				s.WithLimits(*limits)
			}
			s.WithPolicyName(name)
			b = s
		}

		g, err := b.Build()
		if err != nil {
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("Build error %T %v, want a *ValidationError with problems", err, err)
			}
			if g != nil {
				t.Fatalf("Build returned a grant with its error")
			}
			refused++
			return
		}
		dtCheckGrant(t, g)
		built++
	})
	// The property means little unless both outcomes are common.
	if built*10 < built+refused || refused*10 < built+refused {
		t.Errorf("%d grants built and %d refused: the generators need rebalancing", built, refused)
	}
	t.Logf("%d grants built, %d refused", built, refused)
}
