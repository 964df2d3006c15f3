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

func main() {
	accounts := flag.String("accounts", "2000000000000001,2000000000000002", "comma-separated recipient account UIDs")
	keyARN := flag.String("key", "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "ARN of the customer key that encrypts the snapshot")
	real := flag.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	dryRun := flag.Bool("dry-run", false, "print the plan and stop")
	flag.Parse()

	g, err := encryptperm.ShareSnapshot().
		WithAccounts(strings.Split(*accounts, ",")...).
		WithKeyARN(*keyARN).
		Build()
	if err != nil {
		log.Fatal(err) // lists every problem, each with its field
	}

	applier, err := newApplier(*real)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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
		log.Fatal(err)
	}
	fmt.Printf("applied %d changes with %d writes\n", len(res.Changes), res.Writes)
}

func newApplier(real bool) (encryptperm.Applier, error) {
	if real {
		return encryptperm.NewRAMApplier(nil)
	}
	fmt.Fprintln(os.Stderr, "using the in-memory fake RAM (pass -real for real RAM)")
	return encryptperm.NewApplier(fake.New(nil), nil), nil
}
