// This file holds the built-in catalog of the system policies the builders
// attach, so that no system policy is read from RAM.

package encryptperm

import (
	"sort"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// systemPolicies holds the documents of the RAM system policies whose content
// decides whether ECS may use a key. RAM keeps system policies itself; the
// texts here are those Alibaba Cloud publishes (AliyunKMSFullAccess in its
// version 3; AliyunECSDiskEncryptRolePolicy as the ECS documentation lists
// it), so that Check and Simulate work offline and against the fake.
var systemPolicies = map[string]string{
	KMSFullAccessPolicy: `{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "ram:CreateServiceLinkedRole", "Resource": "*",
     "Condition": {"StringEquals": {"ram:ServiceName": ["secretsmanager-rds.kms.aliyuncs.com", "keystore.kms.aliyuncs.com"]}}}
  ]
}`,
	DiskEncryptSystemPolicy: `{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow",
     "Action": ["kms:List*", "kms:DescribeKey", "kms:TagResource", "kms:UntagResource"],
     "Resource": ["acs:kms:*:*:*", "acs:kms:*:*:*/*"]},
    {"Effect": "Allow",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
     "Resource": "acs:kms:*:*:*/*"}
  ]
}`,
}

// SystemPolicy returns the document of a RAM system policy from the built-in
// catalog, and whether the catalog holds it. Each call returns a fresh copy.
//
// The catalog holds AliyunKMSFullAccess and AliyunECSDiskEncryptRolePolicy,
// the two system policies that the ECS page "Encryption-related permissions"
// and the ECS console attach to its
// roles. RAM may revise a system policy; the catalog follows the published
// text, not the live one.
func systemPolicy(name string) (*policy.Document, bool) {
	text, ok := systemPolicies[name]
	if !ok {
		return nil, false
	}
	d, err := policy.Read([]byte(text))
	if err != nil {
		return nil, false
	}
	return d, true
}

// systemPolicyNames returns the names of the catalog's system policies,
// sorted.
func systemPolicyNames() []string {
	out := make([]string, 0, len(systemPolicies))
	for n := range systemPolicies {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
