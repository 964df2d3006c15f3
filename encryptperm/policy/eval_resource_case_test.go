package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Resources compare case-sensitively in every form a Resource or
// NotResource list takes: one exact value (which Eval compares on a fast
// path of its own), several values, a wildcard, and a list long enough to
// be looked up in a map. A key ID that differs only in case is another
// key: a policy naming key/KEY-HZABC grants nothing on key/key-hzabc, and
// matching them loosely would make Check answer "allowed" where KMS
// refuses. The property test TestEvalAgreesWithReference met this only now
// and then; these cases meet it every run.
func TestEvalResourcesMatchCase_FailOpen(t *testing.T) {
	const (
		upper = "acs:kms:cn-hangzhou:1111111111111111:key/KEY-HZABC"
		other = "acs:kms:cn-hangzhou:1111111111111111:key/key-other"
	)
	long := `"` + upper + `"`
	for _, id := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"} {
		long += `,"acs:kms:cn-hangzhou:1111111111111111:key/` + id + `"`
	}
	tests := []struct {
		name string
		give string // one statement
		want EvalResult
	}{
		{"one exact value", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + upper + `"}`, evImplicit()},
		{"two values", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":["` + upper + `","` + other + `"]}`, evImplicit()},
		{"a wildcard", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/KEY-*"}`, evImplicit()},
		{"a wildcard with ?", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/KEY-HZAB?"}`, evImplicit()},
		{"nine exact values", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":[` + long + `]}`, evImplicit()},
		{"NotResource naming the key in another case", `{"Effect":"Allow","Action":"kms:Decrypt","NotResource":["` + upper + `","` + other + `"]}`, evAllow(0, 0)},
		{"a Deny on the key in another case", `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/KEY-*"}`, evImplicit()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := []*Document{evRead(t, `{"Version":"1","Statement":[`+tt.give+`]}`)}
			req := evKMS("kms:Decrypt", evKeyARN)
			if diff := cmp.Diff(tt.want, Compile(docs...).Eval(&req)); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
			if got := refEval(docs, &req); got != tt.want {
				t.Errorf("reference evaluator says %+v, want %+v", got, tt.want)
			}
		})
	}
}
