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

// The demo values, used only against the in-memory fake: three accounts,
// and the fake's world (a key, the image it encrypts, and a resource
// directory with one member account, its root and one folder).
const (
	demoAccounts = "2000000000000001,2000000000000002,2000000000000003"
	demoRegion   = "cn-hangzhou"
	demoImage    = "m-bp1shared01"
	demoRD       = "rd-3GabcD"
	demoMember   = "2234567890123456"
	demoSeed     = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true,
   "members": ["2234567890123456"], "folders": ["r-Wm12cd", "fd-bOnB34ef"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the plan, the result and each
// recipient's check to stdout and errors to stderr, reads a confirmation
// from stdin when it writes for real, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const prog = "share-image"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "", "comma-separated recipient account UIDs (the fake uses "+demoAccounts+" when no audience is given)")
	rd := fs.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := fs.String("folder", "", "folder path rd-.../r-.../fd-... to share with")
	region := fs.String("region", "", "the image's region (required with -real; the fake uses "+demoRegion+")")
	image := fs.String("image", "", "ID of the image to share (required with -real; the fake uses "+demoImage+")")
	keyARN := fs.String("key", "", "ARN of the key that encrypts the image; empty: found from the image")
	real := fs.Bool("real", false, "share for real, with the SDK's default credentials")
	yes := fs.Bool("yes", false, "with -real, write without asking for confirmation")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if err := cli.RequireForReal(*real, cli.Flag{Name: "image", Value: *image}, cli.Flag{Name: "region", Value: *region}); err != nil {
		return cli.Report(stderr, prog, err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if *real && *accounts == "" && *rd == "" && *folder == "" {
		return cli.Report(stderr, prog, cli.UsageError("-real needs -accounts, -rd or -folder: against real RAM no demo value is used"))
	}
	if !*real {
		if !given["accounts"] && !given["rd"] && !given["folder"] {
			*accounts = demoAccounts
		}
		if *region == "" {
			*region = demoRegion
		}
		if *image == "" {
			*image = demoImage
		}
	}

	b := encryptperm.ShareImage().WithImage(*region, *image)
	if *accounts != "" {
		b.WithAccounts(strings.Split(*accounts, ",")...)
	}
	if *rd != "" {
		b.WithResourceDirectory(*rd)
	}
	if *folder != "" {
		b.WithFolder(*folder)
	}
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

	type recipient struct{ uid, rdID, rdPath string }
	var recipients []recipient
	for _, uid := range g.Audience.Accounts {
		recipients = append(recipients, recipient{uid: uid})
	}
	if len(recipients) == 0 && !*real {
		// The fake's directory member, reached through the directory or
		// the folder.
		r := recipient{uid: demoMember, rdID: demoRD}
		if *folder != "" {
			r.rdPath = *folder + "/"
		}
		recipients = append(recipients, r)
	}
	for _, r := range recipients {
		d, err := applier.Check(ctx, encryptperm.Access{
			Recipient: r.uid, RDID: r.rdID, RDPath: r.rdPath,
			Resource: encryptperm.ResourceImage, ResourceID: *image, Region: *region,
		})
		if err != nil {
			return cli.Report(stderr, prog, contact.Mark(err))
		}
		fmt.Fprintf(stdout, "account %s: allowed=%v: %s\n", r.uid, d.Allowed, d.Reason)
	}
	return cli.OK
}
