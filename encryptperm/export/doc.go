// Package export writes a reviewed encryptperm.Plan in the forms that teams
// already keep their cloud in: Terraform for the alicloud provider, a
// Resource Orchestration Service (ROS) template, and a script of aliyun-cli
// calls.
//
// Terraform and ROS declare every role and policy the grants touch, changed
// or not, with the documents as RAM will hold them after the plan's merge:
// what others added to a shared role is declared too, so that applying the
// export never strips it. What already exists is adopted (Terraform import
// blocks; for ROS, a note on resource import), and the shared roles are
// protected from deletion. The aliyun-cli script holds the plan's writes
// only, in the order the engine makes them.
//
// When the plan also shares a named image or snapshot, each format declares
// the share after RAM's resources, and makes it wait for them, since ECS
// refuses a share until the role lets the recipients use the key:
// Terraform's alicloud_image_share_permission (an image shared with an
// account through ECS) and alicloud_resource_manager_resource_share,
// _shared_resource and _shared_target (Resource Sharing), each with a
// provider of the resource's region; ROS's ALIYUN::ECS::ImageSharePermission,
// ALIYUN::ResourceManager::ResourceShare and ResourceShareAssociation; the
// aliyun-cli calls "aliyun ecs ModifyImageSharePermission" and "aliyun
// resourcesharing CreateResourceShare" or "AssociateResourceShare". Each
// declares what the plan adds: a target added to a share that exists names
// the share by its ID, and the share itself stays outside the export. An
// account outside the resource directory still has to accept its
// invitation, whichever tool makes the share.
//
// Terraform normalizes every string it reads to Unicode form C, so a plan
// holding text in another form (in a foreign statement's condition value,
// say) cannot be exported as Terraform without changing it: WriteTerraform
// refuses it. The other formats carry the bytes as they are.
//
// Every format writes a document as the plan holds it: numbers as their
// text, however long, no escapes added, and a statement this library keeps
// opaque (one whose keys repeat, such as two Effect keys) with its keys as
// read. Terraform carries a document as one string, which the alicloud
// provider sends to RAM unchanged. A ROS template cannot: ROS reads a
// document property as a map, which holds a key once and in no set order,
// so WriteROS refuses a document with an object whose keys repeat or are
// equal without regard to case, rather than let ROS pick one of them. ROS
// also evaluates an object with a key Ref or Fn::… as a function call,
// anywhere in a template, and documents no way to carry one literally, so
// WriteROS refuses a document that holds such an object (a condition key
// "Ref" in a statement another team wrote, for example) rather than let ROS
// replace it with a value.
//
// An export describes RAM as it was when the plan was read. If RAM changes
// before the export is applied, make a new plan and export it again. A plan
// made by RevokePlan is refused: a revoke removes content, and these formats
// declare what should exist.
//
// # Errors
//
// Every function returns an error for which errors.Is(err,
// encryptperm.ErrInvalid) is true when the plan cannot be exported (a
// revoke's plan, a plan not made by an Applier, or a value that cannot be
// written in the format).
package export
