package main

import (
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
)

func main() {
	g, err := encryptperm.ShareSnapshot().
		WithAccounts("2000000000000001", "2000000000000002").
		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}).
		Build()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Role.TrustPolicy.Indent())
	for _, p := range g.Policies {
		fmt.Println(p.Name, p.Document.Indent())
	}
	for _, f := range g.Findings {
		fmt.Println(f)
	}
	_, err = encryptperm.ShareSnapshot().WithAccounts("12", "*", "2000000000000001@x").WithFolder("rd-a/r-b/fd-c*").WithServiceKey().WithKey(encryptperm.Key{Region: "CN", Owner: "1", ID: "alias/x"}).Build()
	fmt.Println(err)
}
