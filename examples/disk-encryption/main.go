package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

type keyList []string

func (k *keyList) String() string     { return fmt.Sprint(*k) }
func (k *keyList) Set(s string) error { *k = append(*k, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the plan to stdout and errors
// to stderr, reads a confirmation from stdin when it writes to real RAM, and
// returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "disk-encryption"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys keyList
	fs.Var(&keys, "key", "ARN of a customer key ECS may use (repeatable); without it, the console's system policy on every key")
	allKeys := fs.Bool("all-keys", false, "with -real and no -key, confirm that the console's system policy, on every key, is meant")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	detach := fs.Bool("detach-broader", false, "detach AliyunECSDiskEncryptRolePolicy when keys are named")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if *real && len(keys) == 0 && !*allKeys {
		return cli.Report(stderr, prog, cli.UsageError("-real needs -key, or -all-keys for the console's system policy on every key"))
	}
	if len(keys) > 0 && *allKeys {
		return cli.Report(stderr, prog, cli.UsageError("give -key or -all-keys, not both"))
	}

	b := encryptperm.DiskEncryption()
	for _, k := range keys {
		b.WithKeyARN(k)
	}
	g, err := b.Build()
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	opts := &encryptperm.Options{DetachBroaderPolicies: *detach, CheckCredentials: true}
	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(opts); err != nil {
			return cli.Report(stderr, prog, err)
		}
	} else {
		fmt.Fprintln(stderr, "using the in-memory fake RAM (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan, err := applier.Plan(ctx, g)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	fmt.Fprint(stdout, plan)
	if plan.Empty() {
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
	if _, err := applier.ApplyPlan(ctx, plan); err != nil {
		return cli.Report(stderr, prog, err)
	}
	return cli.OK
}
