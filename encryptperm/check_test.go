package encryptperm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// chkCheckRAM is a small RAM and KMS for Check: roles, attached policies
// and policy documents held as RAM returns them, and keys' key policies. It
// answers only the reads Check makes; the embedded nil interface makes any
// other call panic. A key with no key policy set answers as a key of the
// default kind, in no KMS instance.
type chkCheckRAM struct {
	encryptperm.RAM
	owner       string
	roles       map[string]string          // role name → trust policy JSON
	attached    map[string][]ram.Policy    // role name → attached policies
	docs        map[string]string          // "Type/Name" → default version JSON via GetPolicy
	versions    map[string]string          // "Type/Name" → default version JSON via GetPolicyVersion only
	keyPolicies map[string]string          // key ARN → key policy JSON
	fail        map[string]sdkerrors.Error // action → error
	calls       []string                   // RAM's
	kmsCalls    []string
}

func chkNewCheckRAM() *chkCheckRAM {
	return &chkCheckRAM{
		owner: chkOwner, roles: map[string]string{}, attached: map[string][]ram.Policy{},
		docs: map[string]string{}, versions: map[string]string{}, keyPolicies: map[string]string{},
		fail: map[string]sdkerrors.Error{},
	}
}

// keyPolicy gives the key of ARN arn a KMS instance and a key policy.
func (r *chkCheckRAM) keyPolicy(arn, doc string) *chkCheckRAM {
	r.keyPolicies[arn] = doc
	return r
}

func (r *chkCheckRAM) DescribeKey(req *kms.DescribeKeyRequest) (*kms.DescribeKeyResponse, error) {
	r.kmsCalls = append(r.kmsCalls, "DescribeKey "+req.KeyId)
	if err := r.fail["DescribeKey"]; err != nil {
		return nil, err
	}
	resp := kms.CreateDescribeKeyResponse()
	resp.KeyMetadata = kms.KeyMetadata{Arn: req.KeyId, KeyState: "Enabled", Creator: chkOwner}
	if _, ok := r.keyPolicies[req.KeyId]; ok {
		resp.KeyMetadata.DKMSInstanceId = "kst-hzzcheck01"
	}
	return resp, nil
}

func (r *chkCheckRAM) GetKeyPolicy(req *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	r.kmsCalls = append(r.kmsCalls, "GetKeyPolicy "+req.KeyId+" "+req.PolicyName)
	if err := r.fail["GetKeyPolicy"]; err != nil {
		return nil, err
	}
	doc, ok := r.keyPolicies[req.KeyId]
	if !ok {
		return nil, chkRamError(400, "UnsupportedOperation")
	}
	resp := kms.CreateGetKeyPolicyResponse()
	resp.Policy = doc
	return resp, nil
}

func chkRamError(status int, code string) sdkerrors.Error {
	return sdkerrors.NewServerError(status, fmt.Sprintf(`{"RequestId":"req-1","HostId":"ram.aliyuncs.com","Code":%q,"Message":"stub"}`, code), "")
}

// role adds a role with its trust policy and attached policies: custom ones
// as "Name=JSON", system ones as "System:Name".
func (r *chkCheckRAM) role(name, trust string, policies ...string) *chkCheckRAM {
	r.roles[name] = trust
	for _, p := range policies {
		if sys, ok := strings.CutPrefix(p, "System:"); ok {
			r.attached[name] = append(r.attached[name], ram.Policy{PolicyName: sys, PolicyType: "System", DefaultVersion: "v1"})
			continue
		}
		pn, doc, _ := strings.Cut(p, "=")
		r.attached[name] = append(r.attached[name], ram.Policy{PolicyName: pn, PolicyType: "Custom", DefaultVersion: "v3"})
		r.docs["Custom/"+pn] = doc
	}
	return r
}

func (r *chkCheckRAM) GetRole(req *ram.GetRoleRequest) (*ram.GetRoleResponse, error) {
	r.calls = append(r.calls, "GetRole "+req.RoleName)
	if err := r.fail["GetRole"]; err != nil {
		return nil, err
	}
	trust, ok := r.roles[req.RoleName]
	if !ok {
		return nil, chkRamError(404, "EntityNotExist.Role")
	}
	resp := ram.CreateGetRoleResponse()
	resp.Role = ram.Role{
		RoleName: req.RoleName, Arn: fmt.Sprintf("acs:ram::%s:role/%s", r.owner, req.RoleName),
		AssumeRolePolicyDocument: trust,
	}
	return resp, nil
}

func (r *chkCheckRAM) ListPoliciesForRole(req *ram.ListPoliciesForRoleRequest) (*ram.ListPoliciesForRoleResponse, error) {
	r.calls = append(r.calls, "ListPoliciesForRole "+req.RoleName)
	if err := r.fail["ListPoliciesForRole"]; err != nil {
		return nil, err
	}
	resp := ram.CreateListPoliciesForRoleResponse()
	resp.Policies.Policy = r.attached[req.RoleName]
	return resp, nil
}

func (r *chkCheckRAM) GetPolicy(req *ram.GetPolicyRequest) (*ram.GetPolicyResponse, error) {
	r.calls = append(r.calls, "GetPolicy "+req.PolicyType+"/"+req.PolicyName)
	if err := r.fail["GetPolicy"]; err != nil {
		return nil, err
	}
	key := req.PolicyType + "/" + req.PolicyName
	doc, ok := r.docs[key]
	_, versioned := r.versions[key]
	if !ok && !versioned {
		return nil, chkRamError(404, "EntityNotExist.Policy")
	}
	resp := ram.CreateGetPolicyResponse()
	resp.Policy = ram.Policy{PolicyName: req.PolicyName, PolicyType: req.PolicyType, DefaultVersion: "v3"}
	resp.DefaultPolicyVersion = ram.DefaultPolicyVersion{VersionId: "v3", IsDefaultVersion: true, PolicyDocument: doc}
	return resp, nil
}

func (r *chkCheckRAM) GetPolicyVersion(req *ram.GetPolicyVersionRequest) (*ram.GetPolicyVersionResponse, error) {
	r.calls = append(r.calls, "GetPolicyVersion "+req.PolicyType+"/"+req.PolicyName+"@"+req.VersionId)
	doc, ok := r.versions[req.PolicyType+"/"+req.PolicyName]
	if !ok || req.VersionId != "v3" {
		return nil, chkRamError(404, "EntityNotExist.Policy.Version")
	}
	resp := ram.CreateGetPolicyVersionResponse()
	resp.PolicyVersion = ram.PolicyVersion{VersionId: req.VersionId, IsDefaultVersion: true, PolicyDocument: doc}
	return resp, nil
}

// The ECS page's documents, written out by hand with this test's values.
const (
	chkOwner  = "1111111111111111"
	chkB      = "2000000000000001"
	chkC      = "2000000000000002"
	chkRegion = "cn-hangzhou"
	chkKeyID  = "key-hzabc"

	chkTrustAccounts = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",
		"Principal":{"Service":["2000000000000001@ecs.aliyuncs.com","2000000000000009@ecs.aliyuncs.com"]}}],"Version":"1"}`
	chkTrustRD = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},
		"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}],"Version":"1"}`
	chkTrustFolder = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},
		"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-root/fd-abc*"}}}],"Version":"1"}`
	chkTrustPlain = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	chkKeyPolicy  = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`
	chkKeyPolicyNoGenerate = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt"],
		 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`
	chkKeyPolicyOtherKey = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-other","Effect":"Allow"}]}`
	chkKeyPolicyOtherRegion = `{"Version":"1","Statement":[
		{"Action":"kms:List*","Resource":"acs:kms:cn-shanghai:1111111111111111:key","Effect":"Allow"},
		{"Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
		 "Resource":"acs:kms:cn-shanghai:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`
	chkDenyDecrypt     = `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`
	chkDenyUnreadable  = `{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":"only on Tuesdays"}]}`
	chkAllowUnreadable = `{"Version":"1","Statement":[{"Effect":"Allow","Action":{"kms":"*"},"Resource":"*"}]}`
)

var (
	chkKey            = encryptperm.Key{Region: chkRegion, Owner: chkOwner, ID: chkKeyID}
	chkKeyUse         = []string{"kms:DescribeKey", "kms:TagResource", "kms:UntagResource", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}
	chkListUse        = []string{"kms:ListKeys"}
	chkAllKMS         = append(append([]string{}, chkKeyUse...), chkListUse...)
	chkImageRole      = encryptperm.ShareImageRoleName
	chkSnapshotRole   = encryptperm.ShareSnapshotRoleName
	chkImagePolicy    = "EncryptPerm-ShareImageKeys"
	chkSnapshotPolicy = "EncryptPerm-ShareSnapshotKeys"
)

func chkImage(recipient string) encryptperm.Access {
	return encryptperm.Access{Recipient: recipient, Resource: encryptperm.ResourceImage, Key: chkKey}
}

func chkSnapshot(recipient string) encryptperm.Access {
	return encryptperm.Access{Recipient: recipient, Resource: encryptperm.ResourceSnapshot, Key: chkKey}
}

func chkWithRD(a encryptperm.Access, rdID, rdPath string) encryptperm.Access {
	a.RDID, a.RDPath = rdID, rdPath
	return a
}

// chkOutcome is what the table compares of a Decision.
type chkOutcome struct {
	Allowed    bool
	Missing    []string
	Uncertain  []string
	AssumeBy   string
	DecryptBy  string
	Unreadable int
	Findings   []string
}

func chkOutcomeOf(d *encryptperm.Decision) chkOutcome {
	o := chkOutcome{Allowed: d.Allowed, Missing: d.Missing, Uncertain: d.Uncertain, Unreadable: len(d.Unreadable)}
	for _, s := range d.Steps {
		if s.By == nil {
			continue
		}
		switch s.Action {
		case encryptperm.AssumeRoleAction:
			o.AssumeBy = s.By.String()
		case "kms:Decrypt":
			o.DecryptBy = s.By.String()
		}
	}
	for _, f := range d.Findings {
		o.Findings = append(o.Findings, f.Code)
	}
	return o
}

const (
	chkByTrust0    = "trust policy Statement[0]"
	chkByImage1    = "policy EncryptPerm-ShareImageKeys (Custom) Statement[1]"
	chkBySnapshot1 = "policy EncryptPerm-ShareSnapshotKeys (Custom) Statement[1]"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		give *chkCheckRAM
		in   encryptperm.Access
		want chkOutcome
	}{
		// Seed scenarios, allowed.
		{"scenario 1, image: a named account",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},
		{"scenario 1, snapshot: a named account",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustAccounts, chkSnapshotPolicy+"="+chkKeyPolicy), chkSnapshot(chkB),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkBySnapshot1}},
		{"scenario 2: an account of the resource directory",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustRD, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", ""),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkBySnapshot1}},
		{"scenario 3: an account in the folder",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", "rd-abc/r-root/fd-abc"),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkBySnapshot1}},
		{"scenario 3: an account in a folder below",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", "rd-abc/r-root/fd-abc/fd-kid"),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkBySnapshot1}},
		{"scenario 3: a sibling folder sharing the prefix is allowed, and flagged",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", "rd-abc/r-root/fd-abcd"),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkBySnapshot1, Findings: []string{encryptperm.FindingRDPathPrefix}}},
		{"service key: AliyunKMSFullAccess from the catalog",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "System:AliyunKMSFullAccess"), chkImage(chkB),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: "policy AliyunKMSFullAccess (System) Statement[0]"}},
		{"disk encryption in the owner's own account",
			chkNewCheckRAM().role(encryptperm.DiskEncryptRoleName, chkTrustPlain, "System:AliyunECSDiskEncryptRolePolicy"),
			encryptperm.Access{Resource: encryptperm.ResourceDisk, Key: chkKey},
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: "policy AliyunECSDiskEncryptRolePolicy (System) Statement[1]"}},
		{"a role named explicitly",
			chkNewCheckRAM().role("MyShareRole", chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy),
			encryptperm.Access{Recipient: chkB, Resource: encryptperm.ResourceImage, Key: chkKey, Role: "MyShareRole"},
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},

		// Every way of breaking one.
		{"wrong principal: the account is not named",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkC),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkByImage1}},
		{"plain ecs.aliyuncs.com does not let another account in",
			chkNewCheckRAM().role(chkImageRole, chkTrustPlain, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkByImage1}},
		{"the chkSnapshot role does not serve an image",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustAccounts, chkSnapshotPolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Missing: append([]string{"sts:AssumeRole"}, chkAllKMS...)}},
		{"wrong resource directory",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustRD, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-xyz", ""),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkBySnapshot1}},
		{"resource directory not given: uncertain",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustRD, chkSnapshotPolicy+"="+chkKeyPolicy), chkSnapshot(chkC),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, Uncertain: []string{encryptperm.ConditionRDID}, DecryptBy: chkBySnapshot1}},
		{"wrong folder",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", "rd-abc/r-root/fd-xyz"),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkBySnapshot1}},
		{"the parent of the folder",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", "rd-abc/r-root"),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkBySnapshot1}},
		{"folder path not given: uncertain",
			chkNewCheckRAM().role(chkSnapshotRole, chkTrustFolder, chkSnapshotPolicy+"="+chkKeyPolicy), chkWithRD(chkSnapshot(chkC), "rd-abc", ""),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, Uncertain: []string{encryptperm.ConditionRDPath}, DecryptBy: chkBySnapshot1}},
		{"missing action: no GenerateDataKey",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicyNoGenerate), chkImage(chkB),
			chkOutcome{Missing: []string{"kms:GenerateDataKey"}, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},
		{"wrong key",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicyOtherKey), chkImage(chkB),
			chkOutcome{Missing: chkKeyUse, AssumeBy: chkByTrust0}},
		{"wrong region",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicyOtherRegion), chkImage(chkB),
			chkOutcome{Missing: chkAllKMS, AssumeBy: chkByTrust0}},
		{"explicit Deny",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy, "Guard="+chkDenyDecrypt), chkImage(chkB),
			chkOutcome{Missing: []string{"kms:Decrypt"}, AssumeBy: chkByTrust0, DecryptBy: "policy Guard (Custom) Statement[0]"}},
		{"explicit Deny in the trust policy",
			chkNewCheckRAM().role(chkImageRole, `{"Version":"1","Statement":[
				{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}},
				{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}]}`, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, AssumeBy: "trust policy Statement[1]", DecryptBy: chkByImage1}},
		{"unreadable Deny: not allowed, nothing missing",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy, "Guard="+chkDenyUnreadable), chkImage(chkB),
			chkOutcome{AssumeBy: chkByTrust0, DecryptBy: chkByImage1, Unreadable: 1}},
		{"unreadable Allow grants nothing",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "Broad="+chkAllowUnreadable), chkImage(chkB),
			chkOutcome{Missing: chkAllKMS, AssumeBy: chkByTrust0, Unreadable: 1}},
		{"missing condition key on a Deny: not allowed, uncertain",
			chkNewCheckRAM().role(chkImageRole, `{"Version":"1","Statement":[
				{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}]}`,
				chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Uncertain: []string{encryptperm.ConditionRDID}, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},
		{"the same Deny with the key given: allowed",
			chkNewCheckRAM().role(chkImageRole, `{"Version":"1","Statement":[
				{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}},
				{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}]}`,
				chkImagePolicy+"="+chkKeyPolicy), chkWithRD(chkImage(chkB), "rd-abc", ""),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},
		{"role missing",
			chkNewCheckRAM(), chkImage(chkB),
			chkOutcome{Missing: append([]string{"sts:AssumeRole"}, chkAllKMS...)}},
		{"no policy attached",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts), chkImage(chkB),
			chkOutcome{Missing: chkAllKMS, AssumeBy: chkByTrust0}},
		{"a system policy the catalog lacks grants nothing",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "System:AliyunKMSCryptoUserAccess"), chkImage(chkB),
			chkOutcome{Missing: chkAllKMS, AssumeBy: chkByTrust0, Unreadable: 1}},
		{"a trust policy that is not JSON",
			chkNewCheckRAM().role(chkImageRole, `{"Statement":`, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			chkOutcome{Missing: []string{"sts:AssumeRole"}, DecryptBy: chkByImage1, Unreadable: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := encryptperm.Check(context.Background(), tt.give, tt.in)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if diff := cmp.Diff(tt.want, chkOutcomeOf(d)); diff != "" {
				t.Errorf("Check (-want +got):\n%s\n%s", diff, d.Explanation())
			}
			if len(d.Steps) != 1+len(chkAllKMS) {
				t.Errorf("Check gave %d steps, want %d", len(d.Steps), 1+len(chkAllKMS))
			}
			for _, s := range d.Steps {
				if s.Reason == "" {
					t.Errorf("step %s on %s has no reason", s.Action, s.Resource)
				}
			}
		})
	}
}

func TestCheckReasons(t *testing.T) {
	tests := []struct {
		name string
		give *chkCheckRAM
		in   encryptperm.Access
		want []string // substrings of the explanation
	}{
		{"plain principal explains the own-account rule",
			chkNewCheckRAM().role(chkImageRole, chkTrustPlain, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			[]string{"Answer: denied", "no statement of the trust policy lets 2000000000000001@ecs.aliyuncs.com assume", `"ecs.aliyuncs.com" names the service of the role's own account only`}},
		{"missing RD ID says which key to give",
			chkNewCheckRAM().role(chkImageRole, chkTrustRD, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			[]string{"the answer depends on sts:ServiceOwnerRDId", "Uncertain: the request did not carry sts:ServiceOwnerRDId"}},
		{"wrong region shows the near miss",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicyOtherRegion), chkImage(chkB),
			[]string{"no attached policy allows it", `Resource: "acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc" is not in [acs:kms:cn-shanghai:1111111111111111:key/key-hzabc]`}},
		{"role missing",
			chkNewCheckRAM(), chkImage(chkB),
			[]string{"role AliyunECSShareEncryptImageDefaultRole does not exist in account 1111111111111111"}},
		{"unknown system policy is named",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "System:AliyunKMSCryptoUserAccess"), chkImage(chkB),
			[]string{"system policy AliyunKMSCryptoUserAccess is neither in the built-in catalog nor readable from RAM"}},
		{"explicit deny is named",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy, "Guard="+chkDenyDecrypt), chkImage(chkB),
			[]string{"explicitly denied by policy Guard (Custom) Statement[0]"}},
		{"allowed",
			chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy), chkImage(chkB),
			[]string{"Answer: allowed", "may assume AliyunECSShareEncryptImageDefaultRole: trust policy Statement[0] allows it", "allowed by " + chkByImage1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := encryptperm.Check(context.Background(), tt.give, tt.in)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := d.Explanation()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("explanation lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestCheckReadsRAM(t *testing.T) {
	t.Run("system policy unknown to the catalog is read from RAM", func(t *testing.T) {
		r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "System:AliyunKMSCryptoUserAccess")
		r.docs["System/AliyunKMSCryptoUserAccess"] = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:List*","kms:Describe*","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Resource":"*"}]}`
		d, err := encryptperm.Check(context.Background(), r, chkImage(chkB))
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !d.Allowed {
			t.Errorf("Check = not allowed, want allowed:\n%s", d.Explanation())
		}
	})
	t.Run("GetPolicyVersion when GetPolicy carries no document", func(t *testing.T) {
		r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts)
		r.attached[chkImageRole] = []ram.Policy{{PolicyName: chkImagePolicy, PolicyType: "Custom", DefaultVersion: "v3"}}
		r.versions["Custom/"+chkImagePolicy] = chkKeyPolicy
		d, err := encryptperm.Check(context.Background(), r, chkImage(chkB))
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !d.Allowed {
			t.Errorf("Check = not allowed, want allowed:\n%s", d.Explanation())
		}
		want := []string{
			"GetRole " + chkImageRole, "ListPoliciesForRole " + chkImageRole,
			"GetPolicy Custom/" + chkImagePolicy, "GetPolicyVersion Custom/" + chkImagePolicy + "@v3",
		}
		if diff := cmp.Diff(want, r.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("catalog policies need no call", func(t *testing.T) {
		r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, "System:AliyunKMSFullAccess")
		if _, err := encryptperm.Check(context.Background(), r, chkImage(chkB)); err != nil {
			t.Fatalf("Check: %v", err)
		}
		want := []string{"GetRole " + chkImageRole, "ListPoliciesForRole " + chkImageRole}
		if diff := cmp.Diff(want, r.calls); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name     string
		failOn   string
		code     string
		status   int
		wantIs   error
		wantCode string
	}{
		{"GetRole throttled", "GetRole", "Throttling.User", 400, encryptperm.ErrThrottled, "Throttling.User"},
		{"ListPoliciesForRole denied", "ListPoliciesForRole", "NoPermission", 403, encryptperm.ErrAccessDenied, "NoPermission"},
		{"GetPolicy internal error", "GetPolicy", "InternalError", 500, nil, "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy)
			r.fail[tt.failOn] = chkRamError(tt.status, tt.code)
			d, err := encryptperm.Check(context.Background(), r, chkImage(chkB))
			if err == nil {
				t.Fatalf("Check = %v, want an error", d)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.wantIs)
			}
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) || se.ErrorCode() != tt.wantCode {
				t.Errorf("errors.As(%v) did not reach a ServerError with code %s", err, tt.wantCode)
			}
		})
	}

	t.Run("invalid access", func(t *testing.T) {
		r := chkNewCheckRAM()
		_, err := encryptperm.Check(context.Background(), r, encryptperm.Access{Recipient: "*", Resource: "disk image", RDID: "rd-*", Key: encryptperm.Key{Region: "CN", Owner: "1", ID: "alias/x"}})
		var ve *encryptperm.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, encryptperm.ErrInvalid) {
			t.Fatalf("Check error = %v, want a *ValidationError", err)
		}
		for _, path := range []string{"Resource", "Recipient", "RDID", "Key.Region", "Key.Owner", "Key.ID"} {
			if !ve.Has(path) {
				t.Errorf("ValidationError lacks %s: %v", path, err)
			}
		}
		if len(r.calls) != 0 {
			t.Errorf("an invalid access made calls: %v", r.calls)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := encryptperm.Check(ctx, r, chkImage(chkB))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Check error = %v, want context.Canceled", err)
		}
		if len(r.calls) != 0 {
			t.Errorf("a canceled check made calls: %v", r.calls)
		}
	})
}

func TestSimulate(t *testing.T) {
	read := func(s string) *policy.Document {
		d, err := policy.Read([]byte(s))
		if err != nil {
			t.Fatalf("ReadDocument: %v", err)
		}
		return d
	}
	keys := encryptperm.Attachment{Name: chkImagePolicy, Type: encryptperm.Custom, Document: read(chkKeyPolicy)}
	tests := []struct {
		name     string
		trust    *policy.Document
		policies []encryptperm.Attachment
		in       encryptperm.Access
		want     chkOutcome
	}{
		{"seed scenario 1", read(chkTrustAccounts), []encryptperm.Attachment{keys}, chkImage(chkB),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: chkByImage1}},
		{"no role", nil, nil, chkImage(chkB),
			chkOutcome{Missing: append([]string{"sts:AssumeRole"}, chkAllKMS...)}},
		{"system policy from the catalog", read(chkTrustAccounts), []encryptperm.Attachment{{Name: "AliyunKMSFullAccess", Type: encryptperm.System}}, chkImage(chkB),
			chkOutcome{Allowed: true, AssumeBy: chkByTrust0, DecryptBy: "policy AliyunKMSFullAccess (System) Statement[0]"}},
		{"custom policy without a document", read(chkTrustAccounts), []encryptperm.Attachment{{Name: "Lost", Type: encryptperm.Custom}}, chkImage(chkB),
			chkOutcome{Missing: chkAllKMS, AssumeBy: chkByTrust0, Unreadable: 1}},
		{"invalid access", read(chkTrustAccounts), []encryptperm.Attachment{keys}, chkImage("B"),
			chkOutcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := encryptperm.Simulate(tt.trust, tt.policies, tt.in)
			if diff := cmp.Diff(tt.want, chkOutcomeOf(d)); diff != "" {
				t.Errorf("Simulate (-want +got):\n%s\n%s", diff, d.Explanation())
			}
		})
	}
}

// TestSimulateBuiltGrants closes the loop: what the builders grant, Simulate
// allows, for the recipients named and no others.
func TestSimulateBuiltGrants(t *testing.T) {
	g, err := encryptperm.ShareSnapshot().WithAccounts(chkB).WithResourceDirectory("rd-abc").WithFolder("rd-xyz/r-root/fd-abc").WithKey(chkKey).Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tests := []struct {
		in   encryptperm.Access
		want bool
	}{
		{chkSnapshot(chkB), true},
		{chkSnapshot(chkC), false},
		{chkWithRD(chkSnapshot(chkC), "rd-abc", ""), true},
		{chkWithRD(chkSnapshot(chkC), "rd-xyz", "rd-xyz/r-root/fd-abc/fd-1"), true},
		{chkWithRD(chkSnapshot(chkC), "rd-xyz", "rd-xyz/r-root/fd-other"), false},
		{func() encryptperm.Access { a := chkSnapshot(chkB); a.Key.ID = "key-other"; return a }(), false},
	}
	for _, tt := range tests {
		if got := encryptperm.Simulate(g.Role.TrustPolicy, g.Policies, tt.in).Allowed; got != tt.want {
			t.Errorf("Simulate(%+v).Allowed = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseResourceType(t *testing.T) {
	tests := []struct {
		give    string
		want    encryptperm.ResourceType
		wantErr bool
	}{
		{"snapshot", encryptperm.ResourceSnapshot, false},
		{" Image ", encryptperm.ResourceImage, false},
		{"disk", encryptperm.ResourceDisk, false},
		{"volume", "", true},
	}
	for _, tt := range tests {
		got, err := encryptperm.ParseResourceType(tt.give)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseResourceType(%q) = %q, %v; want %q, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
		if tt.wantErr && !errors.Is(err, encryptperm.ErrInvalid) {
			t.Errorf("ParseResourceType(%q) error %v does not wrap ErrInvalid", tt.give, err)
		}
	}
}

func TestLintGrant(t *testing.T) {
	read := func(s string) *policy.Document {
		d, err := policy.Read([]byte(s))
		if err != nil {
			t.Fatalf("ReadDocument: %v", err)
		}
		return d
	}
	keyPol := func(doc string) []encryptperm.Attachment {
		return []encryptperm.Attachment{{Name: chkImagePolicy, Type: encryptperm.Custom, Document: read(doc)}}
	}
	share := func(trust string, policies []encryptperm.Attachment, aud encryptperm.Audience) *encryptperm.Grant {
		return &encryptperm.Grant{
			Kind: encryptperm.KindShareImage, Role: encryptperm.Role{Name: chkImageRole, TrustPolicy: read(trust)},
			Policies: policies, Audience: aud, Keys: []encryptperm.Key{chkKey},
		}
	}
	codes := func(fs []encryptperm.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Code+" "+string(f.Severity)+" "+f.Path)
		}
		return out
	}
	tests := []struct {
		name string
		give *encryptperm.Grant
		want []string
	}{
		{"the seed's account grant is clean", share(chkTrustAccounts, keyPol(chkKeyPolicy), encryptperm.Audience{Accounts: []string{chkB}}), nil},
		{"plain ecs.aliyuncs.com on a share role",
			share(chkTrustPlain, keyPol(chkKeyPolicy), encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{
				"EP102-PlainECSPrincipal error Role.TrustPolicy.Statement[0].Principal.Service",
				"EP103-RecipientNotTrusted error Audience.Accounts[0]",
			}},
		{"an unconditioned wildcard principal",
			share(`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}]}`, keyPol(chkKeyPolicy), encryptperm.Audience{}),
			[]string{"EP002-UnconditionedWildcardPrincipal critical Role.TrustPolicy.Statement[0].Principal.Service"}},
		{"AliyunKMSFullAccess to other accounts",
			share(chkTrustAccounts, []encryptperm.Attachment{{Name: "AliyunKMSFullAccess", Type: encryptperm.System}}, encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{"EP001-ServiceKeyFullAccess critical Policies[0]"}},
		{"kms:* in a custom policy to other accounts",
			share(chkTrustAccounts, keyPol(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":["acs:kms:cn-hangzhou:1111111111111111:key","acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"]}]}`), encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{
				"EP006-KMSWildcardAction warning Policies[0].Document.Statement[0].Action",
				"EP101-KMSWildcardToOtherAccounts critical Policies[0].Document.Statement[0]",
			}},
		{"key use on Resource * and on a key pattern",
			share(chkTrustAccounts, keyPol(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:*:*:key"},{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":["*","acs:kms:*:*:key/*"]}]}`), encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{
				"EP007-WildcardKeyResource warning Policies[0].Document.Statement[1].Resource",
				"EP104-WildcardKeyPattern warning Policies[0].Document.Statement[1].Resource",
			}},
		{"key use by an action pattern on Resource *",
			share(chkTrustAccounts, keyPol(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key"},{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Encrypt","kms:TagResource","kms:UntagResource"],"Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"},{"Effect":"Allow","Action":"kms:De*","Resource":"*"}]}`), encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{"EP007-WildcardKeyResource warning Policies[0].Document.Statement[2].Resource"}},
		{"a missing action",
			share(chkTrustAccounts, keyPol(chkKeyPolicyNoGenerate), encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{"EP008-MissingKeyAction error Keys[0]"}},
		{"a resource directory the trust does not admit",
			share(chkTrustRD, keyPol(chkKeyPolicy), encryptperm.Audience{ResourceDirectories: []string{"rd-xyz"}}),
			[]string{"EP103-RecipientNotTrusted error Audience.ResourceDirectories[0]"}},
		{"folder prefix",
			share(chkTrustFolder, keyPol(chkKeyPolicy), encryptperm.Audience{Folders: []string{"rd-abc/r-root/fd-abc"}}),
			[]string{"EP003-RDPathPrefixMatch info Role.TrustPolicy.Statement[0].Condition.StringLike.sts:ServiceOwnerRDPath"}},
		{"a system policy the catalog lacks",
			share(chkTrustAccounts, []encryptperm.Attachment{{Name: "AliyunKMSCryptoUserAccess", Type: encryptperm.System}}, encryptperm.Audience{Accounts: []string{chkB}}),
			[]string{
				"EP105-UnknownSystemPolicy warning Policies[0]",
				"EP008-MissingKeyAction error Keys[0]",
			}},
		{"a trust policy near its limit",
			func() *encryptperm.Grant {
				g := share(chkTrustAccounts, keyPol(chkKeyPolicy), encryptperm.Audience{Accounts: []string{chkB}})
				g.Limits = encryptperm.Limits{TrustPolicyMaxLen: g.Role.TrustPolicy.Size() + 1}
				return g
			}(),
			[]string{"EP005-TrustPolicyNearLimit warning Role.TrustPolicy"}},
		{"a trust policy over its limit",
			func() *encryptperm.Grant {
				g := share(chkTrustAccounts, keyPol(chkKeyPolicy), encryptperm.Audience{Accounts: []string{chkB}})
				g.Limits = encryptperm.Limits{TrustPolicyMaxLen: g.Role.TrustPolicy.Size() - 1}
				return g
			}(),
			[]string{"EP005-TrustPolicyNearLimit error Role.TrustPolicy"}},
		{"disk encryption trusted by another account only",
			&encryptperm.Grant{
				Kind: encryptperm.KindDiskEncryption, Keys: []encryptperm.Key{chkKey},
				Role:     encryptperm.Role{Name: encryptperm.DiskEncryptRoleName, TrustPolicy: read(chkTrustAccounts)},
				Policies: []encryptperm.Attachment{{Name: encryptperm.DiskEncryptSystemPolicy, Type: encryptperm.System}},
			},
			[]string{"EP103-RecipientNotTrusted error Role.TrustPolicy"}},
		{"nil grant", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codes(tt.give.Lint())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LintGrant (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLintGrantBuilt: the builders' grants for the seed scenarios raise no
// error or critical finding, except the service-key grant, which must.
func TestLintGrantBuilt(t *testing.T) {
	tests := []struct {
		name         string
		build        func() (*encryptperm.Grant, error)
		wantCritical bool
	}{
		{"accounts", encryptperm.ShareImage().WithAccounts(chkB, chkC).WithKey(chkKey).Build, false},
		{"resource directory", encryptperm.ShareSnapshot().WithResourceDirectory("rd-abc").WithKey(chkKey).Build, false},
		{"folder", encryptperm.ShareSnapshot().WithFolder("rd-abc/r-root/fd-abc").WithKey(chkKey).Build, false},
		{"disk with a key", encryptperm.DiskEncryption().WithKey(chkKey).Build, false},
		{"service key", encryptperm.ShareImage().WithAccounts(chkB).WithServiceKey().Build, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.build()
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			critical := false
			for _, f := range g.Lint() {
				switch f.Severity {
				case encryptperm.SeverityCritical:
					critical = true
				case encryptperm.SeverityError:
					t.Errorf("LintGrant found an error in a built grant: %v", f)
				}
			}
			if critical != tt.wantCritical {
				t.Errorf("critical finding = %v, want %v", critical, tt.wantCritical)
			}
		})
	}
}

func TestSystemPolicy(t *testing.T) {
	want := []string{encryptperm.KMSFullAccessPolicy, encryptperm.DiskEncryptSystemPolicy}
	if diff := cmp.Diff([]string{"AliyunECSDiskEncryptRolePolicy", "AliyunKMSFullAccess"}, encryptperm.SystemPolicyNames()); diff != "" {
		t.Errorf("SystemPolicyNames (-want +got):\n%s", diff)
	}
	for _, name := range want {
		d, ok := encryptperm.SystemPolicy(name)
		if !ok || len(d.Statement) == 0 {
			t.Fatalf("SystemPolicy(%q) = %v, %v", name, d, ok)
		}
		d.Statement = nil
		if again, _ := encryptperm.SystemPolicy(name); len(again.Statement) == 0 {
			t.Errorf("SystemPolicy(%q) returned a shared document", name)
		}
	}
	if _, ok := encryptperm.SystemPolicy("AdministratorAccess"); ok {
		t.Error("SystemPolicy(AdministratorAccess) is ok; the catalog does not hold it")
	}
}

// TestCheckReadsTheKeyPolicyThroughTheClient: the package's Check reads the
// key's metadata and key policy on the client it is given, by the key's
// ARN and with the policy name KMS takes, and a Deny in the key policy
// denies.
func TestCheckReadsTheKeyPolicyThroughTheClient(t *testing.T) {
	arn := chkKey.ARN()
	r := chkNewCheckRAM().role(chkImageRole, chkTrustAccounts, chkImagePolicy+"="+chkKeyPolicy).
		keyPolicy(arn, `{"Version":"1","Statement":[{"Effect":"Deny","Principal":{"RAM":"acs:ram::1111111111111111:*"},"Action":"kms:Decrypt","Resource":"*"}]}`)
	d, err := encryptperm.Check(context.Background(), r, chkImage(chkB))
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || !cmp.Equal([]string{"kms:Decrypt"}, d.Missing) {
		t.Errorf("Allowed %v, Missing %v; want not allowed, missing kms:Decrypt:\n%s", d.Allowed, d.Missing, d.Explanation())
	}
	want := []string{"DescribeKey " + arn, "GetKeyPolicy " + arn + " default"}
	if diff := cmp.Diff(want, r.kmsCalls); diff != "" {
		t.Errorf("KMS calls (-want +got):\n%s", diff)
	}
}
