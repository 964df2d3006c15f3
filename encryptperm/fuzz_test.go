package encryptperm_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// FuzzParseDocument checks both readers on arbitrary bytes: neither panics,
// faithful reading reaches a canonical fixed point after one marshal, and
// whatever strict reading accepts, faithful reading accepts as the same
// document.
func FuzzParseDocument(f *testing.F) {
	for _, name := range dtSeedVectorNames {
		f.Add(dtSeedVector(f, name))
	}
	for _, s := range []string{
		`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"a","NotResource":["b","c"],"Sid":"x"}],"Id":{"b":1,"a":"<&>"}}`,
		`{"version":"1","statement":{"effect":"Deny","action":"*","resource":"*","condition":{"NumericLessThan":{"n":[1,2.50,-0]}}}}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*","Condition":{"Bool":{}}}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","action":"b","Resource":[]}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*","Condition":{"Bool":{"k":["b","a"],"k":["d","c"]}}}]}`,
		`{"Version":"1","Statement":[],"X":{"b":1,"a":"\u003c","b":[2, 1]}}`,
		`{"Version":"1","Statement":[]}}`,
		`{"Version":"1","Statement":[1]}`,
		`{"Version":"1","Statement":[{"Principal":{"Service":["a","a"],"service":7,"X":null}}]}`,
		"{\"Version\":\"1\",\"\xff\":\"\\u2028\",\"Statement\":[]}",
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		strict, strictErr := policy.Parse(data)
		d, err := policy.Read(data)
		for _, e := range []error{strictErr, err} {
			var ve *encryptperm.ValidationError
			if e != nil && (!errors.As(e, &ve) || !errors.Is(e, encryptperm.ErrInvalid)) {
				t.Fatalf("error %T %v is not a *ValidationError", e, e)
			}
		}
		if strictErr == nil {
			if err != nil {
				t.Fatalf("ParseDocument accepts what ReadDocument refuses: %v", err)
			}
			if !strict.Equal(d) {
				t.Fatalf("ParseDocument and ReadDocument disagree:\nstrict   %s\nfaithful %s", strict.JSON(), d.JSON())
			}
		}
		if err != nil {
			return
		}

		m1 := d.JSON()
		if d.Size() != len(m1) {
			t.Fatalf("Size() = %d, len(JSON()) = %d", d.Size(), len(m1))
		}
		d2, err := policy.Read(m1)
		if err != nil {
			t.Fatalf("ReadDocument(%s) of its own output: %v", m1, err)
		}
		if !d.Equal(d2) || !d2.Equal(d) {
			t.Fatalf("parse, marshal, parse changed the document:\nfirst  %s\nsecond %s", m1, d2.JSON())
		}
		if m2 := d2.JSON(); !bytes.Equal(m1, m2) {
			t.Fatalf("canonical JSON is not a fixed point:\nfirst  %s\nsecond %s", m1, m2)
		}
		if strictErr == nil {
			again, err := policy.Parse(m1)
			if err != nil {
				t.Fatalf("ParseDocument refuses the canonical form of a document it accepted: %v\n%s", err, m1)
			}
			if !again.Equal(strict) {
				t.Fatalf("strict round trip changed the document:\nfirst  %s\nsecond %s", strict.JSON(), again.JSON())
			}
		}
		if c := d.Clone(); !c.Equal(d) || !bytes.Equal(c.JSON(), m1) {
			t.Fatalf("Clone differs: %s", c.JSON())
		}
		var viaJSON policy.Document
		if err := json.Unmarshal(m1, &viaJSON); err != nil || !viaJSON.Equal(d) {
			t.Fatalf("json.Unmarshal of the canonical form: %v", err)
		}
		_ = encryptperm.Lint(d)
	})
}

// FuzzBuilders feeds arbitrary strings to every With method. Build must return
// a grant whose documents parse back strictly and trust no wildcard principal
// without a condition, or a *ValidationError; it never panics.
func FuzzBuilders(f *testing.F) {
	type seed struct {
		kind                                                        uint8
		accounts, rd, folder, region, owner, keyID, arn, policyName string
		serviceKey                                                  bool
	}
	for _, s := range []seed{
		{1, dtSeedUID1 + "," + dtSeedUID2, "", "", dtSeedRegion, dtSeedOwner, dtSeedKeyID, "", "", false},
		{1, "", dtSeedRD, "", dtSeedRegion, dtSeedOwner, dtSeedKeyID, "", "", false},
		{2, "", "", dtSeedFolder, dtSeedRegion, dtSeedOwner, dtSeedKeyID, "", "", false},
		{2, dtSeedUID1, "", "", "", "", "", "", "", true},
		{1, dtSeedUID1, "", "", "", "", "", "", "", true},
		{0, "", "", "", "", "", "", "", "", false},
		{0, "", "", "", dtSeedRegion, dtSeedOwner, "key-hzz630494463ejqjx", "acs:kms:cn-shanghai:1234567890123456:key/key-a", "Team-Keys", false},
		{1, "*", "rd-*", dtSeedFolder + "*", "*", "*", "*", "acs:kms:*:*:key/*", "*", false},
		{2, "*@ecs.aliyuncs.com", "*", "rd-3GabcD/r-Wm12cd/*", "cn-hangzhou", dtSeedOwner, dtSeedKeyID, "", "", false},
		{1, dtSeedUID1 + " ," + dtSeedUID2 + "\t", "rd-3GabcD ", "rd-a/r-b/fd-1/fd-2/fd-3/fd-4/fd-5/fd-6", "CN-HANGZHOU", "123", "alias/k", "not an arn", strings.Repeat("p", 200), false},
		{2, "٢٠٠٠٠٠٠٠٠٠٠٠٠٠٠١", "", "", dtSeedRegion, dtSeedOwner, dtSeedKeyID, "", "a_b", true},
	} {
		f.Add(s.kind, s.accounts, s.rd, s.folder, s.region, s.owner, s.keyID, s.arn, s.policyName, s.serviceKey)
	}
	f.Fuzz(func(t *testing.T, kind uint8, accounts, rd, folder, region, owner, keyID, arn, policyName string, serviceKey bool) {
		key := encryptperm.Key{Region: region, Owner: owner, ID: keyID}
		useKey := region != "" || owner != "" || keyID != ""
		var b interface {
			Build() (*encryptperm.Grant, error)
		}
		switch kind % 3 {
		case 0:
			d := encryptperm.DiskEncryption().WithPolicyName(policyName)
			if useKey {
				d.WithKey(key)
			}
			if arn != "" {
				d.WithKeyARN(arn)
			}
			b = d
		default:
			s := encryptperm.ShareSnapshot()
			if kind%3 == 2 {
				s = encryptperm.ShareImage()
			}
			if accounts != "" {
				s.WithAccounts(strings.Split(accounts, ",")...)
			}
			if rd != "" {
				s.WithResourceDirectory(rd)
			}
			if folder != "" {
				s.WithFolder(folder)
			}
			if useKey {
				s.WithKey(key)
			}
			if arn != "" {
				s.WithKeyARN(arn)
			}
			if serviceKey {
				s.WithServiceKey()
			}
			s.WithPolicyName(policyName)
			b = s
		}
		g, err := b.Build()
		if err != nil {
			var ve *encryptperm.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || g != nil {
				t.Fatalf("Build: %T %v, want a *ValidationError and no grant", err, err)
			}
			return
		}
		dtCheckGrant(t, g)
	})
}
