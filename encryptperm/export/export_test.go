package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"mvdan.cc/sh/v3/shell"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/export"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	owner      = "1234567890123456"
	foreign    = "2000000000000009" // an account another team put in the shared role
	snapRole   = "AliyunECSShareEncryptSnapshotDefaultRole"
	diskRole   = "AliyunECSDiskEncryptDefaultRole"
	snapPolicy = "EncryptPerm-ShareSnapshotKeys"
	diskPolicy = "EncryptPerm-DiskEncryptKeys"
)

var (
	key        = encryptperm.Key{Region: "cn-hangzhou", Owner: owner, ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}
	recipients = []string{"2000000000000001", "2000000000000002"}
	// The shared role as another team left it: their account, and a
	// statement this library did not write.
	foreignTrust = `{"Version":"1","Statement":[` +
		`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["` + foreign + `@ecs.aliyuncs.com"]}},` +
		`{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"Service":"3000000000000001@ecs.aliyuncs.com"},"Condition":{"Bool":{"acs:SecureTransport":"false"}}}]}`
)

// world returns a fake RAM holding the shared snapshot role of another team,
// and the grants: a share with two accounts (the role exists, the policy
// does not) and disk encryption with the same key (nothing exists).
func world(t *testing.T) (*fake.RAM, []*encryptperm.Grant) {
	t.Helper()
	f := fake.New(&fake.Options{AccountID: owner})
	if err := f.PutRole(fake.Role{Name: snapRole, Description: "theirs", TrustPolicy: foreignTrust}); err != nil {
		t.Fatal(err)
	}
	share, err := encryptperm.ShareSnapshot().WithAccounts(recipients...).WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	disk, err := encryptperm.DiskEncryption().WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	return f, []*encryptperm.Grant{share, disk}
}

func plan(t *testing.T, f *fake.RAM, grants []*encryptperm.Grant) (encryptperm.Applier, *encryptperm.Plan) {
	t.Helper()
	a := encryptperm.NewApplier(f, nil)
	p, err := a.Plan(context.Background(), grants...)
	if err != nil {
		t.Fatal(err)
	}
	return a, p
}

func write(t *testing.T, format export.Format, p *encryptperm.Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := export.Write(&b, format, p); err != nil {
		t.Fatalf("export %s: %v", format, err)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", name, path, diff)
	}
}

// sameDoc fails unless two documents mean the same.
func sameDoc(t *testing.T, what, want, got string) {
	t.Helper()
	w, err := policy.Read([]byte(want))
	if err != nil {
		t.Fatalf("%s: want: %v", what, err)
	}
	g, err := policy.Read([]byte(got))
	if err != nil {
		t.Fatalf("%s: got: %v\n%s", what, err, got)
	}
	if !w.Equal(g) {
		t.Errorf("%s: documents differ\n got: %s\nwant: %s", what, got, want)
	}
}

// applied applies the plan to the fake and returns what RAM holds then: the
// trust policy of each role and the default document of each custom policy.
func applied(t *testing.T, a encryptperm.Applier, f *fake.RAM, p *encryptperm.Plan) map[string]string {
	t.Helper()
	if _, err := a.ApplyPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for _, r := range []string{snapRole, diskRole} {
		doc, ok := f.TrustPolicy(r)
		if !ok {
			t.Fatalf("role %s missing after apply", r)
		}
		held[r] = doc
	}
	for _, n := range []string{snapPolicy, diskPolicy} {
		vs, ok := f.PolicyVersions("Custom", n)
		if !ok {
			t.Fatalf("policy %s missing after apply", n)
		}
		for _, v := range vs {
			if v.IsDefault {
				held[n] = v.Document
			}
		}
	}
	return held
}

// hclResource is one resource block of a parsed Terraform file.
type hclResource struct {
	typ, name string
	attrs     hclsyntax.Attributes
	lifecycle hclsyntax.Attributes
}

func parseTerraform(t *testing.T, src string) ([]hclResource, map[string]string, *hclsyntax.Body) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("terraform does not parse: %v\n%s", diags, src)
	}
	body := file.Body.(*hclsyntax.Body)
	var res []hclResource
	imports := map[string]string{}
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource":
			r := hclResource{typ: b.Labels[0], name: b.Labels[1], attrs: b.Body.Attributes}
			for _, inner := range b.Body.Blocks {
				if inner.Type == "lifecycle" {
					r.lifecycle = inner.Body.Attributes
				}
			}
			res = append(res, r)
		case "import":
			to := hcl.ExprAsKeyword(b.Body.Attributes["to"].Expr)
			if to == "" {
				trav, d := hcl.AbsTraversalForExpr(b.Body.Attributes["to"].Expr)
				if d.HasErrors() {
					t.Fatalf("import to: %v", d)
				}
				to = trav.RootName() + "." + trav[1].(hcl.TraverseAttr).Name
			}
			imports[to] = str(t, b.Body.Attributes["id"])
		}
	}
	return res, imports, body
}

// str evaluates an attribute that must be a constant string.
func str(t *testing.T, a *hclsyntax.Attribute) string {
	t.Helper()
	if a == nil {
		t.Fatal("attribute missing")
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("attribute %s: %v", a.Name, diags)
	}
	return v.AsString()
}

// ref returns "type.name.attr" for an attribute that refers to a resource,
// or its string value.
func ref(t *testing.T, a *hclsyntax.Attribute) string {
	t.Helper()
	if trav, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() && len(trav) == 3 {
		return trav.RootName() + "." + trav[1].(hcl.TraverseAttr).Name + "." + trav[2].(hcl.TraverseAttr).Name
	}
	return str(t, a)
}

func TestTerraformDeclaresTheMergedState(t *testing.T) {
	f, grants := world(t)
	a, p := plan(t, f, grants)
	src := write(t, export.Terraform, p)
	golden(t, "grants.tf", src)
	res, imports, _ := parseTerraform(t, src)

	type att struct{ role, policy, typ string }
	roles := map[string]string{}    // role name -> trust document
	policies := map[string]string{} // policy name -> document
	var atts []att
	for _, r := range res {
		switch r.typ {
		case "alicloud_ram_role":
			name := str(t, r.attrs["role_name"])
			roles[name] = str(t, r.attrs["assume_role_policy_document"])
			if r.lifecycle["prevent_destroy"] == nil {
				t.Errorf("role %s: no prevent_destroy", name)
			} else if v, _ := r.lifecycle["prevent_destroy"].Expr.Value(nil); !v.True() {
				t.Errorf("role %s: prevent_destroy is not true", name)
			}
			if r.attrs["name"] != nil || r.attrs["document"] != nil {
				t.Errorf("role %s uses the attribute names from before provider 1.252.0", name)
			}
		case "alicloud_ram_policy":
			policies[str(t, r.attrs["policy_name"])] = str(t, r.attrs["policy_document"])
		case "alicloud_ram_role_policy_attachment":
			atts = append(atts, att{ref(t, r.attrs["role_name"]), ref(t, r.attrs["policy_name"]), str(t, r.attrs["policy_type"])})
		default:
			t.Errorf("unexpected resource type %s", r.typ)
		}
	}
	wantAtts := []att{
		{"alicloud_ram_role.aliyun_ecs_share_encrypt_snapshot_default_role.role_name", "alicloud_ram_policy.encrypt_perm_share_snapshot_keys.policy_name", "Custom"},
		{"alicloud_ram_role.aliyun_ecs_disk_encrypt_default_role.role_name", "alicloud_ram_policy.encrypt_perm_disk_encrypt_keys.policy_name", "Custom"},
	}
	if diff := cmp.Diff(wantAtts, atts, cmp.AllowUnexported(att{})); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	// Only the shared role existed: it alone is imported.
	wantImports := map[string]string{"alicloud_ram_role.aliyun_ecs_share_encrypt_snapshot_default_role": snapRole}
	if diff := cmp.Diff(wantImports, imports); diff != "" {
		t.Errorf("imports (-want +got):\n%s", diff)
	}
	// The other team's account and Deny statement are declared: applying the
	// module must not strip them.
	if !strings.Contains(roles[snapRole], foreign+"@ecs.aliyuncs.com") || !strings.Contains(roles[snapRole], "acs:SecureTransport") {
		t.Errorf("the shared role's trust policy lost the foreign content:\n%s", roles[snapRole])
	}
	held := applied(t, a, f, p)
	for _, r := range []string{snapRole, diskRole} {
		sameDoc(t, "trust policy of "+r, held[r], roles[r])
	}
	for _, n := range []string{snapPolicy, diskPolicy} {
		sameDoc(t, "policy "+n, held[n], policies[n])
	}
	if len(roles) != 2 || len(policies) != 2 {
		t.Errorf("got %d roles and %d policies, want 2 and 2", len(roles), len(policies))
	}
}

func TestTerraformAdoptsEverythingWhenNothingChanges(t *testing.T) {
	f, grants := world(t)
	a, p := plan(t, f, grants)
	if _, err := a.ApplyPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	_, p = plan(t, f, grants)
	if !p.Empty() {
		t.Fatalf("second plan is not empty:\n%s", p)
	}
	_, imports, _ := parseTerraform(t, write(t, export.Terraform, p))
	want := map[string]string{
		"alicloud_ram_role.aliyun_ecs_share_encrypt_snapshot_default_role":                                                    snapRole,
		"alicloud_ram_role.aliyun_ecs_disk_encrypt_default_role":                                                              diskRole,
		"alicloud_ram_policy.encrypt_perm_share_snapshot_keys":                                                                snapPolicy,
		"alicloud_ram_policy.encrypt_perm_disk_encrypt_keys":                                                                  diskPolicy,
		"alicloud_ram_role_policy_attachment.aliyun_ecs_share_encrypt_snapshot_default_role_encrypt_perm_share_snapshot_keys": "role:" + snapPolicy + ":Custom:" + snapRole,
		"alicloud_ram_role_policy_attachment.aliyun_ecs_disk_encrypt_default_role_encrypt_perm_disk_encrypt_keys":             "role:" + diskPolicy + ":Custom:" + diskRole,
	}
	if diff := cmp.Diff(want, imports); diff != "" {
		t.Errorf("imports (-want +got):\n%s", diff)
	}
	script := write(t, export.AliyunCLI, p)
	if strings.Contains(script, "\naliyun ") || !strings.Contains(script, "nothing to do") {
		t.Errorf("script of an empty plan has calls:\n%s", script)
	}
}

func TestROSTemplate(t *testing.T) {
	f, grants := world(t)
	a, p := plan(t, f, grants)
	src := write(t, export.ROS, p)
	golden(t, "grants.ros.json", src)
	var tmpl struct {
		Version     string `json:"ROSTemplateFormatVersion"`
		Description string
		Resources   map[string]struct {
			Type           string
			DeletionPolicy string
			DependsOn      []string
			Properties     map[string]json.RawMessage
		}
		Outputs map[string]struct{ Description, Value string }
	}
	dec := json.NewDecoder(strings.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tmpl); err != nil {
		t.Fatalf("not a template: %v\n%s", err, src)
	}
	if tmpl.Version != "2015-09-01" {
		t.Errorf("ROSTemplateFormatVersion %q", tmpl.Version)
	}
	s := func(raw json.RawMessage) string {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("want a string, got %s", raw)
		}
		return v
	}
	roles, policies := map[string]string{}, map[string]string{}
	var atts []string
	types := map[string]int{}
	for id, r := range tmpl.Resources {
		types[r.Type]++
		switch r.Type {
		case "ALIYUN::RAM::Role":
			if r.DeletionPolicy != "Retain" {
				t.Errorf("role %s: DeletionPolicy %q, want Retain", id, r.DeletionPolicy)
			}
			roles[s(r.Properties["RoleName"])] = string(r.Properties["AssumeRolePolicyDocument"])
		case "ALIYUN::RAM::ManagedPolicy":
			policies[s(r.Properties["PolicyName"])] = string(r.Properties["PolicyDocument"])
		case "ALIYUN::RAM::AttachPolicyToRole":
			atts = append(atts, s(r.Properties["RoleName"])+"/"+s(r.Properties["PolicyName"])+"/"+s(r.Properties["PolicyType"]))
			for _, d := range r.DependsOn {
				if _, ok := tmpl.Resources[d]; !ok {
					t.Errorf("%s depends on unknown %s", id, d)
				}
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"ALIYUN::RAM::Role": 2, "ALIYUN::RAM::ManagedPolicy": 2, "ALIYUN::RAM::AttachPolicyToRole": 2}, types); diff != "" {
		t.Errorf("resource types (-want +got):\n%s", diff)
	}
	sort.Strings(atts)
	if diff := cmp.Diff([]string{diskRole + "/" + diskPolicy + "/Custom", snapRole + "/" + snapPolicy + "/Custom"}, atts); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	adopt := tmpl.Outputs["AdoptExisting"].Value
	if !strings.Contains(adopt, "RoleName "+snapRole) || strings.Contains(adopt, "RoleName "+diskRole) {
		t.Errorf("AdoptExisting should name the existing role only: %s", adopt)
	}
	held := applied(t, a, f, p)
	for _, r := range []string{snapRole, diskRole} {
		sameDoc(t, "trust policy of "+r, held[r], roles[r])
	}
	for _, n := range []string{snapPolicy, diskPolicy} {
		sameDoc(t, "policy "+n, held[n], policies[n])
	}
}

// TestAliyunCLIScriptReplays reads the script line by line, as a shell
// would, and sends each call through the SDK's CommonRequest to the fake's
// endpoint: afterwards every recipient is allowed and a new plan is empty.
func TestAliyunCLIScriptReplays(t *testing.T) {
	f, grants := world(t)
	_, p := plan(t, f, grants)
	script := write(t, export.AliyunCLI, p)
	golden(t, "grants.sh", script)

	actions := replay(t, f, script)
	// Dependency order: contents first, attachments last.
	want := []string{"UpdateRole", "CreatePolicy", "CreateRole", "CreatePolicy", "AttachPolicyToRole", "AttachPolicyToRole"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	for _, r := range recipients {
		d, err := encryptperm.Check(ctx, f, encryptperm.Access{Recipient: r, Resource: encryptperm.ResourceSnapshot, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			t.Errorf("recipient %s not allowed after the script:\n%s", r, d.Explanation())
		}
	}
	d, err := encryptperm.Check(ctx, f, encryptperm.Access{Resource: encryptperm.ResourceDisk, Key: key})
	if err != nil || !d.Allowed {
		t.Errorf("disk encryption not allowed after the script: %v\n%v", err, d)
	}
	// The foreign account is still trusted, and now reaches the key too.
	d, err = encryptperm.Check(ctx, f, encryptperm.Access{Recipient: foreign, Resource: encryptperm.ResourceSnapshot, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed {
		t.Errorf("the foreign account lost its trust:\n%s", d.Explanation())
	}
	if trust, _ := f.TrustPolicy(snapRole); !strings.Contains(trust, foreign) {
		t.Errorf("the script dropped the foreign account: %s", trust)
	}
	_, again := plan(t, f, grants)
	if !again.Empty() {
		t.Errorf("plan after the script is not empty:\n%s", again)
	}
}

// products are the aliyun-cli products a script calls, with their API
// versions.
var products = map[string][2]string{
	"ram":             {"Ram", fake.APIVersion},
	"ecs":             {"Ecs", "2014-05-26"},
	"resourcesharing": {"ResourceSharing", "2020-01-10"},
}

// captureLine is a line that keeps a new resource share's ID in a shell
// variable: VAR=$(aliyun ... | sed ... | head -n 1).
var captureLine = regexp.MustCompile(`^(share_id_[0-9]+)=\$\((aliyun .*) \| sed -n '[^']*' \| head -n 1\)$`)

// guardLine stops the script when the variable is empty.
var guardLine = regexp.MustCompile(`^\[ -n "\$(share_id_[0-9]+)" \] \|\| \{ echo '[^']*' >&2; exit 1; \}$`)

// replay reads a script line by line, as a shell would, and sends each
// aliyun call through the SDK's CommonRequest to f's endpoint, keeping a
// new resource share's ID where the script keeps it. It returns the
// actions, in order.
func replay(t *testing.T, f *fake.RAM, script string) []string {
	t.Helper()
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	client, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	var actions []string
	sc := bufio.NewScanner(strings.NewReader(script))
	for n := 1; sc.Scan(); n++ {
		line, capture := sc.Text(), ""
		switch m := captureLine.FindStringSubmatch(line); {
		case line == "", strings.HasPrefix(line, "#"), line == "set -euo pipefail":
			continue
		case guardLine.MatchString(line):
			if v := guardLine.FindStringSubmatch(line)[1]; vars[v] == "" {
				t.Fatalf("line %d: $%s is empty", n, v)
			}
			continue
		case m != nil:
			capture, line = m[1], m[2]
		case !strings.HasPrefix(line, "aliyun "):
			t.Fatalf("line %d is neither a comment nor an aliyun call: %q", n, line)
		}
		args, err := shell.Fields(line, func(name string) string { return vars[name] })
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		prod, ok := products[args[1]]
		if len(args) < 3 || !ok || len(args)%2 != 1 {
			t.Fatalf("line %d: not aliyun ram|ecs|resourcesharing <Action> --Param value...: %q", n, args)
		}
		req := requests.NewCommonRequest()
		req.Method, req.Scheme, req.Domain = "POST", "http", ep.Addr()
		req.Product, req.Version, req.ApiName = prod[0], prod[1], args[2]
		for i := 3; i+1 < len(args); i += 2 {
			if !strings.HasPrefix(args[i], "--") {
				t.Fatalf("line %d: %q is not a --Param", n, args[i])
			}
			req.FormParams[strings.TrimPrefix(args[i], "--")] = args[i+1]
		}
		if p, ok := req.FormParams["RegionId"]; ok {
			// The SDK sends the request's RegionId itself.
			req.RegionId = p
			delete(req.FormParams, "RegionId")
		}
		resp, err := client.ProcessCommonRequest(req)
		if err != nil {
			t.Fatalf("line %d %s: %v", n, args[2], err)
		}
		if capture != "" {
			var body struct {
				ResourceShare struct{ ResourceShareId string }
			}
			if err := json.Unmarshal(resp.GetHttpContentBytes(), &body); err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			vars[capture] = body.ResourceShare.ResourceShareId
		}
		actions = append(actions, args[2])
	}
	return actions
}

func TestExportRefusesRevokePlans(t *testing.T) {
	f, grants := world(t)
	a, p := plan(t, f, grants)
	if _, err := a.ApplyPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	rp, err := a.RevokePlan(context.Background(), grants...)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range export.Formats() {
		var b bytes.Buffer
		err := export.Write(&b, format, rp)
		if !errors.Is(err, encryptperm.ErrInvalid) {
			t.Errorf("%s of a revoke plan: %v, want ErrInvalid", format, err)
		}
		if err := export.Write(&b, format, &encryptperm.Plan{}); !errors.Is(err, encryptperm.ErrInvalid) {
			t.Errorf("%s of a hand-made plan: %v, want ErrInvalid", format, err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, give := range []string{"terraform", "ROS", "aliyun-cli"} {
		if f, err := export.ParseFormat(give); err != nil || !slices.Contains(export.Formats(), f) {
			t.Errorf("ParseFormat(%q) = %q, %v", give, f, err)
		}
	}
	if _, err := export.ParseFormat("pulumi"); !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("ParseFormat(pulumi): %v, want ErrInvalid", err)
	}
}

// TestScriptRotatesAndDetaches: a policy at RAM's cap of versions gets a
// new version with the rotate strategy, and a broader system policy is
// detached when the Applier is told to; the replayed script leaves RAM where
// the plan meant it to be.
func TestScriptRotatesAndDetaches(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: owner})
	other := encryptperm.Key{Region: "cn-shanghai", Owner: owner, ID: "key-sh0001"}
	old, err := encryptperm.DiskEncryption().WithKey(other).Build()
	if err != nil {
		t.Fatal(err)
	}
	a := encryptperm.NewApplier(f, &encryptperm.Options{DetachBroaderPolicies: true})
	if _, err := a.Apply(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	// Fill the policy to 5 versions, and attach the console's broad policy.
	vs, _ := f.PolicyVersions("Custom", diskPolicy)
	doc := vs[0].Document
	var versions []fake.PolicyVersion
	for i := 1; i <= 5; i++ {
		versions = append(versions, fake.PolicyVersion{ID: "v" + string(rune('0'+i)), Document: doc, IsDefault: i == 5})
	}
	if err := f.PutPolicy(fake.Policy{Name: diskPolicy, Versions: versions}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(diskRole, "System", encryptperm.DiskEncryptSystemPolicy); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.DiskEncryption().WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Plan(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	script := write(t, export.AliyunCLI, p)
	for _, want := range []string{
		"aliyun ram CreatePolicyVersion --PolicyName '" + diskPolicy + "' --PolicyDocument '",
		"--SetAsDefault 'true' --RotateStrategy 'DeleteOldestNonDefaultVersionWhenLimitExceeded'",
		"aliyun ram DetachPolicyFromRole --RoleName '" + diskRole + "' --PolicyName '" + encryptperm.DiskEncryptSystemPolicy + "' --PolicyType 'System'",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "UpdateRole") || strings.Contains(script, "AttachPolicyToRole") {
		t.Errorf("script writes what needs no write:\n%s", script)
	}
	if got := replay(t, f, script); !slices.Equal(got, []string{"CreatePolicyVersion", "DetachPolicyFromRole"}) {
		t.Errorf("replayed %v", got)
	}
	if vs, _ := f.PolicyVersions("Custom", diskPolicy); len(vs) != 5 || !vs[4].IsDefault || !strings.Contains(vs[4].Document, key.ID) || !strings.Contains(vs[4].Document, other.ID) {
		t.Errorf("after the script the policy holds %d versions, newest %+v", len(vs), vs[len(vs)-1])
	}
	if atts, _ := f.AttachmentsOf(diskRole); len(atts) != 1 || atts[0].PolicyName != diskPolicy {
		t.Errorf("after the script the role has %+v", atts)
	}
	if again, err := a.Plan(context.Background(), g); err != nil || !again.Empty() {
		t.Errorf("plan after the script: %v\n%v", err, again)
	}
	tf := write(t, export.Terraform, p)
	if !strings.Contains(tf, "# The plan also detaches System policy "+encryptperm.DiskEncryptSystemPolicy) {
		t.Errorf("terraform does not say what it cannot declare:\n%s", tf)
	}
	_, imports, _ := parseTerraform(t, tf)
	if _, ok := imports["alicloud_ram_policy.encrypt_perm_disk_encrypt_keys"]; !ok {
		t.Errorf("the existing policy is not imported: %v", imports)
	}
	var ros struct {
		Outputs map[string]struct{ Value string }
	}
	if err := json.Unmarshal([]byte(write(t, export.ROS, p)), &ros); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ros.Outputs["DetachByHand"].Value, encryptperm.DiskEncryptSystemPolicy) {
		t.Errorf("ROS does not say what it cannot declare: %v", ros.Outputs)
	}
}

// TestScriptAttachesBeforeItDetaches: the disk role holds the broad system
// policy; the plan makes the policy naming the key, attaches it, and
// detaches the broad one (Options.DetachBroaderPolicies). The script does so
// in that order, so that, stopped by a failed attach (set -e), it leaves the
// broad policy attached. Replayed, it leaves only the new policy attached.
func TestScriptAttachesBeforeItDetaches(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: owner})
	if err := f.PutRole(fake.Role{Name: diskRole, TrustPolicy: `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}],"Version":"1"}`}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(diskRole, "System", encryptperm.DiskEncryptSystemPolicy); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.DiskEncryption().WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	a := encryptperm.NewApplier(f, &encryptperm.Options{DetachBroaderPolicies: true})
	p, err := a.Plan(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	want := `#!/usr/bin/env bash
# The writes of a reviewed plan, which let ECS use KMS keys, as aliyun-cli
# calls in the order they must run: RAM's, then the shares of the images and
# snapshots the plan names (ECS and Resource Sharing, in their regions).
# Made from RAM as it was read for the plan: if RAM changes before this
# runs, make a new plan (a trust policy written here replaces the one RAM
# holds then).
set -euo pipefail

# create custom policy EncryptPerm-DiskEncryptKeys
aliyun ram CreatePolicy --PolicyName 'EncryptPerm-DiskEncryptKeys' --PolicyDocument '{"Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],"Version":"1"}' --Description 'ECS uses these keys to encrypt disks, snapshots and images.'

# attach Custom policy EncryptPerm-DiskEncryptKeys to role AliyunECSDiskEncryptDefaultRole
aliyun ram AttachPolicyToRole --RoleName 'AliyunECSDiskEncryptDefaultRole' --PolicyName 'EncryptPerm-DiskEncryptKeys' --PolicyType 'Custom'

# detach System policy AliyunECSDiskEncryptRolePolicy from role AliyunECSDiskEncryptDefaultRole, now that the policies naming its keys are attached
aliyun ram DetachPolicyFromRole --RoleName 'AliyunECSDiskEncryptDefaultRole' --PolicyName 'AliyunECSDiskEncryptRolePolicy' --PolicyType 'System'
`
	script := write(t, export.AliyunCLI, p)
	if diff := cmp.Diff(want, script); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	if got := replay(t, f, script); !slices.Equal(got, []string{"CreatePolicy", "AttachPolicyToRole", "DetachPolicyFromRole"}) {
		t.Errorf("replayed %v", got)
	}
	if atts, _ := f.AttachmentsOf(diskRole); len(atts) != 1 || atts[0].PolicyName != diskPolicy {
		t.Errorf("after the script the role has %+v", atts)
	}
}

// shareWorld is a fake account holding an encrypted image and snapshot and
// a resource directory with sharing on, and the grants that share the image
// with two accounts (ECS) and a folder, and the snapshot with six accounts
// outside the directory (a new resource share of five, then one more).
func shareWorld(t *testing.T) (*fake.RAM, []*encryptperm.Grant) {
	t.Helper()
	f := fake.New(&fake.Options{AccountID: owner})
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	   "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "production"}],
	   "accounts": [{"uid": "2000000000000101", "folder": "fd-Prod01"}]},
	 "keys": [{"region": "cn-hangzhou", "id": "` + key.ID + `"}],
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "` + key.ID + `"}],
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "` + key.ID + `"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	image, err := encryptperm.ShareImage().WithImage("cn-hangzhou", "m-bp1shared01").WithAccounts(recipients...).WithFolder("rd-3GabcD/r-Root01/fd-Prod01").Build()
	if err != nil {
		t.Fatal(err)
	}
	snapshot, err := encryptperm.ShareSnapshot().WithSnapshot("cn-hangzhou", "s-bp1shared01").WithAccounts(sixOutside...).Build()
	if err != nil {
		t.Fatal(err)
	}
	return f, []*encryptperm.Grant{image, snapshot}
}

var sixOutside = []string{"3000000000000001", "3000000000000002", "3000000000000003", "3000000000000004", "3000000000000005", "3000000000000006"}

// TestTerraformDeclaresTheShares: the share of a plan is declared, each
// resource in a provider of its region and after its role's attachments:
// an image share permission per account, and a resource share with its
// shared resource and a shared target per target; the provider version
// allows allow_external_targets.
func TestTerraformDeclaresTheShares(t *testing.T) {
	f, grants := shareWorld(t)
	_, p := plan(t, f, grants)
	out := write(t, export.Terraform, p)
	res, _, body := parseTerraform(t, out)
	type decl struct{ Type, Provider, What string }
	var got []decl
	for _, r := range res {
		var what []string
		switch r.typ {
		case "alicloud_image_share_permission":
			what = []string{str(t, r.attrs["image_id"]), str(t, r.attrs["account_id"])}
		case "alicloud_resource_manager_resource_share":
			what = []string{str(t, r.attrs["resource_share_name"])}
			if a := r.attrs["allow_external_targets"]; a != nil {
				what = append(what, "external")
			}
		case "alicloud_resource_manager_shared_resource":
			what = []string{ref(t, r.attrs["resource_share_id"]), str(t, r.attrs["resource_id"]), str(t, r.attrs["resource_type"])}
		case "alicloud_resource_manager_shared_target":
			what = []string{ref(t, r.attrs["resource_share_id"]), str(t, r.attrs["target_id"])}
		default:
			continue
		}
		prov := ""
		if a := r.attrs["provider"]; a != nil {
			trav, d := hcl.AbsTraversalForExpr(a.Expr)
			if d.HasErrors() {
				t.Fatal(d)
			}
			prov = trav.RootName() + "." + trav[1].(hcl.TraverseAttr).Name
		}
		if r.typ != "alicloud_resource_manager_resource_share" && r.attrs["depends_on"] == nil {
			t.Errorf("%s.%s does not wait for the role's attachments", r.typ, r.name)
		}
		got = append(got, decl{r.typ, prov, strings.Join(what, " ")})
	}
	const imgShare, snapShare = "alicloud_resource_manager_resource_share.encrypt_perm_m_bp1shared01.id", "alicloud_resource_manager_resource_share.encrypt_perm_s_bp1shared01.id"
	want := []decl{
		{"alicloud_image_share_permission", "alicloud.cn_hangzhou", "m-bp1shared01 2000000000000001"},
		{"alicloud_image_share_permission", "alicloud.cn_hangzhou", "m-bp1shared01 2000000000000002"},
		{"alicloud_resource_manager_resource_share", "alicloud.cn_hangzhou", "EncryptPerm-m-bp1shared01"},
		{"alicloud_resource_manager_shared_resource", "alicloud.cn_hangzhou", imgShare + " m-bp1shared01 Image"},
		{"alicloud_resource_manager_shared_target", "alicloud.cn_hangzhou", imgShare + " fd-Prod01"},
		{"alicloud_resource_manager_resource_share", "alicloud.cn_hangzhou", "EncryptPerm-s-bp1shared01 external"},
		{"alicloud_resource_manager_shared_resource", "alicloud.cn_hangzhou", snapShare + " s-bp1shared01 Snapshot"},
	}
	for _, a := range sixOutside {
		want = append(want, decl{"alicloud_resource_manager_shared_target", "alicloud.cn_hangzhou", snapShare + " " + a})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share declarations (-want +got):\n%s\n%s", diff, out)
	}
	var regions []string
	for _, b := range body.Blocks {
		if b.Type == "provider" {
			regions = append(regions, str(t, b.Body.Attributes["alias"])+"="+str(t, b.Body.Attributes["region"]))
		}
	}
	if diff := cmp.Diff([]string{"cn_hangzhou=cn-hangzhou"}, regions); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, `version = ">= 1.261.0"`) {
		t.Errorf("the provider version does not allow allow_external_targets:\n%s", out)
	}
	// A plan without an account outside the directory keeps the version.
	f2, grants2 := shareWorld(t)
	_, p2 := plan(t, f2, grants2[:1])
	if out := write(t, export.Terraform, p2); !strings.Contains(out, `version = ">= `+export.TerraformProviderVersion+`"`) {
		t.Errorf("the provider version moved without need:\n%s", out)
	}
}

// TestROSDeclaresTheShares: the template declares the shares, after the
// role's attachments, and says which region the stack is made in.
func TestROSDeclaresTheShares(t *testing.T) {
	f, grants := shareWorld(t)
	_, p := plan(t, f, grants)
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			DependsOn  []string
			Properties map[string]any
		}
		Outputs map[string]struct{ Value string }
	}
	if err := json.Unmarshal([]byte(write(t, export.ROS, p)), &tmpl); err != nil {
		t.Fatal(err)
	}
	var got []string
	for id, r := range tmpl.Resources {
		if !strings.Contains(r.Type, "Share") {
			continue
		}
		props, _ := json.Marshal(r.Properties)
		got = append(got, fmt.Sprintf("%s %s %s after %v", id, r.Type, props, r.DependsOn))
	}
	sort.Strings(got)
	want := []string{
		`ResourceShareEncryptPermMBp1shared01 ALIYUN::ResourceManager::ResourceShare {"ResourceShareName":"EncryptPerm-m-bp1shared01","Resources":[{"ResourceId":"m-bp1shared01","ResourceType":"Image"}],"Targets":["fd-Prod01"]} after [AttachAliyunECSShareEncryptImageDefaultRoleEncryptPermShareImageKeys]`,
		`ResourceShareEncryptPermSBp1shared01 ALIYUN::ResourceManager::ResourceShare {"AllowExternalTargets":true,"ResourceShareName":"EncryptPerm-s-bp1shared01","Resources":[{"ResourceId":"s-bp1shared01","ResourceType":"Snapshot"}],"Targets":["3000000000000001","3000000000000002","3000000000000003","3000000000000004","3000000000000005"]} after [AttachAliyunECSShareEncryptSnapshotDefaultRoleEncryptPermShareSnapshotKeys]`,
		`ShareAssociationSBp1shared01 ALIYUN::ResourceManager::ResourceShareAssociation {"ResourceShareId":{"Fn::GetAtt":["ResourceShareEncryptPermSBp1shared01","ResourceShareId"]},"Targets":["3000000000000006"]} after [AttachAliyunECSShareEncryptSnapshotDefaultRoleEncryptPermShareSnapshotKeys ResourceShareEncryptPermSBp1shared01]`,
		`ShareMBp1shared01 ALIYUN::ECS::ImageSharePermission {"Accounts":["2000000000000001","2000000000000002"],"ImageId":"m-bp1shared01"} after [AttachAliyunECSShareEncryptImageDefaultRoleEncryptPermShareImageKeys]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("share resources (-want +got):\n%s", diff)
	}
	if v := tmpl.Outputs["ShareRegion"].Value; !strings.HasPrefix(v, "Make the stack in cn-hangzhou;") {
		t.Errorf("ShareRegion = %q", v)
	}
}

// TestAliyunCLIScriptShares: the script makes the shares after RAM's
// writes, keeps the new resource share's ID for the targets added after
// it, and, replayed against the fake, leaves every recipient holding the
// resource (the accounts outside the directory once they accept) and
// nothing more to plan.
func TestAliyunCLIScriptShares(t *testing.T) {
	f, grants := shareWorld(t)
	_, p := plan(t, f, grants)
	script := write(t, export.AliyunCLI, p)
	actions := replay(t, f, script)
	want := []string{"CreateRole", "CreatePolicy", "CreateRole", "CreatePolicy", "AttachPolicyToRole", "AttachPolicyToRole",
		"ModifyImageSharePermission", "CreateResourceShare", "CreateResourceShare", "AssociateResourceShare"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("calls (-want +got):\n%s\n%s", diff, script)
	}
	if got, _ := f.ImageSharedWith("cn-hangzhou", "m-bp1shared01"); !slices.Equal(got, recipients) {
		t.Errorf("image shared with %v, want %v", got, recipients)
	}
	targets := map[string][]string{}
	for _, s := range f.ResourceShares() {
		for _, tg := range s.Targets {
			targets[s.Resources[0].ID] = append(targets[s.Resources[0].ID], tg.ID)
		}
	}
	if diff := cmp.Diff(map[string][]string{"m-bp1shared01": {"fd-Prod01"}, "s-bp1shared01": sixOutside}, targets); diff != "" {
		t.Errorf("resource share targets (-want +got):\n%s", diff)
	}
	_, again := plan(t, f, grants)
	if !again.Empty() {
		t.Errorf("plan after the script is not empty:\n%s", again)
	}
}

// TestTerraformRefusesTextItWouldChange: Terraform normalizes every string
// to Unicode form C, so a trust policy whose condition value is in another
// form would reach RAM changed. The export refuses it, naming the role; the
// other formats carry the bytes as they are.
func TestTerraformRefusesTextItWouldChange(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: owner})
	// "A" followed by a combining inverted breve: NFC makes it one rune.
	decomposed := "A\u0311"
	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},` +
		`"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-` + decomposed + `"}}}]}`
	if err := f.PutRole(fake.Role{Name: snapRole, TrustPolicy: trust}); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareSnapshot().WithAccounts(recipients...).WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, p := plan(t, f, []*encryptperm.Grant{g})
	var b bytes.Buffer
	err = export.WriteTerraform(&b, p)
	if !errors.Is(err, encryptperm.ErrInvalid) || !strings.Contains(err.Error(), snapRole) {
		t.Fatalf("WriteTerraform = %v; want ErrInvalid naming %s", err, snapRole)
	}
	if out := write(t, export.AliyunCLI, p); !strings.Contains(out, decomposed) {
		t.Errorf("the aliyun-cli script lost the trust policy's text:\n%s", out)
	}
}

// TestExportsKeepDocumentsAsPlanned puts on the shared role, or on the
// existing custom policy, a foreign statement with a number beyond float64's
// precision, text with <, & and >, and an opaque statement whose Effect key
// repeats, plans an added account, and reads each export's document back:
// it must hold the text the plan holds. A ROS template is read as maps, which
// cannot hold a key twice, so ROS refuses the opaque statement.
func TestExportsKeepDocumentsAsPlanned(t *testing.T) {
	const (
		plain = `{"Action":"sts:AssumeRole","Effect":"Allow","Note":12345678901234567891,"Principal":{"Service":"` + foreign + `@ecs.aliyuncs.com"},"Sid":"a<b&c>d"}`
		// RAM might read this statement as a Deny: it must stay as it is.
		opaque      = `{"Effect":"Deny","Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"3000000000000001@ecs.aliyuncs.com"}}`
		plainPolicy = `{"Action":"kms:Decrypt","Effect":"Allow","Note":12345678901234567891,"Resource":"acs:kms:*:*:key/x","Sid":"a<b&c>d"}`
		opaqueStmt  = `{"Effect":"Deny","Effect":"Allow","Action":"kms:*","Resource":"*"}`
	)
	tests := []struct {
		name    string
		trust   string // the shared role's trust policy, or ""
		policy  string // the existing custom policy's document, or ""
		format  export.Format
		want    []string // in the exported document, compacted
		wantErr bool
	}{
		{name: "trust/terraform", trust: plain + "," + opaque, format: export.Terraform, want: []string{plain, opaque}},
		{name: "trust/aliyun-cli", trust: plain + "," + opaque, format: export.AliyunCLI, want: []string{plain, opaque}},
		{name: "trust/ros", trust: plain, format: export.ROS, want: []string{plain}},
		{name: "trust/ros refuses a repeated key", trust: plain + "," + opaque, format: export.ROS, wantErr: true},
		{name: "policy/terraform", policy: plainPolicy + "," + opaqueStmt, format: export.Terraform, want: []string{plainPolicy, opaqueStmt}},
		{name: "policy/aliyun-cli", policy: plainPolicy + "," + opaqueStmt, format: export.AliyunCLI, want: []string{plainPolicy, opaqueStmt}},
		{name: "policy/ros", policy: plainPolicy, format: export.ROS, want: []string{plainPolicy}},
		{name: "policy/ros refuses a repeated key", policy: plainPolicy + "," + opaqueStmt, format: export.ROS, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(&fake.Options{AccountID: owner})
			if tt.trust != "" {
				if err := f.PutRole(fake.Role{Name: snapRole, TrustPolicy: `{"Version":"1","Statement":[` + tt.trust + `]}`}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.policy != "" {
				doc := `{"Version":"1","Statement":[` + tt.policy + `]}`
				if err := f.PutPolicy(fake.Policy{Name: snapPolicy, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc, IsDefault: true}}}); err != nil {
					t.Fatal(err)
				}
			}
			g, err := encryptperm.ShareSnapshot().WithAccounts(recipients...).WithKey(key).Build()
			if err != nil {
				t.Fatal(err)
			}
			_, p := plan(t, f, []*encryptperm.Grant{g})
			var b bytes.Buffer
			err = export.Write(&b, tt.format, p)
			if tt.wantErr {
				if !errors.Is(err, encryptperm.ErrInvalid) {
					t.Fatalf("export = %v; want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			doc := exportedDocument(t, tt.format, b.String(), tt.trust != "")
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(doc)); err != nil {
				t.Fatalf("exported document is not JSON: %v\n%s", err, doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(compact.String(), w) {
					t.Errorf("exported document lacks %s:\n%s", w, compact.String())
				}
			}
		})
	}
}

// exportedDocument reads back from an export the shared role's trust policy
// (role) or the snapshot policy's document, as the format's tool would.
func exportedDocument(t *testing.T, format export.Format, out string, role bool) string {
	t.Helper()
	switch format {
	case export.Terraform:
		res, _, _ := parseTerraform(t, out)
		for _, r := range res {
			if role && r.typ == "alicloud_ram_role" && str(t, r.attrs["role_name"]) == snapRole {
				return str(t, r.attrs["assume_role_policy_document"])
			}
			if !role && r.typ == "alicloud_ram_policy" && str(t, r.attrs["policy_name"]) == snapPolicy {
				return str(t, r.attrs["policy_document"])
			}
		}
	case export.ROS:
		var tmpl struct {
			Resources map[string]struct {
				Type       string
				Properties map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(out), &tmpl); err != nil {
			t.Fatal(err)
		}
		for _, r := range tmpl.Resources {
			if role && r.Type == "ALIYUN::RAM::Role" && string(r.Properties["RoleName"]) == `"`+snapRole+`"` {
				return string(r.Properties["AssumeRolePolicyDocument"])
			}
			if !role && r.Type == "ALIYUN::RAM::ManagedPolicy" && string(r.Properties["PolicyName"]) == `"`+snapPolicy+`"` {
				if d, ok := r.Properties["PolicyDocumentUnchecked"]; ok {
					return string(d)
				}
				return string(r.Properties["PolicyDocument"])
			}
		}
	case export.AliyunCLI:
		for _, line := range strings.Split(out, "\n") {
			args, err := shell.Fields(line, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(args); i++ {
				if role && args[i] == "--NewAssumeRolePolicyDocument" || !role && args[i] == "--PolicyDocument" {
					return args[i+1]
				}
			}
		}
	}
	t.Fatalf("no document in the %s export:\n%s", format, out)
	return ""
}

// TestROSRefusesWhatROSWouldEvaluate puts on the shared role, or in the
// existing custom policy, a foreign statement with an object that ROS would
// read as a function (a key Ref, or one that begins with Fn::), plans an
// added account and exports the plan as a ROS template. ROS documents no way
// to carry such an object literally, so the export is refused. Text that only
// looks like a function (a string "Ref", "${...}", a key Fn:Sub or
// Reference) is not evaluated by ROS, and is carried as it is.
func TestROSRefusesWhatROSWouldEvaluate(t *testing.T) {
	const (
		trustStmt  = `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"` + foreign + `@ecs.aliyuncs.com"},"Condition":%s}`
		policyStmt = `{"Action":"kms:Decrypt","Effect":"Allow","Resource":"acs:kms:*:*:key/x"%s}`
	)
	tests := []struct {
		name    string
		trust   string // the shared role's foreign statement, or ""
		policy  string // the existing custom policy's statement, or ""
		want    string // a text the exported document holds
		wantErr string
	}{
		{
			name:    "Ref as a condition key of the trust policy",
			trust:   fmt.Sprintf(trustStmt, `{"StringEquals":{"Ref":"ALIYUN::AccountId"}}`),
			wantErr: `export: ros: trust policy of role "AliyunECSShareEncryptSnapshotDefaultRole": the document holds an object with the key "Ref" at Statement[0].Condition.StringEquals, which ROS would evaluate as a function (Ref, Fn::…) and has no way to carry literally; export it in another format: encryptperm: invalid`,
		},
		{
			name:    "Fn::Sub as a condition operator",
			trust:   fmt.Sprintf(trustStmt, `{"Fn::Sub":{"acs:SourceIp":"${ALIYUN::AccountId}"}}`),
			wantErr: `export: ros: trust policy of role "AliyunECSShareEncryptSnapshotDefaultRole": the document holds an object with the key "Fn::Sub" at Statement[0].Condition, which ROS would evaluate as a function (Ref, Fn::…) and has no way to carry literally; export it in another format: encryptperm: invalid`,
		},
		{
			name:    "a statement key beginning with Fn::, beside others",
			policy:  fmt.Sprintf(policyStmt, `,"Fn::GetAtt":["Role","Arn"]`),
			wantErr: `export: ros: policy "EncryptPerm-ShareSnapshotKeys": the document holds an object with the key "Fn::GetAtt" at Statement[0], which ROS would evaluate as a function (Ref, Fn::…) and has no way to carry literally; export it in another format: encryptperm: invalid`,
		},
		{
			name:    "a function ROS may add later",
			policy:  fmt.Sprintf(policyStmt, `,"Condition":{"StringEquals":{"Fn::NotYetDocumented":"x"}}`),
			wantErr: `export: ros: policy "EncryptPerm-ShareSnapshotKeys": the document holds an object with the key "Fn::NotYetDocumented" at Statement[0].Condition.StringEquals, which ROS would evaluate as a function (Ref, Fn::…) and has no way to carry literally; export it in another format: encryptperm: invalid`,
		},
		{
			name:    "ref in another case",
			policy:  fmt.Sprintf(policyStmt, `,"Condition":{"StringEquals":{"ref":"x"}}`),
			wantErr: `export: ros: policy "EncryptPerm-ShareSnapshotKeys": the document holds an object with the key "ref" at Statement[0].Condition.StringEquals, which ROS would evaluate as a function (Ref, Fn::…) and has no way to carry literally; export it in another format: encryptperm: invalid`,
		},
		{
			name:   "text that only looks like a function",
			policy: fmt.Sprintf(policyStmt, `,"Condition":{"StringEquals":{"Reference":"Ref","Fn:Sub":"${ALIYUN::AccountId}","acs:x":"{\"Ref\":\"y\"}"}}`),
			want:   `"Condition":{"StringEquals":{"Fn:Sub":"${ALIYUN::AccountId}","Reference":"Ref","acs:x":"{\"Ref\":\"y\"}"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(&fake.Options{AccountID: owner})
			if tt.trust != "" {
				if err := f.PutRole(fake.Role{Name: snapRole, TrustPolicy: `{"Version":"1","Statement":[` + tt.trust + `]}`}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.policy != "" {
				doc := `{"Version":"1","Statement":[` + tt.policy + `]}`
				if err := f.PutPolicy(fake.Policy{Name: snapPolicy, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc, IsDefault: true}}}); err != nil {
					t.Fatal(err)
				}
			}
			g, err := encryptperm.ShareSnapshot().WithAccounts(recipients...).WithKey(key).Build()
			if err != nil {
				t.Fatal(err)
			}
			_, p := plan(t, f, []*encryptperm.Grant{g})
			var b bytes.Buffer
			err = export.WriteROS(&b, p)
			if tt.wantErr != "" {
				if !errors.Is(err, encryptperm.ErrInvalid) {
					t.Fatalf("WriteROS = %v; want ErrInvalid", err)
				}
				if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				if b.Len() != 0 {
					t.Errorf("WriteROS wrote a template beside its error:\n%s", b.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(exportedDocument(t, export.ROS, b.String(), tt.trust != ""))); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(compact.String(), tt.want) {
				t.Errorf("exported document lacks %s:\n%s", tt.want, compact.String())
			}
		})
	}
}
