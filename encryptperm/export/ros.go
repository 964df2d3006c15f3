package export

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// rosStatementKeys are the statement keys ROS's PolicyDocument property
// describes; a document with any other key (NotAction, NotResource, or one
// RAM added later) goes in PolicyDocumentUnchecked, which ROS passes on
// as it is.
var rosStatementKeys = map[string]bool{"Effect": true, "Action": true, "Resource": true, "Condition": true}

// WriteROS writes p as a Resource Orchestration Service template in JSON:
// an ALIYUN::RAM::Role per role, an ALIYUN::RAM::ManagedPolicy per custom
// policy and an ALIYUN::RAM::AttachPolicyToRole per attachment the grants
// need, with the documents RAM will hold after the plan's merge, and the
// shares the plan makes, each depending on its role's attachments:
// ALIYUN::ECS::ImageSharePermission, ALIYUN::ResourceManager::ResourceShare
// and ALIYUN::ResourceManager::ResourceShareAssociation (the ShareRegion
// output says the region to make the stack in). Every role,
// and every resource that already exists, has DeletionPolicy Retain. ROS
// cannot create what exists: the template's AdoptExisting output lists those
// resources and says how to import them into the stack.
func WriteROS(w io.Writer, p *encryptperm.Plan) error {
	ts, err := targets("ros", p)
	if err != nil {
		return err
	}
	resources := map[string]any{}
	used := names{}
	logical := func(prefix, name string) string {
		return used.unique(prefix+camel(name), "")
	}
	var existing []string
	attachments := map[string][]string{} // lower-case role name -> logical IDs
	for _, rt := range ts {
		trust, err := rosDocument(rt.TrustPolicy)
		if err != nil {
			return fmt.Errorf("export: ros: trust policy of role %q: %w", rt.Name, err)
		}
		props := map[string]any{"RoleName": rt.Name, "AssumeRolePolicyDocument": trust}
		if rt.Description != "" {
			props["Description"] = rt.Description
		}
		roleID := logical("Role", rt.Name)
		resources[roleID] = map[string]any{"Type": "ALIYUN::RAM::Role", "DeletionPolicy": "Retain", "Properties": props}
		if rt.Exists {
			existing = append(existing, fmt.Sprintf("%s (ALIYUN::RAM::Role, RoleName %s)", roleID, rt.Name))
		}
		policyIDs := map[string]string{}
		for _, pt := range rt.Policies {
			if pt.Type != encryptperm.Custom || pt.Detach {
				continue
			}
			doc, err := rosDocument(pt.Document)
			if err != nil {
				return fmt.Errorf("export: ros: policy %q: %w", pt.Name, err)
			}
			key := "PolicyDocument"
			if shape, _ := decode(pt.Document); !rosChecked(shape) {
				key = "PolicyDocumentUnchecked"
			}
			props := map[string]any{"PolicyName": pt.Name, key: doc}
			if pt.Description != "" {
				props["Description"] = pt.Description
			}
			id := logical("Policy", pt.Name)
			policyIDs[pt.Name] = id
			res := map[string]any{"Type": "ALIYUN::RAM::ManagedPolicy", "Properties": props}
			if pt.Exists {
				res["DeletionPolicy"] = "Retain"
				existing = append(existing, fmt.Sprintf("%s (ALIYUN::RAM::ManagedPolicy, PolicyName %s)", id, pt.Name))
			}
			resources[id] = res
		}
		for _, pt := range rt.Policies {
			if pt.Detach {
				continue
			}
			id := logical("Attach", rt.Name+"-"+pt.Name)
			attachments[strings.ToLower(rt.Name)] = append(attachments[strings.ToLower(rt.Name)], id)
			deps := []string{roleID}
			if pid, ok := policyIDs[pt.Name]; ok {
				deps = append(deps, pid)
			}
			res := map[string]any{
				"Type":       "ALIYUN::RAM::AttachPolicyToRole",
				"DependsOn":  deps,
				"Properties": map[string]any{"RoleName": rt.Name, "PolicyName": pt.Name, "PolicyType": string(pt.Type)},
			}
			if pt.Attached {
				res["DeletionPolicy"] = "Retain"
				existing = append(existing, fmt.Sprintf("%s (ALIYUN::RAM::AttachPolicyToRole, %s policy %s on role %s)", id, pt.Type, pt.Name, rt.Name))
			}
			resources[id] = res
		}
	}
	adopt := "Nothing here exists yet: create the stack from this template."
	if len(existing) > 0 {
		adopt = "These resources already exist, and ROS cannot create them again: " + strings.Join(existing, "; ") +
			". Import them into the stack first (a change set of type IMPORT naming each one by its name), then update the stack with this template. " +
			"Do not set IgnoreExisting instead: ROS would then skip them, and the merged documents would never be written."
	}
	var detached []string
	for _, rt := range ts {
		for _, pt := range rt.Policies {
			if pt.Detach {
				detached = append(detached, fmt.Sprintf("%s policy %s from role %s", pt.Type, pt.Name, rt.Name))
			}
		}
	}
	outputs := map[string]any{
		"AdoptExisting": map[string]any{"Description": "How to adopt what already exists", "Value": adopt},
	}
	if len(detached) > 0 {
		outputs["DetachByHand"] = map[string]any{
			"Description": "Detaches the plan makes that a template cannot declare",
			"Value":       "Detach " + strings.Join(detached, "; ") + " (aliyun ram DetachPolicyFromRole).",
		}
	}
	if regions := rosShares(resources, shareCalls(p), attachments, logical); len(regions) > 0 {
		outputs["ShareRegion"] = map[string]any{
			"Description": "Where the stack must be made: the shares of images and snapshots are regional, and a stack makes its resources in its own region",
			"Value":       "Make the stack in " + strings.Join(regions, ", ") + "; a plan sharing in several regions needs a stack per region.",
		}
	}
	tmpl := map[string]any{
		"ROSTemplateFormatVersion": "2015-09-01",
		"Description": "RAM roles and policies that let ECS use KMS keys, as RAM will hold them once the reviewed plan is applied. " +
			"Documents hold what others added to the shared roles too; keep it. Made from RAM as it was read for the plan; if RAM changes, export again.",
		"Resources": resources,
		"Outputs":   outputs,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tmpl); err != nil {
		return fmt.Errorf("export: ros: %v: %w", err, encryptperm.ErrInvalid)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// rosDocument returns a document to embed in the template as the plan holds
// it, its numbers and escapes unchanged. ROS reads a document property as a
// map, which cannot hold one key twice: a document with an object whose keys
// repeat, or are equal without regard to case (a statement this library
// keeps opaque for that reason), is refused rather than handed to ROS to
// keep one of them, or to reorder them.
//
// ROS also reads an object with a key Ref, or one that begins with Fn::, as
// a call of one of its functions, wherever it stands in a template, and
// documents no way to carry such an object literally (its only escape,
// ${!Literal}, is for text inside Fn::Sub). A document that holds one, in a
// statement another team wrote for example, is refused too: handed to ROS,
// {"Ref":"ALIYUN::AccountId"} in a condition would become the account's ID.
// Keys are matched without regard to case, and whatever other keys the
// object has, so that no spelling ROS might accept gets through. Strings are
// not evaluated outside Fn::Sub, so text such as "${ALIYUN::AccountId}" is
// carried as it is.
func rosDocument(doc string) (json.RawMessage, error) {
	v, err := decode(doc)
	if err != nil {
		return nil, err
	}
	if k, ok := collidingKey(doc); ok {
		return nil, fmt.Errorf("the document repeats key %q in one object, which a ROS template, read as a map, "+
			"cannot carry; export it in another format: %w", k, encryptperm.ErrInvalid)
	}
	if path, k, ok := rosFunction(v, ""); ok {
		return nil, fmt.Errorf("the document holds an object with the key %q at %s, which ROS would evaluate as a "+
			"function (Ref, Fn::…) and has no way to carry literally; export it in another format: %w", k, path, encryptperm.ErrInvalid)
	}
	return json.RawMessage(doc), nil
}

// rosFunction returns the path of the first object in v, in key order, with
// a key that ROS reads as the name of a function, and that key.
func rosFunction(v any, path string) (at, key string, ok bool) {
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			if strings.EqualFold(k, "Ref") || len(k) >= 4 && strings.EqualFold(k[:4], "Fn::") {
				return cmp.Or(path, "the top"), k, true
			}
		}
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if at, key, ok := rosFunction(v[k], p); ok {
				return at, key, true
			}
		}
	case []any:
		for i, e := range v {
			if at, key, ok := rosFunction(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return at, key, true
			}
		}
	}
	return "", "", false
}

// rosChecked reports whether every statement of a document uses only the
// keys ROS's PolicyDocument property describes.
func rosChecked(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	sts, ok := m["Statement"].([]any)
	if !ok {
		return false
	}
	for _, s := range sts {
		sm, ok := s.(map[string]any)
		if !ok {
			return false
		}
		for k := range sm {
			if !rosStatementKeys[k] {
				return false
			}
		}
	}
	return true
}

// camel turns a RAM name into letters and digits for a logical ID:
// EncryptPerm-ShareImageKeys becomes EncryptPermShareImageKeys.
func camel(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
