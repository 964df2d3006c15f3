// This file holds the reads of one role: the role, its attachments and its
// custom policies with their versions, read in parallel into a roleState.

package encryptperm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
	"github.com/ecsperm/ecsperm/internal/parallel"
)

// roleState is what RAM holds for one role, as far as the engine read it.
type roleState struct {
	name     string // as RAM spells it, or as asked when the role is missing
	exists   bool
	trust    *policy.Document
	attached []attached
	policies map[string]*policyState // by lower-case name
}

type attached struct {
	name string
	typ  PolicyType
}

// policyState is one custom policy as RAM holds it.
type policyState struct {
	name           string
	exists         bool
	doc            *policy.Document
	defaultVersion string
	versions       []ram.PolicyVersion // oldest first
}

func (s *roleState) isAttached(name string) bool {
	for _, a := range s.attached {
		if strings.EqualFold(a.name, name) {
			return true
		}
	}
	return false
}

func (s *roleState) policy(name string) *policyState {
	if p, ok := s.policies[strings.ToLower(name)]; ok {
		return p
	}
	return &policyState{name: name}
}

// fingerprint summarises the state, for ErrStale.
func (s *roleState) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%v|%s|", strings.ToLower(s.name), s.exists, s.trust.JSON())
	att := make([]string, 0, len(s.attached))
	for _, a := range s.attached {
		att = append(att, strings.ToLower(a.name)+"/"+string(a.typ))
	}
	sort.Strings(att)
	fmt.Fprintf(h, "%v|", att)
	names := make([]string, 0, len(s.policies))
	for n := range s.policies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.policies[n]
		fmt.Fprintf(h, "%s:%v:%s:%d:%s|", n, p.exists, p.defaultVersion, len(p.versions), p.doc.JSON())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// clone returns a copy of s that the engine may change without changing s.
func (s *roleState) clone() *roleState {
	out := *s
	out.attached = slices.Clone(s.attached)
	out.policies = make(map[string]*policyState, len(s.policies))
	for k, p := range s.policies {
		c := *p
		c.versions = slices.Clone(p.versions)
		out.policies[k] = &c
	}
	return &out
}

// ramReader reads roles and policies through the caller.
type ramReader struct{ c *caller }

// readTrust reads a role's trust policy: exists is false when RAM does not
// know the role.
func (rd *ramReader) readTrust(ctx context.Context, rec *recorder, role string) (name string, trust *policy.Document, exists bool, err error) {
	resp, err := invoke(ctx, rd.c, op{action: "GetRole", target: role, rec: rec}, func(r RAM, t time.Duration) (*ram.GetRoleResponse, error) {
		req := ram.CreateGetRoleRequest()
		setTimeout(req, t)
		req.RoleName = role
		return r.GetRole(req)
	})
	if errors.Is(err, ErrNotFound) {
		return role, nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	d, err := policy.Read([]byte(resp.Role.AssumeRolePolicyDocument))
	if err != nil {
		return "", nil, false, fmt.Errorf("encryptperm: read trust policy of role %q: %w", role, err)
	}
	return resp.Role.RoleName, d, true, nil
}

// readRole reads a role, its attachments and the named custom policies, all
// in parallel (one round trip on a pool of clients); then any attached
// policy of the same families that it did not know to ask for.
func (rd *ramReader) readRole(ctx context.Context, rec *recorder, role string, policyNames []string, families []string) (*roleState, error) {
	st := &roleState{name: role, policies: map[string]*policyState{}}
	var mu sync.Mutex
	fns := []func() error{
		func() error {
			name, d, exists, err := rd.readTrust(ctx, rec, role)
			if err != nil || !exists {
				return err
			}
			mu.Lock()
			st.exists, st.trust, st.name = true, d, name
			mu.Unlock()
			return nil
		},
		func() error {
			resp, err := invoke(ctx, rd.c, op{action: "ListPoliciesForRole", target: role, rec: rec}, func(r RAM, t time.Duration) (*ram.ListPoliciesForRoleResponse, error) {
				req := ram.CreateListPoliciesForRoleRequest()
				setTimeout(req, t)
				req.RoleName = role
				return r.ListPoliciesForRole(req)
			})
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			mu.Lock()
			for _, p := range resp.Policies.Policy {
				st.attached = append(st.attached, attached{name: p.PolicyName, typ: PolicyType(p.PolicyType)})
			}
			mu.Unlock()
			return nil
		},
	}
	seen := map[string]bool{}
	for _, n := range policyNames {
		if seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		fns = append(fns, func() error {
			p, err := rd.readPolicy(ctx, rec, n)
			if err != nil {
				return err
			}
			mu.Lock()
			st.policies[strings.ToLower(n)] = p
			mu.Unlock()
			return nil
		})
	}
	if err := parallel.All(fns...); err != nil {
		return nil, err
	}
	// Attached policies of a family (base, base-2, ...) that were not asked
	// for: read them too, so that keys are found wherever they are.
	var more []func() error
	for _, a := range st.attached {
		if a.typ != Custom || seen[strings.ToLower(a.name)] || !inFamily(a.name, families) {
			continue
		}
		seen[strings.ToLower(a.name)] = true
		more = append(more, func() error {
			p, err := rd.readPolicy(ctx, rec, a.name)
			if err != nil {
				return err
			}
			mu.Lock()
			st.policies[strings.ToLower(a.name)] = p
			mu.Unlock()
			return nil
		})
	}
	if len(more) > 0 {
		if err := parallel.All(more...); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// inFamily reports whether name is base or base-N for one of the bases.
func inFamily(name string, bases []string) bool {
	for _, b := range bases {
		if strings.EqualFold(name, b) {
			return true
		}
		if len(name) > len(b)+1 && strings.EqualFold(name[:len(b)+1], b+"-") {
			if n, err := strconv.Atoi(name[len(b)+1:]); err == nil && n >= 2 {
				return true
			}
		}
	}
	return false
}

// readPolicy reads a custom policy's default document and its versions, in
// parallel.
func (rd *ramReader) readPolicy(ctx context.Context, rec *recorder, name string) (*policyState, error) {
	p := &policyState{name: name}
	var mu sync.Mutex
	errs := parallel.Do(
		func() error {
			d, err := rd.readDefault(ctx, rec, name)
			if err != nil || !d.exists {
				return err
			}
			mu.Lock()
			p.exists, p.doc, p.name, p.defaultVersion = true, d.doc, d.name, d.defaultVersion
			mu.Unlock()
			return nil
		},
		func() error {
			resp, err := invoke(ctx, rd.c, op{action: "ListPolicyVersions", target: name, rec: rec}, func(r RAM, t time.Duration) (*ram.ListPolicyVersionsResponse, error) {
				req := ram.CreateListPolicyVersionsRequest()
				setTimeout(req, t)
				req.PolicyName, req.PolicyType = name, string(Custom)
				return r.ListPolicyVersions(req)
			})
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			vs := append([]ram.PolicyVersion(nil), resp.PolicyVersions.PolicyVersion...)
			sort.Slice(vs, func(i, j int) bool { return versionNumber(vs[i].VersionId) < versionNumber(vs[j].VersionId) })
			mu.Lock()
			p.versions = vs
			mu.Unlock()
			return nil
		},
	)
	if err := parallel.First(errs); err != nil {
		return nil, err
	}
	if !p.exists {
		p.versions = nil
	}
	return p, nil
}

// readDefault reads a custom policy's default version (GetPolicy): its name,
// document and version ID, without the list of versions. exists is false
// when RAM does not know the policy.
func (rd *ramReader) readDefault(ctx context.Context, rec *recorder, name string) (policyState, error) {
	resp, err := invoke(ctx, rd.c, op{action: "GetPolicy", target: name, rec: rec}, func(r RAM, t time.Duration) (*ram.GetPolicyResponse, error) {
		req := ram.CreateGetPolicyRequest()
		setTimeout(req, t)
		req.PolicyName, req.PolicyType = name, string(Custom)
		return r.GetPolicy(req)
	})
	if errors.Is(err, ErrNotFound) {
		return policyState{name: name}, nil
	}
	if err != nil {
		return policyState{}, err
	}
	doc := resp.DefaultPolicyVersion.PolicyDocument
	if doc == "" {
		doc = resp.Policy.PolicyDocument
	}
	d, err := policy.Read([]byte(doc))
	if err != nil {
		return policyState{}, fmt.Errorf("encryptperm: read policy %q: %w", name, err)
	}
	p := policyState{name: resp.Policy.PolicyName, exists: true, doc: d, defaultVersion: resp.Policy.DefaultVersion}
	if p.defaultVersion == "" {
		p.defaultVersion = resp.DefaultPolicyVersion.VersionId
	}
	return p, nil
}

// versionNumber returns N of "vN", or 0.
func versionNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(strings.ToLower(id), "v"))
	return n
}

var _ timed = (*requests.RpcRequest)(nil)
