// This file holds -members: a command run in every member account of a
// resource directory, from its management account, with encryptperm/fleet.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/audit"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

// memberFlags are the flags of a run across a directory.
type memberFlags struct {
	registered  bool // the command takes them
	members     string
	exclude     string
	concurrency int
	subfolders  bool
}

// memberOps maps the commands that take -members to what their run does
// in each member: the plan shown before a write is asked for, and the
// write. The audit reads only: its entry has no write.
var memberOps = map[string]struct{ plan, write fleet.Op }{
	"plan":   {plan: fleet.OpPlan},
	"apply":  {plan: fleet.OpPlan, write: fleet.OpApply},
	"revoke": {plan: fleet.OpRevokePlan, write: fleet.OpRevoke},
	"check":  {plan: fleet.OpCheck},
	"audit":  {plan: fleet.OpAudit},
}

// register adds the flags of a run across a directory to fs, for the
// commands that take them.
func (mf *memberFlags) register(cmd string, fs interface {
	StringVar(p *string, name, value, usage string)
	IntVar(p *int, name string, value int, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
}) {
	if _, ok := memberOps[cmd]; !ok {
		return
	}
	mf.registered = true
	usage := "run in member accounts of the resource directory, from its management account: all, folders (fd-... or r-...) or member UIDs, comma-separated; -accounts, -rd and -folder still name the share's recipients"
	if cmd == "audit" {
		usage = "audit every key of -region in member accounts of the resource directory, each read with the member's own credentials, from its management account: all, folders (fd-... or r-...) or member UIDs, comma-separated"
	}
	fs.StringVar(&mf.members, "members", "", usage)
	fs.StringVar(&mf.exclude, "exclude", "", "with -members: member UIDs to leave out, comma-separated")
	fs.IntVar(&mf.concurrency, "concurrency", fleet.DefaultConcurrency, "with -members: members worked on at once")
	fs.BoolVar(&mf.subfolders, "subfolders", true, "with -members naming folders: include the folders below them")
}

// stray names a flag of a run across a directory set without -members.
func (mf *memberFlags) stray() string {
	switch {
	case !mf.registered || mf.members != "":
		return ""
	case mf.exclude != "":
		return "-exclude"
	case mf.concurrency != fleet.DefaultConcurrency:
		return "-concurrency"
	case !mf.subfolders:
		return "-subfolders"
	}
	return ""
}

// scope reads -members, -exclude and -subfolders.
func (mf *memberFlags) scope() (fleet.Scope, error) {
	var sc fleet.Scope
	for _, v := range strings.Split(mf.members, ",") {
		switch v = strings.TrimSpace(v); {
		case v == "":
		case v == "all":
			sc.All = true
		case strings.HasPrefix(v, "fd-") || strings.HasPrefix(v, "r-"):
			sc.Folders = append(sc.Folders, v)
		case strings.Trim(v, "0123456789") == "":
			sc.Accounts = append(sc.Accounts, v)
		default:
			return sc, cli.UsageError(fmt.Sprintf("-members %q: want all, folders (fd-... or r-...) or member UIDs, comma-separated", v))
		}
	}
	if sc.All && (len(sc.Folders) > 0 || len(sc.Accounts) > 0) {
		return sc, cli.UsageError("-members all stands alone: it names every member already")
	}
	if !mf.subfolders {
		if len(sc.Folders) == 0 {
			return sc, cli.UsageError("-subfolders applies to folders, and -members names none")
		}
		sc.Direct = true
	}
	for _, u := range strings.Split(mf.exclude, ",") {
		if u = strings.TrimSpace(u); u != "" {
			sc.Exclude = append(sc.Exclude, u)
		}
	}
	if mf.concurrency < 1 {
		return sc, cli.UsageError(fmt.Sprintf("-concurrency %d: want 1 or more", mf.concurrency))
	}
	return sc, nil
}

// runMembers runs the command in every member of the scope -members names.
// Exit code: the highest of the members' (0 done, allowed or unchanged; 1
// denied, or changes pending with plan -detailed-exitcode; 3 failed), 3
// when the run stopped, 2 for a mistake found before anything was
// contacted.
//
// A write to anything but the in-memory fake without -yes plans across the
// directory first, shows each member's plan on stderr, asks, and then
// writes only in the members the plan showed changes for: a member that
// could not be planned is not written to. With -json the one document on
// stdout has a row for every member of the scope either way: the plan's
// row for those with nothing to write or that failed, the write's for the
// others.
func (c *invocation) runMembers(ctx context.Context) int {
	ops := memberOps[c.cmd.name]
	sc, err := c.memberFlags.scope()
	if err != nil {
		return c.fail(err)
	}
	if c.real && c.endpoint != "" {
		return c.fail(cli.UsageError("give -real or -endpoint, not both"))
	}
	opts := &fleet.Options{Concurrency: c.memberFlags.concurrency}
	switch {
	case ops.plan == fleet.OpAudit:
		if err := c.memberAuditArgs(); err != nil {
			return c.fail(err)
		}
	case ops.plan == fleet.OpCheck:
		accesses, err := c.memberAccesses()
		if err != nil {
			return c.fail(err)
		}
		opts.Checks = func(fleet.Member) ([]encryptperm.Access, error) { return accesses, nil }
	default:
		g, err := c.grant()
		if err != nil {
			return c.fail(err)
		}
		opts.Grants = func(fleet.Member) ([]*encryptperm.Grant, error) { return []*encryptperm.Grant{g}, nil }
		// The grant is the same in every member: its findings are shown
		// once.
		for _, f := range g.Findings {
			fmt.Fprintf(c.stderr, "ecsperm %s: finding: %s\n", c.cmd.name, f)
		}
	}
	obs := newMemberObserver(c)
	opts.Observer = obs
	// The engine in each member accepts what -accept names and logs as -v
	// asks, as the command's own engine does.
	eo := c.options()
	opts.Engine.AcceptFindings, opts.Engine.Logger = eo.AcceptFindings, eo.Logger
	r, confirm, err := c.runner(opts)
	if err != nil {
		return c.fail(err)
	}
	if ops.write == "" || !confirm || c.yes {
		op := cmpOr(ops.write, ops.plan)
		obs.start(op, false)
		rep, err := r.Run(ctx, op, sc)
		return obs.finish(rep, err)
	}

	obs.start(ops.write, true)
	plan, err := r.Run(ctx, ops.plan, sc)
	if plan == nil || !plan.Complete || len(plan.Changed) == 0 {
		return obs.finish(plan, err)
	}
	obs.pause()
	ok, cerr := cli.Confirm(c.stdin, c.stderr, "ecsperm "+c.cmd.name, pendingMembers{plan})
	if cerr != nil || !ok {
		code := cli.No
		if cerr != nil {
			code = cli.Code(cerr)
			fmt.Fprintf(c.stderr, "ecsperm %s: %s\n", c.cmd.name, cerr)
		}
		return obs.unconfirmed(plan, code)
	}
	obs.start(ops.write, false)
	rep, err := r.Run(ctx, ops.write, fleet.Scope{Accounts: plan.Changed})
	return obs.finish(merge(plan, rep), err)
}

// merge is the report of a plan whose members with changes were then
// written to: the plan's rows for the others, the write's for those.
func merge(plan, write *fleet.Report) *fleet.Report {
	if write == nil {
		return nil
	}
	out := *write
	out.Complete = plan.Complete && write.Complete
	t := plan.Totals
	t.Members -= t.Pending
	t.Pending = 0
	w := write.Totals
	out.Totals = fleet.Totals{
		Members: t.Members + w.Members, Unchanged: t.Unchanged + w.Unchanged, Pending: w.Pending, Changed: w.Changed,
		Allowed: t.Allowed + w.Allowed, Denied: t.Denied + w.Denied, Failed: t.Failed + w.Failed,
		Skipped: t.Skipped + w.Skipped, Writes: w.Writes, Unknown: w.Unknown,
	}
	out.Failed = append(slices.Clone(plan.Failed), write.Failed...)
	return &out
}

// memberCode is the highest of the members' exit codes.
func (c *invocation) memberCode(rep *fleet.Report) int {
	t := rep.Totals
	switch {
	case t.Failed > 0:
		return cli.Failure
	case t.Denied > 0 || t.Exposed > 0:
		return cli.No
	case c.cmd.name == "plan" && c.detailedExitCode && t.Pending > 0:
		return cli.No
	}
	return cli.OK
}

// runner returns the Runner of the target, and whether writes to it need
// confirmation (anything but the in-memory fake).
func (c *invocation) runner(opts *fleet.Options) (*fleet.Runner, bool, error) {
	switch {
	case c.real:
		if err := c.sdkMemberAudit(opts); err != nil {
			return nil, false, err
		}
		r, err := fleet.NewSDKRunner(opts)
		return r, true, err
	case c.endpoint != "":
		if _, _, err := net.SplitHostPort(c.endpoint); err != nil {
			return nil, false, cli.UsageError(fmt.Sprintf("-endpoint %q: want host:port", c.endpoint))
		}
		scheme, _ := c.sdkTarget()
		opts.Engine.Endpoint, opts.Engine.Scheme = c.endpoint, scheme
		if err := c.sdkMemberAudit(opts); err != nil {
			return nil, false, err
		}
		r, err := fleet.NewSDKRunner(opts)
		return r, true, err
	}
	fmt.Fprintln(c.stderr, "ecsperm: target: an in-memory fake with a demo resource directory (members in fd-Prod01, fd-Web001 below it, fd-Test01); nothing leaves this process (use -real or -endpoint for yours)")
	f := fake.New(nil)
	if err := fake.LoadSeedBytes(f, []byte(cli.DemoDirectory)); err != nil {
		return nil, false, err
	}
	if err := c.fakeMemberAudit(f, opts); err != nil {
		return nil, false, err
	}
	return cli.NewFakeRunner(f, encryptperm.Options{}, opts), false, nil
}

// memberAccesses returns the questions check asks in each member, from the
// grant flags as check reads them for one account.
func (c *invocation) memberAccesses() ([]encryptperm.Access, error) {
	if err := c.resourceFlags(); err != nil {
		return nil, err
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
		return nil, cli.UsageError("-kind is required: share-snapshot, share-image or disk-encryption")
	default:
		return nil, cli.UsageError(fmt.Sprintf("-kind %q: want share-snapshot, share-image or disk-encryption", c.kind))
	}
	if len(c.keys) == 0 && c.image == "" && c.snapshot == "" {
		return nil, cli.UsageError("check needs -key (the key ECS would use), or -image or -snapshot with -region, whose key is then found")
	}
	if c.recipient == "" && (c.recipientRD != "" || c.recipientPath != "") {
		return nil, cli.UsageError("-recipient-rd and -recipient-path describe -recipient: give -recipient too")
	}
	var keys []encryptperm.Key
	for _, arn := range c.keys {
		k, err := encryptperm.ParseKeyARN(arn)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	var recipients []recipient
	switch {
	case c.recipient != "":
		recipients = []recipient{{c.recipient, c.recipientRD, c.recipientPath}}
	case rt == encryptperm.ResourceDisk:
		recipients = []recipient{{}} // ECS of the member itself
	default:
		g, err := c.grant()
		if err != nil {
			return nil, err
		}
		if len(g.Audience.Accounts) == 0 {
			return nil, cli.UsageError("-rd and -folder name no account: give -recipient UID (with -recipient-rd or -recipient-path) to ask about a member of the directory")
		}
		for _, uid := range g.Audience.Accounts {
			recipients = append(recipients, recipient{uid: uid})
		}
	}
	resourceID := c.image + c.snapshot
	if resourceID != "" && len(keys) == 0 {
		keys = []encryptperm.Key{{}} // found from the resource
	}
	var out []encryptperm.Access
	for _, r := range recipients {
		for _, k := range keys {
			out = append(out, encryptperm.Access{Recipient: r.uid, RDID: r.rdID, RDPath: r.rdPath, Resource: rt, Key: k,
				ResourceID: resourceID, Region: c.region})
		}
	}
	return out, nil
}

// pendingMembers lists the members a plan would change, for the question
// before a write.
type pendingMembers struct{ rep *fleet.Report }

func (p pendingMembers) String() string {
	s := fmt.Sprintf("in %d of %d members of %s: %s\n", len(p.rep.Changed), p.rep.Totals.Members, p.rep.Directory, strings.Join(p.rep.Changed, ", "))
	if n := p.rep.Totals.Failed; n > 0 {
		s += fmt.Sprintf("(%d members could not be planned and will be tried again)\n", n)
	}
	return s
}

// memberObserver writes each member's row as it finishes: a line (and its
// changes) on stdout, or an element of the rows of the one JSON document;
// and on stderr a progress line on a terminal, or a log line per member.
// Before a write it is asked to confirm, it shows each member's plan on
// stderr, and puts in the document only the rows of the members with
// nothing to write.
type memberObserver struct {
	mu       sync.Mutex
	c        *invocation
	op       fleet.Op
	review   bool // the plan before a confirmation
	terminal bool // stderr is a terminal
	started  int
	ended    int
	failed   int
	rows     int  // JSON rows written
	progress bool // a progress line is on the terminal
}

func newMemberObserver(c *invocation) *memberObserver {
	o := &memberObserver{c: c}
	if f, ok := c.stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			o.terminal = true
		}
	}
	return o
}

// start begins a run of op, the plan shown before a confirmation when
// review is set.
func (o *memberObserver) start(op fleet.Op, review bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.op, o.review = op, review
	o.started, o.ended, o.failed = 0, 0, 0
}

// StartMember implements fleet.Observer.
func (o *memberObserver) StartMember(_ context.Context, m fleet.Member) func(*fleet.Row) {
	o.mu.Lock()
	o.started++
	o.showProgress()
	o.mu.Unlock()
	return func(row *fleet.Row) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ended++
		if row.Status == fleet.StatusFailed {
			o.failed++
		}
		o.clearProgress()
		switch {
		case o.review:
			o.line(o.c.stderr, row)
			if o.c.json && row.Status != fleet.StatusPending {
				o.jsonRow(row)
			}
		case o.c.json:
			o.jsonRow(row)
		default:
			o.line(o.c.stdout, row)
		}
		if o.terminal {
			o.showProgress()
		} else if !o.review {
			fmt.Fprintf(o.c.stderr, "ecsperm %s: %s %s (%d done)\n", o.c.cmd.name, row.Member.UID, row.Status, o.ended)
		}
	}
}

// showProgress writes the progress line on a terminal.
func (o *memberObserver) showProgress() {
	if !o.terminal {
		return
	}
	fmt.Fprintf(o.c.stderr, "\r\033[Kecsperm %s: %d members done, %d failed, %d running", o.c.cmd.name, o.ended, o.failed, o.started-o.ended)
	o.progress = true
}

// clearProgress takes the progress line off the terminal.
func (o *memberObserver) clearProgress() {
	if o.progress {
		fmt.Fprint(o.c.stderr, "\r\033[K")
		o.progress = false
	}
}

// pause takes the progress line off before a question.
func (o *memberObserver) pause() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clearProgress()
}

func (o *memberObserver) jsonRow(row *fleet.Row) {
	if o.rows == 0 {
		fmt.Fprintf(o.c.stdout, "{\"op\": %q,\n\"rows\": [\n", o.op)
	} else {
		fmt.Fprint(o.c.stdout, ",\n")
	}
	b, err := json.Marshal(row)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"member": row.Member, "status": fleet.StatusFailed, "error": err.Error()})
	}
	o.c.stdout.Write(b)
	o.rows++
}

// line writes a member's row for people.
func (o *memberObserver) line(w io.Writer, row *fleet.Row) {
	m := row.Member
	who := m.UID
	if m.Name != "" && m.Name != m.UID {
		who += " (" + m.Name + ")"
	}
	switch row.Status {
	case fleet.StatusFailed:
		fmt.Fprintf(w, "%s: failed at %s: %s\n", who, row.Stage, row.Error)
		for _, ch := range row.Unknown {
			fmt.Fprintf(w, "  unknown outcome: %s\n", ch)
		}
	case fleet.StatusContained, fleet.StatusExposed:
		paths := 0
		for _, k := range row.Audit.Keys {
			paths += len(k.Paths)
		}
		fmt.Fprintf(w, "%s: %s (%s, %s)\n", who, row.Status, count(len(row.Audit.Keys), "key"), count(paths, "path"))
		for _, f := range row.Audit.Findings {
			if f.Code == audit.FindingOutsideTrustZone {
				fmt.Fprintf(w, "  %s\n", f)
			}
		}
	case fleet.StatusAllowed, fleet.StatusDenied:
		fmt.Fprintf(w, "%s: %s\n", who, row.Status)
		for _, a := range row.Checks {
			if !a.Allowed {
				fmt.Fprintf(w, "  recipient %s: denied (missing: %s)\n", cmpOr(a.Recipient, m.UID), strings.Join(a.Missing, ", "))
			}
		}
	default:
		fmt.Fprintf(w, "%s: %s", who, row.Status)
		if row.Writes > 0 {
			fmt.Fprintf(w, ", %d writes", row.Writes)
		}
		fmt.Fprintln(w)
		for _, ch := range row.Changes {
			fmt.Fprintf(w, "  %s\n", ch)
		}
	}
}

// count writes n with noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// finish ends the output of a run (the totals, and in JSON the rest of the
// one document) and returns the exit code.
func (o *memberObserver) finish(rep *fleet.Report, err error) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clearProgress()
	if rep == nil {
		// Refused before anything was contacted: no row was written.
		return o.c.fail(err)
	}
	code := o.c.memberCode(rep)
	msg := ""
	if err != nil {
		msg = encryptperm.Redact(err.Error())
	}
	if !rep.Complete {
		code = cli.Failure
		fmt.Fprintf(o.c.stderr, "ecsperm %s: the run stopped before every member was worked on: %s\n", o.c.cmd.name, msg)
	} else if rep.Totals.Failed > 0 {
		fmt.Fprintf(o.c.stderr, "ecsperm %s: %d of %d members failed; run the command again once their causes are fixed: it converges only what is left\n",
			o.c.cmd.name, rep.Totals.Failed, rep.Totals.Members)
	}
	if !o.c.json && o.op == fleet.OpAudit {
		t := rep.Totals
		fmt.Fprintf(o.c.stdout, "audit: %d members: %d contained, %d exposed, %d failed, %d skipped\n",
			t.Members, t.Contained, t.Exposed, t.Failed, t.Skipped)
		return code
	}
	if !o.c.json {
		t := rep.Totals
		fmt.Fprintf(o.c.stdout, "%s: %d members: %d unchanged, %d pending, %d changed, %d allowed, %d denied, %d failed, %d skipped; %d writes",
			o.op, t.Members, t.Unchanged, t.Pending, t.Changed, t.Allowed, t.Denied, t.Failed, t.Skipped, t.Writes)
		if t.Unknown > 0 {
			fmt.Fprintf(o.c.stdout, ", %d of unknown outcome", t.Unknown)
		}
		fmt.Fprintln(o.c.stdout)
		return code
	}
	o.jsonTail(map[string]any{"directory": rep.Directory, "complete": rep.Complete, "totals": rep.Totals, "exitCode": code}, msg)
	return code
}

// unconfirmed ends the output when the write was not confirmed: the
// members with changes pending get a row of their own in the document.
func (o *memberObserver) unconfirmed(plan *fleet.Report, code int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.c.json {
		return code
	}
	for _, uid := range plan.Changed {
		o.jsonRow(&fleet.Row{Member: fleet.Member{UID: uid, Directory: plan.Directory}, Status: fleet.StatusPending})
	}
	o.jsonTail(map[string]any{"directory": plan.Directory, "complete": plan.Complete, "totals": plan.Totals,
		"confirmed": false, "exitCode": code}, "")
	return code
}

// jsonTail closes the document's rows and writes its other fields.
func (o *memberObserver) jsonTail(tail map[string]any, msg string) {
	if o.rows == 0 {
		fmt.Fprintf(o.c.stdout, "{\"op\": %q,\n\"rows\": [", o.op)
	}
	if msg != "" {
		tail["error"] = msg
	}
	b, _ := json.Marshal(tail)
	// The tail's fields follow the rows in the same object.
	fmt.Fprintf(o.c.stdout, "\n],\n%s\n", b[1:])
}
