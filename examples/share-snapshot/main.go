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

// demoSeed is the fake's world: a key, the snapshot it encrypts, and a
// resource directory with one member account.
const demoSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}]}`

func main() {
	accounts := flag.String("accounts", "2000000000000001,2234567890123456", "comma-separated recipient account UIDs")
	region := flag.String("region", "cn-hangzhou", "the snapshot's region")
	snapshot := flag.String("snapshot", "s-bp1shared01", "ID of the snapshot to share")
	keyARN := flag.String("key", "", "ARN of the key that encrypts the snapshot; empty: found from the snapshot")
	real := flag.Bool("real", false, "share for real, with the SDK's default credentials")
	dryRun := flag.Bool("dry-run", false, "print the plan and stop")
	flag.Parse()

	b := encryptperm.ShareSnapshot().
		WithSnapshot(*region, *snapshot).
		WithAccounts(strings.Split(*accounts, ",")...)
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
	for _, c := range res.Changes {
		if c.Kind == encryptperm.Note {
			fmt.Println(c)
		}
	}
	for _, uid := range g.Audience.Accounts {
		d, err := applier.(encryptperm.Checker).Check(ctx, encryptperm.Access{
			Recipient: uid, Resource: encryptperm.ResourceSnapshot, ResourceID: *snapshot, Region: *region,
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("account %s: allowed=%v: %s\n", uid, d.Allowed, d.Reason)
	}
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
