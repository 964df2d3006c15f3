// Package ecsperm is the root of a Go SDK that grants Alibaba Cloud ECS the RAM
// permissions it needs to use KMS keys for encrypted disks, snapshots and
// images, and to share encrypted snapshots and images across accounts.
//
// The packages:
//
//   - encryptperm: builders, grants, keys, limits, findings, the Applier
//     that applies grants to RAM, Check and Diagnose.
//   - encryptperm/policy: RAM's policy language alone: documents, strict and
//     faithful reading, canonical JSON, equality by meaning, evaluation.
//   - encryptperm/mock: gomock mocks of the backend interfaces, with the
//     reads each Applier method makes.
//   - fake: an in-memory RAM, with fault injection and an HTTP endpoint that
//     speaks RAM's RPC protocol, for offline tests.
//
// Start with the README and examples/quickstart.
package ecsperm
