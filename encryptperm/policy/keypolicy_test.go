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

func TestAccountPrincipal(t *testing.T) {
	tests := []struct {
		give    string
		wantUID string
		wantOK  bool
	}{
		{"acs:ram::1234567890123456:*", "1234567890123456", true},
		{"ACS:RAM::1234567890123456:*", "1234567890123456", true},
		{"acs:ram::1234567890123456:root", "", false},
		{"acs:ram::1234567890123456:role/*", "", false},
		{"acs:ram::*:*", "", false},
		{"acs:ram:::*", "", false},
		{"acs:ram::12345678901234a6:*", "", false},
		{"*", "", false},
	}
	for _, tt := range tests {
		uid, ok := policy.AccountPrincipal(tt.give)
		if uid != tt.wantUID || ok != tt.wantOK {
			t.Errorf("AccountPrincipal(%q) = %q, %v; want %q, %v", tt.give, uid, ok, tt.wantUID, tt.wantOK)
		}
	}
}

// An Allow's whole-account principal is read as the account itself; a
// Deny's is left as written (reading it narrower would deny less), and the
// document given is never changed.
func TestAccountsAsThemselves(t *testing.T) {
	doc, err := policy.Parse([]byte(`{"Version":"1","Statement":[
		{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*","acs:ram::1234567890123456:role/Backup"]},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":{"RAM":["acs:ram::9000000000000009:*"]},"Action":"kms:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"RAM":["acs:ram::9000000000000009:*"]},"Action":"kms:Decrypt","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	before := doc.Clone()
	got, changed := policy.AccountsAsThemselves(doc)
	if diff := cmp.Diff(map[int]string{0: "acs:ram::1234567890123456:*", 2: "acs:ram::9000000000000009:*"}, changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	want := [][]string{
		{"acs:ram::1234567890123456:root", "acs:ram::1234567890123456:role/Backup"},
		{"acs:ram::9000000000000009:*"},
		{"acs:ram::9000000000000009:root"},
	}
	for i, s := range got.Statement {
		if diff := cmp.Diff(want[i], []string(s.Principal.RAM)); diff != "" {
			t.Errorf("statement %d (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(before.Statement[0].Principal.RAM, doc.Statement[0].Principal.RAM); diff != "" {
		t.Errorf("the document given was changed (-before +after):\n%s", diff)
	}
	if again, changed := policy.AccountsAsThemselves(got); again != got || changed != nil {
		t.Errorf("a policy already read changed again: %v", changed)
	}
}

// MayDeny is true only while a Deny, or a statement of unknown effect,
// might apply and none does for certain.
func TestMayDeny(t *testing.T) {
	req := &policy.Request{Action: "kms:Decrypt", Resource: "acs:kms:cn-hangzhou:1234567890123456:key/key-a"}
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"an Allow alone", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, false},
		{"a Deny that applies", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}`, false},
		{"a Deny on a condition the request cannot answer", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*",
			"Condition":{"StringEquals":{"acs:SourceVpc":"vpc-a"}}}]}`, true},
		{"a Deny on another key", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"acs:kms:*:*:key/key-b"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := policy.Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := policy.Compile(doc).MayDeny(req); got != tt.want {
				t.Errorf("MayDeny = %v, want %v", got, tt.want)
			}
		})
	}
}
