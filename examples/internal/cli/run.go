package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// Parse parses args with fs and reports whether the program goes on. When
// it does not, code is the exit status: OK after -help, Usage after a
// mistake, which fs has already reported.
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return OK, false
		}
		return Usage, false
	}
	return OK, true
}

// NewShareApplier returns the Applier of a program that shares encrypted
// resources: over the SDK's default credentials when real is true, and
// otherwise over an in-memory fake loaded with the seed document seed,
// saying so on stderr. Each call it makes is counted by contact, which may
// be nil.
func NewShareApplier(real bool, seed string, stderr io.Writer, contact *Contact) (encryptperm.Applier, error) {
	opts := &encryptperm.Options{CheckCredentials: true}
	if contact != nil {
		opts.Observer = contact
	}
	if real {
		return encryptperm.NewRAMApplier(opts)
	}
	fmt.Fprintln(stderr, "using the in-memory fake (RAM, ECS, Resource Sharing, KMS) and demo values (pass -real for Alibaba Cloud)")
	f := fake.New(nil)
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		return nil, err
	}
	return encryptperm.NewApplier(f, opts), nil
}

// Steps says how PlanAndApply runs: the program's name and streams,
// whether it stops after the plan, and whether it asks before writing.
type Steps struct {
	Prog   string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	DryRun bool // print the plan and stop
	Ask    bool // ask on Stdin before a plan that changes something is applied
	// Contact, when set, counts the Applier's calls (see NewShareApplier),
	// so that a refusal that came after a read exits Failure.
	Contact *Contact
}

// PlanAndApply plans g with a and prints the plan to s.Stdout; unless
// s.DryRun, it then applies the plan, asking first when s.Ask is true and
// the plan changes something, and prints how many writes it made. It
// returns the result, or nil and the exit status when it stopped before or
// at the apply (any error already reported on s.Stderr).
func PlanAndApply(ctx context.Context, a encryptperm.Applier, g *encryptperm.Grant, s Steps) (*encryptperm.Result, int) {
	plan, err := a.Plan(ctx, g)
	if err != nil {
		return nil, Report(s.Stderr, s.Prog, s.Contact.Mark(err))
	}
	fmt.Fprint(s.Stdout, plan)
	if s.DryRun {
		return nil, OK
	}
	if !plan.Empty() && s.Ask {
		ok, err := Confirm(s.Stdin, s.Stderr, s.Prog, plan)
		if err != nil {
			return nil, Report(s.Stderr, s.Prog, err)
		}
		if !ok {
			return nil, No
		}
	}
	res, err := a.ApplyPlan(ctx, plan)
	if err != nil {
		return nil, Report(s.Stderr, s.Prog, s.Contact.Mark(err))
	}
	fmt.Fprintf(s.Stdout, "applied with %d writes\n", res.Writes)
	return res, OK
}
