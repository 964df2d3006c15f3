package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/examples/internal/cli"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	demoKeyARN   = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzdemo01"
	demoAccount  = "2000000000000001"
	demoStranger = "2000000000000099"
	demoImage    = "m-bpdemo01"
	demoSnapshot = "s-bpdemo01"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it parses args, writes the decisions to stdout and
// errors to stderr, and returns the exit status: 0 when access is allowed
// (or a code was explained), 1 when it is not, 2 for a usage or validation
// error, 3 for a RAM, network or credential error.
func run(args []string, stdout, stderr io.Writer) int {
	const prog = "doctor"
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		account = fs.String("account", "", "UID of the account whose ECS uses the key (required with -real for snapshot and image; the fake uses "+demoAccount+")")
		rdID    = fs.String("rd-id", "", "the account's resource directory ID (rd-...), if any")
		rdPath  = fs.String("rd-path", "", "the account's resource directory path (rd-.../r-.../fd-...), if any")
		keyARN  = fs.String("key", "", "ARN of the customer key, acs:kms:<region>:<owner>:key/<id> (required with -real; the fake uses a demo key)")
		typ     = fs.String("type", "image", "what is shared: snapshot or image (disk: the owner's own encryption)")
		role    = fs.String("role", "", "role name, when not the default for -type")
		useReal = fs.Bool("real", false, "read real RAM with credentials from the environment instead of the fake")
		code    = fs.String("code", "", "explain an ECS or KMS error code and exit")
		timeout = fs.Duration("timeout", 30*time.Second, "time allowed for the RAM reads")
	)
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	fail := func(err error) int { return cli.Report(stderr, prog, err) }

	if *code != "" {
		d, ok := encryptperm.Diagnose(*code)
		if !ok {
			return fail(cli.UsageError(fmt.Sprintf("%s is not a code this library knows; known codes: %v", *code, encryptperm.DiagnosedCodes())))
		}
		printDiagnosis(stdout, d)
		return cli.OK
	}
	required := []cli.Flag{{Name: "key", Value: *keyARN}}
	if *typ != "disk" {
		required = append(required, cli.Flag{Name: "account", Value: *account})
	}
	if err := cli.RequireForReal(*useReal, required...); err != nil {
		return fail(err)
	}
	if !*useReal {
		if *account == "" {
			*account = demoAccount
		}
		if *keyARN == "" {
			*keyARN = demoKeyARN
		}
	}

	key, err := encryptperm.ParseKeyARN(*keyARN)
	if err != nil {
		return fail(err)
	}
	rt, err := encryptperm.ParseResourceType(*typ)
	if err != nil {
		return fail(err)
	}
	access := encryptperm.Access{
		Recipient: *account, RDID: *rdID, RDPath: *rdPath, Resource: rt, Key: key, Role: *role,
	}
	if rt == encryptperm.ResourceDisk && !flagSet(fs, "account") {
		access.Recipient = "" // the key owner's own ECS
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if *useReal {
		applier, err := encryptperm.NewRAMApplier(&encryptperm.Options{CheckCredentials: true})
		if err != nil {
			return fail(err)
		}
		d, err := applier.Check(ctx, access)
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(stdout, d.Explanation())
		if !d.Allowed {
			return cli.No
		}
		return cli.OK
	}

	client, err := seededFake(rt, key)
	if err != nil {
		return fail(err)
	}
	if rt == encryptperm.ResourceDisk {
		fmt.Fprintf(stdout, "Against the in-memory fake: account %s owns key %s and lets its own ECS use it.\n\n", key.Owner, key.ARN())
	} else {
		fmt.Fprintf(stdout, "Against the in-memory fake: account %s owns key %s and shares %ss with account %s.\n\n",
			key.Owner, key.ARN(), rt, demoAccount)
	}
	d, err := encryptperm.Check(ctx, client, access)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, d.Explanation())

	// A second question whose answer differs, so the demo shows both.
	other := access
	switch {
	case d.Allowed && rt == encryptperm.ResourceDisk:
		other.Recipient = demoAccount // another account's ECS: plain ecs.aliyuncs.com does not admit it
	case d.Allowed:
		other.Recipient = demoStranger
	case rt == encryptperm.ResourceDisk:
		other.Recipient = ""
	default:
		other.Recipient = demoAccount
	}
	fmt.Fprintln(stdout)
	d2, err := encryptperm.Check(ctx, client, other)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, d2.Explanation())
	if !d2.Allowed && rt != encryptperm.ResourceDisk {
		code := "AssumeRoleError"
		if len(d2.Missing) > 0 && d2.Missing[0] != "sts:AssumeRole" {
			code = "InvalidParameter.KMSKeyId.CMKUnauthorized"
		}
		if diag, ok := encryptperm.Diagnose(code); ok {
			fmt.Fprintf(stdout, "\nECS would answer this share with %s.\n", code)
			printDiagnosis(stdout, diag)
		}
	}
	if rt != encryptperm.ResourceDisk {
		if err := explainRefusedShare(ctx, stdout, client, rt, key); err != nil {
			return fail(err)
		}
	}
	// The exit status answers the question asked; the second decision and
	// the refused share only show what a denial looks like.
	if !d.Allowed {
		return cli.No
	}
	return cli.OK
}

// explainRefusedShare shares the demo image or snapshot with the stranger
// the way a user would without this library (ECS ModifyImageSharePermission,
// or Resource Sharing for a snapshot), shows ECS's refusal, and explains it:
// the error's diagnosis, then Check on the named resource, which finds its
// key and says which step is missing.
func explainRefusedShare(ctx context.Context, stdout io.Writer, f *fake.RAM, rt encryptperm.ResourceType, key encryptperm.Key) error {
	id := demoImage
	if rt == encryptperm.ResourceSnapshot {
		id = demoSnapshot
	}
	if len(f.Images()) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "\nSharing %s %s with account %s directly, without the grant:\n", rt, id, demoStranger)
	var err error
	if rt == encryptperm.ResourceImage {
		req := ecs.CreateModifyImageSharePermissionRequest()
		req.RegionId, req.ImageId, req.AddAccount = key.Region, id, &[]string{demoStranger}
		_, err = f.ModifyImageSharePermission(req)
	} else {
		req := resourcesharing.CreateCreateResourceShareRequest()
		req.RegionId, req.ResourceShareName = key.Region, "demo-share"
		req.Resources = &[]resourcesharing.CreateResourceShareResources{{ResourceId: id, ResourceType: "Snapshot"}}
		req.Targets, req.AllowExternalTargets = &[]string{demoStranger}, requests.NewBoolean(true)
		_, err = f.CreateResourceShare(req)
	}
	if err == nil {
		fmt.Fprintln(stdout, "ECS shared it.")
		return nil
	}
	diag, ok := encryptperm.DiagnoseError(err)
	if !ok {
		return err
	}
	fmt.Fprintf(stdout, "ECS refused it with %s.\n", diag.Code)
	printDiagnosis(stdout, diag)
	d, err := encryptperm.Check(ctx, f, encryptperm.Access{Recipient: demoStranger, Resource: rt, ResourceID: id, Region: key.Region})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, d.Explanation())
	return nil
}

// seededFake returns a fake RAM of the key owner's account holding the seed
// page's grant for the resource type: the role trusted by the demo account's
// ECS, and the custom policy for the key.
func seededFake(rt encryptperm.ResourceType, key encryptperm.Key) (*fake.RAM, error) {
	var g *encryptperm.Grant
	var err error
	switch rt {
	case encryptperm.ResourceSnapshot:
		g, err = encryptperm.ShareSnapshot().WithAccounts(demoAccount).WithKey(key).Build()
	case encryptperm.ResourceImage:
		g, err = encryptperm.ShareImage().WithAccounts(demoAccount).WithKey(key).Build()
	default:
		g, err = encryptperm.DiskEncryption().WithKey(key).Build()
	}
	if err != nil {
		return nil, err
	}
	r := fake.New(&fake.Options{AccountID: key.Owner})
	if rt != encryptperm.ResourceDisk {
		// The demo image and snapshot, encrypted with the key; a key the
		// fake's KMS cannot hold leaves them out, and the demo of a refused
		// share with them.
		if r.PutKey(fake.Key{Region: key.Region, ID: key.ID}) == nil {
			_ = r.PutImage(fake.Image{Region: key.Region, ID: demoImage, KMSKeyID: key.ID})
			_ = r.PutSnapshot(fake.Snapshot{Region: key.Region, ID: demoSnapshot, KMSKeyID: key.ID})
		}
	}
	cr := ram.CreateCreateRoleRequest()
	cr.RoleName = g.Role.Name
	cr.AssumeRolePolicyDocument = g.Role.TrustPolicy.String()
	cr.Description = g.Role.Description
	if _, err := r.CreateRole(cr); err != nil {
		return nil, fmt.Errorf("doctor: seed role %s: %w", g.Role.Name, err)
	}
	for _, p := range g.Policies {
		if p.Type == encryptperm.Custom {
			cp := ram.CreateCreatePolicyRequest()
			cp.PolicyName = p.Name
			cp.PolicyDocument = p.Document.String()
			cp.Description = p.Description
			if _, err := r.CreatePolicy(cp); err != nil {
				return nil, fmt.Errorf("doctor: seed policy %s: %w", p.Name, err)
			}
		}
		ap := ram.CreateAttachPolicyToRoleRequest()
		ap.PolicyName = p.Name
		ap.PolicyType = string(p.Type)
		ap.RoleName = g.Role.Name
		if _, err := r.AttachPolicyToRole(ap); err != nil {
			return nil, fmt.Errorf("doctor: seed attachment of %s: %w", p.Name, err)
		}
	}
	return r, nil
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func printDiagnosis(w io.Writer, d encryptperm.Diagnosis) {
	fmt.Fprintf(w, "%s (HTTP %d, from %v)\n", d.Code, d.Status, d.Operations)
	fmt.Fprintf(w, "  Cause: %s\n", d.Cause)
	if d.Grant != "" {
		fmt.Fprintf(w, "  Grant: %s\n", d.Grant)
	}
	fmt.Fprintf(w, "  Fix:   %s\n", d.Fix)
}
