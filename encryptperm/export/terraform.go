package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// TerraformProviderVersion is the least version of the alicloud provider
// whose attribute names the Terraform export uses: alicloud_ram_role's
// role_name and assume_role_policy_document arrived in 1.252.0 (name and
// document before), alicloud_ram_policy's policy_name and policy_document in
// 1.114.0. Import blocks need Terraform 1.5. A plan that shares a resource
// with accounts outside the resource directory through a new resource
// share needs 1.261.0 (alicloud_resource_manager_resource_share's
// allow_external_targets), and the export asks for it.
const TerraformProviderVersion = "1.252.0"

// WriteTerraform writes p as a Terraform module for the alicloud provider:
// one alicloud_ram_role per role, one alicloud_ram_policy per custom policy
// and one alicloud_ram_role_policy_attachment per attachment the grants need,
// each with the documents RAM will hold after the plan's merge; an import
// block for each that already exists, so that terraform plan adopts it
// instead of failing with EntityAlreadyExists; and prevent_destroy on the
// roles, which other teams share, and on everything adopted. The shares the
// plan makes follow, each with a provider of its region and depending on
// the attachments of its role: alicloud_image_share_permission for an
// image shared with an account through ECS,
// alicloud_resource_manager_resource_share,
// alicloud_resource_manager_shared_resource and
// alicloud_resource_manager_shared_target for Resource Sharing (a target
// added to an existing share names the share by its ID).
func WriteTerraform(w io.Writer, p *encryptperm.Plan) error {
	ts, err := targets("terraform", p)
	if err != nil {
		return err
	}
	if err := terraformKeepsText(ts); err != nil {
		return err
	}
	calls := shareCalls(p)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `# RAM roles and policies that let ECS use KMS keys, as RAM will hold them
# once the reviewed plan is applied, and the shares of the images and
# snapshots the plan names. Documents hold what others added to the
# shared roles too: keep it, or Terraform would remove it.
# Made from RAM as it was read for the plan; if RAM changes, export again.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= %s"
    }
  }
}
`, providerVersion(calls))
	used := names{}
	attachments := map[string][]string{} // lower-case role name -> addresses
	for _, rt := range ts {
		role := used.get(ident(rt.Name))
		fmt.Fprintf(bw, "\n# Role %s: %s.\n", rt.Name, roleWhat(rt))
		trust, err := indent(rt.TrustPolicy)
		if err != nil {
			return fmt.Errorf("export: terraform: trust policy of role %q: %w", rt.Name, err)
		}
		fmt.Fprintf(bw, "resource \"alicloud_ram_role\" %q {\n", role)
		fmt.Fprintf(bw, "  role_name                   = %s\n", hclString(rt.Name))
		fmt.Fprintf(bw, "  assume_role_policy_document = %s\n", heredoc(trust))
		if rt.Description != "" {
			fmt.Fprintf(bw, "  description                 = %s\n", hclString(rt.Description))
		}
		fmt.Fprintf(bw, "\n  lifecycle {\n    # Other teams share this role: never let Terraform delete it.\n    prevent_destroy = true\n")
		if rt.Exists {
			fmt.Fprintf(bw, "    # RAM keeps the description it has; the export does not know it.\n    ignore_changes = [description]\n")
		}
		fmt.Fprintf(bw, "  }\n}\n")
		if rt.Exists {
			importBlock(bw, "alicloud_ram_role."+role, rt.Name)
		}
		policyRefs := map[string]string{}
		for _, pt := range rt.Policies {
			if pt.Type != encryptperm.Custom || pt.Detach {
				continue
			}
			pol := used.get(ident(pt.Name))
			policyRefs[pt.Name] = "alicloud_ram_policy." + pol + ".policy_name"
			doc, err := indent(pt.Document)
			if err != nil {
				return fmt.Errorf("export: terraform: policy %q: %w", pt.Name, err)
			}
			fmt.Fprintf(bw, "\n# Custom policy %s: %s.\n", pt.Name, policyWhat(pt))
			fmt.Fprintf(bw, "resource \"alicloud_ram_policy\" %q {\n", pol)
			fmt.Fprintf(bw, "  policy_name     = %s\n", hclString(pt.Name))
			fmt.Fprintf(bw, "  policy_document = %s\n", heredoc(doc))
			if pt.Description != "" {
				fmt.Fprintf(bw, "  description     = %s\n", hclString(pt.Description))
			}
			fmt.Fprintf(bw, "  # At RAM's cap of 5 versions, a new version pushes out the oldest\n  # non-default one, as the engine does.\n  rotate_strategy = \"DeleteOldestNonDefaultVersionWhenLimitExceeded\"\n")
			if pt.Exists {
				fmt.Fprintf(bw, "\n  lifecycle {\n    prevent_destroy = true\n    ignore_changes  = [description]\n  }\n")
			}
			fmt.Fprintf(bw, "}\n")
			if pt.Exists {
				importBlock(bw, "alicloud_ram_policy."+pol, pt.Name)
			}
		}
		for _, pt := range rt.Policies {
			if pt.Detach {
				fmt.Fprintf(bw, "\n# The plan also detaches %s policy %s from role %s. Terraform declares what\n# exists and has no resource for a detach: run\n#   aliyun ram DetachPolicyFromRole --RoleName %s --PolicyName %s --PolicyType %s\n",
					pt.Type, oneLine(pt.Name), oneLine(rt.Name), oneLine(rt.Name), oneLine(pt.Name), pt.Type)
				continue
			}
			att := used.get(ident(rt.Name + "_" + pt.Name))
			attachments[strings.ToLower(rt.Name)] = append(attachments[strings.ToLower(rt.Name)], "alicloud_ram_role_policy_attachment."+att)
			polExpr := hclString(pt.Name)
			if ref, ok := policyRefs[pt.Name]; ok {
				polExpr = ref
			}
			what := "attached by the plan"
			if pt.Attached {
				what = "already attached; adopted"
			}
			fmt.Fprintf(bw, "\n# %s policy %s on role %s: %s.\n", pt.Type, oneLine(pt.Name), oneLine(rt.Name), what)
			fmt.Fprintf(bw, "resource \"alicloud_ram_role_policy_attachment\" %q {\n", att)
			fmt.Fprintf(bw, "  role_name   = alicloud_ram_role.%s.role_name\n", role)
			fmt.Fprintf(bw, "  policy_name = %s\n", polExpr)
			fmt.Fprintf(bw, "  policy_type = %s\n", hclString(string(pt.Type)))
			if pt.Attached {
				fmt.Fprintf(bw, "\n  lifecycle {\n    prevent_destroy = true\n  }\n")
			}
			fmt.Fprintf(bw, "}\n")
			if pt.Attached {
				importBlock(bw, "alicloud_ram_role_policy_attachment."+att, "role:"+pt.Name+":"+string(pt.Type)+":"+rt.Name)
			}
		}
	}
	writeTerraformShares(bw, calls, attachments, used)
	return bw.Flush()
}

func importBlock(w io.Writer, to, id string) {
	fmt.Fprintf(w, "\nimport {\n  to = %s\n  id = %s\n}\n", to, hclString(id))
}

func roleWhat(rt encryptperm.RoleTarget) string {
	switch rt.TrustWrite {
	case "CreateRole":
		return "created by the plan"
	case "UpdateRole":
		return "exists; the plan adds the grants to its trust policy"
	}
	return "exists and already trusts what the grants name"
}

func policyWhat(pt encryptperm.PolicyTarget) string {
	switch pt.Write {
	case "CreatePolicy":
		return "created by the plan"
	case "CreatePolicyVersion":
		return "exists; the plan makes a new default version with the grants' keys"
	}
	return "exists and already holds the grants' keys"
}

// hclString quotes s as an HCL string literal: escapes for quotes,
// backslashes and control characters, and $${ and %%{ so that nothing in it
// is read as a template.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// terraformKeepsText refuses a plan holding text that Terraform would not
// keep as it is: every Terraform string is Unicode-normalized (NFC) when it
// is read, so a name, description or document in another form would reach
// RAM changed, and a condition value could change its meaning.
func terraformKeepsText(ts []encryptperm.RoleTarget) error {
	check := func(what, s string) error {
		if !norm.NFC.IsNormalString(s) {
			return fmt.Errorf("export: terraform: %s holds text that is not in Unicode normal form C; "+
				"Terraform would normalize it and change what RAM holds: %w", what, encryptperm.ErrInvalid)
		}
		return nil
	}
	for _, rt := range ts {
		for _, f := range [][2]string{{"name", rt.Name}, {"description", rt.Description}, {"trust policy", rt.TrustPolicy}} {
			if err := check(fmt.Sprintf("the %s of role %q", f[0], rt.Name), f[1]); err != nil {
				return err
			}
		}
		for _, pt := range rt.Policies {
			for _, f := range [][2]string{{"name", pt.Name}, {"description", pt.Description}, {"document", pt.Document}} {
				if err := check(fmt.Sprintf("the %s of policy %q", f[0], pt.Name), f[1]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// heredoc writes indented JSON as an HCL heredoc. JSON escapes every control
// character inside its strings, so each line is plain; only ${ and %{ need
// escaping, as $${ and %%{.
func heredoc(doc string) string {
	doc = strings.ReplaceAll(doc, "${", "$${")
	doc = strings.ReplaceAll(doc, "%{", "%%{")
	var b strings.Builder
	b.WriteString("<<-EOT\n")
	for _, line := range strings.Split(doc, "\n") {
		b.WriteString("    ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteString("  EOT")
	return b.String()
}

// oneLine keeps a name on its comment line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
