// Package ecsperm is the root of a Go SDK that grants Alibaba Cloud ECS the RAM
// permissions it needs to use KMS keys for encrypted disks, snapshots and
// images, and to share encrypted snapshots and images across accounts.
//
// The packages:
//
//   - encryptperm: policy documents, builders, validation, and the engine
//     that applies grants to RAM.
//   - fake: an in-memory RAM, with fault injection and an HTTP endpoint that
//     speaks RAM's RPC protocol, for offline tests.
//
// Start with the README and examples/quickstart.
package ecsperm
