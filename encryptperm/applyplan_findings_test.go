package encryptperm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// ApplyPlan is the consent gate of the plan-then-apply path (the command
// line's): a plan whose grant has a critical finding is not applied unless
// the Applier's Options.AcceptFindings lists it, and nothing is written.
func TestApplyPlanRefusesAnUnacceptedCriticalFinding(t *testing.T) {
	ctx := context.Background()
	g, err := encryptperm.ShareImage().WithAccounts(apAcctA).WithServiceKey().Build()
	if err != nil {
		t.Fatal(err)
	}
	f := fake.New(nil)
	p, err := encryptperm.NewApplier(f, apFast()).Plan(ctx, g)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	read := len(f.Calls())
	_, err = encryptperm.NewApplier(f, apFast()).ApplyPlan(ctx, p)
	var ve *encryptperm.ValidationError
	if !errors.Is(err, encryptperm.ErrInvalid) || !errors.As(err, &ve) || !ve.Has("grants[0].Findings") ||
		!strings.Contains(err.Error(), encryptperm.FindingServiceKeyFullAccess) {
		t.Fatalf("ApplyPlan without acceptance = %v, want ErrInvalid at grants[0].Findings naming %s", err, encryptperm.FindingServiceKeyFullAccess)
	}
	if n := len(f.Calls()) - read; n != 0 {
		t.Fatalf("%d calls reached RAM after the refusal, want 0", n)
	}
	o := apFast()
	o.AcceptFindings = []string{encryptperm.FindingServiceKeyFullAccess}
	if _, err := encryptperm.NewApplier(f, o).ApplyPlan(ctx, p); err != nil {
		t.Fatalf("ApplyPlan with acceptance: %v", err)
	}
	atts, _ := f.AttachmentsOf(encryptperm.ShareImageRoleName)
	if len(atts) != 1 || atts[0].PolicyName != "AliyunKMSFullAccess" {
		t.Errorf("attachments %+v, want AliyunKMSFullAccess alone", atts)
	}
}
