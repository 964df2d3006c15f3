package fake

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// The fake's evaluator and the library's must agree on what is allowed for
// certain: the fake, which plays ECS, must never let in what the library
// refuses to judge, nor refuse what the library allows. Documents are drawn
// from a fixed seed out of pieces that bring look-alike keys, actions and
// services, and condition values their operators cannot read, close to the
// real ones, so that most of them come near a match.
func TestRefEvaluateAgreesWithLibrary(t *testing.T) {
	const (
		owner  = "1234567890123456"
		keyARN = "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6a2f1b0c3d4e5f"
		cases  = 3000
	)
	rng := rand.New(rand.NewPCG(21, 3))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	// Keys of a statement as RAM spells them, in another ASCII case, and
	// spelled with a character that only Unicode folds to the letter.
	key := func(name string) string {
		variants := map[string][]string{
			"Effect":    {"Effect", "effect", "E\uFB00ect"},
			"Action":    {"Action", "ACTION", "Act\u0130on", "Act\u0131on"},
			"NotAction": {"NotAction", "notaction", "NotAct\u0131on"},
			"Resource":  {"Resource", "resource", "Re\u017Fource"},
			"Principal": {"Principal", "Princ\u0131pal"},
			"Condition": {"Condition", "condition", "Condit\u0131on", "Cond\u0130tion"},
			"Service":   {"Service", "service", "\u017Fervice", "Serv\u0130ce"},
		}[name]
		if rng.IntN(6) > 0 {
			return name
		}
		return variants[rng.IntN(len(variants))]
	}
	value := func(xs ...string) string {
		if rng.IntN(3) == 0 {
			return `["` + pick(xs...) + `","` + pick(xs...) + `"]`
		}
		return `"` + pick(xs...) + `"`
	}
	condition := func(trust bool) string {
		ctxKey := pick("sts:ServiceOwnerRDId", "sts:serviceownerrdid", "sts:ServiceOwnerRD\u0130d", "\u017Fts:ServiceOwnerRDId", "acs:SourceIp")
		op := pick("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
			"NumericEquals", "NumericNotEquals", "NumericLessThan", "DateNotEquals", "DateGreaterThan", "Bool",
			"IpAddress", "NotIpAddress", "NumericNotEqualsIfExists", "StringEqualsIfExists")
		v := value("rd-3GabcD", "RD-3GABCD", "rd-3Gabc\u212A", "rd-*", "5", "0x5", "2026-01-01T00:00:00Z", "true", "10.0.0.0/8", "::ffff:10.0.0.0/104", "rd-3Gabcd")
		return `"` + key("Condition") + `":{"` + op + `":{"` + ctxKey + `":` + v + `}}`
	}
	statement := func(trust bool) string {
		var parts []string
		parts = append(parts, `"`+key("Effect")+`":"`+pick("Allow", "Allow", "Allow", "Deny", "allow")+`"`)
		actions := []string{"sts:AssumeRole", "sts:*", "\u017Fts:AssumeRole", "STS:ASSUMEROLE", "*"}
		if !trust {
			actions = []string{"kms:Decrypt", "kms:*", "\u212Ams:*", "kms:Decrypt\u0131", "KMS:DECRYPT", "kms:Encrypt", "*"}
		}
		if rng.IntN(5) == 0 {
			parts = append(parts, `"`+key("NotAction")+`":`+value(actions...))
		} else {
			parts = append(parts, `"`+key("Action")+`":`+value(actions...))
		}
		if trust {
			svc := value("2000000000000001@ecs.aliyuncs.com", "*@ecs.aliyuncs.com", "*@ecs.al\u0130yuncs.com",
				"2000000000000001@ecs.al\u0131yuncs.com", "2000000000000002@ecs.aliyuncs.com", "*")
			parts = append(parts, `"`+key("Principal")+`":{"`+key("Service")+`":`+svc+`}`)
		} else {
			parts = append(parts, `"`+key("Resource")+`":`+value(keyARN, "*", "acs:kms:*:*:key/*", "acs:kms:cn-hangzhou:1234567890123456:key/other"))
		}
		if rng.IntN(3) == 0 {
			parts = append(parts, condition(trust))
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	document := func(trust bool) string {
		n := 1 + rng.IntN(2)
		var stmts []string
		for range n {
			stmts = append(stmts, statement(trust))
		}
		top := "Statement"
		if rng.IntN(20) == 0 {
			top = pick("\u017Ftatement", "statement")
		}
		return `{"Version":"1","` + top + `":[` + strings.Join(stmts, ",") + `]}`
	}

	allowed, agreed := 0, 0
	for i := range cases {
		trust := rng.IntN(2) == 0
		var texts []string
		for range 1 + rng.IntN(2) {
			texts = append(texts, document(trust))
		}
		ctx := map[string]string{}
		if rng.IntN(4) > 0 {
			ctx["sts:ServiceOwnerRDId"] = pick("rd-3GabcD", "rd-other", "5", "10.1.2.3")
		}
		req := refRequest{action: "kms:Decrypt", resource: keyARN, owner: owner, context: ctx}
		libReq := &policy.Request{Action: "kms:Decrypt", Resource: keyARN, Owner: owner}
		if trust {
			req = refRequest{action: "sts:AssumeRole", service: "2000000000000001@ecs.aliyuncs.com", owner: owner, context: ctx}
			libReq = &policy.Request{Action: "sts:AssumeRole", Principal: policy.RequestPrincipal{Service: req.service}, Owner: owner}
		}
		for k, v := range ctx {
			libReq.Context = append(libReq.Context, policy.ContextValue{Key: k, Value: v})
		}

		// The library, as Check reads: a document it cannot read allows
		// nothing.
		lib := true
		var docs []*policy.Document
		for _, text := range texts {
			d, err := policy.Read([]byte(text))
			if err != nil {
				lib = false
			}
			docs = append(docs, d)
		}
		lib = lib && policy.Compile(docs...).Eval(libReq).Allowed()

		var refDocs []refDoc
		for j, text := range texts {
			refDocs = append(refDocs, refDoc{name: fmt.Sprintf("p%d", j), text: text})
		}
		ref := refEvaluate(refDocs, req).allowed

		if lib != ref {
			t.Errorf("case %d: the library says allowed=%v, the fake %v\nrequest %+v\ndocuments:\n  %s", i, lib, ref, req, strings.Join(texts, "\n  "))
			continue
		}
		agreed++
		if lib {
			allowed++
		}
	}
	// The draw must reach both answers often, or the agreement says little.
	if allowed < cases/20 || allowed > cases-cases/20 {
		t.Errorf("%d of %d cases allowed: the documents do not come near enough to both answers", allowed, cases)
	}
	t.Logf("%d cases agree, %d of them allowed", agreed, allowed)
}
