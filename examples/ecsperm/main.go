package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/export"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	example string
	grant   bool // takes the grant flags
	run     func(ctx context.Context, c *invocation) int
}

var commands = []command{
	{"plan", "show what apply would change, without writing", "ecsperm plan -kind share-snapshot -accounts 2000000000000001 -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", true, runPlan},
	{"apply", "make RAM hold the grant (adds to what is there, never removes)", "ecsperm apply -endpoint 127.0.0.1:8080 -kind share-image -rd rd-a1b2c3 -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", true, runApply},
	{"revoke", "remove what the grant names, and nothing else", "ecsperm revoke -real -kind share-snapshot -accounts 2000000000000001 -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", true, runRevoke},
	{"check", "can each recipient's ECS use each key? (exit 1 when one cannot)", "ecsperm check -kind share-snapshot -accounts 2000000000000001,2000000000000002 -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", true, runCheck},
	{"diagnose", "explain an error code of ECS, KMS or RAM and say what fixes it", "ecsperm diagnose AssumeRoleError", false, runDiagnose},
	{"export", "print the plan as Terraform, a ROS template or an aliyun-cli script", "ecsperm export -format terraform -kind disk-encryption -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b > encryptperm.tf", true, runExport},
	auditCommand,
}

// invocation holds one invocation's flags and streams.
type invocation struct {
	cmd    command
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	json     bool
	real     bool
	endpoint string
	yes      bool
	etcd     etcdFlags
	// locker is the lock on etcd of apply and revoke, nil without -etcd.
	locker  *cliLocker
	accept  list
	timeout time.Duration
	verbose bool

	kind             string
	serviceKey       bool
	accounts         string
	rds, folders     list
	keys             list
	image, snapshot  string
	region           string
	recipient        string
	recipientRD      string
	recipientPath    string
	format           string
	detailedExitCode bool
	args             []string

	// contact counts the calls the Applier makes, by service: an error
	// after one depends on what the account holds, and exits 3, not 2.
	contact cli.Contact

	memberFlags memberFlags // -members and its flags (members.go)
	// progress is the progress line on a terminal; nil otherwise.
	progress *cli.Progress
	audit    *auditFlags // the audit command's (audit.go)
}

// list is a repeatable flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-help" || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		w := stderr
		code := cli.Usage
		if len(args) > 0 {
			w, code = stdout, cli.OK
		}
		topUsage(w)
		return code
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "ecsperm: unknown command %q\n\n", args[0])
		topUsage(stderr)
		return cli.Usage
	}
	c := &invocation{cmd: commands[i], stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.flags()
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(fs, stdout)
			return cli.OK
		}
		return c.fail(cli.UsageError(err.Error()))
	}
	c.args = fs.Args()
	if len(c.args) > 0 && c.cmd.name != "diagnose" {
		return c.fail(cli.UsageError("unexpected arguments: " + strings.Join(c.args, " ")))
	}
	if c.timeout < 0 {
		return c.fail(cli.UsageError(fmt.Sprintf("-timeout %v: want a positive duration, such as 2m", c.timeout)))
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	if f := c.memberFlags.stray(); f != "" {
		return c.fail(cli.UsageError(f + " goes with -members"))
	}
	if c.memberFlags.members != "" {
		return c.runMembers(ctx)
	}
	if c.cmd.grant && !c.json && cli.IsTerminal(stderr) {
		// A line that says how far the work is, redrawn as calls go out;
		// wiped before anything else is written.
		c.progress = cli.NewProgress(stderr, "ecsperm "+c.cmd.name)
		c.contact.ShowProgress(c.progress)
	}
	return c.cmd.run(ctx, c)
}

func topUsage(w io.Writer) {
	fmt.Fprint(w, `ecsperm gives Alibaba Cloud ECS the RAM permissions it needs to use KMS keys
(ECS documentation, "Encryption-related permissions").

usage: ecsperm <command> [flags]

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "ecsperm <command> -help" for its flags and an example.
Exit codes: 0 done, allowed or no changes; 1 denied, changes pending or not
confirmed; 2 usage or validation error, before anything is contacted; 3 RAM,
network or credential error, or a refusal that depends on what the account
holds (a disabled or missing key, a missing image, a service-key image).
`)
}

func (c *invocation) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("ecsperm "+c.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&c.json, "json", false, "print one JSON document on standard output")
	if c.cmd.grant {
		fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long, such as 2m (default: no limit); a write in flight then has an unknown outcome, which the command lists")
		fs.BoolVar(&c.verbose, "v", false, "log each call (service, action, target, duration, code, request ID) to standard error; never a secret")
		fs.StringVar(&c.kind, "kind", "", "the grant: share-snapshot, share-image or disk-encryption (required)")
		fs.StringVar(&c.accounts, "accounts", "", "recipient account UIDs, comma-separated (share kinds)")
		fs.Var(&c.rds, "rd", "a resource directory to share with, rd-... (repeatable; share kinds)")
		fs.Var(&c.folders, "folder", "a resource directory folder to share with, rd-.../r-.../fd-... (repeatable; share kinds)")
		fs.Var(&c.keys, "key", "a customer key's ARN, acs:kms:<region>:<uid>:key/<id> (repeatable)")
		fs.BoolVar(&c.serviceKey, "service-key", false, "-kind share-image: the image is encrypted with the service key; grants AliyunKMSFullAccess, a critical finding that apply makes only with -accept "+encryptperm.FindingServiceKeyFullAccess)
		fs.StringVar(&c.image, "image", "", "an image to share too, m-... in -region (-kind share-image; its key is found when -key is not given)")
		fs.StringVar(&c.snapshot, "snapshot", "", "a snapshot to share too, s-... in -region (-kind share-snapshot; its key is found when -key is not given)")
		fs.StringVar(&c.region, "region", "", "the region of -image or -snapshot, such as cn-hangzhou")
		fs.BoolVar(&c.real, "real", false, "use RAM, with the SDK's default credential chain")
		fs.StringVar(&c.endpoint, "endpoint", "", "use the RAM endpoint at host:port (such as examples/ramserver), credentials from the SDK's chain")
	}
	switch c.cmd.name {
	case "plan":
		fs.BoolVar(&c.detailedExitCode, "detailed-exitcode", false, "exit 1 when the plan has changes")
	case "apply", "revoke":
		fs.BoolVar(&c.yes, "yes", false, "write without asking for confirmation")
		fs.StringVar(&c.etcd.endpoints, "etcd", "", "take a lock per role on etcd at host:port[,host:port] (default $"+envEtcdEndpoints+"), held from the plan's read to the last write, so that processes applying to one role at once lose nothing; user and password from $"+envEtcdUser+" (user or user:password) and $"+envEtcdPassword)
		fs.StringVar(&c.etcd.cacert, "etcd-cacert", "", "verify etcd's TLS certificate with this CA bundle")
		fs.StringVar(&c.etcd.cert, "etcd-cert", "", "the client's TLS certificate for etcd (with -etcd-key)")
		fs.StringVar(&c.etcd.key, "etcd-key", "", "the key of -etcd-cert")
		fs.DurationVar(&c.etcd.wait, "etcd-wait", 2*time.Minute, "how long to wait for the lock (etcd out of reach, or another process holding it)")
		if c.cmd.name == "apply" {
			fs.Var(&c.accept, "accept", "accept a critical finding by its code, such as "+encryptperm.FindingServiceKeyFullAccess+" (repeatable), as Options.AcceptFindings does")
		}
	case "check":
		fs.StringVar(&c.recipient, "recipient", "", "the account UID whose ECS would use the key, whether or not the grant names it (default: each account -accounts names)")
		fs.StringVar(&c.recipientRD, "recipient-rd", "", "the recipient's resource directory ID, rd-..., when the share names one")
		fs.StringVar(&c.recipientPath, "recipient-path", "", "the recipient's resource directory path, rd-.../r-.../fd-..., when the share names a folder")
	case "export":
		fs.StringVar(&c.format, "format", "", "terraform, ros or aliyun-cli (required)")
	case "audit":
		c.auditFlagSet(fs)
	}
	c.memberFlags.register(c.cmd.name, fs)
	return fs
}

func (c *invocation) usage(fs *flag.FlagSet, w io.Writer) {
	args := "[flags]"
	if c.cmd.name == "diagnose" {
		args = "[-json] CODE"
	}
	fmt.Fprintf(w, "usage: ecsperm %s %s\n\n%s.\n\nexample:\n  %s\n\nflags:\n", c.cmd.name, args, c.cmd.summary, c.cmd.example)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if c.cmd.grant {
		fmt.Fprint(w, "\nWithout -real or -endpoint, the target is an in-memory fake RAM, empty at start.\n")
	}
}

// fail reports err on stderr as one block (and, with -json, as one JSON
// document on stdout) and returns its exit code: 2 for what is wrong before
// anything is contacted, 3 for a refusal that came after a read.
func (c *invocation) fail(err error) int {
	c.progress.Done()
	err = c.contact.Mark(err)
	code := cli.Code(err)
	msg := encryptperm.Redact(err.Error())
	cause, fix := cli.Fix("ecsperm "+c.cmd.name, err)
	fmt.Fprintf(c.stderr, "ecsperm %s: %s\n", c.cmd.name, msg)
	if cause != "" {
		fmt.Fprintf(c.stderr, "  cause: %s\n", cause)
	}
	if fix != "" {
		fmt.Fprintf(c.stderr, "  fix: %s\n", fix)
	}
	if c.json {
		doc := map[string]any{"error": msg, "fix": fix, "exitCode": code}
		if cause != "" {
			doc["cause"] = cause
		}
		c.printJSON(doc)
	}
	return code
}

// printJSON writes v as one indented JSON document, its text as it is
// (no \u003c for <), and its field names lowerCamelCase, as every command's
// are.
func (c *invocation) printJSON(v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(c.stderr, "ecsperm %s: %v\n", c.cmd.name, err)
		return
	}
	io.WriteString(c.stdout, b.String())
}

// grant builds the grant the flags describe. Every error is a usage or
// validation error, found before anything is contacted.
func (c *invocation) grant() (*encryptperm.Grant, error) {
	if err := c.resourceFlags(); err != nil {
		return nil, err
	}
	if c.real && c.endpoint != "" {
		return nil, cli.UsageError("give -real or -endpoint, not both")
	}
	var accounts []string
	for _, a := range strings.Split(c.accounts, ",") {
		if a = strings.TrimSpace(a); a != "" {
			accounts = append(accounts, a)
		}
	}
	switch c.kind {
	case "share-snapshot", "share-image":
		b := encryptperm.ShareSnapshot()
		if c.kind == "share-image" {
			b = encryptperm.ShareImage()
		}
		if len(accounts) == 0 && len(c.rds) == 0 && len(c.folders) == 0 {
			return nil, cli.UsageError("-kind " + c.kind + " needs a recipient: -accounts, -rd or -folder")
		}
		if len(c.keys) == 0 && c.image == "" && c.snapshot == "" && !c.serviceKey {
			return nil, cli.UsageError("-kind " + c.kind + " needs -key (the customer key that encrypts what you share), or -image or -snapshot with -region, whose key is then found")
		}
		if c.serviceKey {
			b.WithServiceKey()
		}
		if c.image != "" {
			b.WithImage(c.region, c.image)
		}
		if c.snapshot != "" {
			b.WithSnapshot(c.region, c.snapshot)
		}
		if len(accounts) > 0 {
			b.WithAccounts(accounts...)
		}
		for _, rd := range c.rds {
			b.WithResourceDirectory(rd)
		}
		for _, f := range c.folders {
			b.WithFolder(f)
		}
		for _, k := range c.keys {
			b.WithKeyARN(k)
		}
		return b.Build()
	case "disk-encryption":
		if c.serviceKey {
			return nil, cli.UsageError("-service-key goes with -kind share-image")
		}
		if len(accounts) > 0 || len(c.rds) > 0 || len(c.folders) > 0 {
			return nil, cli.UsageError("-kind disk-encryption is for ECS of your own account: it takes no -accounts, -rd or -folder")
		}
		b := encryptperm.DiskEncryption()
		for _, k := range c.keys {
			b.WithKeyARN(k)
		}
		return b.Build()
	case "":
		return nil, cli.UsageError("-kind is required: share-snapshot, share-image or disk-encryption")
	}
	return nil, cli.UsageError(fmt.Sprintf("-kind %q: want share-snapshot, share-image or disk-encryption", c.kind))
}

// options are the Applier's options the flags set: the calls counted (and
// drawn as progress), the critical findings accepted, and with -v a log of
// each call on standard error.
func (c *invocation) options() *encryptperm.Options {
	o := &encryptperm.Options{Observer: &c.contact, AcceptFindings: c.accept, CheckCredentials: true}
	if c.locker != nil {
		o.Locker = c.locker
	}
	if c.verbose {
		o.Logger = slog.New(slog.NewTextHandler(progressWriter{c.stderr, c.progress}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}

// progressWriter wipes the progress line before each line it writes.
type progressWriter struct {
	w io.Writer
	p *cli.Progress
}

func (pw progressWriter) Write(b []byte) (int, error) {
	pw.p.Done()
	return pw.w.Write(b)
}

// applier returns the Applier of the target, and whether writes to it need
// confirmation (anything but the in-memory fake).
func (c *invocation) applier(g *encryptperm.Grant) (encryptperm.Applier, bool, error) {
	switch {
	case c.real:
		a, err := encryptperm.NewRAMApplier(c.options())
		return a, true, err
	case c.endpoint != "":
		if _, _, err := net.SplitHostPort(c.endpoint); err != nil {
			return nil, false, cli.UsageError(fmt.Sprintf("-endpoint %q: want host:port", c.endpoint))
		}
		scheme, _ := c.sdkTarget()
		o := c.options()
		o.Endpoint, o.Scheme = c.endpoint, scheme
		a, err := encryptperm.NewRAMApplier(o)
		return a, true, err
	}
	owner := fake.DefaultAccountID
	for _, k := range g.Keys {
		owner = k.Owner
		break
	}
	if !c.json {
		fmt.Fprintln(c.stderr, "ecsperm: target: an in-memory fake RAM, empty at start; nothing leaves this process (use -real or -endpoint for RAM)")
	}
	return encryptperm.NewApplier(fake.New(&fake.Options{AccountID: owner}), c.options()), false, nil
}

// setup builds the grant, the lock on etcd (apply and revoke, with -etcd)
// and the Applier. The caller closes c.locker.
func (c *invocation) setup() (*encryptperm.Grant, encryptperm.Applier, bool, error) {
	g, err := c.grant()
	if err != nil {
		return nil, nil, false, err
	}
	if c.cmd.name == "apply" || c.cmd.name == "revoke" {
		if c.locker, err = c.openLocker(); err != nil {
			return nil, nil, false, err
		}
	}
	a, confirm, err := c.applier(g)
	if err != nil {
		return nil, nil, false, err
	}
	return g, a, confirm, nil
}

func runPlan(ctx context.Context, c *invocation) int {
	g, a, _, err := c.setup()
	if err != nil {
		return c.fail(err)
	}
	p, err := a.Plan(ctx, g)
	c.progress.Done()
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		if p.Changes == nil {
			p.Changes = []encryptperm.Change{} // "changes": [], not null
		}
		c.printJSON(p)
	} else {
		fmt.Fprint(c.stdout, p)
		printFindings(c.stdout, p.Findings)
	}
	if c.detailedExitCode && !p.Empty() {
		return cli.No
	}
	return cli.OK
}

func printFindings(w io.Writer, fs []encryptperm.Finding) {
	for _, f := range fs {
		fmt.Fprintf(w, "finding: %s\n", f)
	}
}

// withFindings shows a plan and then its findings, for the prompt before
// a write.
type withFindings struct{ p *encryptperm.Plan }

func (w withFindings) String() string {
	var b strings.Builder
	b.WriteString(w.p.String())
	printFindings(&b, w.p.Findings)
	return b.String()
}

func runApply(ctx context.Context, c *invocation) int {
	g, a, confirm, err := c.setup()
	defer c.locker.close()
	if err != nil {
		return c.fail(err)
	}
	return c.write(ctx, a, g, func(ctx context.Context) (*encryptperm.Plan, error) { return a.Plan(ctx, g) }, confirm)
}

func runRevoke(ctx context.Context, c *invocation) int {
	g, a, confirm, err := c.setup()
	defer c.locker.close()
	if err != nil {
		return c.fail(err)
	}
	return c.write(ctx, a, g, func(ctx context.Context) (*encryptperm.Plan, error) { return a.RevokePlan(ctx, g) }, confirm)
}

// write plans and applies the plan, after confirmation when the target
// needs it. With a lock on etcd, the lock is held from the plan's read to
// the last write; after a person's "yes" the plan is made again under the
// lock and applied only if it is unchanged, so that no lock is held while a
// person reads.
func (c *invocation) write(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant, plan func(context.Context) (*encryptperm.Plan, error), confirm bool) int {
	ask := confirm && !c.yes
	var release func()
	if c.locker != nil && !ask {
		var err error
		if release, err = c.locker.hold(ctx, g); err != nil {
			return c.fail(err)
		}
		defer release()
	}
	p, err := plan(ctx)
	c.progress.Done()
	if err != nil {
		return c.fail(err)
	}
	if p.Empty() {
		if c.json {
			c.printJSON(&encryptperm.Result{Changes: []encryptperm.Change{}})
		} else {
			fmt.Fprint(c.stdout, "no changes\n")
		}
		return cli.OK
	}
	if ask {
		ok, err := cli.Confirm(c.stdin, c.stderr, "ecsperm "+c.cmd.name, withFindings{p})
		if err != nil {
			return c.fail(err)
		}
		if !ok {
			if c.json {
				c.printJSON(map[string]any{"confirmed": false, "plan": p})
			}
			return cli.No
		}
		if c.locker != nil {
			if release, err = c.locker.hold(ctx, g); err != nil {
				return c.fail(err)
			}
			defer release()
			again, err := plan(ctx)
			if err != nil {
				return c.fail(err)
			}
			if !samePlan(p, again) {
				fmt.Fprintf(c.stderr, "ecsperm %s: RAM changed while the plan was read; nothing was written. The plan now:\n%sRun the command again to review it.\n", c.cmd.name, withFindings{again})
				if c.json {
					c.printJSON(map[string]any{"confirmed": true, "applied": false, "planChanged": true, "plan": again})
				}
				return cli.No
			}
			p = again
		}
	}
	res, err := a.ApplyPlan(ctx, p)
	c.progress.Done()
	if err != nil {
		if res != nil && len(res.Unknown) > 0 {
			fmt.Fprintf(c.stderr, "writes whose outcome is unknown:\n")
			for _, ch := range res.Unknown {
				fmt.Fprintf(c.stderr, "  %s\n", ch)
			}
		}
		return c.fail(err)
	}
	if c.json {
		c.printJSON(res)
		return cli.OK
	}
	for _, ch := range res.Changes {
		fmt.Fprintln(c.stdout, ch)
	}
	fmt.Fprintf(c.stdout, "done: %d changes, %s, %d writes\n", len(res.Changes), cli.CallCounts(res.Calls), res.Writes)
	for _, s := range res.Conflicts {
		fmt.Fprintf(c.stdout, "conflict: %s\n", s)
	}
	return cli.OK
}

// recipient is an account check asks about, with what it knows of the
// account's place in a resource directory.
type recipient struct{ uid, rdID, rdPath string }

// runCheck answers, for each recipient, whether its ECS can use each key:
// the account -recipient names, whether or not the grant names it, or else
// each account -accounts names. It takes the grant flags as every other
// command does, and exits 0 only when every recipient is allowed.
func runCheck(ctx context.Context, c *invocation) int {
	if err := c.resourceFlags(); err != nil {
		return c.fail(err)
	}
	var rt encryptperm.ResourceType
	switch c.kind {
	case "share-snapshot":
		rt = encryptperm.ResourceSnapshot
	case "share-image":
		rt = encryptperm.ResourceImage
	case "disk-encryption":
		rt = encryptperm.ResourceDisk
	case "":
		return c.fail(cli.UsageError("-kind is required: share-snapshot, share-image or disk-encryption"))
	default:
		return c.fail(cli.UsageError(fmt.Sprintf("-kind %q: want share-snapshot, share-image or disk-encryption", c.kind)))
	}
	if c.real && c.endpoint != "" {
		return c.fail(cli.UsageError("give -real or -endpoint, not both"))
	}
	if len(c.keys) == 0 && c.image == "" && c.snapshot == "" {
		return c.fail(cli.UsageError("check needs -key (the key ECS would use), or -image or -snapshot with -region, whose key is then found"))
	}
	if c.recipient == "" && (c.recipientRD != "" || c.recipientPath != "") {
		return c.fail(cli.UsageError("-recipient-rd and -recipient-path describe -recipient: give -recipient too"))
	}
	var keys []encryptperm.Key
	for _, arn := range c.keys {
		k, err := encryptperm.ParseKeyARN(arn)
		if err != nil {
			return c.fail(err)
		}
		keys = append(keys, k)
	}
	// The grant flags, when given, are checked as every command checks
	// them, before anything is contacted.
	g := &encryptperm.Grant{Keys: keys}
	audience := c.accounts != "" || len(c.rds) > 0 || len(c.folders) > 0
	if audience || rt == encryptperm.ResourceDisk {
		built, err := c.grant()
		if err != nil {
			return c.fail(err)
		}
		g = built
	}
	var recipients []recipient
	switch {
	case c.recipient != "":
		recipients = []recipient{{c.recipient, c.recipientRD, c.recipientPath}}
	case rt == encryptperm.ResourceDisk:
		recipients = []recipient{{}} // ECS of the key's own account
	case len(g.Audience.Accounts) > 0:
		for _, uid := range g.Audience.Accounts {
			recipients = append(recipients, recipient{uid: uid})
		}
		if len(c.rds) > 0 || len(c.folders) > 0 {
			fmt.Fprintln(c.stderr, "ecsperm check: -rd and -folder name no account, so check answers for -accounts only; ask about a member with -recipient UID and -recipient-rd or -recipient-path")
		}
	case audience:
		return c.fail(cli.UsageError("-rd and -folder name no account: give -recipient UID (with -recipient-rd or -recipient-path) to ask about a member of the directory"))
	default:
		return c.fail(cli.UsageError("check needs -accounts (it answers for each) or -recipient: the account UID whose ECS would use the key"))
	}
	a, _, err := c.applier(g)
	if err != nil {
		return c.fail(err)
	}
	resourceID := c.image + c.snapshot
	if resourceID != "" && len(keys) == 0 {
		keys = []encryptperm.Key{{}} // found from the resource
	}
	type answer struct {
		Recipient string   `json:"recipient"`
		Allowed   bool     `json:"allowed"`
		Missing   []string `json:"missing,omitempty"`
	}
	allowed := true
	var ds []*encryptperm.Decision
	var answers []answer
	for _, r := range recipients {
		ans := answer{Recipient: r.uid, Allowed: true}
		for _, k := range keys {
			d, err := a.Check(ctx, encryptperm.Access{Recipient: r.uid, RDID: r.rdID, RDPath: r.rdPath, Resource: rt, Key: k,
				ResourceID: resourceID, Region: c.region})
			if err != nil {
				return c.fail(err)
			}
			ds = append(ds, d)
			ans.Recipient = d.Access.Recipient
			ans.Allowed = ans.Allowed && d.Allowed
			for _, m := range d.Missing {
				if !slices.Contains(ans.Missing, m) {
					ans.Missing = append(ans.Missing, m)
				}
			}
		}
		allowed = allowed && ans.Allowed
		answers = append(answers, ans)
	}
	c.progress.Done()
	if c.json {
		c.printJSON(map[string]any{"allowed": allowed, "decisions": ds, "recipients": answers})
	} else {
		for _, d := range ds {
			fmt.Fprint(c.stdout, d.Explanation())
		}
		for _, ans := range answers {
			if ans.Allowed {
				fmt.Fprintf(c.stdout, "recipient %s: allowed\n", ans.Recipient)
			} else {
				fmt.Fprintf(c.stdout, "recipient %s: denied (missing: %s)\n", ans.Recipient, strings.Join(ans.Missing, ", "))
			}
		}
	}
	if !allowed {
		return cli.No
	}
	return cli.OK
}

func runDiagnose(ctx context.Context, c *invocation) int {
	if len(c.args) != 1 {
		return c.fail(cli.UsageError("give one error code, such as AssumeRoleError; known codes: " + strings.Join(encryptperm.DiagnosedCodes(), ", ")))
	}
	d, ok := encryptperm.Diagnose(c.args[0])
	if !ok {
		return c.fail(cli.UsageError(fmt.Sprintf("unknown code %q; known codes: %s", c.args[0], strings.Join(encryptperm.DiagnosedCodes(), ", "))))
	}
	shell := ""
	switch d.Grant {
	case encryptperm.KindShareImage:
		shell = "ecsperm apply -kind share-image -accounts <recipient-uid> -key <key-arn>"
	case encryptperm.KindShareSnapshot:
		shell = "ecsperm apply -kind share-snapshot -accounts <recipient-uid> -key <key-arn>"
	case encryptperm.KindDiskEncryption:
		shell = "ecsperm apply -kind disk-encryption -key <key-arn>"
	}
	if c.json {
		c.printJSON(map[string]any{"diagnosis": d, "fromTheShell": shell})
		return cli.OK
	}
	fmt.Fprintf(c.stdout, "%s (HTTP %d, from %s)\ncause: %s\nfix: %s\n", d.Code, d.Status, strings.Join(d.Operations, ", "), d.Cause, d.Fix)
	if shell != "" {
		fmt.Fprintf(c.stdout, "from the shell: %s\n", shell)
	}
	return cli.OK
}

func runExport(ctx context.Context, c *invocation) int {
	f, err := export.ParseFormat(c.format)
	if err != nil {
		return c.fail(cli.UsageError(fmt.Sprintf("-format %q: want terraform, ros or aliyun-cli", c.format)))
	}
	g, a, _, err := c.setup()
	if err != nil {
		return c.fail(err)
	}
	p, err := a.Plan(ctx, g)
	c.progress.Done()
	if err != nil {
		return c.fail(err)
	}
	var b strings.Builder
	if err := export.Write(&b, f, p); err != nil {
		return c.fail(err)
	}
	if c.json {
		c.printJSON(map[string]any{"format": f, "content": b.String()})
		return cli.OK
	}
	fmt.Fprint(c.stdout, b.String())
	return cli.OK
}

// resourceFlags checks -image, -snapshot and -region against each other
// and -kind.
func (c *invocation) resourceFlags() error {
	switch {
	case c.image != "" && c.snapshot != "":
		return cli.UsageError("give -image or -snapshot, not both: an image and a snapshot are shared by different grants")
	case c.image != "" && c.kind != "share-image":
		return cli.UsageError("-image goes with -kind share-image")
	case c.snapshot != "" && c.kind != "share-snapshot":
		return cli.UsageError("-snapshot goes with -kind share-snapshot")
	case (c.image != "" || c.snapshot != "") && c.region == "":
		return cli.UsageError("-image and -snapshot need -region: the region the image or snapshot is in")
	case c.region != "" && c.image == "" && c.snapshot == "":
		return cli.UsageError("-region is the region of -image or -snapshot: give one of them")
	}
	// ECS uses a key of the resource's own region. Revoke takes any key,
	// so that a grant made with the wrong one can be taken back.
	if c.region != "" && c.cmd.name != "revoke" {
		for _, arn := range c.keys {
			if k, err := encryptperm.ParseKeyARN(arn); err == nil && k.Region != c.region {
				return cli.UsageError(fmt.Sprintf("-key %s is in %s, but -region is %s: ECS uses a key of the resource's own region", arn, k.Region, c.region))
			}
		}
	}
	return nil
}
