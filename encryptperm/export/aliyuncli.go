package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// WriteAliyunCLI writes the plan's writes as a bash script of aliyun-cli
// calls, one "aliyun <product> <Action> --<Param> <value>" line each, in the
// order the engine makes them: each role's trust policy and its policies'
// contents, then the attachments, which need both, then the detaches of
// broader policies (Options.DetachBroaderPolicies), so that a script
// stopped by a failed call never leaves a role with neither policy, and
// last the shares: "aliyun ecs ModifyImageSharePermission" and "aliyun
// resourcesharing CreateResourceShare" or "AssociateResourceShare" (the ID
// of a share the script makes is read from its answer into a variable). Every value is
// quoted for the shell in single quotes, so nothing in a document is
// expanded. Each call has a comment that says what it changes. A plan with
// no writes gives a script that only says so.
func WriteAliyunCLI(w io.Writer, p *encryptperm.Plan) error {
	ts, err := targets("aliyun-cli", p)
	if err != nil {
		return err
	}
	var calls []cliCall
	for _, rt := range ts {
		switch rt.TrustWrite {
		case "CreateRole":
			args := []string{"RoleName", rt.Name, "AssumeRolePolicyDocument", rt.TrustPolicy}
			if rt.Description != "" {
				args = append(args, "Description", rt.Description)
			}
			calls = append(calls, ramCall("create role "+rt.Name+" with the grants' trust policy", "CreateRole", args))
		case "UpdateRole":
			calls = append(calls, ramCall("add the grants to the trust policy of role "+rt.Name+" (what it held is kept)", "UpdateRole",
				[]string{"RoleName", rt.Name, "NewAssumeRolePolicyDocument", rt.TrustPolicy}))
		}
		for _, pt := range rt.Policies {
			switch pt.Write {
			case "CreatePolicy":
				args := []string{"PolicyName", pt.Name, "PolicyDocument", pt.Document}
				if pt.Description != "" {
					args = append(args, "Description", pt.Description)
				}
				calls = append(calls, ramCall("create custom policy "+pt.Name, "CreatePolicy", args))
			case "CreatePolicyVersion":
				what := "new default version of custom policy " + pt.Name + " with the grants' keys (what it held is kept)"
				args := []string{"PolicyName", pt.Name, "PolicyDocument", pt.Document, "SetAsDefault", "true"}
				if pt.RotateVersion != "" {
					what += "; RAM's cap of versions pushes out version " + pt.RotateVersion
					args = append(args, "RotateStrategy", "DeleteOldestNonDefaultVersionWhenLimitExceeded")
				}
				calls = append(calls, ramCall(what, "CreatePolicyVersion", args))
			}
		}
	}
	for _, rt := range ts {
		for _, pt := range rt.Policies {
			if !pt.Detach && !pt.Attached {
				calls = append(calls, ramCall(fmt.Sprintf("attach %s policy %s to role %s", pt.Type, pt.Name, rt.Name), "AttachPolicyToRole",
					[]string{"RoleName", rt.Name, "PolicyName", pt.Name, "PolicyType", string(pt.Type)}))
			}
		}
	}
	// The broad policies go last: the script stops at the first call that
	// fails (set -e), so a role whose new policy was refused keeps the
	// access the broad one gives.
	for _, rt := range ts {
		for _, pt := range rt.Policies {
			if pt.Detach {
				calls = append(calls, ramCall(fmt.Sprintf("detach %s policy %s from role %s, now that the policies naming its keys are attached", pt.Type, pt.Name, rt.Name), "DetachPolicyFromRole",
					[]string{"RoleName", rt.Name, "PolicyName", pt.Name, "PolicyType", string(pt.Type)}))
			}
		}
	}
	// The shares come last: ECS takes them only once RAM holds the grants.
	calls = append(calls, cliShareCalls(shareCalls(p))...)
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `#!/usr/bin/env bash
# The writes of a reviewed plan, which let ECS use KMS keys, as aliyun-cli
# calls in the order they must run: RAM's, then the shares of the images and
# snapshots the plan names (ECS and Resource Sharing, in their regions).
# Made from RAM as it was read for the plan: if RAM changes before this
# runs, make a new plan (a trust policy written here replaces the one RAM
# holds then).
set -euo pipefail
`)
	if len(calls) == 0 {
		fmt.Fprint(bw, "\n# RAM already holds the grants: nothing to do.\n")
	}
	for _, c := range calls {
		fmt.Fprintf(bw, "\n# %s\n", oneLine(c.what))
		line, err := c.line()
		if err != nil {
			return err
		}
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// cliCall is one aliyun-cli call of the script.
type cliCall struct {
	what    string
	product string // "ram", "ecs" or "resourcesharing"
	action  string
	args    []string // name, value, name, value, ...
	// capture, when set, names the shell variable the call's
	// ResourceShareId is kept in.
	capture string
	// ref, when set, names the shell variable whose value is the
	// ResourceShareId argument.
	ref string
}

// ramCall is a call of RAM.
func ramCall(what, action string, args []string) cliCall {
	return cliCall{what: what, product: "ram", action: action, args: args}
}

func (c cliCall) line() (string, error) {
	var b strings.Builder
	b.WriteString("aliyun ")
	b.WriteString(c.product)
	b.WriteByte(' ')
	b.WriteString(c.action)
	for i := 0; i+1 < len(c.args); i += 2 {
		v, err := shellQuote(c.args[i+1])
		if err != nil {
			return "", fmt.Errorf("export: aliyun-cli: %s --%s: %w", c.action, c.args[i], err)
		}
		if c.ref != "" && c.args[i] == "ResourceShareId" {
			v = `"$` + c.ref + `"`
		}
		b.WriteString(" --")
		b.WriteString(c.args[i])
		b.WriteByte(' ')
		b.WriteString(v)
	}
	if c.capture == "" {
		return b.String(), nil
	}
	// The answer is JSON; its first ResourceShareId is the new share's.
	return fmt.Sprintf("%s=$(%s | sed -n 's/.*\"ResourceShareId\": *\"\\([^\"]*\\)\".*/\\1/p' | head -n 1)\n"+
		"[ -n \"$%s\" ] || { echo 'CreateResourceShare answered no ResourceShareId' >&2; exit 1; }", c.capture, b.String(), c.capture), nil
}

// shellQuote quotes s as one word for bash. Without control characters it
// uses single quotes, inside which nothing is special; a single quote is
// written as '\” (close, an escaped quote, open). With control characters
// (a newline, a carriage return, which some tools drop at a line's end) or
// bytes that are not UTF-8, it uses bash's $'...' form, with each of them,
// every byte outside ASCII, each backslash and each single quote escaped, so
// that the line stays one line of plain text. A NUL byte cannot
// be passed in an argument at all, so it is refused.
func shellQuote(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("a NUL byte cannot be passed to a command: %w", encryptperm.ErrInvalid)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}
