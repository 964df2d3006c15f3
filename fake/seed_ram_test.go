package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// ramSeed describes an account: a share role trusting a whole directory
// with a custom policy of two versions, a role of a member, and a key in
// an instance with a key policy of its own.
const ramSeed = `{
 "resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
   "accounts": [{"uid": "2000000000000001", "folder": "r-Root01"}]},
 "keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x"}],
 "policies": [
   {"name": "EncryptPerm-ShareImageKeys", "versions": [
      "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}",
      "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"acs:kms:*:*:key/key-hzzinstance0001\"}]}"]},
   {"account": "2000000000000001", "name": "Backup", "document": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}"}],
 "roles": [
   {"name": "AliyunECSShareEncryptImageDefaultRole", "description": "shares",
    "trust": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"Service\":\"*@ecs.aliyuncs.com\"},\"Condition\":{\"StringEquals\":{\"sts:ServiceOwnerRDId\":\"rd-3GabcD\"}}}]}",
    "attached": [{"name": "EncryptPerm-ShareImageKeys"}, {"name": "AliyunKMSFullAccess", "type": "System"}]},
   {"account": "2000000000000001", "name": "BackupRole",
    "trust": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":\"acs:ram::1234567890123456:root\"}}]}",
    "attached": [{"name": "Backup"}]}]}`

func TestLoadSeedRAM(t *testing.T) {
	f, _ := newFake(t, nil)
	if err := fake.LoadSeedBytes(f, []byte(ramSeed)); err != nil {
		t.Fatal(err)
	}
	var got []string
	atts, _ := f.AttachmentsOf("AliyunECSShareEncryptImageDefaultRole")
	for _, a := range atts {
		got = append(got, a.PolicyType+"/"+a.PolicyName)
	}
	if diff := cmp.Diff([]string{"System/AliyunKMSFullAccess", "Custom/EncryptPerm-ShareImageKeys"}, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	var versions []string
	vs, _ := f.PolicyVersions("Custom", "EncryptPerm-ShareImageKeys")
	for _, v := range vs {
		versions = append(versions, v.ID+" "+map[bool]string{true: "default", false: ""}[v.IsDefault])
	}
	if diff := cmp.Diff([]string{"v1 ", "v2 default"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	member := f.Account("2000000000000001")
	if member == nil {
		t.Fatal("the member account is not held")
	}
	if trust, ok := member.TrustPolicy("BackupRole"); !ok || !strings.Contains(trust, "acs:ram::1234567890123456:root") {
		t.Errorf("the member's role: %q, %v", trust, ok)
	}
	if got, _ := member.AttachmentsOf("BackupRole"); len(got) != 1 || got[0].PolicyName != "Backup" {
		t.Errorf("the member's attachments: %v", got)
	}
}

func TestLoadSeedRAMIsStrict(t *testing.T) {
	const trust = `"{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"Service\":\"ecs.aliyuncs.com\"}}]}"`
	const doc = `"{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}"`
	tests := []struct {
		name string
		give string
		want string // a part of the message
	}{
		{"an attachment of a policy nobody has",
			`{"roles": [{"name": "R", "trust": ` + trust + `, "attached": [{"name": "Nope"}]}]}`,
			`roles[0].attached[0].name: no Custom policy "Nope" in policies, nor in account 1234567890123456`},
		{"a system policy the fake does not know",
			`{"roles": [{"name": "R", "trust": ` + trust + `, "attached": [{"name": "AliyunNope", "type": "System"}]}]}`,
			`roles[0].attached[0].name: no System policy "AliyunNope"`},
		{"a type RAM does not have",
			`{"roles": [{"name": "R", "trust": ` + trust + `, "attached": [{"name": "P", "type": "custom"}]}]}`,
			`roles[0].attached[0].type: "custom" is not Custom or System`},
		{"a role given twice, in another case",
			`{"roles": [{"name": "R", "trust": ` + trust + `}, {"name": "r", "trust": ` + trust + `}]}`,
			`roles[1].name: the role "r" is given twice (roles[0])`},
		{"a document and versions",
			`{"policies": [{"name": "P", "document": ` + doc + `, "versions": [` + doc + `]}]}`,
			"policies[0].versions: given with document"},
		{"no document",
			`{"policies": [{"name": "P"}]}`,
			"policies[0].document: missing"},
		{"a trust policy RAM's grammar refuses",
			`{"roles": [{"name": "R", "trust": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}"}]}`,
			`roles[0]: fake: put role "R": MalformedPolicyDocument`},
		{"six versions",
			`{"policies": [{"name": "P", "versions": [` + strings.Repeat(doc+",", 5) + doc + `]}]}`,
			"policies[0]: fake: put policy \"P\": LimitExceeded.Policy.Version"},
		{"a default version it does not have",
			`{"policies": [{"name": "P", "document": ` + doc + `, "defaultVersion": "v2"}]}`,
			"default version v2 is not among the versions"},
		{"an unknown field",
			`{"roles": [{"name": "R", "trust": ` + trust + `, "policies": []}]}`,
			`unknown field "policies"`},
		{"an account the fake does not hold",
			`{"policies": [{"account": "2000000000000009", "name": "P", "document": ` + doc + `}]}`,
			"policies[0].account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			err := fake.LoadSeedBytes(f, []byte(tt.give))
			if !errors.Is(err, fake.ErrInvalidSeed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalidSeed with %q", err, tt.want)
			}
			var custom []string
			for _, p := range f.Policies() {
				if p.Type == "Custom" {
					custom = append(custom, p.Name)
				}
			}
			if len(f.Roles()) != 0 || len(custom) != 0 {
				t.Errorf("something was put: roles %v, policies %v", f.Roles(), custom)
			}
		})
	}
}
