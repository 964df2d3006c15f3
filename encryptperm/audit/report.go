// This file holds the report's table, for people to read.

package audit

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Table returns the report as text: for each key, one line per path
// (principal, role, trust statement, actions, the statements that allow
// them, certain or may), then every finding.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "account %s", r.Account)
	if r.TrustZone.RDID != "" {
		fmt.Fprintf(&b, ", trust zone: the account and resource directory %s (%d members)", r.TrustZone.RDID, len(r.TrustZone.Members))
	} else {
		b.WriteString(", trust zone: the account")
	}
	fmt.Fprintf(&b, "; %d calls\n", r.Calls)
	for _, k := range r.Keys {
		fmt.Fprintf(&b, "\nkey %s", k.Key)
		switch {
		case k.KeyPolicyNote != "":
			fmt.Fprintf(&b, " (key policy not read: %s)", k.KeyPolicyNote)
		case k.KeyPolicy != nil:
			fmt.Fprintf(&b, " (instance %s, key policy of %d statements)", k.Instance, len(k.KeyPolicy.Statement))
		default:
			b.WriteString(" (no key policy)")
		}
		b.WriteString("\n")
		if len(k.Paths) == 0 {
			b.WriteString("  no path\n")
			continue
		}
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PRINCIPAL\tACCOUNTS\tROLE\tTRUST\tACTIONS\tBY\t")
		for _, p := range k.Paths {
			role, trust := p.Role, ""
			if role == "" {
				role = "-"
			}
			if p.Trust != nil {
				trust = fmt.Sprintf("Statement[%d]", p.Trust.Index)
			}
			var by []string
			for _, s := range p.By {
				by = append(by, s.String())
			}
			acts := strings.Join(p.Actions, ",")
			if len(p.MayActions) > 0 {
				acts = strings.TrimPrefix(acts+" may:"+strings.Join(p.MayActions, ","), " ")
			}
			accounts := strings.Join(p.Principal.Accounts, ",")
			if len(p.Principal.MayAccounts) > 0 {
				accounts = strings.TrimPrefix(accounts+" may:"+strings.Join(p.Principal.MayAccounts, ","), " ")
			}
			mark := "certain"
			if !p.Certain {
				mark = "may"
			}
			fmt.Fprintf(tw, "  %s (%s, %s)\t%s\t%s\t%s\t%s\t%s\t\n", p.Principal.Value, p.Principal.Kind, mark, orDash(accounts), role, orDash(trust), orDash(acts), orDash(strings.Join(by, "; ")))
		}
		_ = tw.Flush()
	}
	if len(r.Findings) > 0 {
		b.WriteString("\nfindings:\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
