// This file holds Key, the name of a KMS key.

package encryptperm

import (
	"fmt"
)

// Key names a KMS customer master key: acs:kms:<Region>:<Owner>:key/<ID>.
type Key struct {
	// Region is the key's region ID, such as cn-hangzhou.
	Region string `json:"region"`
	// Owner is the UID of the account that owns the key.
	Owner string `json:"owner"`
	// ID is the key ID: a UUID or key- followed by letters and digits.
	ID string `json:"id"`
}

// ARN returns the key's resource name, acs:kms:<region>:<owner>:key/<id>.
func (k Key) ARN() string { return fmt.Sprintf("acs:kms:%s:%s:key/%s", k.Region, k.Owner, k.ID) }

// ContainerARN returns the ARN of the key container the key lives in,
// acs:kms:<region>:<owner>:key, on which kms:List* is granted.
func (k Key) ContainerARN() string { return fmt.Sprintf("acs:kms:%s:%s:key", k.Region, k.Owner) }

// String returns the key's ARN.
func (k Key) String() string { return k.ARN() }
