package export

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// The provider versions the Terraform declarations of a share need: the
// resource share's allow_external_targets arrived in 1.261.0, a shared
// resource of type Snapshot in 1.240.0 (Image in 1.192.0), the image share
// permission in 1.68.0.
const (
	terraformExternalTargetsVersion = "1.261.0"
)

// shareCall is one share write of a plan: an ECS or Resource Sharing call
// the exports declare.
type shareCall struct {
	action  string
	summary string
	w       encryptperm.ShareWrite
}

// shareCalls returns the plan's share writes, in the order the engine
// makes them (after RAM's).
func shareCalls(p *encryptperm.Plan) []shareCall {
	var out []shareCall
	for _, c := range p.Changes {
		if c.Share != nil && !c.Share.Remove {
			out = append(out, shareCall{c.Action, c.Summary, *c.Share})
		}
	}
	return out
}

// rsType is Resource Sharing's name of a resource type.
func rsType(t encryptperm.ResourceType) string {
	if t == encryptperm.ResourceImage {
		return "Image"
	}
	return "Snapshot"
}

// providerVersion is the least alicloud provider version that declares
// everything the plan holds.
func providerVersion(calls []shareCall) string {
	for _, c := range calls {
		if c.w.AllowExternalTargets {
			return terraformExternalTargetsVersion
		}
	}
	return TerraformProviderVersion
}

// writeTerraformShares declares the plan's shares: an
// alicloud_image_share_permission per account an image is shared with
// through ECS; for a new resource share an
// alicloud_resource_manager_resource_share, its
// alicloud_resource_manager_shared_resource and an
// alicloud_resource_manager_shared_target per target; for an existing one,
// the shared targets added. Each uses a provider of the resource's region
// (RAM is global, ECS and Resource Sharing are not), and depends on the
// attachments of the role that lets the recipients' ECS use the key: ECS
// refuses the share until RAM holds the grant.
func writeTerraformShares(bw *bufio.Writer, calls []shareCall, attachments map[string][]string, used names) {
	if len(calls) == 0 {
		return
	}
	var regions []string
	for _, c := range calls {
		if !slices.Contains(regions, c.w.Region) {
			regions = append(regions, c.w.Region)
		}
	}
	slices.Sort(regions)
	fmt.Fprintf(bw, "\n# The shares the plan makes once RAM holds the grants, in the resources' regions.\n")
	for _, r := range regions {
		fmt.Fprintf(bw, "provider \"alicloud\" {\n  alias  = %q\n  region = %s\n}\n", ident(r), hclString(r))
	}
	shares := map[string]string{} // share name -> resource address
	dependsOn := func(c shareCall) string {
		deps := attachments[strings.ToLower(c.w.ResourceType.RoleName())]
		if len(deps) == 0 {
			return ""
		}
		return "\n  # ECS shares the resource only once the role lets the recipients use its key.\n  depends_on = [" + strings.Join(deps, ", ") + "]\n"
	}
	for _, c := range calls {
		prov := "alicloud." + ident(c.w.Region)
		fmt.Fprintf(bw, "\n# %s (%s).\n", oneLine(c.summary), c.action)
		switch c.action {
		case "ModifyImageSharePermission":
			for _, a := range c.w.Targets {
				name := used.get(ident("share_" + c.w.ResourceID + "_" + a))
				fmt.Fprintf(bw, "resource \"alicloud_image_share_permission\" %q {\n", name)
				fmt.Fprintf(bw, "  provider   = %s\n  image_id   = %s\n  account_id = %s\n%s}\n", prov, hclString(c.w.ResourceID), hclString(a), dependsOn(c))
			}
		case "CreateResourceShare":
			share := used.get(ident(c.w.ShareName))
			shares[c.w.ShareName] = "alicloud_resource_manager_resource_share." + share
			fmt.Fprintf(bw, "resource \"alicloud_resource_manager_resource_share\" %q {\n", share)
			fmt.Fprintf(bw, "  provider            = %s\n  resource_share_name = %s\n", prov, hclString(c.w.ShareName))
			if c.w.AllowExternalTargets {
				fmt.Fprintf(bw, "  # Accounts outside the resource directory accept an invitation first.\n  allow_external_targets = true\n")
			}
			fmt.Fprintf(bw, "}\n")
			res := used.get(share + "_resource")
			fmt.Fprintf(bw, "\nresource \"alicloud_resource_manager_shared_resource\" %q {\n", res)
			fmt.Fprintf(bw, "  provider          = %s\n  resource_share_id = %s.id\n  resource_id       = %s\n  resource_type     = %s\n%s}\n",
				prov, shares[c.w.ShareName], hclString(c.w.ResourceID), hclString(rsType(c.w.ResourceType)), dependsOn(c))
			writeTerraformTargets(bw, c, prov, shares[c.w.ShareName]+".id", used, dependsOn(c))
		case "AssociateResourceShare":
			shareID := hclString(c.w.ShareID)
			if c.w.ShareID == "" {
				shareID = shares[c.w.ShareName] + ".id"
			}
			writeTerraformTargets(bw, c, prov, shareID, used, dependsOn(c))
		}
	}
}

// writeTerraformTargets declares a shared target for each target of c.
func writeTerraformTargets(bw *bufio.Writer, c shareCall, prov, shareID string, used names, deps string) {
	for _, t := range c.w.Targets {
		name := used.get(ident("share_" + c.w.ResourceID + "_" + t))
		fmt.Fprintf(bw, "\nresource \"alicloud_resource_manager_shared_target\" %q {\n", name)
		fmt.Fprintf(bw, "  provider          = %s\n  resource_share_id = %s\n  target_id         = %s\n%s}\n", prov, shareID, hclString(t), deps)
	}
}

// rosShares declares the plan's shares in a ROS template: an
// ALIYUN::ECS::ImageSharePermission per ModifyImageSharePermission call
// (at most 10 accounts, as ECS takes), an
// ALIYUN::ResourceManager::ResourceShare for a new resource share (its
// resource and first 5 targets) and an
// ALIYUN::ResourceManager::ResourceShareAssociation for the targets added
// after, each depending on the attachments of the role that lets the
// recipients' ECS use the key. It returns the regions the shares are in:
// the stack must be made in that region.
func rosShares(resources map[string]any, calls []shareCall, attachments map[string][]string, logical func(prefix, name string) string) []string {
	var regions []string
	shares := map[string]string{} // share name -> logical ID
	for _, c := range calls {
		if !slices.Contains(regions, c.w.Region) {
			regions = append(regions, c.w.Region)
		}
		deps := attachments[strings.ToLower(c.w.ResourceType.RoleName())]
		res := map[string]any{}
		if len(deps) > 0 {
			res["DependsOn"] = deps
		}
		switch c.action {
		case "ModifyImageSharePermission":
			res["Type"] = "ALIYUN::ECS::ImageSharePermission"
			res["Properties"] = map[string]any{"ImageId": c.w.ResourceID, "Accounts": c.w.Targets}
			resources[logical("Share", c.w.ResourceID)] = res
		case "CreateResourceShare":
			id := logical("ResourceShare", c.w.ShareName)
			shares[c.w.ShareName] = id
			props := map[string]any{
				"ResourceShareName": c.w.ShareName,
				"Resources":         []any{map[string]any{"ResourceId": c.w.ResourceID, "ResourceType": rsType(c.w.ResourceType)}},
				"Targets":           c.w.Targets,
			}
			if c.w.AllowExternalTargets {
				props["AllowExternalTargets"] = true
			}
			res["Type"] = "ALIYUN::ResourceManager::ResourceShare"
			res["Properties"] = props
			resources[id] = res
		case "AssociateResourceShare":
			var shareID any = c.w.ShareID
			if c.w.ShareID == "" {
				shareID = map[string]any{"Fn::GetAtt": []any{shares[c.w.ShareName], "ResourceShareId"}}
				res["DependsOn"] = append(slices.Clone(deps), shares[c.w.ShareName])
			}
			res["Type"] = "ALIYUN::ResourceManager::ResourceShareAssociation"
			res["Properties"] = map[string]any{"ResourceShareId": shareID, "Targets": c.w.Targets}
			resources[logical("ShareAssociation", c.w.ResourceID)] = res
		}
	}
	slices.Sort(regions)
	return regions
}

// cliShareCalls are the plan's share writes as aliyun-cli calls. The ID of
// a resource share the script makes is read from CreateResourceShare's
// answer into a shell variable, for the AssociateResourceShare calls
// after it.
func cliShareCalls(calls []shareCall) []cliCall {
	var out []cliCall
	vars := map[string]string{} // share name -> shell variable
	for _, c := range calls {
		args := []string{"RegionId", c.w.Region}
		switch c.action {
		case "ModifyImageSharePermission":
			args = append(args, "ImageId", c.w.ResourceID)
			for i, a := range c.w.Targets {
				args = append(args, fmt.Sprintf("AddAccount.%d", i+1), a)
			}
			out = append(out, cliCall{what: c.summary, product: "ecs", action: c.action, args: args})
		case "CreateResourceShare":
			args = append(args, "ResourceShareName", c.w.ShareName, "Resources.1.ResourceId", c.w.ResourceID, "Resources.1.ResourceType", rsType(c.w.ResourceType))
			for i, t := range c.w.Targets {
				args = append(args, fmt.Sprintf("Targets.%d", i+1), t)
			}
			if c.w.AllowExternalTargets {
				args = append(args, "AllowExternalTargets", "true")
			}
			v := fmt.Sprintf("share_id_%d", len(vars)+1)
			vars[c.w.ShareName] = v
			out = append(out, cliCall{what: c.summary + "; its ID is kept in $" + v, product: "resourcesharing", action: c.action, args: args, capture: v})
		case "AssociateResourceShare":
			id := c.w.ShareID
			ref := ""
			if id == "" {
				ref = vars[c.w.ShareName]
			}
			args = append(args, "ResourceShareId", id)
			for i, t := range c.w.Targets {
				args = append(args, fmt.Sprintf("Targets.%d", i+1), t)
			}
			out = append(out, cliCall{what: c.summary, product: "resourcesharing", action: c.action, args: args, ref: ref})
		}
	}
	return out
}
