package cli

import (
	"context"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// DemoDirectory is the resource directory the programs that work across a
// directory use against the in-memory fake:
//
//	r-Root01            the management account, 1234567890123456, and
//	│                   3000000000000001, invited, without the access role
//	├── fd-Prod01       2000000000000001 prod-shared
//	│   └── fd-Web001   2000000000000002 prod-web
//	└── fd-Test01       2000000000000003 test
//
// prod-shared holds a key in cn-hangzhou, key-hzzdemo000001, that its role
// PartnerBackup may use, and PartnerBackup trusts an account outside the
// directory, 9000000000000009: what an audit of the members finds.
const DemoDirectory = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
  "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "production"},
                 {"id": "fd-Web001", "parent": "fd-Prod01", "name": "web"},
                 {"id": "fd-Test01", "parent": "r-Root01", "name": "test"}],
  "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01", "name": "prod-shared"},
               {"uid": "2000000000000002", "folder": "fd-Web001", "name": "prod-web"},
               {"uid": "2000000000000003", "folder": "fd-Test01", "name": "test"}],
  "members": ["3000000000000001"]},
 "keys": [{"account": "2000000000000001", "region": "cn-hangzhou", "id": "key-hzzdemo000001"}],
 "policies": [{"account": "2000000000000001", "name": "PartnerBackupKeys",
   "document": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\"],\"Resource\":\"acs:kms:cn-hangzhou:2000000000000001:key/key-hzzdemo000001\"}]}"}],
 "roles": [{"account": "2000000000000001", "name": "PartnerBackup",
   "trust": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":[\"acs:ram::9000000000000009:root\"]}}]}",
   "attached": [{"name": "PartnerBackupKeys"}]}]}`

// NewFakeRunner returns a Runner over the in-memory fake f in process: f
// lists the directory and assumes each member's access role, and each
// member's engine signs in to f with the member's temporary credentials,
// with engine as its options. opts is changed and used as the Runner's
// options.
func NewFakeRunner(f *fake.RAM, engine encryptperm.Options, opts *fleet.Options) *fleet.Runner {
	opts.ConcurrentSTS = true
	opts.NewApplier = func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
		member, err := FakeMember(f, s)
		if err != nil {
			return nil, err
		}
		return encryptperm.NewApplier(member, &engine), nil
	}
	return fleet.New(f, f, opts)
}

// FakeMember returns the member account of the in-memory fake f that s
// signs in to, with s's temporary credentials, so that expired or wrong
// ones fail as they would over the wire.
func FakeMember(f *fake.RAM, s *fleet.Session) (*fake.RAM, error) {
	c, err := s.GetCredentials()
	if err != nil {
		return nil, err
	}
	return f.Session(fake.Credential{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
}
