package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

type keyList []string

func (k *keyList) String() string     { return fmt.Sprint(*k) }
func (k *keyList) Set(s string) error { *k = append(*k, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the plan to stdout and errors
// to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("disk-encryption", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys keyList
	fs.Var(&keys, "key", "ARN of a customer key ECS may use (repeatable)")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	detach := fs.Bool("detach-broader", false, "detach AliyunECSDiskEncryptRolePolicy when keys are named")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(keys) == 0 {
		keys = keyList{"acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc"}
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, err)
		return 1
	}

	b := encryptperm.DiskEncryption()
	for _, k := range keys {
		b.WithKeyARN(k)
	}
	g, err := b.Build()
	if err != nil {
		return fail(err)
	}
	opts := &encryptperm.Options{DetachBroaderPolicies: *detach}
	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(opts); err != nil {
			return fail(err)
		}
	} else {
		fmt.Fprintln(stderr, "using the in-memory fake RAM (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan, err := applier.Plan(ctx, g)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, plan)
	if _, err := applier.ApplyPlan(ctx, plan); err != nil {
		return fail(err)
	}
	return 0
}
