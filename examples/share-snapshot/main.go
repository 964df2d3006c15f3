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

// demoSeed is the fake's world: a key, the snapshot it encrypts, and a
// resource directory with one member account.
const demoSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes its report to stdout and its
// errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("share-snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "2000000000000001,2234567890123456", "comma-separated recipient account UIDs")
	region := fs.String("region", "cn-hangzhou", "the snapshot's region")
	snapshot := fs.String("snapshot", "s-bp1shared01", "ID of the snapshot to share")
	keyARN := fs.String("key", "", "ARN of the key that encrypts the snapshot; empty: found from the snapshot")
	real := fs.Bool("real", false, "share for real, with the SDK's default credentials")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		if d, ok := encryptperm.DiagnoseError(err); ok {
			fmt.Fprintf(stderr, "%s: %s\n", d.Code, d.Cause)
		}
		fmt.Fprintln(stderr, err) // every problem, each with its field
		return 1
	}

	b := encryptperm.ShareSnapshot().
		WithSnapshot(*region, *snapshot).
		WithAccounts(strings.Split(*accounts, ",")...)
	if *keyARN != "" {
		b.WithKeyARN(*keyARN)
	}
	g, err := b.Build()
	if err != nil {
		return fail(err)
	}
	applier, err := newApplier(*real, stderr)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	plan, err := applier.Plan(ctx, g)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, plan)
	if *dryRun {
		return 0
	}
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "applied with %d writes\n", res.Writes)
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
			return fail(err)
		}
		fmt.Fprintf(stdout, "account %s: allowed=%v: %s\n", uid, d.Allowed, d.Reason)
	}
	return 0
}

func newApplier(real bool, stderr io.Writer) (encryptperm.Applier, error) {
	if real {
		return encryptperm.NewRAMApplier(nil)
	}
	fmt.Fprintln(stderr, "using the in-memory fake (pass -real for Alibaba Cloud)")
	f := fake.New(nil)
	if err := fake.LoadSeedBytes(f, []byte(demoSeed)); err != nil {
		return nil, err
	}
	return encryptperm.NewApplier(f, nil), nil
}
