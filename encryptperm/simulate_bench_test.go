package encryptperm

import (
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

func simRead(tb testing.TB, s string) *policy.Document {
	tb.Helper()
	d, err := policy.Read([]byte(s))
	if err != nil {
		tb.Fatalf("Read(%s): %v", s, err)
	}
	return d
}

const simKeyPolicy = `{"Version":"1","Statement":[
	{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
	{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
	 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`

// BenchmarkSimulate measures the slow path: compile, evaluate and explain.
func BenchmarkSimulate(b *testing.B) {
	trust := simRead(b, `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`)
	pols := []Attachment{{Name: "keys", Type: Custom, Document: simRead(b, simKeyPolicy)}}
	a := Access{Recipient: "2000000000000001", Resource: ResourceImage, Key: Key{Region: "cn-hangzhou", Owner: "1111111111111111", ID: "key-hzabc"}}
	b.ReportAllocs()
	for b.Loop() {
		if !Simulate(trust, pols, a).Allowed {
			b.Fatal("not allowed")
		}
	}
}
