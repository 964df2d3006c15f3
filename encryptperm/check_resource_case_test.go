package encryptperm_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// A policy someone attached to the share role names the key in upper case
// (key/KEY-HZABC) beside another key. KMS key IDs are case-sensitive, so
// the policy grants nothing on key-hzabc and ECS in the recipient's account
// cannot use it: Check must answer "not allowed", missing every key-use
// action. An evaluator that matched resources without regard to case would
// answer "allowed": it would fail open.
func TestCheckKeyInAnotherCaseIsNotGranted_FailOpen(t *testing.T) {
	const upperKeyPolicy = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":["acs:kms:cn-hangzhou:1111111111111111:key/KEY-HZABC","acs:kms:cn-hangzhou:1111111111111111:key/key-other"],"Effect":"Allow"}]}`
	c := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "TeamKeys="+upperKeyPolicy)
	d, err := encryptperm.Check(context.Background(), c, chkImage(chkB))
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Errorf("Allowed = true, want false:\n%s", d)
	}
	want := []string{"kms:DescribeKey", "kms:TagResource", "kms:UntagResource", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}
	if diff := cmp.Diff(want, d.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
}
