package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/fake"
)

// The adversarial suite for evaluation: documents built to make the
// evaluator say yes when it should not. Each is answered by Simulate (from
// the documents), by the fake's ECS-side simulation, by Check over the fake
// in process and by Check over an SDK client talking to the fake's endpoint.
// Every answer must fail closed: not allowed, and, where the refusal comes
// from doubt rather than a missing permission, with what could not be read
// named.

// advAllowA is a trust statement that lets acctA's ECS assume the role.
const advAllowA = `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"` + acctA + `@ecs.aliyuncs.com"}}`

// advTrust returns a trust policy of the statements.
func advTrust(statements ...string) string {
	return `{"Statement":[` + strings.Join(statements, ",") + `],"Version":"1"}`
}

// advNested returns a JSON value nested depth objects deep.
func advNested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// advLargeTrust returns a trust policy of about size bytes that lets acctA,
// among many accounts, assume the role.
func advLargeTrust(size int) string {
	var b strings.Builder
	b.WriteString(`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["` + acctA + `@ecs.aliyuncs.com"`)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `,"%016d@ecs.aliyuncs.com"`, 3000000000000000+i)
	}
	b.WriteString(`]}}],"Version":"1"}`)
	return b.String()
}

type advCase struct {
	name  string
	trust string
	// custom maps the names of custom policies attached, besides the key
	// policy, to their documents.
	custom map[string]string
	// system names a system policy attached that RAM does not return
	// (GetPolicy answers EntityNotExist) and the catalog lacks. The fake
	// holds it with the document given. The key is then allowed by
	// AliyunKMSFullAccess, from the catalog, so that no other read fails.
	system, systemDoc string
	// fakeLimits raise what the fake stores, for documents larger than RAM
	// takes.
	fakeLimits encryptperm.Limits
	// allowed is true only for the control case.
	allowed bool
}

func advCases() []advCase {
	return []advCase{
		{name: "control: everything readable", trust: advTrust(advAllowA), allowed: true},
		{name: "case-colliding Deny in the trust policy",
			trust: advTrust(`{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"`+acctA+`@ecs.aliyuncs.com"},"effect":"Allow"}`, advAllowA)},
		{name: "case-colliding Deny in a policy", trust: advTrust(advAllowA),
			custom: map[string]string{"Guard": `{"Statement":[{"Action":"kms:*","Effect":"Deny","Resource":"*","effect":"Allow"}],"Version":"1"}`}},
		{name: "case-colliding principal of a Deny", trust: advTrust(advAllowA,
			`{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"`+acctB+`@ecs.aliyuncs.com","SERVICE":"`+acctA+`@ecs.aliyuncs.com"}}`)},
		{name: `wildcard Deny "*"`, trust: advTrust(advAllowA, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*"}}`)},
		{name: `wildcard Deny "*ecs.aliyuncs.com"`, trust: advTrust(advAllowA, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*ecs.aliyuncs.com"}}`)},
		{name: "trust policy nested 100 deep", trust: advTrust(strings.TrimSuffix(advAllowA, "}") + `,"Deep":` + advNested(100) + `}`)},
		{name: "policy nested 100 deep", trust: advTrust(advAllowA),
			custom: map[string]string{"Deep": `{"Statement":[{"Action":"kms:*","Deep":` + advNested(100) + `,"Effect":"Deny","Resource":"*"}],"Version":"1"}`}},
		{name: "trust policy of 2 MiB", trust: advLargeTrust(2 << 20), fakeLimits: encryptperm.Limits{TrustPolicyMaxLen: 3 << 20}},
		{name: "policy whose top-level keys collide", trust: advTrust(advAllowA),
			custom: map[string]string{"Twice": `{"Statement":[{"Action":"kms:Decrypt","Effect":"Allow","Resource":"*"}],"Version":"1","statement":[{"Action":"*","Effect":"Deny","Resource":"*"}]}`}},
		{name: "system policy RAM does not return", trust: advTrust(advAllowA),
			system: "AliyunHostileGuard", systemDoc: `{"Statement":[{"Action":"kms:Decrypt","Effect":"Deny","Resource":"*"}],"Version":"1"}`},
	}
}

// advSetUp stores the case in a new fake: the snapshot role, its trust
// policy, the key policy and the case's policies, all attached.
func advSetUp(t *testing.T, tc advCase) *fake.RAM {
	t.Helper()
	f := fake.New(&fake.Options{Limits: tc.fakeLimits})
	role := encryptperm.ShareSnapshotRoleName
	if err := f.PutRole(fake.Role{Name: role, TrustPolicy: tc.trust}); err != nil {
		t.Fatal(err)
	}
	put := func(typ, name, doc string) {
		t.Helper()
		p := fake.Policy{Name: name, Type: typ, DefaultVersion: "v1", Versions: []fake.PolicyVersion{{ID: "v1", Document: doc, IsDefault: true}}}
		if err := f.PutPolicy(p); err != nil {
			t.Fatal(err)
		}
		if err := f.PutAttachment(role, typ, name); err != nil {
			t.Fatal(err)
		}
	}
	if tc.system == "" {
		put(string(encryptperm.Custom), "EncryptPerm-ShareSnapshotKeys", encryptperm.KeyPolicy([]encryptperm.Key{keyA}).String())
	} else if err := f.PutAttachment(role, string(encryptperm.System), encryptperm.KMSFullAccessPolicy); err != nil {
		t.Fatal(err)
	}
	for name, doc := range tc.custom {
		put(string(encryptperm.Custom), name, doc)
	}
	if tc.system != "" {
		put(string(encryptperm.System), tc.system, tc.systemDoc)
		f.SetFaults(fake.Rule{Action: "GetPolicy", Code: "EntityNotExist.Policy"})
	}
	return f
}

// advSimulate answers the case from its documents, read as a caller would:
// a document that cannot be read is handed over without one.
func advSimulate(t *testing.T, tc advCase, access encryptperm.Access) (*encryptperm.Decision, bool) {
	t.Helper()
	trust, err := policy.Read([]byte(tc.trust))
	if err != nil {
		if !errors.Is(err, encryptperm.ErrInvalid) {
			t.Errorf("ReadDocument of the trust policy: %v, want ErrInvalid", err)
		}
		return nil, false // refusing to read is failing closed
	}
	atts := []encryptperm.Attachment{{Name: "EncryptPerm-ShareSnapshotKeys", Type: encryptperm.Custom, Document: encryptperm.KeyPolicy([]encryptperm.Key{keyA})}}
	if tc.system != "" {
		atts = []encryptperm.Attachment{{Name: encryptperm.KMSFullAccessPolicy, Type: encryptperm.System}}
	}
	for name, doc := range tc.custom {
		d, err := policy.Read([]byte(doc))
		if err != nil {
			d = nil
		}
		atts = append(atts, encryptperm.Attachment{Name: name, Type: encryptperm.Custom, Document: d})
	}
	if tc.system != "" {
		atts = append(atts, encryptperm.Attachment{Name: tc.system, Type: encryptperm.System})
	}
	return encryptperm.Simulate(trust, atts, access), true
}

func TestAdversarialEvaluationFailsClosed(t *testing.T) {
	access := encryptperm.Access{Recipient: acctA, Resource: encryptperm.ResourceSnapshot, Key: keyA}
	for _, tc := range advCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := advSetUp(t, tc)
			client := checkClient(t, backend{name: "sdk-client-over-http"}, f)
			answers := map[string]*encryptperm.Decision{"fake ECS": f.SimulateECS(access)}
			if d, ok := advSimulate(t, tc, access); ok {
				answers["Simulate"] = d
			}
			for name, c := range map[string]encryptperm.RAM{"Check in process": f, "Check over the endpoint": client} {
				d, err := encryptperm.Check(context.Background(), c, access)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				answers[name] = d
			}
			for name, d := range answers {
				if d.Allowed != tc.allowed {
					t.Errorf("%s: allowed = %v, want %v\n%s", name, d.Allowed, tc.allowed, d.Explanation())
					continue
				}
				if !tc.allowed && d.Reason == "" {
					t.Errorf("%s: no reason", name)
				}
				// Refused out of doubt: what could not be read is named. The
				// fake's ECS reads its own state, where a system policy RAM
				// does not return is readable, and may deny for certain.
				if !tc.allowed && len(d.Unreadable) == 0 && (name != "fake ECS" || len(d.Missing) == 0) {
					t.Errorf("%s: not allowed, but nothing is named unreadable\n%s", name, d.Explanation())
				}
			}
		})
	}
}
