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

func main() {
	rd := flag.String("rd", "", "resource directory ID (rd-...) to share with")
	folder := flag.String("folder", "rd-3GabcD/r-Wm12cd/fd-bOnB34ef", "folder path rd-.../r-.../fd-... to share with")
	keyARN := flag.String("key", "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "ARN of the customer key that encrypts the image")
	real := flag.Bool("real", false, "apply to real RAM with the SDK's default credentials")
	flag.Parse()

	b := encryptperm.ShareImage().WithKeyARN(*keyARN)
	if *rd != "" {
		b.WithResourceDirectory(*rd)
	}
	if *folder != "" {
		b.WithFolder(*folder)
	}
	g, err := b.Build()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range g.Findings {
		fmt.Println("finding:", f)
	}
	fmt.Println(g.Role.TrustPolicy.Indent())

	var applier encryptperm.Applier
	if *real {
		if applier, err = encryptperm.NewRAMApplier(nil); err != nil {
			log.Fatal(err)
		}
	} else {
		fmt.Fprintln(os.Stderr, "using the in-memory fake RAM (pass -real for real RAM)")
		applier = encryptperm.NewApplier(fake.New(nil), nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := applier.Apply(ctx, g)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Changes {
		fmt.Println(c)
	}
}
