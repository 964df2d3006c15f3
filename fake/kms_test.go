package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	instKey  = "key-hzzinstance0001"
	instance = "kst-hzz62ee817bvyyr5x"
	// memberUID is an account the key-policy seed holds beside the fake's.
	memberUID = "2000000000000001"
)

// kmsSeed holds a key of the default kind, a key in an instance with the
// default key policy, and a member's key in an instance with a policy of
// its own.
const kmsSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
   "accounts": [{"uid": "2000000000000001", "folder": "r-Root01"}]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
          {"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x"},
          {"account": "2000000000000001", "region": "cn-hangzhou", "id": "key-hzzmember00001", "instance": "kst-hzzmember01",
           "policy": "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"RAM\":[\"acs:ram::2000000000000001:*\"]},\"Action\":[\"kms:*\"],\"Resource\":[\"*\"]}]}"}]}`

// kmsBackends are the KMS calls of one side of a test: the fake in process,
// or the SDK's client through the endpoint.
type kmsBackends interface {
	encryptperm.KMS
	GetKeyPolicy(*kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error)
	SetKeyPolicy(*kms.SetKeyPolicyRequest) (*kms.SetKeyPolicyResponse, error)
	ListKeys(*kms.ListKeysRequest) (*kms.ListKeysResponse, error)
}

var (
	_ kmsBackends = (*fake.RAM)(nil)
	_ kmsBackends = (*kms.Client)(nil)
)

// kmsSides returns the fake loaded with kmsSeed in process, and another
// through the endpoint with the SDK's own kms client.
func kmsSides(t *testing.T) (map[string]kmsBackends, map[string]*fake.RAM) {
	t.Helper()
	inProc, _ := newFake(t, &fake.Options{Seed: 7})
	overHTTP, _ := newFake(t, &fake.Options{Seed: 7})
	for _, f := range []*fake.RAM{inProc, overHTTP} {
		if err := fake.LoadSeedBytes(f, []byte(kmsSeed)); err != nil {
			t.Fatal(err)
		}
	}
	kc, err := start(t, overHTTP, nil).KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]kmsBackends{"in process": inProc, "over HTTP": kc},
		map[string]*fake.RAM{"in process": inProc, "over HTTP": overHTTP}
}

func getKeyPolicy(c kmsBackends, keyID, name string) (string, error) {
	r := kms.CreateGetKeyPolicyRequest()
	r.RegionId, r.KeyId, r.PolicyName = svcRegion, keyID, name
	resp, err := c.GetKeyPolicy(r)
	if err != nil {
		return "", err
	}
	return resp.Policy, nil
}

func setKeyPolicy(c kmsBackends, keyID, name, doc string) error {
	r := kms.CreateSetKeyPolicyRequest()
	r.RegionId, r.KeyId, r.PolicyName, r.Policy = svcRegion, keyID, name, doc
	_, err := c.SetKeyPolicy(r)
	return err
}

func TestKeyPolicyCalls(t *testing.T) {
	const denyShare = `{"Version":"1","Statement":[{"Sid":"no share role","Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole"]},"Action":["kms:*"],"Resource":["*"]}]}`
	memberARN := "acs:kms:cn-hangzhou:2000000000000001:key/key-hzzmember00001"
	tests := []struct {
		name     string
		call     func(c kmsBackends) (string, error)
		want     string
		wantCode string
	}{
		{"a key in an instance has KMS's default key policy",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, instKey, "default") },
			`{"Version":"1","Statement":[{"Sid":"kms default key policy","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}]}`, ""},
		{"PolicyName may be left out",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, instKey, "") },
			`{"Version":"1","Statement":[{"Sid":"kms default key policy","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}]}`, ""},
		{"a member's key by its ARN",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, memberARN, "default") },
			`{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::2000000000000001:*"]},"Action":["kms:*"],"Resource":["*"]}]}`, ""},
		{"set, then read back",
			func(c kmsBackends) (string, error) {
				if err := setKeyPolicy(c, instKey, "default", denyShare); err != nil {
					return "", err
				}
				return getKeyPolicy(c, "acs:kms:cn-hangzhou:1234567890123456:key/"+instKey, "default")
			}, denyShare, ""},
		{"a key of the default kind has no key policy",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, svcKey, "default") }, "", "UnsupportedOperation"},
		{"nor can one be set",
			func(c kmsBackends) (string, error) { return "", setKeyPolicy(c, svcKey, "default", denyShare) }, "", "UnsupportedOperation"},
		{"a policy name other than default",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, instKey, "mine") }, "", "Forbidden.ResourceNotFound"},
		{"no such key",
			func(c kmsBackends) (string, error) { return getKeyPolicy(c, "key-hzznothere0001", "default") }, "", "Forbidden.KeyNotFound"},
		{"an ARN of an account the fake does not hold",
			func(c kmsBackends) (string, error) {
				return getKeyPolicy(c, "acs:kms:cn-hangzhou:9000000000000009:key/"+instKey, "default")
			}, "", "Forbidden.KeyNotFound"},
		{"an ARN of another region",
			func(c kmsBackends) (string, error) {
				return getKeyPolicy(c, "acs:kms:cn-beijing:1234567890123456:key/"+instKey, "default")
			}, "", "Forbidden.KeyNotFound"},
		{"a policy over 32,768 bytes",
			func(c kmsBackends) (string, error) {
				long := `{"Version":"1","Statement":[{"Sid":"` + strings.Repeat("a", 100) + `","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}],"Pad":"` + strings.Repeat("x", 32768) + `"}`
				return "", setKeyPolicy(c, instKey, "default", long)
			}, "", "InvalidParameter"},
		{"a Version other than 1",
			func(c kmsBackends) (string, error) {
				return "", setKeyPolicy(c, instKey, "default", strings.Replace(denyShare, `"Version":"1"`, `"Version":"2"`, 1))
			}, "", "InvalidParameter"},
		{"a statement without a principal",
			func(c kmsBackends) (string, error) {
				return "", setKeyPolicy(c, instKey, "default", `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:*"],"Resource":["*"]}]}`)
			}, "", "InvalidParameter"},
		{"a service principal",
			func(c kmsBackends) (string, error) {
				return "", setKeyPolicy(c, instKey, "default", `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]},"Action":["kms:*"],"Resource":["*"]}]}`)
			}, "", "InvalidParameter"},
		{"a Sid over 128 characters",
			func(c kmsBackends) (string, error) {
				return "", setKeyPolicy(c, instKey, "default", strings.Replace(denyShare, "no share role", strings.Repeat("s", 129), 1))
			}, "", "InvalidParameter"},
		{"no policy",
			func(c kmsBackends) (string, error) { return "", setKeyPolicy(c, instKey, "default", "") }, "", "MissingPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sides, _ := kmsSides(t)
			for side, c := range sides {
				got, err := tt.call(c)
				if code := errorCode(err); code != tt.wantCode {
					t.Fatalf("%s: code %q (%v), want %q", side, code, err, tt.wantCode)
				}
				if got != tt.want {
					t.Errorf("%s: policy\n got %s\nwant %s", side, got, tt.want)
				}
			}
		})
	}
}

func TestSetKeyPolicyChangesOnlyThatKey(t *testing.T) {
	const doc = `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:role/R"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`
	sides, fakes := kmsSides(t)
	for side, c := range sides {
		if err := setKeyPolicy(c, "acs:kms:cn-hangzhou:2000000000000001:key/key-hzzmember00001", "default", doc); err != nil {
			t.Fatalf("%s: %v", side, err)
		}
		member := fakes[side].Account(memberUID)
		if got, ok := member.KeyPolicy("key-hzzmember00001"); !ok || got != doc {
			t.Errorf("%s: the member's key policy is %q (%v), want %q", side, got, ok, doc)
		}
		if got, _ := fakes[side].KeyPolicy(instKey); got != fake.DefaultKeyPolicy("1234567890123456") {
			t.Errorf("%s: the fake's own key policy changed: %s", side, got)
		}
		if _, ok := fakes[side].KeyPolicy(svcKey); ok {
			t.Errorf("%s: a key of the default kind has a key policy", side)
		}
	}
}

func TestDescribeKeyNamesTheInstance(t *testing.T) {
	sides, _ := kmsSides(t)
	for side, c := range sides {
		for _, tt := range []struct{ give, wantARN, wantInstance string }{
			{instKey, "acs:kms:cn-hangzhou:1234567890123456:key/" + instKey, instance},
			{svcKey, "acs:kms:cn-hangzhou:1234567890123456:key/" + svcKey, ""},
			{"acs:kms:cn-hangzhou:2000000000000001:key/key-hzzmember00001", "acs:kms:cn-hangzhou:2000000000000001:key/key-hzzmember00001", "kst-hzzmember01"},
		} {
			r := kms.CreateDescribeKeyRequest()
			r.RegionId, r.KeyId = svcRegion, tt.give
			resp, err := c.DescribeKey(r)
			if err != nil {
				t.Fatalf("%s: %s: %v", side, tt.give, err)
			}
			got := [2]string{resp.KeyMetadata.Arn, resp.KeyMetadata.DKMSInstanceId}
			if want := [2]string{tt.wantARN, tt.wantInstance}; got != want {
				t.Errorf("%s: %s: ARN and instance %q, want %q", side, tt.give, got, want)
			}
		}
	}
}

func TestListKeysPages(t *testing.T) {
	sides, _ := kmsSides(t)
	for side, c := range sides {
		var got []string
		for page := 1; page <= 3; page++ {
			r := kms.CreateListKeysRequest()
			r.RegionId, r.PageNumber, r.PageSize = svcRegion, requests.NewInteger(page), requests.NewInteger(1)
			resp, err := c.ListKeys(r)
			if err != nil {
				t.Fatalf("%s: %v", side, err)
			}
			if resp.TotalCount != 2 {
				t.Errorf("%s: TotalCount %d, want 2", side, resp.TotalCount)
			}
			for _, k := range resp.Keys.Key {
				got = append(got, k.KeyId+" "+k.KeyArn)
			}
		}
		want := []string{
			"0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b",
			"key-hzzinstance0001 acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", side, diff)
		}
	}
}

func TestLoadSeedKeyPolicies(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // a part of the message
	}{
		{"a policy without an instance",
			`{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "policy": "{}"}]}`,
			"keys[0].policy: a key without an instance has no key policy"},
		{"an instance ID of another form",
			`{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "inst-1"}]}`,
			`keys[0].instance: "inst-1" is not a KMS instance ID`},
		{"a key policy KMS would refuse",
			`{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x", "policy": "{\"Version\":\"2\",\"Statement\":[]}"}]}`,
			`keys[0].policy: "Version" must be the string "1"`},
		{"an instance given as a number",
			`{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": 7}]}`,
			"keys[0].instance: wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			err := fake.LoadSeedBytes(f, []byte(tt.give))
			if !errors.Is(err, fake.ErrInvalidSeed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInvalidSeed with %q", err, tt.want)
			}
			if len(f.Keys()) != 0 {
				t.Errorf("keys were put: %v", f.Keys())
			}
		})
	}
}

// listOnly lets a role list the keys of the default account, and nothing
// more: a key policy can grant the use of one key, not the key container.
const listOnly = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:List*"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key"]}]}`

// keyPolicyShare sets up an image encrypted with a key in an instance whose
// key policy is doc, a share role trusting recipient, and the custom policy
// ramPolicy attached to it, if any.
func keyPolicyShare(t *testing.T, doc, ramPolicy string) *fake.RAM {
	t.Helper()
	f, _ := newFake(t, nil)
	seed := `{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x", "policy": ` + quoteJSON(doc) + `}],
	  "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzzinstance0001"}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	mustCreateRole(t, f, encryptperm.ResourceImage.RoleName(), shareTrust(recipient))
	if ramPolicy != "" {
		mustCreatePolicy(t, f, "EncryptPerm-ShareImageKeys", ramPolicy)
		mustAttach(t, f, "Custom", "EncryptPerm-ShareImageKeys", encryptperm.ResourceImage.RoleName())
	}
	return f
}

func quoteJSON(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func TestECSJudgesTheKeyPolicy(t *testing.T) {
	const (
		role      = "acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole"
		denyRole  = `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]},{"Effect":"Deny","Principal":{"RAM":["` + role + `"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`
		allowRole = `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["` + role + `"]},"Action":["kms:*"],"Resource":["*"]}]}`
		denyAll   = `{"Version":"1","Statement":[{"Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:Encrypt"],"Resource":["*"]}]}`
	)
	tests := []struct {
		name      string
		doc       string
		ramPolicy string
		wantCode  string
	}{
		{"the default key policy leaves it to RAM", fake.DefaultKeyPolicy("1234567890123456"), keyUse(instKey), ""},
		{"the default key policy grants nothing by itself", fake.DefaultKeyPolicy("1234567890123456"), listOnly, "InvalidParameter.KMSKeyId.CMKUnauthorized"},
		{"a Deny of the share role blocks what RAM allows", denyRole, keyUse(instKey), "InvalidParameter.KMSKeyId.CMKUnauthorized"},
		{"a Deny of the whole account blocks the role too", denyAll, keyUse(instKey), "InvalidParameter.KMSKeyId.CMKUnauthorized"},
		{"the key policy alone allows the key's use to a role of its own account", allowRole, listOnly, ""},
		{"without RAM's list action the key policy is not enough", allowRole, "", "InvalidParameter.KMSKeyId.CMKUnauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := keyPolicyShare(t, tt.doc, tt.ramPolicy)
			err := shareImage(f, sharedImage, recipient)
			if code := errorCode(err); code != tt.wantCode {
				t.Fatalf("ModifyImageSharePermission: code %q (%v), want %q", code, err, tt.wantCode)
			}
			d := f.SimulateECS(encryptperm.Access{Recipient: recipient, Resource: encryptperm.ResourceImage,
				Key: encryptperm.Key{Region: svcRegion, Owner: "1234567890123456", ID: instKey}})
			if d.Allowed != (tt.wantCode == "") {
				t.Errorf("SimulateECS allowed %v, want %v:\n%s", d.Allowed, tt.wantCode == "", d.Explanation())
			}
		})
	}
}

func TestKeyPolicyAccountWideReading(t *testing.T) {
	for _, wide := range []bool{false, true} {
		f, _ := newFake(t, &fake.Options{KeyPolicyAccountWide: wide})
		seed := `{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x"}],
		  "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzzinstance0001"}]}`
		if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
			t.Fatal(err)
		}
		mustCreateRole(t, f, encryptperm.ResourceImage.RoleName(), shareTrust(recipient))
		// Only the key container's list action comes from RAM: the default
		// key policy, read as every identity of the account, gives the rest.
		mustCreatePolicy(t, f, "List", listOnly)
		mustAttach(t, f, "Custom", "List", encryptperm.ResourceImage.RoleName())
		err := shareImage(f, sharedImage, recipient)
		if want := map[bool]string{false: "InvalidParameter.KMSKeyId.CMKUnauthorized", true: ""}[wide]; errorCode(err) != want {
			t.Errorf("KeyPolicyAccountWide %v: code %q (%v), want %q", wide, errorCode(err), err, want)
		}
	}
}
