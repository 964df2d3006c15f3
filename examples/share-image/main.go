package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// demoSeed is the fake's world: a key, the image it encrypts, and a
// resource directory with one member account.
const demoSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true,
   "members": ["2234567890123456"], "folders": ["r-Wm12cd", "fd-bOnB34ef"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`

// demoMember is an account of the fake's directory.
const demoMember = "2234567890123456"

func main() {
	accounts := flag.String("accounts", "2000000000000001,2000000000000002,2000000000000003", "comma-separated recipient account UIDs (none by default with -rd or -folder)")
	rd := flag.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := flag.String("folder", "", "folder path rd-.../r-.../fd-... to share with")
	region := flag.String("region", "cn-hangzhou", "the image's region")
	image := flag.String("image", "m-bp1shared01", "ID of the image to share")
	keyARN := flag.String("key", "", "ARN of the key that encrypts the image; empty: found from the image")
	real := flag.Bool("real", false, "share for real, with the SDK's default credentials")
	dryRun := flag.Bool("dry-run", false, "print the plan and stop")
	flag.Parse()

	b := encryptperm.ShareImage().WithImage(*region, *image)
	if *accounts != "" && (!flagSet("rd") && !flagSet("folder") || flagSet("accounts")) {
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
		log.Fatal(err) // every problem, each with its field
	}
	applier, err := newApplier(*real)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	plan, err := applier.Plan(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	if *dryRun {
		return
	}
	res, err := applier.ApplyPlan(ctx, plan)
	if err != nil {
		if d, ok := encryptperm.DiagnoseError(err); ok {
			fmt.Fprintf(os.Stderr, "%s: %s\n", d.Code, d.Cause)
		}
		log.Fatal(err)
	}
	fmt.Printf("applied with %d writes\n", res.Writes)

	recipients := g.Audience.Accounts
	rdID := ""
	if len(recipients) == 0 && !*real {
		recipients, rdID = []string{demoMember}, "rd-3GabcD"
	}
	for _, uid := range recipients {
		access := encryptperm.Access{Recipient: uid, RDID: rdID, Resource: encryptperm.ResourceImage, ResourceID: *image, Region: *region}
		if *folder != "" {
			access.RDPath = *folder + "/"
		}
		d, err := applier.(encryptperm.Checker).Check(ctx, access)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("account %s: allowed=%v: %s\n", uid, d.Allowed, d.Reason)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func newApplier(real bool) (encryptperm.Applier, error) {
	if real {
		return encryptperm.NewRAMApplier(nil)
	}
	fmt.Fprintln(os.Stderr, "using the in-memory fake (pass -real for Alibaba Cloud)")
	f := fake.New(nil)
	if err := fake.LoadSeedBytes(f, []byte(demoSeed)); err != nil {
		return nil, err
	}
	return encryptperm.NewApplier(f, nil), nil
}
