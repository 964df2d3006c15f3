// This file holds the audit's reads: the roles and custom policies of the
// account, listed once, then each role's trust policy and attachments and
// each policy's default version side by side, each policy read once
// however many roles attach it, and the keys with their key policies.

package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// world is what an audit read of the account.
type world struct {
	roles []*roleRead // by name
	keys  []*keyRead
}

// roleRead is one role: its ARN, trust policy and attached policies.
type roleRead struct {
	name, arn string
	trust     *policy.Document // nil when it could not be read
	trustNote string           // why not
	attached  []ram.Policy
	policies  []*policyRead // in the order of attached
}

// policyRead is one policy's default version, read once.
type policyRead struct {
	name string
	typ  encryptperm.PolicyType
	doc  *policy.Document // nil when it could not be read
	note string           // why not
}

// keyRead is one key and its KMS key policy.
type keyRead struct {
	key      encryptperm.Key
	instance string
	policy   *policy.Document // nil: none, or not read
	notRead  string           // why the key policy could not be read
}

// reader reads the world through a caller.
type reader struct {
	c        *caller
	limits   policy.Limits
	pageSize int

	mu       sync.Mutex
	policies map[string]*policyFetch // by type/lower-case name
	wg       sync.WaitGroup
	firstErr error
}

// policyFetch is one policy's read, started once and waited for by every
// role that attaches it.
type policyFetch struct {
	done chan struct{}
	read *policyRead
}

func (r *reader) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// goRead runs fn in the background; its error, if any, is the read's.
func (r *reader) goRead(fn func() error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := fn(); err != nil {
			r.fail(err)
		}
	}()
}

// readWorld reads the roles and policies of the account beside the keys
// listKeys names (one key, or every key of a region).
func (r *reader) readWorld(ctx context.Context, listKeys func(ctx context.Context) ([]encryptperm.Key, error)) (*world, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &world{}
	var roleMu sync.Mutex
	r.policies = map[string]*policyFetch{}
	// Level 1: the listings and the keys.
	r.goRead(func() error {
		return r.listCustomPolicies(ctx)
	})
	r.goRead(func() error {
		return r.listRoles(ctx, func(role ram.Role) {
			rr := &roleRead{name: role.RoleName, arn: role.Arn}
			roleMu.Lock()
			w.roles = append(w.roles, rr)
			roleMu.Unlock()
			r.goRead(func() error { return r.readRole(ctx, rr) })
		})
	})
	r.goRead(func() error {
		keys, err := listKeys(ctx)
		if err != nil {
			return err
		}
		reads := make([]*keyRead, len(keys))
		errs := make([]error, len(keys))
		var kwg sync.WaitGroup
		for i, k := range keys {
			kwg.Add(1)
			go func() {
				defer kwg.Done()
				reads[i], errs[i] = r.readKey(ctx, k)
			}()
		}
		kwg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		roleMu.Lock()
		w.keys = reads
		roleMu.Unlock()
		return ctx.Err()
	})
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	// A failure stops the other reads; wait for them to end.
	if r.err() != nil {
		cancel()
	}
	<-done
	if err := r.err(); err != nil {
		return nil, err
	}
	slices.SortFunc(w.roles, func(a, b *roleRead) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return w, nil
}

func (r *reader) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

// listRoles lists every role, page after page, calling each for each.
func (r *reader) listRoles(ctx context.Context, each func(ram.Role)) error {
	marker := ""
	for {
		req := ram.CreateListRolesRequest()
		req.MaxItems = requests.NewInteger(r.pageSize)
		req.Marker = marker
		resp, err := call(ctx, r.c, "ListRoles", marker, func(c *clients) (*ram.ListRolesResponse, error) { return c.ram.ListRoles(req) })
		if err != nil {
			return err
		}
		for _, role := range resp.Roles.Role {
			each(role)
		}
		if !resp.IsTruncated {
			return nil
		}
		if resp.Marker == "" || resp.Marker == marker {
			return fmt.Errorf("audit: ListRoles: the listing is truncated but gives no new marker: %w", encryptperm.ErrInvalid)
		}
		marker = resp.Marker
	}
}

// listCustomPolicies lists the custom policies and starts the read of each
// one's default version as its page arrives.
func (r *reader) listCustomPolicies(ctx context.Context) error {
	marker := ""
	for {
		req := ram.CreateListPoliciesRequest()
		req.PolicyType = string(encryptperm.Custom)
		req.MaxItems = requests.NewInteger(r.pageSize)
		req.Marker = marker
		resp, err := call(ctx, r.c, "ListPolicies", marker, func(c *clients) (*ram.ListPoliciesResponse, error) { return c.ram.ListPolicies(req) })
		if err != nil {
			return err
		}
		for _, p := range resp.Policies.Policy {
			r.fetch(ctx, ram.Policy{PolicyName: p.PolicyName, PolicyType: p.PolicyType, DefaultVersion: p.DefaultVersion})
		}
		if !resp.IsTruncated {
			return nil
		}
		if resp.Marker == "" || resp.Marker == marker {
			return fmt.Errorf("audit: ListPolicies: the listing is truncated but gives no new marker: %w", encryptperm.ErrInvalid)
		}
		marker = resp.Marker
	}
}

// fetch starts the read of a policy unless it was started, and returns it.
func (r *reader) fetch(ctx context.Context, p ram.Policy) *policyFetch {
	k := p.PolicyType + "/" + strings.ToLower(p.PolicyName)
	r.mu.Lock()
	f, ok := r.policies[k]
	if !ok {
		f = &policyFetch{done: make(chan struct{})}
		r.policies[k] = f
	}
	r.mu.Unlock()
	if !ok {
		r.goRead(func() error {
			defer close(f.done)
			var err error
			f.read, err = r.readPolicy(ctx, p)
			return err
		})
	}
	return f
}

// readRole reads a role's trust policy and attachments, then waits for the
// policies it attaches.
func (r *reader) readRole(ctx context.Context, rr *roleRead) error {
	var (
		wg               sync.WaitGroup
		roleErr, listErr error
		got              *ram.GetRoleResponse
		listed           *ram.ListPoliciesForRoleResponse
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		req := ram.CreateGetRoleRequest()
		req.RoleName = rr.name
		got, roleErr = call(ctx, r.c, "GetRole", rr.name, func(c *clients) (*ram.GetRoleResponse, error) { return c.ram.GetRole(req) })
	}()
	go func() {
		defer wg.Done()
		req := ram.CreateListPoliciesForRoleRequest()
		req.RoleName = rr.name
		listed, listErr = call(ctx, r.c, "ListPoliciesForRole", rr.name, func(c *clients) (*ram.ListPoliciesForRoleResponse, error) {
			return c.ram.ListPoliciesForRole(req)
		})
	}()
	wg.Wait()
	switch {
	case roleErr != nil && notFound(roleErr):
		// Deleted since the listing: it lets nobody in.
		rr.trustNote = fmt.Sprintf("role %s no longer exists", rr.name)
		return nil
	case roleErr != nil:
		return roleErr
	case listErr != nil && !notFound(listErr):
		return listErr
	}
	if got.Role.Arn != "" {
		rr.arn = got.Role.Arn
	}
	doc, err := r.limits.Read([]byte(got.Role.AssumeRolePolicyDocument))
	if err != nil {
		rr.trustNote = fmt.Sprintf("the trust policy of role %s cannot be read: %v", rr.name, err)
	} else {
		rr.trust = doc
	}
	if listed == nil {
		return nil
	}
	rr.attached = listed.Policies.Policy
	fetches := make([]*policyFetch, len(rr.attached))
	for i, p := range rr.attached {
		fetches[i] = r.fetch(ctx, p)
	}
	rr.policies = make([]*policyRead, len(fetches))
	for i, f := range fetches {
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		rr.policies[i] = f.read
		if f.read == nil { // its read failed: the audit fails with it
			return nil
		}
	}
	return nil
}

// readPolicy reads a policy's default version: GetPolicyVersion when its
// default version is known, GetPolicy otherwise (and for system policies).
func (r *reader) readPolicy(ctx context.Context, p ram.Policy) (*policyRead, error) {
	pr := &policyRead{name: p.PolicyName, typ: encryptperm.PolicyType(p.PolicyType)}
	var text string
	if p.DefaultVersion != "" && pr.typ == encryptperm.Custom {
		req := ram.CreateGetPolicyVersionRequest()
		req.PolicyName, req.PolicyType, req.VersionId = p.PolicyName, p.PolicyType, p.DefaultVersion
		resp, err := call(ctx, r.c, "GetPolicyVersion", p.PolicyName+"@"+p.DefaultVersion, func(c *clients) (*ram.GetPolicyVersionResponse, error) {
			return c.ram.GetPolicyVersion(req)
		})
		if err == nil {
			text = resp.PolicyVersion.PolicyDocument
		} else if !notFound(err) {
			return nil, err
		}
	}
	if text == "" {
		req := ram.CreateGetPolicyRequest()
		req.PolicyName, req.PolicyType = p.PolicyName, p.PolicyType
		resp, err := call(ctx, r.c, "GetPolicy", p.PolicyType+"/"+p.PolicyName, func(c *clients) (*ram.GetPolicyResponse, error) { return c.ram.GetPolicy(req) })
		switch {
		case err != nil && notFound(err):
			pr.note = fmt.Sprintf("%s policy %s: RAM does not know it", p.PolicyType, p.PolicyName)
			return pr, nil
		case err != nil:
			return nil, err
		}
		text = resp.DefaultPolicyVersion.PolicyDocument
	}
	doc, err := r.limits.Read([]byte(text))
	if err != nil {
		pr.note = fmt.Sprintf("%s policy %s cannot be read: %v", p.PolicyType, p.PolicyName, err)
		return pr, nil
	}
	pr.doc = doc
	return pr, nil
}

// readKey reads a key's metadata and key policy side by side. A key policy
// that cannot be read is noted, not an error: the audit reports what it
// might allow as "may". A key KMS does not find is an error.
func (r *reader) readKey(ctx context.Context, k encryptperm.Key) (*keyRead, error) {
	kr := &keyRead{key: k}
	var (
		wg       sync.WaitGroup
		desc     *kms.DescribeKeyResponse
		got      *kms.GetKeyPolicyResponse
		descErr  error
		gotErr   error
		arn      = k.ARN()
		describe = kms.CreateDescribeKeyRequest()
		get      = kms.CreateGetKeyPolicyRequest()
	)
	describe.RegionId, describe.KeyId = k.Region, arn
	get.RegionId, get.KeyId, get.PolicyName = k.Region, arn, "default"
	wg.Add(2)
	go func() {
		defer wg.Done()
		desc, descErr = call(ctx, r.c, "DescribeKey", arn, func(c *clients) (*kms.DescribeKeyResponse, error) { return c.kms.DescribeKey(describe) })
	}()
	go func() {
		defer wg.Done()
		got, gotErr = call(ctx, r.c, "GetKeyPolicy", arn, func(c *clients) (*kms.GetKeyPolicyResponse, error) { return c.kms.GetKeyPolicy(get) })
	}()
	wg.Wait()
	if descErr == nil {
		kr.instance = desc.KeyMetadata.DKMSInstanceId
	}
	switch {
	case gotErr == nil:
		doc, err := r.limits.Read([]byte(got.Policy))
		if err != nil {
			kr.notRead = fmt.Sprintf("the key policy of %s cannot be read: %v", arn, err)
		} else {
			kr.policy = doc
		}
	case descErr == nil && kr.instance == "":
		// A key of the default kind has no key policy.
	case descErr != nil && notFound(descErr):
		return nil, fmt.Errorf("audit: key %s: KMS does not find it: %w", arn, descErr)
	default:
		kr.notRead = fmt.Sprintf("the key policy of %s was not read: %v", arn, gotErr)
	}
	return kr, nil
}

// listRegionKeys lists the keys of a region, page after page.
func (r *reader) listRegionKeys(ctx context.Context, region string) ([]encryptperm.Key, error) {
	var out []encryptperm.Key
	for page := 1; ; page++ {
		req := kms.CreateListKeysRequest()
		req.RegionId, req.PageNumber, req.PageSize = region, requests.NewInteger(page), requests.NewInteger(100)
		resp, err := call(ctx, r.c, "ListKeys", region, func(c *clients) (*kms.ListKeysResponse, error) { return c.kms.ListKeys(req) })
		if err != nil {
			return nil, err
		}
		for _, k := range resp.Keys.Key {
			key, err := encryptperm.ParseKeyARN(k.KeyArn)
			if err != nil {
				return nil, fmt.Errorf("audit: ListKeys %q: KMS answered the ARN %q: %w", region, k.KeyArn, encryptperm.ErrInvalid)
			}
			out = append(out, key)
		}
		if len(resp.Keys.Key) == 0 || page*100 >= resp.TotalCount {
			return out, nil
		}
	}
}
