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

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the findings, the trust policy
// and the changes to stdout and errors to stderr, and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("share-image-rd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rd := fs.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := fs.String("folder", "rd-3GabcD/r-Wm12cd/fd-bOnB34ef", "folder path rd-.../r-.../fd-... to share with")
	keyARN := fs.String("key", "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "ARN of the customer key that encrypts the image")
	real := fs.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, err)
		return 1
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
		return fail(err)
	}
	for _, f := range g.Findings {
		fmt.Fprintln(stdout, "finding:", f)
	}
	fmt.Fprintln(stdout, g.Role.TrustPolicy.Indent())

	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(nil); err != nil {
			return fail(err)
		}
	} else {
		fmt.Fprintln(stderr, "using the in-memory fake RAM (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := applier.Apply(ctx, g)
	if err != nil {
		return fail(err)
	}
	for _, c := range res.Changes {
		fmt.Fprintln(stdout, c)
	}
	return 0
}
