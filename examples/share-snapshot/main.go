package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

// The demo values, used only against the in-memory fake.
const (
	demoAccounts = "2000000000000001,2000000000000002"
	demoKey      = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes its report to stdout and its
// errors to stderr, reads a confirmation from stdin when it writes to real
// RAM, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "share-snapshot"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "", "comma-separated recipient account UIDs (required with -real; the fake uses "+demoAccounts+")")
	keyARN := fs.String("key", "", "ARN of the customer key that encrypts the snapshot (required with -real; the fake uses a demo key)")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cli.OK
		}
		return cli.Usage
	}
	if err := cli.RequireForReal(*real, cli.Flag{Name: "accounts", Value: *accounts}, cli.Flag{Name: "key", Value: *keyARN}); err != nil {
		return cli.Report(stderr, prog, err)
	}
	if !*real {
		if *accounts == "" {
			*accounts = demoAccounts
		}
		if *keyARN == "" {
			*keyARN = demoKey
		}
	}

	g, err := encryptperm.ShareSnapshot().
		WithAccounts(strings.Split(*accounts, ",")...).
		WithKeyARN(*keyARN).
		Build()
	if err != nil {
		return cli.Report(stderr, prog, err) // lists every problem, each with its field
	}

	applier, err := newApplier(*real, stderr)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	plan, err := applier.Plan(ctx, g)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	fmt.Fprint(stdout, plan)
	if *dryRun || plan.Empty() {
		return cli.OK
	}
	if *real && !*yes {
		ok, err := cli.Confirm(stdin, stderr, prog, plan)
		if err != nil {
			return cli.Report(stderr, prog, err)
		}
		if !ok {
			return cli.No
		}
	}
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	fmt.Fprintf(stdout, "applied %d changes with %d writes\n", len(res.Changes), res.Writes)
	return cli.OK
}

func newApplier(real bool, stderr io.Writer) (encryptperm.Applier, error) {
	if real {
		return encryptperm.NewRAMApplier(nil)
	}
	fmt.Fprintln(stderr, "using the in-memory fake RAM and demo values (pass -real for real RAM)")
	return encryptperm.NewApplier(fake.New(nil), nil), nil
}
