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
	"github.com/ecsperm/ecsperm/examples/internal/cli"
)

// The demo values, used only against the in-memory fake: a directory member
// and an account outside the directory, and the fake's world (a key, the
// snapshot it encrypts, and a resource directory with that member).
const (
	demoAccounts = "2000000000000001,2234567890123456"
	demoRegion   = "cn-hangzhou"
	demoSnapshot = "s-bp1shared01"
	demoSeed     = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes its report to stdout and its
// errors to stderr, reads a confirmation from stdin when it writes for
// real, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "share-snapshot"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "", "comma-separated recipient account UIDs (required with -real; the fake uses "+demoAccounts+")")
	region := fs.String("region", "", "the snapshot's region (required with -real; the fake uses "+demoRegion+")")
	snapshot := fs.String("snapshot", "", "ID of the snapshot to share (required with -real; the fake uses "+demoSnapshot+")")
	keyARN := fs.String("key", "", "ARN of the key that encrypts the snapshot; empty: found from the snapshot")
	real := fs.Bool("real", false, "share for real, with the SDK's default credentials")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if err := cli.RequireForReal(*real, cli.Flag{Name: "accounts", Value: *accounts},
		cli.Flag{Name: "snapshot", Value: *snapshot}, cli.Flag{Name: "region", Value: *region}); err != nil {
		return cli.Report(stderr, prog, err)
	}
	if !*real {
		if *accounts == "" {
			*accounts = demoAccounts
		}
		if *region == "" {
			*region = demoRegion
		}
		if *snapshot == "" {
			*snapshot = demoSnapshot
		}
	}

	b := encryptperm.ShareSnapshot().
		WithSnapshot(*region, *snapshot).
		WithAccounts(strings.Split(*accounts, ",")...)
	if *keyARN != "" {
		b.WithKeyARN(*keyARN)
	}
	g, err := b.Build()
	if err != nil {
		return cli.Report(stderr, prog, err) // lists every problem, each with its field
	}
	contact := &cli.Contact{}
	applier, err := cli.NewShareApplier(*real, demoSeed, stderr, contact)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, code := cli.PlanAndApply(ctx, applier, g, cli.Steps{
		Prog: prog, Stdin: stdin, Stdout: stdout, Stderr: stderr, DryRun: *dryRun, Ask: *real && !*yes, Contact: contact,
	})
	if res == nil {
		return code
	}
	for _, c := range res.Changes {
		if c.Kind == encryptperm.Note {
			fmt.Fprintln(stdout, c)
		}
	}
	for _, uid := range g.Audience.Accounts {
		d, err := applier.Check(ctx, encryptperm.Access{
			Recipient: uid, Resource: encryptperm.ResourceSnapshot, ResourceID: *snapshot, Region: *region,
		})
		if err != nil {
			return cli.Report(stderr, prog, contact.Mark(err))
		}
		fmt.Fprintf(stdout, "account %s: allowed=%v: %s\n", uid, d.Allowed, d.Reason)
	}
	return cli.OK
}
