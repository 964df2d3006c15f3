package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

// The demo values, used only against the in-memory fake.
const (
	demoFolder = "rd-3GabcD/r-Wm12cd/fd-bOnB34ef"
	demoKey    = "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the findings, the trust policy
// and the changes to stdout and errors to stderr, reads a confirmation from
// stdin when it writes to real RAM, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "share-image-rd"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	rd := fs.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := fs.String("folder", "", "folder path rd-.../r-.../fd-... to share with (the fake uses "+demoFolder+" when neither -rd nor -folder is given)")
	keyARN := fs.String("key", "", "ARN of the customer key that encrypts the image (required with -real; the fake uses a demo key)")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cli.OK
		}
		return cli.Usage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := cli.RequireForReal(*real, cli.Flag{Name: "key", Value: *keyARN}); err != nil {
		return cli.Report(stderr, prog, err)
	}
	if *real && *rd == "" && *folder == "" {
		return cli.Report(stderr, prog, cli.UsageError("-real needs -rd or -folder: against real RAM no demo value is used"))
	}
	if !*real {
		if !given["rd"] && !given["folder"] {
			*folder = demoFolder
		}
		if *keyARN == "" {
			*keyARN = demoKey
		}
	}

	b := encryptperm.ShareImage().WithKeyARN(*keyARN)
	if *rd != "" {
		b.WithResourceDirectory(*rd)
	}
	if *folder != "" {
		b.WithFolder(*folder)
	}
	g, err := b.Build()
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	for _, f := range g.Findings {
		fmt.Fprintln(stdout, "finding:", f)
	}
	fmt.Fprintln(stdout, g.Role.TrustPolicy.Indent())

	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(nil); err != nil {
			return cli.Report(stderr, prog, err)
		}
	} else {
		fmt.Fprintln(stderr, "using the in-memory fake RAM and demo values (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan, err := applier.Plan(ctx, g)
	if err != nil {
		return cli.Report(stderr, prog, err)
	}
	if plan.Empty() {
		fmt.Fprint(stdout, plan)
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
	for _, c := range res.Changes {
		fmt.Fprintln(stdout, c)
	}
	return cli.OK
}
