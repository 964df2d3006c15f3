package fleet_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/fake"
)

// The disk-encryption role in every member of a folder of a directory the
// fake plays, in process: the fake lists the directory and assumes each
// member's access role, and each member's engine signs in with the
// member's temporary credentials.
func Example_folderInProcess() {
	f := fake.New(nil)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	  "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01"}, {"id": "fd-Web001", "parent": "fd-Prod01"}],
	  "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01"}, {"uid": "2000000000000002", "folder": "fd-Web001"}]}}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		log.Fatal(err)
	}
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		log.Fatal(err)
	}
	r := fleet.New(f, f, &fleet.Options{
		Grants:        func(fleet.Member) ([]*encryptperm.Grant, error) { return []*encryptperm.Grant{g}, nil },
		ConcurrentSTS: true, // the fake is safe for concurrent calls
		NewApplier: func(ctx context.Context, m fleet.Member, s *fleet.Session) (encryptperm.Applier, error) {
			c, err := s.GetCredentials()
			if err != nil {
				return nil, err
			}
			member, err := f.Session(fake.Credential{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
			if err != nil {
				return nil, err
			}
			return encryptperm.NewApplier(member, nil), nil
		},
	})
	rep, err := r.Apply(context.Background(), fleet.Scope{Folders: []string{"fd-Prod01"}})
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(rep.Changed)
	fmt.Println(rep.Totals.Changed, rep.Totals.Writes, rep.Changed)
	rep, err = r.Apply(context.Background(), fleet.Scope{Folders: []string{"fd-Prod01"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Totals.Unchanged, rep.Totals.Writes)
	// Output:
	// 2 4 [2000000000000001 2000000000000002]
	// 2 0
}

// An audit of every member of a directory the fake plays, in process: one
// member holds a key that a role of another account can use, so that
// member is exposed; the other, with no such path, is contained.
func ExampleRunner_Audit() {
	f := fake.New(nil)
	seed := `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
	  "accounts": [{"uid": "2000000000000001", "folder": "r-Root01"}, {"uid": "2000000000000002", "folder": "r-Root01"}]},
	 "keys": [{"account": "2000000000000001", "region": "cn-hangzhou", "id": "key-hzzmember0001"}],
	 "policies": [{"account": "2000000000000001", "name": "PartnerKeys",
	   "document": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"acs:kms:cn-hangzhou:2000000000000001:key/key-hzzmember0001\"}]}"}],
	 "roles": [{"account": "2000000000000001", "name": "PartnerBackup",
	   "trust": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":[\"acs:ram::9000000000000009:root\"]}}]}",
	   "attached": [{"name": "PartnerKeys"}]}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		log.Fatal(err)
	}
	r := fleet.New(f, f, &fleet.Options{
		ConcurrentSTS: true,
		// The member's RAM and KMS are read with the member's session: with
		// the SDK, give s as the clients' credentials provider.
		Audit: func(ctx context.Context, m fleet.Member, s *fleet.Session) (*audit.Report, error) {
			c, err := s.GetCredentials()
			if err != nil {
				return nil, err
			}
			member, err := f.Session(fake.Credential{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken})
			if err != nil {
				return nil, err
			}
			// The zero TrustZone trusts the member alone; name the directory
			// and its members in it to trust the whole directory.
			return audit.New(member, member, nil).Region(ctx, "cn-hangzhou")
		},
	})
	rep, err := r.Audit(context.Background(), fleet.Scope{All: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Totals.Contained, rep.Totals.Exposed, rep.Exposed)
	// Output:
	// 1 1 [2000000000000001]
}
