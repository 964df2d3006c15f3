// This file holds the audit command: every path by which a principal can
// make a service use a key, and whether one leaves the trust zone.

package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/loopback"
)

var auditCommand = command{"audit", "who can make a service use a key, and through which path? (exit 1 when a path leaves the trust zone)",
	"ecsperm audit -endpoint 127.0.0.1:8080 -key acs:kms:cn-hangzhou:1234567890123456:key/key-hzzinstance0001 -trust-zone rd-3GabcD",
	false, runAudit}

// auditFlags are the audit command's own flags.
type auditFlags struct {
	trustZone   string
	seed        string
	accountWide bool
}

func (c *invocation) auditFlagSet(fs *flag.FlagSet) {
	c.audit = &auditFlags{}
	fs.Var(&c.keys, "key", "the key's ARN, acs:kms:<region>:<uid>:key/<id>")
	fs.StringVar(&c.region, "region", "", "audit every key of this region instead of one -key")
	fs.StringVar(&c.audit.trustZone, "trust-zone", "account", "what you trust: account (the audited account alone), or rd-... (the account's resource directory and its members, read from Resource Manager)")
	fs.BoolVar(&c.audit.accountWide, "key-policy-account-wide", false, "read acs:ram::<uid>:* in a key policy as every RAM identity of the account, not the account itself (KMS does not say which it applies)")
	fs.StringVar(&c.audit.seed, "seed", "", "load this seed file (examples/ramserver's format) into the in-memory fake first")
	fs.BoolVar(&c.real, "real", false, "read RAM, KMS and Resource Manager, with the SDK's default credential chain")
	fs.StringVar(&c.endpoint, "endpoint", "", "read the endpoint at host:port (such as examples/ramserver), credentials from the SDK's chain")
}

// runAudit reports every path to the key (or every key of the region) and
// exits 1 when one, certain or not, reaches outside the trust zone; 3 on a
// RAM, KMS or Resource Manager error.
func runAudit(ctx context.Context, c *invocation) int {
	if err := c.auditArgs(); err != nil {
		return c.fail(err)
	}
	region := c.region
	var key encryptperm.Key
	if len(c.keys) == 1 {
		k, err := encryptperm.ParseKeyARN(c.keys[0])
		if err != nil {
			return c.fail(cli.UsageError(fmt.Sprintf("-key %q: %v", c.keys[0], err)))
		}
		key, region = k, k.Region
	}
	mk, rm, err := c.auditClients(region)
	if err != nil {
		return c.fail(err)
	}
	o := &audit.Options{KeyPolicyAccountWide: c.audit.accountWide, NewClients: mk}
	if c.audit.trustZone != "account" {
		if o.TrustZone, err = directoryZone(rm, c.audit.trustZone); err != nil {
			return c.fail(&cli.ReadError{Err: err})
		}
	}
	r, k, err := mk()
	if err != nil {
		return c.fail(err)
	}
	a := audit.New(r, k, o)
	var rep *audit.Report
	if c.region != "" {
		rep, err = a.Region(ctx, c.region)
	} else {
		rep, err = a.Key(ctx, key)
	}
	if err != nil {
		return c.fail(&cli.ReadError{Err: err})
	}
	if c.json {
		c.printJSON(rep)
	} else {
		fmt.Fprint(c.stdout, rep.Table())
	}
	if rep.LeavesTrustZone() {
		return cli.No
	}
	return cli.OK
}

// auditArgs checks the audit's flags before anything is contacted.
func (c *invocation) auditArgs() error {
	switch {
	case len(c.keys) == 0 && c.region == "":
		return cli.UsageError("audit needs -key (the key's ARN) or -region (every key of the region)")
	case len(c.keys) > 1 || len(c.keys) == 1 && c.region != "":
		return cli.UsageError("give one -key, or -region, not both")
	case c.real && c.endpoint != "":
		return cli.UsageError("give -real or -endpoint, not both")
	case c.audit.seed != "" && (c.real || c.endpoint != ""):
		return cli.UsageError("-seed loads the in-memory fake: it takes no -real or -endpoint")
	case c.audit.trustZone != "account" && !strings.HasPrefix(c.audit.trustZone, "rd-"):
		return cli.UsageError(fmt.Sprintf("-trust-zone %q: want account or rd-...", c.audit.trustZone))
	}
	return nil
}

// auditClients returns the maker of the audit's clients, and the Resource
// Manager client of the target: the in-memory fake, loaded with -seed, or
// SDK clients of -endpoint or of Alibaba Cloud.
func (c *invocation) auditClients(region string) (func() (audit.RAM, audit.KMS, error), directoryLister, error) {
	if !c.real && c.endpoint == "" {
		f := fake.New(nil)
		if c.audit.seed != "" {
			file, err := os.Open(c.audit.seed)
			if err != nil {
				return nil, nil, cli.UsageError(fmt.Sprintf("-seed: %v", err))
			}
			defer file.Close()
			if err := fake.LoadSeed(f, file); err != nil {
				return nil, nil, cli.UsageError(fmt.Sprintf("-seed %s: %v", c.audit.seed, err))
			}
		}
		if !c.json {
			fmt.Fprintln(c.stderr, "ecsperm: target: an in-memory fake, loaded with -seed if given; nothing leaves this process (use -real or -endpoint)")
		}
		return func() (audit.RAM, audit.KMS, error) { return f, f, nil }, f, nil
	}
	cred := credentials.NewDefaultCredentialsProvider()
	mk, err := c.sdkAuditClients(region, cred)
	if err != nil {
		return nil, nil, err
	}
	rm, err := c.sdkDirectory(region, cred)
	if err != nil {
		return nil, nil, err
	}
	return mk, rm, nil
}

// sdkDirectory returns an SDK Resource Manager client of region that signs
// with cred, for -endpoint or Alibaba Cloud.
func (c *invocation) sdkDirectory(region string, cred credentials.CredentialsProvider) (*resourcemanager.Client, error) {
	scheme, domain := c.sdkTarget()
	rm, err := resourcemanager.NewClientWithOptions(region, sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false), cred)
	if err != nil {
		return nil, err
	}
	if domain != "" {
		rm.Domain = domain
	}
	return rm, nil
}

// sdkTarget returns the scheme and host of the SDK's clients: -endpoint's
// (HTTP on a loopback address, HTTPS elsewhere), or Alibaba Cloud's
// endpoints of the region (no host) over HTTPS.
func (c *invocation) sdkTarget() (scheme, domain string) {
	if c.endpoint == "" {
		return "HTTPS", ""
	}
	if loopback.Is(c.endpoint) {
		return "HTTP", c.endpoint
	}
	return "HTTPS", c.endpoint
}

// sdkAuditClients returns a maker of SDK RAM and KMS clients of region
// that sign with cred, for -endpoint or Alibaba Cloud.
func (c *invocation) sdkAuditClients(region string, cred credentials.CredentialsProvider) (func() (audit.RAM, audit.KMS, error), error) {
	if c.endpoint != "" {
		if _, _, err := net.SplitHostPort(c.endpoint); err != nil {
			return nil, cli.UsageError(fmt.Sprintf("-endpoint %q: want host:port", c.endpoint))
		}
	}
	scheme, domain := c.sdkTarget()
	cfg := func() *sdk.Config { return sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false) }
	return func() (audit.RAM, audit.KMS, error) {
		rc, err := ram.NewClientWithOptions(region, cfg(), cred)
		if err != nil {
			return nil, nil, err
		}
		kc, err := kms.NewClientWithOptions(region, cfg(), cred)
		if err != nil {
			return nil, nil, err
		}
		if domain != "" {
			rc.Domain, kc.Domain = domain, domain
		}
		return rc, kc, nil
	}, nil
}

// memberAuditArgs checks the audit's flags for a run across a directory,
// before anything is contacted: it audits every key of -region in each
// member.
func (c *invocation) memberAuditArgs() error {
	switch {
	case len(c.keys) > 0:
		return cli.UsageError("-members audits every key of -region in each member; -key names one account's key: give -region")
	case c.region == "":
		return cli.UsageError("audit -members needs -region: every key of that region is audited in each member")
	case c.audit.seed != "":
		return cli.UsageError("-members runs against the in-memory fake's demo directory, or -real or -endpoint; it takes no -seed")
	case c.audit.trustZone != "account" && !strings.HasPrefix(c.audit.trustZone, "rd-"):
		return cli.UsageError(fmt.Sprintf("-trust-zone %q: want account or rd-...", c.audit.trustZone))
	}
	return nil
}

// memberZone is the trust zone of each member's audit: the member alone
// (-trust-zone account), or the directory with its members, read once from
// the management account's Resource Manager.
func (c *invocation) memberZone(rm directoryLister) (audit.TrustZone, error) {
	if c.audit.trustZone == "account" {
		return audit.TrustZone{}, nil
	}
	z, err := directoryZone(rm, c.audit.trustZone)
	if err != nil {
		return z, &cli.ReadError{Err: err}
	}
	return z, nil
}

// fakeMemberAudit sets opts.Audit, for audit -members on the in-memory
// fake f: each member is read with its own session's credentials.
func (c *invocation) fakeMemberAudit(f *fake.RAM, opts *fleet.Options) error {
	return c.memberAudit(opts, f, func(s *fleet.Session) (func() (audit.RAM, audit.KMS, error), error) {
		member, err := cli.FakeMember(f, s)
		return func() (audit.RAM, audit.KMS, error) { return member, member, nil }, err
	})
}

// sdkMemberAudit sets opts.Audit, for audit -members through the SDK: each
// member's RAM and KMS clients sign with the member's session.
func (c *invocation) sdkMemberAudit(opts *fleet.Options) error {
	if c.cmd.name != "audit" {
		return nil
	}
	rm, err := c.sdkDirectory(c.region, credentials.NewDefaultCredentialsProvider())
	if err != nil {
		return err
	}
	return c.memberAudit(opts, rm, func(s *fleet.Session) (func() (audit.RAM, audit.KMS, error), error) {
		return c.sdkAuditClients(c.region, s)
	})
}

// memberAudit sets opts.Audit for audit -members: every key of -region in
// each member, read through the clients that clients makes with the
// member's session, judged against the trust zone (read once through rm).
func (c *invocation) memberAudit(opts *fleet.Options, rm directoryLister, clients func(s *fleet.Session) (func() (audit.RAM, audit.KMS, error), error)) error {
	if c.cmd.name != "audit" {
		return nil
	}
	zone, err := c.memberZone(rm)
	if err != nil {
		return err
	}
	accountWide := c.audit.accountWide
	opts.Audit = func(ctx context.Context, m fleet.Member, s *fleet.Session) (*audit.Report, error) {
		mk, err := clients(s)
		if err != nil {
			return nil, err
		}
		r, k, err := mk()
		if err != nil {
			return nil, err
		}
		return audit.New(r, k, &audit.Options{TrustZone: zone, KeyPolicyAccountWide: accountWide, NewClients: mk}).Region(ctx, c.region)
	}
	return nil
}

// directoryLister lists a resource directory's accounts.
type directoryLister interface {
	ListAccounts(request *resourcemanager.ListAccountsRequest) (*resourcemanager.ListAccountsResponse, error)
}

// directoryZone reads the members of resource directory rd, each with its
// path, from Resource Manager: the trust zone of -trust-zone rd-....
func directoryZone(rm directoryLister, rd string) (audit.TrustZone, error) {
	z := audit.TrustZone{RDID: rd}
	for page := 1; ; page++ {
		req := resourcemanager.CreateListAccountsRequest()
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(100)
		resp, err := rm.ListAccounts(req)
		if err != nil {
			return z, fmt.Errorf("list the accounts of %s (Resource Manager ListAccounts, which the directory's management account may call): %s", rd, encryptperm.Redact(err.Error()))
		}
		for _, a := range resp.Accounts.Account {
			if a.ResourceDirectoryId != rd {
				return z, fmt.Errorf("-trust-zone %s: the account's resource directory is %s", rd, a.ResourceDirectoryId)
			}
			z.Members = append(z.Members, audit.Member{UID: a.AccountId, Path: a.ResourceDirectoryPath})
		}
		if len(resp.Accounts.Account) == 0 || page*100 >= resp.TotalCount {
			return z, nil
		}
	}
}
