package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

// The placeholders of the ECS page "Encryption-related permissions", filled
// in with demo values.
var (
	key = encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		os.Exit(cli.Report(os.Stderr, "quickstart", err))
	}
}

func run(ctx context.Context, w io.Writer) error {
	grants, err := build()
	if err != nil {
		return err
	}
	for _, g := range grants {
		printGrant(w, g)
	}

	ram := fake.New(&fake.Options{AccountID: key.Owner})
	applier := encryptperm.NewApplier(ram, nil)

	section(w, "plan (nothing written yet)")
	plan, err := applier.Plan(ctx, grants...)
	if err != nil {
		return err
	}
	fmt.Fprint(w, plan)

	section(w, "apply")
	res, err := applier.Apply(ctx, grants...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d changes, %s, %d writes\n", len(res.Changes), cli.CallCounts(res.Calls), res.Writes)

	section(w, "apply again")
	res, err = applier.Apply(ctx, grants...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d changes, %s, %d writes\n", len(res.Changes), cli.CallCounts(res.Calls), res.Writes)

	section(w, "what the fake RAM holds now")
	for _, r := range ram.Roles() {
		atts, _ := ram.AttachmentsOf(r.Name)
		fmt.Fprintf(w, "role %s:", r.Name)
		for _, a := range atts {
			fmt.Fprintf(w, " %s(%s)", a.PolicyName, a.PolicyType)
		}
		fmt.Fprintln(w)
	}

	section(w, "revoke")
	res, err = applier.Revoke(ctx, grants...)
	if err != nil {
		return err
	}
	for _, c := range res.Changes {
		fmt.Fprintln(w, c)
	}
	fmt.Fprintf(w, "roles left: %d\n", len(ram.Roles()))
	return nil
}

// build makes the grants of the ECS page "Encryption-related permissions": a snapshot shared with two
// accounts, an image shared with a resource directory and with one of its
// folders, and disk encryption scoped to one key.
func build() ([]*encryptperm.Grant, error) {
	snap, err := encryptperm.ShareSnapshot().
		WithAccounts("2000000000000001", "2000000000000002").
		WithKey(key).
		Build()
	if err != nil {
		return nil, err
	}
	imgRD, err := encryptperm.ShareImage().
		WithResourceDirectory("rd-3GabcD").
		WithKey(key).
		Build()
	if err != nil {
		return nil, err
	}
	imgFolder, err := encryptperm.ShareImage().
		WithFolder("rd-3GabcD/r-Wm12cd/fd-bOnB34ef").
		WithKey(key).
		Build()
	if err != nil {
		return nil, err
	}
	disk, err := encryptperm.DiskEncryption().WithKey(key).Build()
	if err != nil {
		return nil, err
	}
	return []*encryptperm.Grant{snap, imgRD, imgFolder, disk}, nil
}

func printGrant(w io.Writer, g *encryptperm.Grant) {
	section(w, fmt.Sprintf("%s: role %s", g.Kind, g.Role.Name))
	fmt.Fprintln(w, "trust policy:")
	fmt.Fprintln(w, g.Role.TrustPolicy.Indent())
	for _, p := range g.Policies {
		if p.Document == nil {
			fmt.Fprintf(w, "attach %s policy %s\n", p.Type, p.Name)
			continue
		}
		fmt.Fprintf(w, "%s policy %s:\n%s\n", p.Type, p.Name, p.Document.Indent())
	}
	for _, f := range g.Findings {
		fmt.Fprintln(w, "finding:", f)
	}
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n== %s\n", title)
}
