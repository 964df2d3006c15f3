// This file holds the proof of a role's writes: the state they leave, as
// their answers show it, and the reads again of what an answer leaves out.

package encryptperm

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// proof is what a role's writes proved of RAM's state: the state the plan
// was made from, with the writes applied as their answers show them.
// CreateRole and UpdateRole answer with the role and its trust policy as
// stored; CreatePolicyVersion with the version, and its document as stored
// (RAM's API reference lists PolicyVersion.PolicyDocument among its answer's
// elements; an older example leaves it out, so an answer without it is read
// again);
// Attach, Detach and the deletions succeed or fail. CreatePolicy answers
// without the document, so the policy is read again (GetPolicy), as is
// whatever an answer left out: those reads wait in reads for the next level.
//
// A writer who comes after the last write is not seen, with or without the
// reads: only Options.Locker rules that out.
type proof struct {
	read *ramReader
	ctx  context.Context
	rec  *recorder

	mu    sync.Mutex
	next  *roleState
	reads []func() error
	// doubt is set when the state cannot be told from the answers: the
	// caller reads RAM again in full.
	doubt bool
}

// takeReads returns the reads waiting for a level, and forgets them. In
// doubt there are none: the caller reads RAM again in full anyway.
func (p *proof) takeReads() []func() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.reads
	p.reads = nil
	if p.doubt {
		return nil
	}
	return out
}

// doubtAll puts the proof in doubt, and drops the reads waiting for a
// level: what they would show is read again in full.
func (p *proof) doubtAll() {
	p.mu.Lock()
	p.doubt = true
	p.reads = nil
	p.mu.Unlock()
}

// result returns the proven state, or nil when in doubt.
func (p *proof) result() *roleState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.doubt {
		return nil
	}
	return p.next
}

// createdRole records a new role: its trust policy, and nothing attached.
func (p *proof) createdRole(asked, name, trust string) {
	p.mu.Lock()
	p.next.attached = nil
	p.mu.Unlock()
	p.trust(asked, name, trust)
}

// trust records the trust policy a CreateRole or UpdateRole answer carries,
// or has it read again when the answer has none.
func (p *proof) trust(asked, name, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.exists = true
	if name != "" {
		p.next.name = name
	}
	if text != "" {
		if d, err := policy.Read([]byte(text)); err == nil {
			p.next.trust = d
			return
		}
	}
	if p.doubt {
		return // RAM is read again in full
	}
	p.reads = append(p.reads, func() error {
		name, d, exists, err := p.read.readTrust(p.ctx, p.rec, asked)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || !exists {
			p.doubt = true
			return nil
		}
		p.next.name, p.next.trust = name, d
		return nil
	})
}

// policy returns the proven state of a policy, added to next if missing.
// The caller holds p.mu.
func (p *proof) policy(name string) *policyState {
	k := strings.ToLower(name)
	ps, ok := p.next.policies[k]
	if !ok {
		ps = &policyState{name: name}
		p.next.policies[k] = ps
	}
	return ps
}

// createdPolicy records a new policy, whose document CreatePolicy's answer
// does not carry: it is read again, and must be the version the answer
// names.
func (p *proof) createdPolicy(asked, name, version string) {
	if version == "" {
		version = "v1"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.policy(asked)
	if name != "" {
		ps.name = name
	}
	ps.exists, ps.doc, ps.defaultVersion = true, nil, version
	ps.versions = []ram.PolicyVersion{{VersionId: version, IsDefaultVersion: true}}
	p.readDefault(asked, version)
}

// newVersion records a new default version: the one the cap forced out is
// gone, and the document is the answer's, or read again when the answer has
// none.
func (p *proof) newVersion(pw policyWrite, version, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version == "" {
		p.doubt = true
		return
	}
	ps := p.policy(pw.name)
	vs := make([]ram.PolicyVersion, 0, len(ps.versions)+1)
	for _, v := range ps.versions {
		if pw.rotate != "" && strings.EqualFold(v.VersionId, pw.rotate) {
			continue
		}
		v.IsDefaultVersion = false
		vs = append(vs, v)
	}
	ps.versions = append(vs, ram.PolicyVersion{VersionId: version, IsDefaultVersion: true})
	ps.exists, ps.defaultVersion, ps.doc = true, version, nil
	if text != "" {
		if d, err := policy.Read([]byte(text)); err == nil {
			ps.doc = d
			return
		}
	}
	p.readDefault(pw.name, version)
}

// readDefault queues a read of a policy's default version, which must be
// version. The caller holds p.mu.
func (p *proof) readDefault(name, version string) {
	if p.doubt {
		return // RAM is read again in full
	}
	p.reads = append(p.reads, func() error {
		d, err := p.read.readDefault(p.ctx, p.rec, name)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || !d.exists || !strings.EqualFold(d.defaultVersion, version) {
			p.doubt = true
			return nil
		}
		p.policy(name).doc = d.doc
		return nil
	})
}

func (p *proof) attached(a attached) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.next.isAttached(a.name) {
		p.next.attached = append(p.next.attached, a)
	}
}

func (p *proof) detached(a attached) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.attached = slices.DeleteFunc(p.next.attached, func(x attached) bool { return strings.EqualFold(x.name, a.name) && x.typ == a.typ })
}

func (p *proof) deletedVersion(v policyVersionRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.policy(v.policy)
	ps.versions = slices.DeleteFunc(ps.versions, func(x ram.PolicyVersion) bool { return strings.EqualFold(x.VersionId, v.version) })
}

func (p *proof) deletedPolicy(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.policies[strings.ToLower(name)] = &policyState{name: name}
}

func (p *proof) deletedRole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.exists, p.next.trust, p.next.attached = false, nil, nil
}
