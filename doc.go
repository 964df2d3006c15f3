// Package ecsperm is the root of a Go SDK that grants Alibaba Cloud ECS the RAM
// permissions it needs to use KMS keys for encrypted disks, snapshots and
// images, and to share encrypted snapshots and images across accounts, as
// the ECS documentation page "Encryption-related permissions" describes
// (https://alibabacloud.com/help/en/ecs/user-guide/encryption-related-permissions).
//
// The packages:
//
//   - encryptperm: builders, grants, keys, limits, findings, the Applier
//     that applies grants to RAM, Check and Diagnose.
//   - encryptperm/policy: RAM's policy language alone: documents, strict and
//     faithful reading, canonical JSON, equality by meaning, evaluation.
//   - encryptperm/mock: gomock mocks of the backend interfaces, with the
//     reads each Applier method makes.
//   - encryptperm/export: a reviewed plan as Terraform for the alicloud
//     provider, a ROS template, or an aliyun-cli script.
//   - encryptperm/etcdlock: a Locker on etcd, so that processes that change
//     one role take turns; importing encryptperm alone pulls in no etcd.
//   - encryptperm/fleet: the Applier run in every member account of a
//     resource directory, from its management account.
//   - fake: an in-memory RAM, with fault injection and an HTTP endpoint that
//     speaks RAM's RPC protocol, for offline tests.
//
// Start with the README and examples/quickstart; from the shell, use the
// command-line tool examples/ecsperm.
package ecsperm
