package encryptperm_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm/policy"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// update rewrites the golden files under testdata from the current output.
var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// dtRead reads a document faithfully or fails the test.
func dtRead(t testing.TB, s string) *policy.Document {
	t.Helper()
	d, err := policy.Read([]byte(s))
	if err != nil {
		t.Fatalf("ReadDocument(%s): %v", s, err)
	}
	return d
}

// dtParse reads a document strictly or fails the test.
func dtParse(t testing.TB, s string) *policy.Document {
	t.Helper()
	d, err := policy.Parse([]byte(s))
	if err != nil {
		t.Fatalf("ParseDocument(%s): %v", s, err)
	}
	return d
}

// dtValidationError returns err as a *ValidationError, failing the test if it
// is not one or does not wrap ErrInvalid.
func dtValidationError(t testing.TB, err error) *encryptperm.ValidationError {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want a *ValidationError")
	}
	var ve *encryptperm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %T (%v), want a *ValidationError", err, err)
	}
	if !errors.Is(err, encryptperm.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
	}
	return ve
}

// dtPaths returns the path of each problem, in order.
func dtPaths(ve *encryptperm.ValidationError) []string {
	out := make([]string, 0, len(ve.Problems))
	for _, p := range ve.Problems {
		out = append(out, p.Path)
	}
	return out
}

// dtGolden compares got with testdata/name, or rewrites the file under -update.
func dtGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestParseDocumentStrictErrors(t *testing.T) {
	const okStmt = `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`
	tests := []struct {
		name string
		give string
		// want lists the paths of the problems, in the order reported.
		want []string
		// wantReason, when set, must appear in the first problem's reason.
		wantReason string
		// wantValue, when set, is the first problem's value.
		wantValue string
	}{
		{
			name:       "unknown top-level key with did-you-mean",
			give:       `{"version":"1","Statement":[` + okStmt + `]}`,
			want:       []string{"version", "Version"},
			wantReason: `did you mean "Version"?`,
		},
		{
			name:       "unknown top-level key without a near name",
			give:       `{"Version":"1","Id":"x","Statement":[` + okStmt + `]}`,
			want:       []string{"Id"},
			wantReason: "allowed here: Version, Statement",
		},
		{
			name:       "unknown statement key with did-you-mean",
			give:       `{"Version":"1","Statement":[{"effect":"Allow","Action":"a","Resource":"*"}]}`,
			want:       []string{"Statement[0].effect", "Statement[0].Effect"},
			wantReason: `did you mean "Effect"?`,
		},
		{
			// A Sid is taken (key policies have them); one that is not a
			// string is not.
			name: "a Sid that is not a string",
			give: `{"Version":"1","Statement":[{"Sid":1,"Effect":"Allow","Action":"a","Resource":"*"}]}`,
			want: []string{"Statement[0].Sid"},
		},
		{
			name: "a Sid spelled in another case is a key RAM does not define",
			give: `{"Version":"1","Statement":[{"sid":"1","Effect":"Allow","Action":"a","Resource":"*"}]}`,
			want: []string{"Statement[0].sid"},
		},
		{
			name:       "unknown principal key with did-you-mean",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"service":"ecs.aliyuncs.com"}}]}`,
			want:       []string{"Statement[0].Principal.service", "Statement[0].Principal"},
			wantReason: `did you mean "Service"?`,
		},
		{
			name:       "duplicate top-level key",
			give:       `{"Version":"1","Version":"1","Statement":[` + okStmt + `]}`,
			want:       []string{"Version"},
			wantReason: "duplicate key",
		},
		{
			name:       "duplicate statement key",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"a","Resource":"*"}]}`,
			want:       []string{"Statement[0].Effect"},
			wantReason: "duplicate key",
		},
		{
			name:       "duplicate principal key",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Principal":{"Service":"a","Service":"b"}}]}`,
			want:       []string{"Statement[0].Principal.Service"},
			wantReason: "duplicate key",
		},
		{
			name:       "duplicate condition operator",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"k":"true"},"Bool":{"k":"false"}}}]}`,
			want:       []string{"Statement[0].Condition.Bool"},
			wantReason: "duplicate operator",
		},
		{
			name:       "duplicate condition key",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"k":"true","k":"false"}}}]}`,
			want:       []string{"Statement[0].Condition.Bool.k"},
			wantReason: "duplicate condition key",
		},
		{
			name:       "version missing",
			give:       `{"Statement":[` + okStmt + `]}`,
			want:       []string{"Version"},
			wantReason: "missing",
		},
		{
			name:      "version not 1",
			give:      `{"Version":"2","Statement":[` + okStmt + `]}`,
			want:      []string{"Version"},
			wantValue: "2",
		},
		{
			name:      "version a number",
			give:      `{"Version":1,"Statement":[` + okStmt + `]}`,
			want:      []string{"Version"},
			wantValue: "1",
		},
		{
			name:       "statement missing",
			give:       `{"Version":"1"}`,
			want:       []string{"Statement"},
			wantReason: "missing",
		},
		{
			name:       "statement list empty",
			give:       `{"Version":"1","Statement":[]}`,
			want:       []string{"Statement"},
			wantReason: "empty",
		},
		{
			name: "statement an object",
			give: `{"Version":"1","Statement":` + okStmt + `}`,
			want: []string{"Statement"},
		},
		{
			name: "statement element not an object",
			give: `{"Version":"1","Statement":["x"]}`,
			want: []string{"Statement[0]"},
		},
		{
			name:      "effect lower case",
			give:      `{"Version":"1","Statement":[{"Effect":"allow","Action":"a","Resource":"*"}]}`,
			want:      []string{"Statement[0].Effect"},
			wantValue: "allow",
		},
		{
			name: "effect a number",
			give: `{"Version":"1","Statement":[{"Effect":1,"Action":"a","Resource":"*"}]}`,
			want: []string{"Statement[0].Effect"},
		},
		{
			name: "effect missing",
			give: `{"Version":"1","Statement":[{"Action":"a","Resource":"*"}]}`,
			want: []string{"Statement[0].Effect"},
		},
		{
			name:       "action empty list",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`,
			want:       []string{"Statement[0].Action"},
			wantReason: "empty list",
		},
		{
			name: "resource empty list",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":[]}]}`,
			want: []string{"Statement[0].Resource"},
		},
		{
			name: "principal service empty list",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Principal":{"Service":[]}}]}`,
			want: []string{"Statement[0].Principal.Service"},
		},
		{
			name:       "action holds a number",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":["a",1],"Resource":"*"}]}`,
			want:       []string{"Statement[0].Action"},
			wantReason: "want a string, got a number",
		},
		{
			name:       "action an object",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}`,
			want:       []string{"Statement[0].Action"},
			wantReason: "got an object",
		},
		{
			name: "action holds an empty string",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["a",""],"Resource":"*"}]}`,
			want: []string{"Statement[0].Action[1]"},
		},
		{
			name:       "action and notaction",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","NotAction":"b","Resource":"*"}]}`,
			want:       []string{"Statement[0].NotAction"},
			wantReason: "not both",
		},
		{
			name: "neither action nor notaction",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
			want: []string{"Statement[0].Action"},
		},
		{
			name: "resource and notresource",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","NotResource":"x"}]}`,
			want: []string{"Statement[0].NotResource"},
		},
		{
			name:       "no resource and no principal",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a"}]}`,
			want:       []string{"Statement[0].Resource"},
			wantReason: "a trust statement a Principal",
		},
		{
			name:       "unknown condition operator",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"StringEqual":{"k":"v"}}}]}`,
			want:       []string{"Statement[0].Condition.StringEqual"},
			wantReason: "unknown condition operator",
		},
		{
			name: "condition empty",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{}}]}`,
			want: []string{"Statement[0].Condition"},
		},
		{
			name: "condition operator empty",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{}}}]}`,
			want: []string{"Statement[0].Condition.Bool"},
		},
		{
			name: "condition operator a string",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":"true"}}]}`,
			want: []string{"Statement[0].Condition.Bool"},
		},
		{
			name: "condition value an object",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"k":{}}}}]}`,
			want: []string{"Statement[0].Condition.Bool.k"},
		},
		{
			name: "condition a list",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":[]}]}`,
			want: []string{"Statement[0].Condition"},
		},
		{
			name:      "principal a string",
			give:      `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}`,
			want:      []string{"Statement[0].Principal"},
			wantValue: "*",
		},
		{
			name:       "principal names nobody",
			give:       `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{}}]}`,
			want:       []string{"Statement[0].Principal"},
			wantReason: "names nobody",
		},
		{
			name: "principal service a number",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":7}}]}`,
			want: []string{"Statement[0].Principal.Service"},
		},
		{
			name:       "not an object",
			give:       `["Version"]`,
			want:       []string{""},
			wantReason: "not a JSON object",
		},
		{
			name:       "not JSON",
			give:       `{"Version":"1",`,
			want:       []string{""},
			wantReason: "not a JSON object",
		},
		{
			name:       "stray closing brace after the object",
			give:       `{"Version":"1","Statement":[` + okStmt + `]}}`,
			want:       []string{""},
			wantReason: "data after the object",
		},
		{
			name:       "second object after the object",
			give:       `{"Version":"1","Statement":[` + okStmt + `]} {}`,
			want:       []string{""},
			wantReason: "data after the object",
		},
		{
			name: "several problems at once",
			give: `{"Version":"2","Statement":[
				{"Effect":"Permit","Action":"a","Resource":"*"},
				{"Effect":"Allow","Actions":"a","Resource":"*"},
				{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"x"},"Condition":{"StringLikes":{"k":"v"}}}
			],"Comment":"x"}`,
			want: []string{
				"Version",
				"Statement[0].Effect",
				"Statement[1].Actions",
				"Statement[1].Action",
				"Statement[2].Condition.StringLikes",
				"Comment",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := policy.Parse([]byte(tt.give))
			if d != nil {
				t.Errorf("ParseDocument returned a document with its error: %v", d)
			}
			ve := dtValidationError(t, err)
			if errors.Is(err, encryptperm.ErrLimitExceeded) {
				t.Errorf("errors.Is(err, ErrLimitExceeded) = true for a syntax problem")
			}
			if diff := cmp.Diff(tt.want, dtPaths(ve)); diff != "" {
				t.Errorf("problem paths mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			if len(ve.Problems) == 0 {
				return
			}
			first := ve.Problems[0]
			if tt.wantReason != "" && !strings.Contains(first.Reason, tt.wantReason) {
				t.Errorf("first reason = %q, want it to contain %q", first.Reason, tt.wantReason)
			}
			if tt.wantValue != "" && first.Value != tt.wantValue {
				t.Errorf("first value = %q, want %q", first.Value, tt.wantValue)
			}
			if !strings.HasPrefix(err.Error(), "encryptperm: invalid policy document: ") {
				t.Errorf("error = %q, want the prefix %q", err, "encryptperm: invalid policy document: ")
			}
		})
	}
}

func TestParseDocumentAcceptsRAMForms(t *testing.T) {
	tests := []struct {
		name string
		give string
		want *policy.Document
	}{
		{
			name: "strings where lists are allowed",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"acs:kms:*:*:key/*"}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"kms:Decrypt"}, Resource: policy.Values{"acs:kms:*:*:key/*"},
			}),
		},
		{
			name: "notaction and notresource with a deny",
			give: `{"Statement":[{"Effect":"Deny","NotAction":["kms:List*"],"NotResource":"x"}],"Version":"1"}`,
			want: policy.New(policy.Statement{
				Effect: policy.Deny, NotAction: policy.Values{"kms:List*"}, NotResource: policy.Values{"x"},
			}),
		},
		{
			name: "trust statement with federated principal and condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
				"Principal":{"Federated":["acs:ram::1234567890123456:saml-provider/idp"]},
				"Condition":{"StringEquals":{"saml:recipient":"https://signin.aliyun.com/saml-role/sso"}}}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"},
				Principal: &policy.Principal{Federated: policy.Values{"acs:ram::1234567890123456:saml-provider/idp"}},
				Condition: policy.Condition{"StringEquals": {"saml:recipient": {"https://signin.aliyun.com/saml-role/sso"}}},
			}),
		},
		{
			name: "numbers and booleans in conditions",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*",
				"Condition":{"Bool":{"acs:SecureTransport":true},"NumericLessThan":{"n":[5,1.5e2]}}}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"*"},
				Condition: policy.Condition{
					"Bool":            {"acs:SecureTransport": {"true"}},
					"NumericLessThan": {"n": {"5", "1.5e2"}},
				},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dtParse(t, tt.give)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDocument mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDocumentFaithful(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name string
		give string
		want *policy.Document
	}{
		{
			name: "notaction and notresource",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","NotResource":["a","b"]}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, NotAction: policy.Values{"ram:*"}, NotResource: policy.Values{"a", "b"},
			}),
		},
		{
			name: "unknown keys at every level",
			give: `{"Version":"1","Id":"doc","Statement":[{"Sid":"s1","Effect":"Allow","Action":"sts:AssumeRole",` +
				`"Principal":{"Service":"ecs.aliyuncs.com","AWS":["x"]}}],"Note":{"a":[1,2]}}`,
			want: &policy.Document{
				Version: "1",
				Statement: []policy.Statement{{
					Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"},
					Principal: &policy.Principal{
						Service: policy.Values{"ecs.aliyuncs.com"},
						Extra:   map[string]json.RawMessage{"AWS": raw(`["x"]`)},
					},
					Extra: map[string]json.RawMessage{"Sid": raw(`"s1"`)},
				}},
				Extra: map[string]json.RawMessage{"Id": raw(`"doc"`), "Note": raw(`{"a":[1,2]}`)},
			},
		},
		{
			name: "lower-case known keys",
			give: `{"version":"1","statement":[{"effect":"Allow","action":"a","resource":"r",` +
				`"principal":{"service":"s","ram":"acs:ram::1234567890123456:root"},"condition":{"Bool":{"k":"true"}}}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"r"},
				Principal: &policy.Principal{Service: policy.Values{"s"}, RAM: policy.Values{"acs:ram::1234567890123456:root"}},
				Condition: policy.Condition{"Bool": {"k": {"true"}}},
			}),
		},
		{
			name: "numbers and booleans in conditions",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*",` +
				`"Condition":{"Bool":{"b":false},"NumericEquals":{"n":[-1,2.5]}}}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"*"},
				Condition: policy.Condition{"Bool": {"b": {"false"}}, "NumericEquals": {"n": {"-1", "2.5"}}},
			}),
		},
		{
			name: "a single statement object",
			give: `{"Version":"1","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`,
			want: policy.New(policy.Statement{
				Effect: policy.Deny, Action: policy.Values{"*"}, Resource: policy.Values{"*"},
			}),
		},
		{
			name: "non-object principal kept in extra",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}`,
			want: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"},
				Extra: map[string]json.RawMessage{"Principal": raw(`"*"`)},
			}),
		},
		{
			name: "unreadable values kept in extra under their own key",
			give: `{"Version":2,"Statement":[{"effect":true,"Action":[],"Resource":[1],"Condition":{}}]}`,
			want: &policy.Document{
				Statement: []policy.Statement{{Extra: map[string]json.RawMessage{
					"effect": raw(`true`), "Action": raw(`[]`), "Resource": raw(`[1]`), "Condition": raw(`{}`),
				}}},
				Extra: map[string]json.RawMessage{"Version": raw(`2`)},
			},
		},
		{
			name: "version and effect RAM would refuse are kept as read",
			give: `{"Version":"2","Statement":[{"Effect":"Maybe","Action":"a","Resource":"*"}]}`,
			want: &policy.Document{Version: "2", Statement: []policy.Statement{{
				Effect: "Maybe", Action: policy.Values{"a"}, Resource: policy.Values{"*"},
			}}},
		},
		{
			name: "keys equal without regard to case: the statement is opaque",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a", "action":"b","Resource":"*"}]}`,
			want: policy.New(policy.Statement{
				Opaque: json.RawMessage(`{"Effect":"Allow","Action":"a","action":"b","Resource":"*"}`),
			}),
		},
		{
			name: "empty statement list",
			give: `{"Version":"1","Statement":[]}`,
			want: &policy.Document{Version: "1", Statement: []policy.Statement{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dtRead(t, tt.give)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadDocument mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDocumentErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"not JSON", `{`},
		{"a list", `[]`},
		{"a string", `"x"`},
		{"null", `null`},
		{"statement a string", `{"Version":"1","Statement":"x"}`},
		{"statement null", `{"Version":"1","Statement":null}`},
		{"statement element a number", `{"Version":"1","Statement":[1]}`},
		{"trailing brace", `{"Version":"1","Statement":[]}}`},
		{"trailing bracket", `{"Version":"1","Statement":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := policy.Read([]byte(tt.give))
			if d != nil {
				t.Errorf("ReadDocument returned a document with its error: %v", d)
			}
			dtValidationError(t, err)
		})
	}
}

func TestReadDocumentRoundTripKeepsUnknowns(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{
			name: "unknown keys at every level",
			give: `{"Version":"1","Id":"doc","Statement":[{"Sid":"s1","Effect":"Allow","Action":"sts:AssumeRole",` +
				`"Principal":{"Service":"ecs.aliyuncs.com","AWS":["x",{"deep":[1,true,null]}]}}],"Note":{"b":1,"a":[1,2]}}`,
		},
		{
			name: "non-object principal and unreadable condition",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*","Condition":{"Bool":{}}}]}`,
		},
		{
			name: "numbers in conditions and a single statement",
			give: `{"Version":"1","Statement":{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"NumericEquals":{"n":[3,1]}}}}`,
		},
		{
			name: "unreadable version",
			give: `{"Version":1.0,"Statement":[{"Effect":"Allow","Action":"a","Resource":"*"}]}`,
		},
		{
			name: "duplicate condition keys keep the condition unreadable",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"k":["b","a"],"k":["d","c"]}}}]}`,
		},
		{
			name: "duplicate keys inside an unknown value",
			give: `{"Version":"1","Statement":[],"X":{"b":1,"a":2,"b":3}}`,
		},
		{
			name: "whitespace inside unknown values",
			give: "{\"Version\":\"1\",\"Statement\":[],\"X\": [ 1 ,\n 2 ]}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := dtRead(t, tt.give)
			m1 := first.JSON()
			second := dtRead(t, string(m1))
			if !first.Equal(second) {
				t.Errorf("parse, marshal, parse changed the meaning:\nfirst  %s\nsecond %s", m1, second.JSON())
			}
			if diff := cmp.Diff(dtExtras(first), dtExtras(second)); diff != "" {
				t.Errorf("Extra changed across the round trip (-want +got):\n%s", diff)
			}
			if m2 := second.JSON(); !bytes.Equal(m1, m2) {
				t.Errorf("canonical JSON is not a fixed point:\nfirst  %s\nsecond %s", m1, m2)
			}
			// Every unknown value of the input survives, compacted.
			var in map[string]any
			if err := json.Unmarshal([]byte(tt.give), &in); err != nil {
				t.Fatal(err)
			}
			for k, v := range first.Extra {
				var a, b any
				if err := json.Unmarshal(v, &a); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(second.Extra[k], &b); err != nil {
					t.Fatalf("Extra[%q] lost: %v", k, err)
				}
				if diff := cmp.Diff(a, b); diff != "" {
					t.Errorf("Extra[%q] changed (-want +got):\n%s", k, diff)
				}
				if diff := cmp.Diff(in[k], a); diff != "" {
					t.Errorf("Extra[%q] differs from the input (-want +got):\n%s", k, diff)
				}
			}
		})
	}
}

// dtExtras collects every Extra map of a document, keyed by where it
// sits, with each value decoded so that only its meaning is compared.
func dtExtras(d *policy.Document) map[string]any {
	out := map[string]any{}
	put := func(where string, m map[string]json.RawMessage) {
		for k, v := range m {
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				x = "undecodable: " + string(v)
			}
			out[where+"."+k] = x
		}
	}
	put("", d.Extra)
	for i, s := range d.Statement {
		where := fmt.Sprintf("Statement[%d]", i)
		put(where, s.Extra)
		if s.Principal != nil {
			put(where+".Principal", s.Principal.Extra)
		}
	}
	return out
}

func TestEqual(t *testing.T) {
	const (
		trust = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}]}`
		rd    = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}]}`
	)
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", trust, trust, true},
		{
			"string equals one-element list", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":["*@ecs.aliyuncs.com"]},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["rd-3GabcD"]}}}]}`,
			true,
		},
		{
			"list order ignored", trust,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["2000000000000002@ecs.aliyuncs.com","2000000000000001@ecs.aliyuncs.com"]}}]}`,
			true,
		},
		{
			"duplicates collapse", trust,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:AssumeRole"],"Principal":{"Service":["2000000000000002@ecs.aliyuncs.com","2000000000000001@ecs.aliyuncs.com","2000000000000002@ecs.aliyuncs.com"]}}]}`,
			true,
		},
		{
			"key order and whitespace ignored", trust,
			`{ "Statement" : [ { "Principal" : { "Service" : [ "2000000000000001@ecs.aliyuncs.com" , "2000000000000002@ecs.aliyuncs.com" ] } , "Effect" : "Allow" , "Action" : "sts:AssumeRole" } ] , "Version" : "1" }`,
			true,
		},
		{
			"statement order ignored",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"},{"Effect":"Deny","Action":"b","Resource":"y"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"b","Resource":"y"},{"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			true,
		},
		{
			"duplicate statements collapse",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"},{"Effect":"Allow","Action":["a"],"Resource":["x","x"]}]}`,
			true,
		},
		{
			"condition number equals its string",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x","Condition":{"NumericEquals":{"n":5}}}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x","Condition":{"NumericEquals":{"n":"5"}}}]}`,
			true,
		},
		{
			"condition operator differs", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringLike":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}]}`,
			false,
		},
		{
			"condition key differs", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDPath":"rd-3GabcD"}}}]}`,
			false,
		},
		{
			"condition value differs", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcE"}}}]}`,
			false,
		},
		{
			"condition value added", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":["rd-3GabcD","rd-other"]}}}]}`,
			false,
		},
		{
			"condition removed", rd,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`,
			false,
		},
		{
			"conditions in two statements are not one statement with both",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x","Condition":{"Bool":{"k":"true"}}},{"Effect":"Allow","Action":"a","Resource":"x","Condition":{"Bool":{"j":"true"}}}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x","Condition":{"Bool":{"k":"true","j":"true"}}}]}`,
			false,
		},
		{
			"principal kind differs",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Principal":{"Service":"x"}}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Principal":{"RAM":"x"}}]}`,
			false,
		},
		{
			"effect differs",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"a","Resource":"x"}]}`,
			false,
		},
		{
			"action and notaction differ",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"a","Resource":"x"}]}`,
			false,
		},
		{
			"values differ in case",
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:decrypt","Resource":"x"}]}`,
			false,
		},
		{
			"unknown key differs",
			`{"Version":"1","Statement":[{"Sid":"a","Effect":"Allow","Action":"a","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Sid":"b","Effect":"Allow","Action":"a","Resource":"x"}]}`,
			false,
		},
		{
			"unknown key compared compacted",
			`{"Version":"1","Statement":[],"X":[1, 2]}`,
			`{"Version":"1","Statement":[],"X":[1,2]}`,
			true,
		},
		{
			"unknown object keys in another order, strings escaped differently",
			`{"Version":"1","Statement":[{"Sid":{"a":"<s>","b":[1,{"y":2,"x":1}]},"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			`{"Version":"1","Statement":[{"Sid":{"b":[1,{"x":1,"y":2}],"a":"\u003cs\u003e"},"Effect":"Allow","Action":"a","Resource":"x"}]}`,
			true,
		},
		{
			"unknown list order matters",
			`{"Version":"1","Statement":[],"X":[1,2]}`,
			`{"Version":"1","Statement":[],"X":[2,1]}`,
			false,
		},
		{
			"version differs",
			`{"Version":"1","Statement":[]}`,
			`{"Version":"2","Statement":[]}`,
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := dtRead(t, tt.a), dtRead(t, tt.b)
			if got := a.Equal(b); got != tt.want {
				t.Errorf("a.Equal(b) = %v, want %v\na %s\nb %s", got, tt.want, a.JSON(), b.JSON())
			}
			if got := b.Equal(a); got != tt.want {
				t.Errorf("b.Equal(a) = %v, want %v", got, tt.want)
			}
			if got := a.Equal(b); got != tt.want {
				t.Errorf("Equal(a, b) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEqualNil(t *testing.T) {
	var none *policy.Document
	d := policy.New()
	tests := []struct {
		name string
		a, b *policy.Document
		want bool
	}{
		{"both nil", none, none, true},
		{"nil and empty", none, d, false},
		{"empty and nil", d, none, false},
		{"empty and empty", d, policy.New(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatementEqual(t *testing.T) {
	a := policy.Statement{Effect: policy.Allow, Action: policy.Values{"b", "a"}, Resource: policy.Values{"x"}}
	b := policy.Statement{Effect: policy.Allow, Action: policy.Values{"a", "b", "a"}, Resource: policy.Values{"x"}}
	if !a.Equal(b) {
		t.Errorf("%v and %v: Equal = false, want true", a, b)
	}
	b.Resource = policy.Values{"y"}
	if a.Equal(b) {
		t.Errorf("statements with different resources: Equal = true, want false")
	}
}

func TestMarshalCanonical(t *testing.T) {
	tests := []struct {
		name string
		give *policy.Document
		want string
	}{
		{
			name: "keys sorted, lists sorted, one element as a string",
			give: policy.New(policy.Statement{
				Effect:    policy.Allow,
				Action:    policy.Values{"kms:Encrypt", "kms:Decrypt", "kms:Encrypt"},
				Resource:  policy.Values{"acs:kms:cn-hangzhou:1234567890123456:key/k"},
				Condition: policy.Condition{"StringLike": {"b": {"2", "1"}, "a": {"x"}}, "Bool": {"c": {"true"}}},
			}),
			want: `{"Statement":[{"Action":["kms:Decrypt","kms:Encrypt"],"Condition":{"Bool":{"c":"true"},"StringLike":{"a":"x","b":["1","2"]}},"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/k"}],"Version":"1"}`,
		},
		{
			name: "principal keys sorted and statements in their own order",
			give: policy.New(
				policy.Statement{Effect: policy.Deny, NotAction: policy.Values{"z"}, NotResource: policy.Values{"y"}},
				policy.Statement{Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"}, Principal: &policy.Principal{
					Service: policy.Values{"s"}, RAM: policy.Values{"r2", "r1"}, Federated: policy.Values{"f"},
				}},
			),
			want: `{"Statement":[{"Effect":"Deny","NotAction":"z","NotResource":"y"},{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Federated":"f","RAM":["r1","r2"],"Service":"s"}}],"Version":"1"}`,
		},
		{
			name: "extras merged into the key order",
			give: &policy.Document{
				Version: "1",
				Statement: []policy.Statement{{
					Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"*"},
					Extra: map[string]json.RawMessage{"Sid": json.RawMessage(`"s"`), "B": json.RawMessage(`[ 1 ]`)},
				}},
				Extra: map[string]json.RawMessage{"Id": json.RawMessage(`"x"`)},
			},
			want: `{"Id":"x","Statement":[{"Action":"a","B":[1],"Effect":"Allow","Resource":"*","Sid":"s"}],"Version":"1"}`,
		},
		{
			name: "HTML characters not escaped",
			give: policy.New(policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"<x>&y"},
				Condition: policy.Condition{"StringEquals": {"k": {"a&b<c>"}}},
			}),
			want: `{"Statement":[{"Action":"a","Condition":{"StringEquals":{"k":"a&b<c>"}},"Effect":"Allow","Resource":"<x>&y"}],"Version":"1"}`,
		},
		{
			name: "empty document",
			give: &policy.Document{},
			want: `{"Statement":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(tt.give.JSON())); diff != "" {
				t.Errorf("JSON mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, tt.give.String()); diff != "" {
				t.Errorf("String mismatch (-want +got):\n%s", diff)
			}
			b, err := tt.give.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("MarshalJSON mismatch (-want +got):\n%s", diff)
			}
			if got, want := tt.give.Size(), len(tt.want); got != want {
				t.Errorf("Size() = %d, want %d (the length of the canonical JSON)", got, want)
			}
		})
	}
}

func TestMarshalDeterministicUnderShuffle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := func(v ...string) policy.Values {
		out := slices.Clone(v)
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		if rng.IntN(2) == 0 {
			out = append(out, out[0]) // a duplicate
		}
		return out
	}
	build := func() *policy.Document {
		return policy.New(
			policy.Statement{
				Effect: policy.Allow, Action: shuffled(encryptperm.KeyUseActions()...),
				Resource: shuffled("acs:kms:cn-hangzhou:1234567890123456:key/a", "acs:kms:cn-hangzhou:1234567890123456:key/b", "acs:kms:cn-shanghai:1234567890123456:key/c"),
			},
			policy.Statement{
				Effect: policy.Allow, Action: policy.Values{"sts:AssumeRole"},
				Principal: &policy.Principal{Service: shuffled("*@ecs.aliyuncs.com")},
				Condition: policy.Condition{
					"StringLike":   {"sts:ServiceOwnerRDPath": shuffled("rd-a/r-b/fd-1*", "rd-a/r-b/fd-2*", "rd-a/r-b/fd-3*")},
					"StringEquals": {"sts:ServiceOwnerRDId": shuffled("rd-a", "rd-b")},
				},
			},
		)
	}
	want := build().JSON()
	for range 50 {
		d := build()
		if got := d.JSON(); !bytes.Equal(got, want) {
			t.Fatalf("equal documents marshal differently:\nwant %s\ngot  %s", want, got)
		}
		if !d.Equal(build()) {
			t.Fatalf("Equal = false for documents built the same way")
		}
	}
}

func TestSizeMatchesCanonicalJSON(t *testing.T) {
	for _, name := range dtSeedVectorNames {
		t.Run(name, func(t *testing.T) {
			d := dtParse(t, string(dtSeedVector(t, name)))
			if got, want := d.Size(), len(d.JSON()); got != want {
				t.Errorf("Size() = %d, want len(JSON()) = %d", got, want)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, dtSeedVector(t, name)); err != nil {
				t.Fatal(err)
			}
			// The canonical form never grows the user's own compact form:
			// it only drops duplicates and turns one-element lists into strings.
			if d.Size() > compact.Len() {
				t.Errorf("Size() = %d, more than the compact input's %d bytes", d.Size(), compact.Len())
			}
		})
	}
	var none *policy.Document
	if got := none.Size(); got != 0 {
		t.Errorf("nil document: Size() = %d, want 0", got)
	}
}

func TestJSONRoundTripWithEncodingJSON(t *testing.T) {
	orig := dtRead(t, `{"Version":"1","Id":"x","Statement":[{"Sid":"<s>","Effect":"Allow","Action":["b","a"],"Resource":"r&s",`+
		`"Condition":{"StringLike":{"k":["v*","w"]}}}]}`)

	t.Run("pointer", func(t *testing.T) {
		b, err := json.Marshal(orig)
		if err != nil {
			t.Fatal(err)
		}
		var got *policy.Document
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if !orig.Equal(got) {
			t.Errorf("round trip changed the document:\nwant %s\ngot  %s", orig.JSON(), got.JSON())
		}
	})

	type wrapper struct {
		Name   string
		Policy *policy.Document
		Trust  policy.Document
		None   *policy.Document
	}
	t.Run("struct fields", func(t *testing.T) {
		in := wrapper{Name: "n", Policy: orig, Trust: *orig}
		b, err := json.MarshalIndent(in, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var out wrapper
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if out.Name != "n" || !orig.Equal(out.Policy) || !orig.Equal(&out.Trust) || out.None != nil {
			t.Errorf("round trip through a struct changed it:\n%s\ngot %+v", b, out)
		}
	})

	t.Run("struct embedding a document", func(t *testing.T) {
		// Embedding promotes the document's JSON methods, so the struct
		// reads and writes as the document itself.
		type embeds struct {
			*policy.Document
		}
		b, err := json.Marshal(embeds{orig})
		if err != nil {
			t.Fatal(err)
		}
		out := embeds{&policy.Document{}}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if !orig.Equal(out.Document) {
			t.Errorf("round trip through an embedding struct changed it:\nwant %s\ngot  %s", orig.JSON(), out.JSON())
		}
		var none embeds
		if err := json.Unmarshal(b, &none); err == nil {
			t.Errorf("Unmarshal into a nil embedded *Document: got no error")
		}
	})

	t.Run("null leaves a document alone", func(t *testing.T) {
		var out wrapper
		if err := json.Unmarshal([]byte(`{"Policy":null,"Trust":null,"None":null}`), &out); err != nil {
			t.Fatalf("Unmarshal: %v", err)
		}
		if out.Policy != nil || out.Trust.Version != "" || out.Trust.Statement != nil {
			t.Errorf("null decoded to %+v, want zero values", out)
		}
	})

	t.Run("bad document inside a struct", func(t *testing.T) {
		var out wrapper
		err := json.Unmarshal([]byte(`{"Policy":{"Version":"1","Statement":7}}`), &out)
		dtValidationError(t, err)
	})
}

func TestCloneIsDeep(t *testing.T) {
	orig := dtRead(t, `{"Version":"1","Id":"x","Statement":[{"Sid":"s","Effect":"Allow","Action":["a","b"],"NotResource":"n",`+
		`"Principal":{"Service":"svc","RAM":"ram","Federated":"fed","AWS":"aws"},"Condition":{"StringEquals":{"k":["v1","v2"]}}},`+
		`{"Effect":"Deny","NotAction":"x","Resource":"y"}]}`)
	want := string(orig.JSON())
	c := orig.Clone()
	if !c.Equal(orig) || string(c.JSON()) != want {
		t.Fatalf("clone differs from the original:\nwant %s\ngot  %s", want, c.JSON())
	}

	c.Version = "2"
	c.Extra["Id"][1] = 'Y'
	c.Extra["New"] = json.RawMessage(`1`)
	s := &c.Statement[0]
	s.Effect = policy.Deny
	s.Action[0] = "changed"
	s.NotResource[0] = "changed"
	s.Principal.Service[0] = "changed"
	s.Principal.RAM[0] = "changed"
	s.Principal.Federated[0] = "changed"
	s.Principal.Extra["AWS"][1] = 'Z'
	s.Condition["StringEquals"]["k"][0] = "changed"
	s.Condition["StringEquals"]["new"] = policy.Values{"v"}
	s.Condition["Bool"] = map[string]policy.Values{"b": {"true"}}
	s.Extra["Sid"][1] = 'S'
	c.Statement[1].NotAction[0] = "changed"
	c.Statement[1].Resource[0] = "changed"
	c.Statement = append(c.Statement, policy.Statement{Effect: policy.Allow})

	if got := string(orig.JSON()); got != want {
		t.Errorf("changing the clone changed the original:\nwant %s\ngot  %s", want, got)
	}
	var none *policy.Document
	if none.Clone() != nil {
		t.Errorf("nil.Clone() != nil")
	}
}

func TestValuesJSON(t *testing.T) {
	tests := []struct {
		name string
		give policy.Values
		want string
	}{
		{"nil", nil, `[]`},
		{"one", policy.Values{"a"}, `"a"`},
		{"one repeated", policy.Values{"a", "a"}, `"a"`},
		{"several unsorted", policy.Values{"c", "a", "b", "a"}, `["a","b","c"]`},
		{"no HTML escaping", policy.Values{"<&>"}, `"<&>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.give.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("MarshalJSON mismatch (-want +got):\n%s", diff)
			}
		})
	}

	reads := []struct {
		give    string
		want    policy.Values
		wantErr bool
	}{
		{give: `"a"`, want: policy.Values{"a"}},
		{give: `["b","a"]`, want: policy.Values{"b", "a"}},
		{give: `[1,true]`, want: policy.Values{"1", "true"}},
		{give: `[]`, wantErr: true},
		{give: `{}`, wantErr: true},
		{give: `null`, wantErr: true},
		{give: `[["a"]]`, wantErr: true},
	}
	for _, tt := range reads {
		t.Run("read "+tt.give, func(t *testing.T) {
			var got policy.Values
			err := json.Unmarshal([]byte(tt.give), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.give, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
				t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tt.give, diff)
			}
		})
	}
	if !(policy.Values{"a", "b"}).Contains("b") || (policy.Values{"a"}).Contains("A") {
		t.Errorf("Contains matches other than exactly")
	}
}

func TestIndent(t *testing.T) {
	d := policy.New(policy.Statement{Effect: policy.Allow, Action: policy.Values{"a"}, Resource: policy.Values{"*"}})
	want := `{
  "Statement": [
    {
      "Action": "a",
      "Effect": "Allow",
      "Resource": "*"
    }
  ],
  "Version": "1"
}`
	if diff := cmp.Diff(want, d.Indent()); diff != "" {
		t.Errorf("Indent mismatch (-want +got):\n%s", diff)
	}
	if !dtParse(t, d.Indent()).Equal(d) {
		t.Errorf("the indented form does not parse back to the same document")
	}
}

func TestPrincipalIsZero(t *testing.T) {
	var none *policy.Principal
	tests := []struct {
		name string
		give *policy.Principal
		want bool
	}{
		{"nil", none, true},
		{"empty", &policy.Principal{}, true},
		{"service", &policy.Principal{Service: policy.Values{"ecs.aliyuncs.com"}}, false},
		{"ram", &policy.Principal{RAM: policy.Values{"acs:ram::1234567890123456:root"}}, false},
		{"federated", &policy.Principal{Federated: policy.Values{"x"}}, false},
		{"unknown key only", &policy.Principal{Extra: map[string]json.RawMessage{"AWS": json.RawMessage(`"*"`)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.IsZero(); got != tt.want {
				t.Errorf("IsZero() = %v, want %v", got, tt.want)
			}
		})
	}
}
