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

// demoSeed is the fake's world: a key, the image it encrypts, and a
// resource directory with one member account, its root and one folder.
const demoSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true,
   "members": ["2234567890123456"], "folders": ["r-Wm12cd", "fd-bOnB34ef"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`

// demoMember is an account of the fake's directory, checked after a
// directory or folder share.
const demoMember = "2234567890123456"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the plan, the result and each
// recipient's check to stdout and errors to stderr, and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("share-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "2000000000000001,2000000000000002,2000000000000003", "comma-separated recipient account UIDs (none by default with -rd or -folder)")
	rd := fs.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := fs.String("folder", "", "folder path rd-.../r-.../fd-... to share with")
	region := fs.String("region", "cn-hangzhou", "the image's region")
	image := fs.String("image", "m-bp1shared01", "ID of the image to share")
	keyARN := fs.String("key", "", "ARN of the key that encrypts the image; empty: found from the image")
	real := fs.Bool("real", false, "share for real, with the SDK's default credentials")
	dryRun := fs.Bool("dry-run", false, "print the plan and stop")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fail := func(err error) int {
		if d, ok := encryptperm.DiagnoseError(err); ok {
			fmt.Fprintf(stderr, "%s: %s\n", d.Code, d.Cause)
		}
		fmt.Fprintln(stderr, err) // every problem, each with its field
		return 1
	}

	b := encryptperm.ShareImage().WithImage(*region, *image)
	if *accounts != "" && (set["accounts"] || !set["rd"] && !set["folder"]) {
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

	type recipient struct{ uid, rdID, rdPath string }
	var recipients []recipient
	for _, uid := range g.Audience.Accounts {
		recipients = append(recipients, recipient{uid: uid})
	}
	if len(recipients) == 0 && !*real {
		r := recipient{uid: demoMember, rdID: "rd-3GabcD"}
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
			return fail(err)
		}
		fmt.Fprintf(stdout, "account %s: allowed=%v: %s\n", r.uid, d.Allowed, d.Reason)
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
