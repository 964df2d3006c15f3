package policy

// The names the evaluator's tests use: condition keys, actions and the
// container actions, as RAM, KMS and the ECS page spell them.
const (
	condRDID   = "sts:ServiceOwnerRDId"
	condRDPath = "sts:ServiceOwnerRDPath"
)

var (
	keyUseActions = []string{
		"kms:DescribeKey", "kms:TagResource", "kms:UntagResource",
		"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
	}
	listActions = []string{"kms:ListKeys"}
)
