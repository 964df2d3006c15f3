// Package kmsclient declares, for the generated mock only, the KMS client
// the library reads key policies with: encryptperm.KMS and the optional
// GetKeyPolicy that Check and Apply use when a client has it. The mock
// generated from it (mock.MockKMS) has both methods, so that tests can
// script a key's policy.
package kmsclient

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// KMS is encryptperm.KMS with GetKeyPolicy.
type KMS interface {
	encryptperm.KMS
	// GetKeyPolicy reads the key policy of a key in a KMS instance.
	GetKeyPolicy(request *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
}

var _ KMS = (*kms.Client)(nil)
