package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

type keyList []string

func (k *keyList) String() string     { return fmt.Sprint(*k) }
func (k *keyList) Set(s string) error { *k = append(*k, s); return nil }

func main() {
	var keys keyList
	flag.Var(&keys, "key", "ARN of a customer key ECS may use (repeatable)")
	real := flag.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	detach := flag.Bool("detach-broader", false, "detach AliyunECSDiskEncryptRolePolicy when keys are named")
	flag.Parse()
	if len(keys) == 0 {
		keys = keyList{"acs:kms:cn-hangzhou:1234567890123456:key/key-hz01abc"}
	}

	b := encryptperm.DiskEncryption()
	for _, k := range keys {
		b.WithKeyARN(k)
	}
	g, err := b.Build()
	if err != nil {
		log.Fatal(err)
	}
	opts := &encryptperm.Options{DetachBroaderPolicies: *detach}
	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(opts); err != nil {
			log.Fatal(err)
		}
	} else {
		fmt.Fprintln(os.Stderr, "using the in-memory fake RAM (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan, err := applier.Plan(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	if _, err := applier.ApplyPlan(ctx, plan); err != nil {
		log.Fatal(err)
	}
}
