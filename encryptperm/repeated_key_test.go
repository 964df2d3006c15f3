package encryptperm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// A statement with a key given twice, exactly alike, is as unreadable as
// one whose keys differ only in case: which value RAM takes is not known,
// so the statement is kept opaque, grants nothing and may deny anything.
func TestExactlyRepeatedKeyMakesTheStatementOpaque(t *testing.T) {
	tests := []struct {
		name string
		stmt string
	}{
		{"Effect twice, Deny then Allow", `{"Action":"sts:AssumeRole","Effect":"Deny","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`},
		{"Principal.Service twice on a Deny", `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000009@ecs.aliyuncs.com","Service":"2000000000000001@ecs.aliyuncs.com"}}`},
		{"Action twice", `{"Action":"sts:GetCallerIdentity","Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`},
		// ſ (long s) folds to s: a reader that ignores case as Unicode
		// does may take "ſervice" for Service.
		{"Service and a look-alike of it", `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com","ſervice":"2000000000000009@ecs.aliyuncs.com"}}`},
	}
	allowB := `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := `{"Statement":[` + tt.stmt + `],"Version":"1"}`
			d, err := policy.Read([]byte(give))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			want := policy.New(policy.Statement{Opaque: []byte(tt.stmt)})
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
			if got := string(d.JSON()); got != give {
				t.Errorf("round trip changed the bytes:\n got %s\nwant %s", got, give)
			}
			// Beside a plain Allow, the opaque statement may deny: ECS in
			// the account may not be taken to assume the role.
			trust := fcRead(t, `{"Statement":[`+tt.stmt+`,`+allowB+`],"Version":"1"}`)
			s := encryptperm.Simulate(trust, []encryptperm.Attachment{{Name: chkImagePolicy, Type: encryptperm.Custom, Document: fcRead(t, chkKeyPolicy)}}, chkImage(chkB))
			if s.Allowed {
				t.Errorf("Simulate allows despite a statement that may deny:\n%s", s)
			}
		})
	}
}

// A document with Statement and a look-alike of it ("ſtatement", with a
// long s, which Unicode folds to "statement") is not read at all: which
// list RAM would take is not known.
func TestLookAlikeStatementKeyMakesTheDocumentUnreadable(t *testing.T) {
	give := `{"Statement":[{"Action":"*","Effect":"Deny","Resource":"*"}],"ſtatement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"1"}`
	_, err := policy.Read([]byte(give))
	if !errors.Is(err, policy.ErrInvalid) || !strings.Contains(err.Error(), "ſtatement") {
		t.Fatalf("Read = %v, want ErrInvalid naming the look-alike key", err)
	}
}
