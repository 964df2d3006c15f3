// This file holds the fake's KMS key policies (GetKeyPolicy, SetKeyPolicy,
// the default key policy of a key in an instance), ListKeys, and how a
// request names a key: by ID in its region, or by ARN in any account the
// fake holds.

package fake

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
)

const (
	// KeyPolicyName is the name of a key's one key policy, the only one
	// GetKeyPolicy and SetKeyPolicy take.
	KeyPolicyName = "default"
	// MaxKeyPolicyBytes is the longest key policy SetKeyPolicy takes, as
	// KMS documents it.
	MaxKeyPolicyBytes = 32768
	// maxSidLen is the longest Sid of a key policy's statement.
	maxSidLen = 128
)

// instanceIDFormat is the form of a KMS instance ID, kst-....
var instanceIDFormat = regexp.MustCompile(`^kst-[a-z0-9]{4,40}$`)

// DefaultKeyPolicy returns the key policy KMS gives a key it creates in an
// instance of account uid: every RAM identity of the account may be
// allowed kms:* by the account's RAM policies.
func DefaultKeyPolicy(uid string) string {
	return `{"Version":"1","Statement":[{"Sid":"kms default key policy","Effect":"Allow",` +
		`"Principal":{"RAM":["acs:ram::` + uid + `:*"]},"Action":["kms:*"],"Resource":["*"]}]}`
}

// checkKeyPolicy says what KMS would refuse in a key policy, or "".
func checkKeyPolicy(doc string) string {
	if len(doc) > MaxKeyPolicyBytes {
		return fmt.Sprintf("the key policy is %d bytes, longer than %d", len(doc), MaxKeyPolicyBytes)
	}
	return checkDocument(doc, keyPolicyDoc)
}

// checkKeyFields checks the instance and key policy of a key to be put.
func checkKeyFields(k Key) (field, msg string) {
	switch {
	case k.Instance != "" && !instanceIDFormat.MatchString(k.Instance):
		return "instance", fmt.Sprintf("%s is not a KMS instance ID (kst-…)", quoted(k.Instance))
	case k.Policy != "" && k.Instance == "":
		return "policy", "a key without an instance has no key policy: give its instance"
	case k.Policy != "":
		if why := checkKeyPolicy(k.Policy); why != "" {
			return "policy", why
		}
	}
	return "", ""
}

// KeyPolicy returns the key policy of the account's key keyID, and false
// when the account holds no such key or the key is in no instance.
func (r *RAM) KeyPolicy(keyID string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.svc.keys[keyID]
	if !ok || k.Instance == "" {
		return "", false
	}
	return k.Policy, true
}

// keyFor finds the key a request names in KeyId: a key ID of r's account
// in the request's region, or a key ARN, acs:kms:<region>:<uid>:key/<id>,
// of any account the fake holds, in the request's region. It returns the
// account that holds the key.
func (r *RAM) keyFor(p params) (*RAM, Key, *apiError) {
	reg, id, e := regionalID(p, "KeyId")
	if e != nil {
		return nil, Key{}, e
	}
	holder := r
	if rest, ok := strings.CutPrefix(id, "acs:kms:"); ok {
		parts := strings.SplitN(rest, ":", 3)
		keyID, isKey := "", false
		if len(parts) == 3 {
			keyID, isKey = strings.CutPrefix(parts[2], "key/")
		}
		if !isKey || parts[0] != reg {
			return nil, Key{}, errorf("Forbidden.KeyNotFound", "The specified Key %q is not found in %s.", id, reg)
		}
		if parts[1] != r.opts.AccountID {
			t, held := r.w.accounts[parts[1]]
			if !held {
				return nil, Key{}, errorf("Forbidden.KeyNotFound", "The specified Key %q is not found in %s.", id, reg)
			}
			holder = t
		}
		id = keyID
	}
	k, ok := holder.svc.keys[id]
	if !ok {
		// Until a key is put into the account, any well-formed key of it
		// answers as an Enabled key in no instance (see implicitKey).
		k, ok = holder.implicitKey(reg, id)
	}
	if !ok || k.Region != reg {
		return nil, Key{}, errorf("Forbidden.KeyNotFound", "The specified Key %q is not found in %s.", id, reg)
	}
	return holder, k, nil
}

// policyNameOf checks the PolicyName of a key policy call: empty or
// "default".
func policyNameOf(p params) *apiError {
	if n, ok := p["PolicyName"]; ok && n != KeyPolicyName {
		return errorf("Forbidden.ResourceNotFound", "The key policy %q is not found: a key has one key policy, %q.", clip(n), KeyPolicyName)
	}
	return nil
}

type bodyKeyPolicy struct {
	RequestID string `json:"RequestId"`
	Policy    string `json:"Policy"`
}

func (r *RAM) getKeyPolicy(p params, rid string, _ time.Time) (any, *apiError) {
	if e := policyNameOf(p); e != nil {
		return nil, e
	}
	_, k, e := r.keyFor(p)
	if e != nil {
		return nil, e
	}
	if k.Instance == "" {
		return nil, errorf("UnsupportedOperation", "The key %s is not in a KMS instance: it has no key policy.", k.ID)
	}
	return bodyKeyPolicy{RequestID: rid, Policy: k.Policy}, nil
}

func (r *RAM) setKeyPolicy(p params, rid string, _ time.Time) (any, *apiError) {
	if e := policyNameOf(p); e != nil {
		return nil, e
	}
	doc, ok := p["Policy"]
	if !ok || doc == "" {
		return nil, missing("Policy")
	}
	holder, k, e := r.keyFor(p)
	if e != nil {
		return nil, e
	}
	if k.Instance == "" {
		return nil, errorf("UnsupportedOperation", "The key %s is not in a KMS instance: it has no key policy.", k.ID)
	}
	if why := checkKeyPolicy(doc); why != "" {
		return nil, errorf("InvalidParameter", "The specified parameter Policy is not valid: %s.", why)
	}
	k.Policy = doc
	holder.svc.keys[k.ID] = k
	return struct {
		RequestID string `json:"RequestId"`
	}{rid}, nil
}

type bodyKeys struct {
	RequestID  string `json:"RequestId"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
	Keys       struct {
		Key []kmsKeyRow `json:"Key"`
	} `json:"Keys"`
}

type kmsKeyRow struct {
	KeyID  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

// listKeys lists the account's keys in the request's region by ID, one page
// at a time. Filters are refused rather than ignored.
func (r *RAM) listKeys(p params, rid string, _ time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	if f, ok := p["Filters"]; ok && f != "" {
		return nil, errorf("InvalidParameter.NotSupported", "The parameter - \"Filters\" is not supported by this endpoint for ListKeys; it is refused rather than ignored.")
	}
	var rows []kmsKeyRow
	for _, k := range r.svc.keys {
		if k.Region == reg {
			rows = append(rows, kmsKeyRow{KeyID: k.ID, KeyArn: fmt.Sprintf("acs:kms:%s:%s:key/%s", k.Region, r.opts.AccountID, k.ID)})
		}
	}
	slices.SortFunc(rows, func(a, b kmsKeyRow) int { return strings.Compare(a.KeyID, b.KeyID) })
	num, size, page, e := pageOf(r.paging, p, rows)
	if e != nil {
		return nil, e
	}
	b := bodyKeys{RequestID: rid, PageNumber: num, PageSize: size, TotalCount: len(rows)}
	b.Keys.Key = append([]kmsKeyRow{}, page...)
	return b, nil
}

// GetKeyPolicy reads the key policy of a key in a KMS instance, named by ID
// in the request's region or by ARN.
func (r *RAM) GetKeyPolicy(request *kms.GetKeyPolicyRequest) (*kms.GetKeyPolicyResponse, error) {
	response := kms.CreateGetKeyPolicyResponse()
	return response, r.invokeService(request, response)
}

// SetKeyPolicy replaces the key policy of a key in a KMS instance.
func (r *RAM) SetKeyPolicy(request *kms.SetKeyPolicyRequest) (*kms.SetKeyPolicyResponse, error) {
	response := kms.CreateSetKeyPolicyResponse()
	return response, r.invokeService(request, response)
}

// ListKeys lists the account's keys in the request's region, one page at a
// time.
func (r *RAM) ListKeys(request *kms.ListKeysRequest) (*kms.ListKeysResponse, error) {
	response := kms.CreateListKeysResponse()
	return response, r.invokeService(request, response)
}
