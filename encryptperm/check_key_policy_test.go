package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// The world of the key-policy tests: the fake's account owns an image
// encrypted with a key in a KMS instance; a second account of the fake
// holds a key of its own.
const (
	kpOwner     = "1234567890123456"
	kpRecipient = "2000000000000001"
	kpOther     = "2000000000000009"
	kpKeyID     = "key-hzzinstance0001"
	kpKeyARN    = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001"
	kpRole      = "acs:ram::1234567890123456:role/AliyunECSShareEncryptImageDefaultRole"
	kpImage     = "m-bp1shared01"
	kpForeignID = "key-hzzforeign0001"
)

var kpKey = encryptperm.Key{Region: "cn-hangzhou", Owner: kpOwner, ID: kpKeyID}

// Key policies, written out.
const (
	kpDenyRoleDecrypt = `{"Version":"1","Statement":[
		{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]},
		{"Sid":"no decrypt for shares","Effect":"Deny","Principal":{"RAM":["` + kpRole + `"]},"Action":["kms:Decrypt"],"Resource":["*"]}]}`
	kpAllowRole = `{"Version":"1","Statement":[
		{"Effect":"Allow","Principal":{"RAM":["` + kpRole + `"]},"Action":["kms:*"],"Resource":["*"]}]}`
	kpDenyAccount = `{"Version":"1","Statement":[
		{"Effect":"Deny","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:Encrypt"],"Resource":["*"]}]}`
)

// kpSeed loads the world, with keyPolicy as the key's policy ("" for the
// one KMS gives a new key), and gives the image's share role the grant the
// builder makes for kpRecipient, or, when listOnly, only the key
// container's kms:List* (the rest must then come from the key policy).
func kpSeed(t *testing.T, f *fake.RAM, keyPolicy string, listOnly bool) {
	t.Helper()
	k := fake.Key{Region: "cn-hangzhou", ID: kpKeyID, Instance: "kst-hzz62ee817bvyyr5x", Policy: keyPolicy}
	if err := f.PutKey(k); err != nil {
		t.Fatal(err)
	}
	if err := f.PutImage(fake.Image{Region: "cn-hangzhou", ID: kpImage, KMSKeyID: kpKeyID}); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareImage().WithAccounts(kpRecipient).WithKey(kpKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.PutRole(fake.Role{Name: g.Role.Name, TrustPolicy: g.Role.TrustPolicy.String()}); err != nil {
		t.Fatal(err)
	}
	doc := g.Policies[0].Document.String()
	if listOnly {
		doc = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"}]}`
	}
	if err := f.PutPolicy(fake.Policy{Name: g.Policies[0].Name, Versions: []fake.PolicyVersion{{ID: "v1", Document: doc}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutAttachment(g.Role.Name, string(encryptperm.Custom), g.Policies[0].Name); err != nil {
		t.Fatal(err)
	}
}

// kpShare shares the image with kpRecipient through ECS, as a user would.
func kpShare(f *fake.RAM) error {
	req := ecs.CreateModifyImageSharePermissionRequest()
	req.RegionId, req.ImageId, req.AddAccount = "cn-hangzhou", kpImage, &[]string{kpRecipient}
	_, err := f.ModifyImageSharePermission(req)
	return err
}

// kpStep is what a test looks at in one step.
type kpStep struct {
	Allowed bool
	By      string
	Reason  string
}

func kpStepOf(d *encryptperm.Decision, action string) kpStep {
	for _, s := range d.Steps {
		if s.Action == action {
			st := kpStep{Allowed: s.Allowed, Reason: s.Reason}
			if s.By != nil {
				st.By = s.By.String()
			}
			return st
		}
	}
	return kpStep{Reason: "no step " + action}
}

func TestCheckJudgesTheKeyPolicy(t *testing.T) {
	tests := []struct {
		name      string
		keyPolicy string
		listOnly  bool
		// wantShare is the fake ECS's answer to the share, "" for done.
		wantShare   string
		wantAllowed bool
		wantDecrypt kpStep
		wantReason  string // a part of Decision.Reason
	}{
		{
			name: "the default key policy leaves it to the role's policies", keyPolicy: "",
			wantAllowed: true,
			wantDecrypt: kpStep{Allowed: true, By: "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]",
				Reason: "allowed by policy EncryptPerm-ShareImageKeys (Custom) Statement[1]"},
		},
		{
			name: "a key policy Deny blocks an otherwise allowed share", keyPolicy: kpDenyRoleDecrypt,
			wantShare: "InvalidParameter.KMSKeyId.CMKUnauthorized",
			wantDecrypt: kpStep{By: "key policy of " + kpKeyARN + " Statement[1]",
				Reason: "explicitly denied by key policy of " + kpKeyARN + " Statement[1]"},
			wantReason: "The key policy of " + kpKeyARN + " denies kms:Decrypt",
		},
		{
			name: "a Deny of the whole account reaches the role", keyPolicy: kpDenyAccount,
			wantShare:   "InvalidParameter.KMSKeyId.CMKUnauthorized",
			wantDecrypt: kpStep{Allowed: true, By: "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]", Reason: "allowed by policy EncryptPerm-ShareImageKeys (Custom) Statement[1]"},
			wantReason:  "denies kms:Encrypt",
		},
		{
			name: "the key policy alone allows the role of its own account", keyPolicy: kpAllowRole, listOnly: true,
			wantAllowed: true,
			wantDecrypt: kpStep{Allowed: true, By: "key policy of " + kpKeyARN + " Statement[0]",
				Reason: "allowed by key policy of " + kpKeyARN + " Statement[0]; no attached policy allows it, and a role of the key's own account needs none"},
		},
		{
			name: "both allow", keyPolicy: kpAllowRole,
			wantAllowed: true,
			wantDecrypt: kpStep{Allowed: true, By: "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]",
				Reason: "allowed by policy EncryptPerm-ShareImageKeys (Custom) Statement[1] and by key policy of " + kpKeyARN + " Statement[0]"},
		},
		{
			name: "the default key policy grants nothing by itself", keyPolicy: "", listOnly: true,
			wantShare:   "InvalidParameter.KMSKeyId.CMKUnauthorized",
			wantDecrypt: kpStep{Reason: "no attached policy allows it, nor does the key policy of " + kpKeyARN},
			wantReason:  "The role's policies do not allow kms:DescribeKey",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			kpSeed(t, f, tt.keyPolicy, tt.listOnly)
			if code := fakeCode(kpShare(f)); code != tt.wantShare {
				t.Errorf("the fake's share: %q, want %q", code, tt.wantShare)
			}
			a := encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey}
			for name, check := range map[string]func() (*encryptperm.Decision, error){
				"Check": func() (*encryptperm.Decision, error) { return encryptperm.Check(context.Background(), f, a) },
				"Applier.Check": func() (*encryptperm.Decision, error) {
					return encryptperm.NewApplier(f, nil).Check(context.Background(), a)
				},
			} {
				d, err := check()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if d.Allowed != tt.wantAllowed {
					t.Errorf("%s: Allowed %v, want %v:\n%s", name, d.Allowed, tt.wantAllowed, d.Explanation())
				}
				if diff := cmp.Diff(tt.wantDecrypt, kpStepOf(d, "kms:Decrypt")); diff != "" {
					t.Errorf("%s: kms:Decrypt (-want +got):\n%s", name, diff)
				}
				if !strings.Contains(d.Reason, tt.wantReason) {
					t.Errorf("%s: Reason %q, want it to hold %q", name, d.Reason, tt.wantReason)
				}
				if d.Access.KeyPolicy == nil {
					t.Errorf("%s: the decision does not show the key policy read", name)
				}
			}
		})
	}
}

// fakeCode returns the code of an error of the fake, or "".
func fakeCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestCheckAnotherAccountsKeyNeedsBothSides(t *testing.T) {
	// The role is in kpOther's account; the key is kpOwner's.
	roleARN := "acs:ram::" + kpOther + ":role/AliyunECSShareEncryptImageDefaultRole"
	tests := []struct {
		name        string
		keyPolicy   string
		wantAllowed bool
		wantDecrypt kpStep
	}{
		{
			name: "the role's policy alone is not enough", keyPolicy: "",
			wantDecrypt: kpStep{Reason: "policy EncryptPerm-ShareImageKeys (Custom) Statement[1] allows it, but key " + kpKeyARN +
				" is of account " + kpOwner + ", whose key policy must allow a role of another account too, and no statement of it does"},
		},
		{
			name: "with the key policy's Allow of the role", keyPolicy: `{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["` + roleARN + `"]},"Action":["kms:*"],"Resource":["*"]}]}`,
			wantAllowed: true,
			wantDecrypt: kpStep{Allowed: true, By: "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]",
				Reason: "allowed by policy EncryptPerm-ShareImageKeys (Custom) Statement[1] and by key policy of " + kpKeyARN + " Statement[0]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: kpKeyID, Instance: "kst-hzz62ee817bvyyr5x", Policy: tt.keyPolicy}); err != nil {
				t.Fatal(err)
			}
			other, err := f.AddAccount(kpOther)
			if err != nil {
				t.Fatal(err)
			}
			g, err := encryptperm.ShareImage().WithAccounts(kpRecipient).WithKey(kpKey).Build()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := encryptperm.NewApplier(other, nil).Apply(context.Background(), g); err != nil {
				t.Fatal(err)
			}
			d, err := encryptperm.Check(context.Background(), other, encryptperm.Access{
				Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey, Owner: kpOther})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.wantAllowed {
				t.Errorf("Allowed %v, want %v:\n%s", d.Allowed, tt.wantAllowed, d.Explanation())
			}
			if diff := cmp.Diff(tt.wantDecrypt, kpStepOf(d, "kms:Decrypt")); diff != "" {
				t.Errorf("kms:Decrypt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckFailsClosedWithoutTheKeyPolicy(t *testing.T) {
	tests := []struct {
		name       string
		client     func(f *fake.RAM) encryptperm.RAM
		fault      *fake.Rule
		keyPolicy  string
		wantReason string // the start of the "key policy" step's reason
	}{
		{name: "a client without GetKeyPolicy", client: func(f *fake.RAM) encryptperm.RAM { return ramOnly{f} },
			wantReason: `key policy not read: encryptperm: KMS GetKeyPolicy "` + kpKeyARN + `": the KMS client has no GetKeyPolicy method (see KMS)`},
		{name: "KMS refuses the read", client: func(f *fake.RAM) encryptperm.RAM { return f },
			fault:      &fake.Rule{Action: "GetKeyPolicy", Code: "Forbidden.NoPermission", Status: 403},
			wantReason: `key policy not read: encryptperm: KMS GetKeyPolicy "` + kpKeyARN + `": Forbidden.NoPermission`},
		{name: "a key policy whose Version is given twice", client: func(f *fake.RAM) encryptperm.RAM { return f },
			keyPolicy:  `{"Version":"1","version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:*"]},"Action":["kms:*"],"Resource":["*"]}]}`,
			wantReason: "key policy not read: KMS's key policy of " + kpKeyARN + " cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			// KMS's grammar takes the document whose Version is given
			// twice; this library cannot tell which one counts.
			kpSeed(t, f, tt.keyPolicy, false)
			if tt.fault != nil {
				f.AddFault(*tt.fault)
			}
			a := encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey}
			d, err := encryptperm.Check(context.Background(), tt.client(f), a)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				t.Fatalf("allowed without the key policy:\n%s", d.Explanation())
			}
			st := kpStepOf(d, "key policy")
			if st.Allowed || !strings.HasPrefix(st.Reason, tt.wantReason) {
				t.Errorf("key policy step %+v, want not allowed with a reason that begins %q", st, tt.wantReason)
			}
			if want := []string{"key policy of " + kpKeyARN}; !cmp.Equal(want, d.Unreadable) {
				t.Errorf("Unreadable %q, want %q", d.Unreadable, want)
			}
			if dec := kpStepOf(d, "kms:Decrypt"); dec.Allowed {
				t.Errorf("kms:Decrypt allowed while the key policy might deny it: %+v", dec)
			}
		})
	}
}

func TestCheckOfADefaultKeyReadsNoKeyPolicy(t *testing.T) {
	f := fake.New(nil)
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: kpKeyID}); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareImage().WithAccounts(kpRecipient).WithKey(kpKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	d, err := encryptperm.Check(context.Background(), f, encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Access.KeyPolicy != nil {
		t.Errorf("a key in no instance: Allowed %v, KeyPolicy %v; want allowed, none:\n%s", d.Allowed, d.Access.KeyPolicy, d.Explanation())
	}
}

func TestSimulateTakesTheKeyPolicy(t *testing.T) {
	g, err := encryptperm.ShareImage().WithAccounts(kpRecipient).WithKey(kpKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	deny, err := policy.Parse([]byte(kpDenyRoleDecrypt))
	if err != nil {
		t.Fatal(err)
	}
	a := encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey}
	if d := encryptperm.Simulate(g.Role.TrustPolicy, g.Policies, a); !d.Allowed {
		t.Fatalf("without a key policy: not allowed:\n%s", d.Explanation())
	}
	a.KeyPolicy = deny
	d := encryptperm.Simulate(g.Role.TrustPolicy, g.Policies, a)
	want := kpStep{By: "key policy of " + kpKeyARN + " Statement[1]", Reason: "explicitly denied by key policy of " + kpKeyARN + " Statement[1]"}
	if diff := cmp.Diff(want, kpStepOf(d, "kms:Decrypt")); d.Allowed || diff != "" {
		t.Errorf("with the key policy's Deny: Allowed %v; kms:Decrypt (-want +got):\n%s", d.Allowed, diff)
	}
}

func TestKeyPolicyAccountWideOption(t *testing.T) {
	for _, wide := range []bool{false, true} {
		f := fake.New(&fake.Options{KeyPolicyAccountWide: wide})
		kpSeed(t, f, "", true)
		o := &encryptperm.Options{KeyPolicyAccountWide: wide}
		d, err := encryptperm.NewApplier(f, o).Check(context.Background(), encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, Key: kpKey})
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != wide {
			t.Errorf("KeyPolicyAccountWide %v: Allowed %v:\n%s", wide, d.Allowed, d.Explanation())
		}
		if shared := kpShare(f) == nil; shared != wide {
			t.Errorf("KeyPolicyAccountWide %v: the fake's ECS shared %v", wide, shared)
		}
		if !wide && !strings.Contains(d.Explanation(), "names acs:ram::1234567890123456:*, read as the account itself") {
			t.Errorf("the explanation does not say how the account's principal was read:\n%s", d.Explanation())
		}
	}
}

func TestApplyRefusesAGrantTheKeyPolicyDenies(t *testing.T) {
	f := fake.New(nil)
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: kpKeyID, Instance: "kst-hzz62ee817bvyyr5x", Policy: kpDenyRoleDecrypt}); err != nil {
		t.Fatal(err)
	}
	g, err := encryptperm.ShareImage().WithAccounts(kpRecipient).WithKey(kpKey).Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err := encryptperm.NewApplier(f, nil).Apply(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrInvalid) {
		t.Fatalf("Apply: %v, want ErrInvalid", err)
	}
	want := "encryptperm: apply: key policy of " + kpKeyARN + " Statement[1] denies kms:Decrypt to role AliyunECSShareEncryptImageDefaultRole"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Apply: %q, want it to begin %q", err, want)
	}
	if res.Writes != 0 {
		t.Errorf("%d writes before the refusal", res.Writes)
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.Action, "Create") || strings.HasPrefix(c.Action, "Attach") || strings.HasPrefix(c.Action, "Update") {
			t.Errorf("a write was made: %s", c.Action)
		}
	}
	var got []string
	for _, c := range res.Calls {
		if c.Action == "GetKeyPolicy" {
			got = append(got, c.Target)
		}
	}
	if diff := cmp.Diff([]string{kpKeyARN}, got); diff != "" {
		t.Errorf("GetKeyPolicy calls (-want +got):\n%s", diff)
	}
}

// TestCheckOfANamedImageJudgesItsKeysPolicy: with Access.ResourceID, Check
// finds the image's key and reads its key policy beside its metadata; the
// key policy's Deny decides the step.
func TestCheckOfANamedImageJudgesItsKeysPolicy(t *testing.T) {
	f := fake.New(nil)
	kpSeed(t, f, kpDenyRoleDecrypt, false)
	a := encryptperm.Access{Recipient: kpRecipient, Resource: encryptperm.ResourceImage, ResourceID: kpImage, Region: "cn-hangzhou"}
	d, err := encryptperm.NewApplier(f, nil).Check(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	want := kpStep{By: "key policy of " + kpKeyARN + " Statement[1]", Reason: "explicitly denied by key policy of " + kpKeyARN + " Statement[1]"}
	if diff := cmp.Diff(want, kpStepOf(d, "kms:Decrypt")); d.Allowed || diff != "" {
		t.Errorf("Allowed %v; kms:Decrypt (-want +got):\n%s\n%s", d.Allowed, diff, d.Explanation())
	}
}
