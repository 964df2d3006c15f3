package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes its report to stdout and its
// errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("share-snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "2000000000000001,2000000000000002", "comma-separated recipient account UIDs")
	keyARN := fs.String("key", "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "ARN of the customer key that encrypts the snapshot")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	g, err := encryptperm.ShareSnapshot().
		WithAccounts(strings.Split(*accounts, ",")...).
		WithKeyARN(*keyARN).
		Build()
	if err != nil {
		fmt.Fprintln(stderr, err) // lists every problem, each with its field
		return 1
	}

	applier, err := newApplier(*real, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	plan, err := applier.Plan(ctx, g)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, plan)
	if *dryRun {
		return 0
	}
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "applied %d changes with %d writes\n", len(res.Changes), res.Writes)
	return 0
}

func newApplier(real bool, stderr io.Writer) (encryptperm.Applier, error) {
	if real {
		return encryptperm.NewRAMApplier(nil)
	}
	fmt.Fprintln(stderr, "using the in-memory fake RAM (pass -real for real RAM)")
	return encryptperm.NewApplier(fake.New(nil), nil), nil
}
