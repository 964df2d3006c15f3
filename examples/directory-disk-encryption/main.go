package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/fleet"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const prog = "directory-disk-encryption"

// printer prints a line per member as it finishes, one at a time.
type printer struct {
	mu  sync.Mutex
	out io.Writer
	op  fleet.Op
}

func (p *printer) StartMember(context.Context, fleet.Member) func(*fleet.Row) {
	return func(row *fleet.Row) {
		p.mu.Lock()
		defer p.mu.Unlock()
		m := row.Member
		who := m.UID
		if m.Name != "" && m.Name != m.UID {
			who += " (" + m.Name + ")"
		}
		switch {
		case row.Status == fleet.StatusFailed:
			fmt.Fprintf(p.out, "%s: failed at %s: %s\n", who, row.Stage, row.Error)
		case p.op == fleet.OpPlan && row.Status == fleet.StatusPending:
			fmt.Fprintf(p.out, "%s: %d changes pending\n", who, len(row.Changes))
			for _, c := range row.Changes {
				fmt.Fprintf(p.out, "  %s\n", c)
			}
		case p.op == fleet.OpPlan:
			fmt.Fprintf(p.out, "%s: no changes\n", who)
		default:
			fmt.Fprintf(p.out, "%s: %s, %d writes\n", who, row.Status, row.Writes)
		}
	}
}

// run is the command: it parses args, prints the plan and the outcome per
// member to stdout and errors to stderr, reads a confirmation from stdin
// when it writes to a real directory, and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	folder := fs.String("folder", "", "the folder whose members get the role, fd-... (demo: fd-Prod01; required with -real)")
	subfolders := fs.Bool("subfolders", true, "include the members of the folders below -folder")
	exclude := fs.String("exclude", "", "member UIDs to leave out, comma-separated")
	concurrency := fs.Int("concurrency", fleet.DefaultConcurrency, "members worked on at once")
	real := fs.Bool("real", false, "work in your directory with the SDK's default credentials (a RAM user or role of the management account)")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return cli.Report(stderr, prog, cli.UsageError("unexpected arguments: "+strings.Join(fs.Args(), " ")))
	}
	if err := cli.RequireForReal(*real, cli.Flag{Name: "folder", Value: *folder}); err != nil {
		return cli.Report(stderr, prog, err)
	}
	if *folder == "" {
		*folder = "fd-Prod01"
	}
	if *concurrency < 1 {
		return cli.Report(stderr, prog, cli.UsageError(fmt.Sprintf("-concurrency %d: want 1 or more", *concurrency)))
	}
	sc := fleet.Scope{Folders: []string{*folder}, Direct: !*subfolders}
	for _, u := range strings.Split(*exclude, ",") {
		if u = strings.TrimSpace(u); u != "" {
			sc.Exclude = append(sc.Exclude, u)
		}
	}
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	p := &printer{out: stdout, op: fleet.OpPlan}
	opts := &fleet.Options{
		Grants:      func(fleet.Member) ([]*encryptperm.Grant, error) { return []*encryptperm.Grant{g}, nil },
		Concurrency: *concurrency,
		Observer:    p,
	}
	var r *fleet.Runner
	if *real {
		if r, err = fleet.NewSDKRunner(opts); err != nil {
			return cli.Report(stderr, prog, err)
		}
	} else {
		fmt.Fprintln(stderr, "using the in-memory fake (a demo directory; pass -real for your own)")
		f := fake.New(nil)
		if err := fake.LoadSeedBytes(f, []byte(cli.DemoDirectory)); err != nil {
			return cli.Report(stderr, prog, err)
		}
		r = cli.NewFakeRunner(f, encryptperm.Options{}, opts)
	}

	rep, err := r.Plan(ctx, sc)
	if code, stop := stopped(stderr, rep, err); stop {
		return code
	}
	fmt.Fprintf(stdout, "plan: %d members, %d to change, %d failed\n", rep.Totals.Members, rep.Totals.Pending, rep.Totals.Failed)
	if rep.Totals.Pending == 0 {
		return exit(stderr, rep)
	}
	if *real && !*yes {
		ok, cerr := cli.Confirm(stdin, stderr, prog, changing{rep})
		if cerr != nil {
			return cli.Report(stderr, prog, cerr)
		}
		if !ok {
			return cli.No
		}
	}
	p.mu.Lock()
	p.op = fleet.OpApply
	p.mu.Unlock()
	rep, err = r.Apply(ctx, sc)
	if code, stop := stopped(stderr, rep, err); stop {
		return code
	}
	fmt.Fprintf(stdout, "apply: %d members, %d changed, %d unchanged, %d failed, %d writes\n",
		rep.Totals.Members, rep.Totals.Changed, rep.Totals.Unchanged, rep.Totals.Failed, rep.Totals.Writes)
	return exit(stderr, rep)
}

// changing lists the members a plan would change, for the confirmation.
type changing struct{ rep *fleet.Report }

func (c changing) String() string {
	return fmt.Sprintf("the disk-encryption role in %d members: %s\n", len(c.rep.Changed), strings.Join(c.rep.Changed, ", "))
}

// stopped reports a run that did not reach every member: a scope refused
// before any call (exit 2), or a listing, credential or context failure
// (exit 3).
func stopped(stderr io.Writer, rep *fleet.Report, err error) (int, bool) {
	switch {
	case rep == nil:
		return cli.Report(stderr, prog, err), true
	case !rep.Complete:
		return cli.Report(stderr, prog, &cli.ReadError{Err: err}), true
	}
	return 0, false
}

// exit reports the members that failed, and returns 3 when one did.
func exit(stderr io.Writer, rep *fleet.Report) int {
	if rep.Totals.Failed == 0 {
		return cli.OK
	}
	fmt.Fprintf(stderr, "%s: %d of %d members failed; run the command again once their causes are fixed: it converges only what is left\n", prog, rep.Totals.Failed, rep.Totals.Members)
	for _, row := range rep.Failed {
		fmt.Fprintf(stderr, "  %s: %s\n", row.Member.UID, row.Error)
	}
	return cli.Failure
}
