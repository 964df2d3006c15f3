package policy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// kmsDefault is the key policy KMS gives a key it creates in an instance.
const kmsDefault = `{"Version":"1","Statement":[{"Sid":"kms default key policy","Effect":"Allow",` +
	`"Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}]}`

func TestKeyPolicyReadsStrictlyAndFaithfully(t *testing.T) {
	for name, read := range map[string]func([]byte) (*policy.Document, error){"Parse": policy.Parse, "Read": policy.Read} {
		d, err := read([]byte(kmsDefault))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := d.Statement[0]
		if diff := cmp.Diff(policy.Values{"acs:ram::1234567890123456:*"}, s.Principal.RAM); diff != "" {
			t.Errorf("%s: RAM principal (-want +got):\n%s", name, diff)
		}
		if got := string(s.Extra["Sid"]); got != `"kms default key policy"` {
			t.Errorf("%s: Sid kept as %s", name, got)
		}
		want := `{"Statement":[{"Action":"kms:*","Effect":"Allow","Principal":{"RAM":"acs:ram::1234567890123456:*"},"Resource":"*","Sid":"kms default key policy"}],"Version":"1"}`
		if got, _ := json.Marshal(d); string(got) != want {
			t.Errorf("%s: marshals to\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestParseRefusesABadSid(t *testing.T) {
	tests := []struct {
		name string
		sid  string
		want string
	}{
		{"a number", `7`, "Statement[0].Sid"},
		{"129 characters", `"` + strings.Repeat("é", 129) + `"`, "must be a string of at most 128 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(kmsDefault, `"kms default key policy"`, tt.sid, 1)
			_, err := policy.Parse([]byte(doc))
			if !errors.Is(err, policy.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v, want ErrInvalid naming %q", err, tt.want)
			}
			if _, err := policy.Read([]byte(doc)); err != nil {
				t.Errorf("Read, faithful, refuses it: %v", err)
			}
		})
	}
	if _, err := policy.Parse([]byte(strings.Replace(kmsDefault, `"kms default key policy"`, `"`+strings.Repeat("é", 128)+`"`, 1))); err != nil {
		t.Errorf("Parse refuses a Sid of 128 characters: %v", err)
	}
}

func TestKeyPolicyPrincipals(t *testing.T) {
	doc := `{"Version":"1","Statement":[
		{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]},
		{"Effect":"Allow","Principal":{"RAM":["acs:ram::2000000000000001:role/Backup"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`
	ps := policy.Compile(mustParse(t, doc))
	tests := []struct {
		give string // the request's RAM principal
		act  string
		want policy.EvalResult
	}{
		{"acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole", "kms:Encrypt",
			policy.EvalResult{Verdict: policy.VerdictAllow, By: policy.Ref{Doc: 0, Statement: 0}, Doubt: policy.Ref{Doc: -1, Statement: -1}}},
		{"acs:ram::2000000000000001:role/backup", "kms:Decrypt",
			policy.EvalResult{Verdict: policy.VerdictAllow, By: policy.Ref{Doc: 0, Statement: 1}, Doubt: policy.Ref{Doc: -1, Statement: -1}}},
		{"acs:ram::2000000000000001:role/Backup", "kms:Encrypt",
			policy.EvalResult{Verdict: policy.VerdictImplicitDeny, By: policy.Ref{Doc: -1, Statement: -1}, Doubt: policy.Ref{Doc: -1, Statement: -1}}},
		{"acs:ram::2000000000000002:role/Backup", "kms:Decrypt",
			policy.EvalResult{Verdict: policy.VerdictImplicitDeny, By: policy.Ref{Doc: -1, Statement: -1}, Doubt: policy.Ref{Doc: -1, Statement: -1}}},
	}
	for _, tt := range tests {
		got := ps.Eval(&policy.Request{Action: tt.act, Resource: "acs:kms:cn-hangzhou:1234567890123456:key/key-a", Principal: policy.RequestPrincipal{RAM: tt.give}})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.give, tt.act, diff)
		}
	}
}

func mustParse(t *testing.T, doc string) *policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
