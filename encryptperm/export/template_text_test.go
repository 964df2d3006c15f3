package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/export"
	"github.com/ecsperm/ecsperm/fake"
)

// ttSeed puts a foreign statement on the shared role (trust) or in the
// existing snapshot policy, and returns the plan of a share with two
// accounts.
func ttSeed(t *testing.T, trust, policyStmt string) *encryptperm.Plan {
	t.Helper()
	f := fake.New(&fake.Options{AccountID: owner})
	if trust != "" {
		if err := f.PutRole(fake.Role{Name: snapRole, TrustPolicy: `{"Version":"1","Statement":[` + trust + `]}`}); err != nil {
			t.Fatal(err)
		}
	}
	if policyStmt != "" {
		doc := `{"Version":"1","Statement":[` + policyStmt + `]}`
		if err := f.PutPolicy(fake.Policy{Name: snapPolicy, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc, IsDefault: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	g, err := encryptperm.ShareSnapshot().WithAccounts(recipients...).WithKey(key).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, p := plan(t, f, []*encryptperm.Grant{g})
	return p
}

// Terraform reads a heredoc as a template: ${...} interpolates and %{...}
// is a directive, so %{ if true }on%{ endif } would reach RAM as "on". The
// export escapes both ($${ and %%{); a document read back from the
// Terraform file holds the foreign statement's text exactly, the escapes a
// statement already holds included. (The condition's values are written in
// the order the plan keeps them.)
func TestTerraformKeepsTemplateSequences(t *testing.T) {
	const (
		trustStmt = `{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"acs:x":["$${kept}","${var.x}","%%{kept}","%{ if true }on%{ endif }","100%{"]}},` +
			`"Effect":"Allow","Principal":{"Service":"` + foreign + `@ecs.aliyuncs.com"}}`
		policyStmt = `{"Action":"kms:Decrypt","Effect":"Allow","Resource":"acs:kms:*:*:key/x","Sid":"%{ for k in [1] }${k}%{ endfor }"}`
	)
	tests := []struct {
		name        string
		trust, stmt string
		role        bool
		want        string // in the document read back, compacted
	}{
		{name: "trust policy", trust: trustStmt, role: true, want: trustStmt},
		{name: "custom policy", stmt: policyStmt, want: policyStmt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ttSeed(t, tt.trust, tt.stmt)
			doc := exportedDocument(t, export.Terraform, write(t, export.Terraform, p), tt.role)
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(doc)); err != nil {
				t.Fatalf("the document Terraform reads is not JSON: %v\n%s", err, doc)
			}
			if !strings.Contains(compact.String(), tt.want) {
				t.Errorf("the document Terraform reads lacks\n%s\nit is\n%s", tt.want, compact.String())
			}
		})
	}
}

// ROS reads a document property as a map, which keeps one of two keys that
// are equal without regard to case, as RAM reads them: of "Effect":"Deny"
// and "effect":"Allow" the template might keep the Allow. Such a document
// is refused, whatever the case of the keys and wherever they stand.
func TestROSRefusesKeysEqualInAnotherCase(t *testing.T) {
	tests := []struct {
		name        string
		trust, stmt string
		wantErr     string
	}{
		{
			name:    "Effect and effect in a trust statement",
			trust:   `{"Effect":"Deny","effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"3000000000000001@ecs.aliyuncs.com"}}`,
			wantErr: `export: ros: trust policy of role "AliyunECSShareEncryptSnapshotDefaultRole": the document repeats key "effect" in one object, which a ROS template, read as a map, cannot carry; export it in another format: encryptperm: invalid`,
		},
		{
			name:    "condition keys in two cases in a policy statement",
			stmt:    `{"Action":"kms:Decrypt","Effect":"Allow","Resource":"acs:kms:*:*:key/x","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8","ACS:SOURCEIP":"0.0.0.0/0"}}}`,
			wantErr: `export: ros: policy "EncryptPerm-ShareSnapshotKeys": the document repeats key "ACS:SOURCEIP" in one object, which a ROS template, read as a map, cannot carry; export it in another format: encryptperm: invalid`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ttSeed(t, tt.trust, tt.stmt)
			var b bytes.Buffer
			err := export.WriteROS(&b, p)
			if !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("WriteROS = %v; want ErrInvalid\n%s", err, b.String())
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if b.Len() != 0 {
				t.Errorf("WriteROS wrote a template beside its error:\n%s", b.String())
			}
		})
	}
}
