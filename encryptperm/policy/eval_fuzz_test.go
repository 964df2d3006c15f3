package policy

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

// The compiled evaluator and the reference evaluator must agree on every
// document and request, and neither may panic. Two tests drive them: a
// property test over generated documents (structured, so most statements come
// close to matching), and a fuzz target over raw JSON (so any document RAM
// could hand back is tried).

// evCheckAgree fails t when the evaluators disagree on a request.
func evCheckAgree(t interface {
	Helper()
	Fatalf(string, ...any)
}, docs []*Document, r *Request) {
	t.Helper()
	ps := Compile(docs...)
	got := ps.Eval(r)
	want := refEval(docs, r)
	if got != want {
		t.Fatalf("compiled %+v, reference %+v\nrequest %+v\ndocuments %s", got, want, *r, evDocsString(docs))
	}
	outcomes := ps.Explain(r)
	i := 0
	for di, d := range docs {
		if d == nil {
			continue
		}
		for si, s := range d.Statement {
			o := outcomes[i]
			i++
			if o.Ref != (Ref{Doc: di, Statement: si}) {
				t.Fatalf("Explain outcome %d names %+v, want Doc %d Statement %d", i-1, o.Ref, di, si)
			}
			if wantApplies := map[refTri]Match{refNo: MatchNo, refYes: MatchYes, refMaybe: MatchUnknown}[refApplies(s, r)]; o.Applies != wantApplies {
				t.Fatalf("Explain says statement %+v applies %v, reference says %v\nrequest %+v\nstatement %s", o.Ref, o.Applies, wantApplies, *r, evStmtJSON(s))
			}
		}
	}
	if i != len(outcomes) {
		t.Fatalf("Explain returned %d outcomes for %d statements", len(outcomes), i)
	}
}

func evStmtJSON(s Statement) string {
	b, _ := s.MarshalJSON()
	return string(b)
}

func evDocsString(docs []*Document) string {
	out := ""
	for _, d := range docs {
		out += "\n  " + d.String()
	}
	return out
}

// Generators. Small alphabets make matches likely.
var (
	// Look-alikes of ASCII letters under case folding beyond ASCII: long s,
	// Kelvin sign, dotless i, dotted capital I, sharp s, the ff ligature,
	// and É, which folds to é.
	evGlobChars = []string{"a", "b", "A", "*", "?", "é", "\xff", ":", "s", "k", "i", "\u017F", "\u212A", "\u0131", "\u0130", "ß", "\uFB00", "É"}
	evTextChars = []string{"a", "b", "A", "é", "\xff", ":", "*", "s", "\u017F", "k", "\u212A", "i", "I", "ß", "É"}
	evActions   = []string{"kms:Decrypt", "kms:*", "KMS:DECRYPT", "kms:?ecrypt", "kms:List*", "sts:AssumeRole", "*", "kms:Encrypt", "", "\u212Ams:*", "kms:Decrypt\u0131", "\u017Fts:AssumeRole", "kms:Decrypt"}
	evResources = []string{keyARNForGen, "acs:kms:cn-hangzhou:1111111111111111:key", "acs:kms:*:*:*/*", "*", "acs:kms:cn-hangzhou:1111111111111111:key/KEY-HZABC"}
	evServices  = []string{"2000000000000001@ecs.aliyuncs.com", "*@ecs.aliyuncs.com", "ecs.aliyuncs.com", "1111111111111111@ECS.aliyuncs.com", "ecs.*", "*", "?@ecs.aliyuncs.com", "*@ecs.al\u0130yuncs.com", "ecs.al\u0131yuncs.com"}
	evRAMs      = []string{"acs:ram::2000000000000001:root", "acs:ram::*:root", "*"}
	evOps       = []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "IpAddress", "NotIpAddress", "StringEqualsIfExists", "stringequals",
	}
	evCondKeys   = []string{"k1", "K1", "k2", "sts:ServiceOwnerRDId", "\u212A1", "sts:ServiceOwnerRD\u0130d"}
	evCondValues = []string{
		"a", "A", "a*", "?", "rd-abc", "1", "10", "-3.5", "1e3", "abc", "NaN", "Inf", "true", "FALSE", "yes",
		"\u212A", "k", "rd-\u017Ftuff", "rd-stuff", "0x10", "+1", "1e999", "01",
		"2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00", "2030-01-01T00:00:00Z", "2026-01-01",
		"10.0.0.0/8", "10.1.2.3", "::1", "::ffff:10.1.2.3", "::ffff:10.0.0.0/104", "fe80::1%eth0", "1.2.3.4/33", "10.1.2.3/8",
	}
	evExtraKeys = []string{"Sid", "Action", "notaction", "Resource", "NOTRESOURCE", "Principal", "Condition", "Effect", "Condit\u0131on", "\u017Fid", "E\uFB00ect"}
	evOwners    = []string{"", "1111111111111111", "2000000000000001"}
	evReqSvc    = []string{"", "2000000000000001@ecs.aliyuncs.com", "1111111111111111@ecs.aliyuncs.com", "ecs.aliyuncs.com", "2000000000000001@ECS.ALIYUNCS.COM", "a@b"}
)

const keyARNForGen = "acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"

func evGenString(chars []string, max int) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(0, max).Draw(t, "n")
		s := ""
		for i := 0; i < n; i++ {
			s += rapid.SampledFrom(chars).Draw(t, "c")
		}
		return s
	})
}

func evGenPattern(pool []string) *rapid.Generator[string] {
	return rapid.OneOf(rapid.SampledFrom(pool), evGenString(evGlobChars, 5))
}

func evGenText(pool []string) *rapid.Generator[string] {
	return rapid.OneOf(rapid.SampledFrom(pool), evGenString(evTextChars, 5))
}

func evGenValues(g *rapid.Generator[string], min int) *rapid.Generator[Values] {
	return rapid.Custom(func(t *rapid.T) Values {
		return Values(rapid.SliceOfN(g, min, 3).Draw(t, "values"))
	})
}

func evGenStatement() *rapid.Generator[Statement] {
	return rapid.Custom(func(t *rapid.T) Statement {
		var s Statement
		s.Effect = Effect(rapid.SampledFrom([]string{"Allow", "Deny", "Allow", "Deny", "", "allow"}).Draw(t, "effect"))
		switch rapid.IntRange(0, 5).Draw(t, "actionShape") {
		case 0, 1, 2:
			s.Action = evGenValues(evGenPattern(evActions), 1).Draw(t, "action")
		case 3:
			s.NotAction = evGenValues(evGenPattern(evActions), 1).Draw(t, "notAction")
		case 4:
			s.Action = evGenValues(evGenPattern(evActions), 1).Draw(t, "action")
			s.NotAction = evGenValues(evGenPattern(evActions), 1).Draw(t, "notAction")
		}
		switch rapid.IntRange(0, 4).Draw(t, "resourceShape") {
		case 0, 1:
			s.Resource = evGenValues(evGenPattern(evResources), 1).Draw(t, "resource")
		case 2:
			s.NotResource = evGenValues(evGenPattern(evResources), 1).Draw(t, "notResource")
		case 3:
			s.Resource = evGenValues(evGenPattern(evResources), 0).Draw(t, "emptyResource")
		}
		if rapid.Bool().Draw(t, "principal") {
			p := &Principal{
				Service: evGenValues(evGenPattern(evServices), 0).Draw(t, "service"),
				RAM:     evGenValues(evGenPattern(evRAMs), 0).Draw(t, "ram"),
			}
			if rapid.IntRange(0, 4).Draw(t, "principalExtra") == 0 {
				p.Extra = map[string]json.RawMessage{"Other": json.RawMessage(`"x"`)}
			}
			s.Principal = p
		}
		nops := rapid.IntRange(0, 2).Draw(t, "ops")
		for i := 0; i < nops; i++ {
			if s.Condition == nil {
				s.Condition = Condition{}
			}
			op := rapid.SampledFrom(evOps).Draw(t, "op")
			if s.Condition[op] == nil {
				s.Condition[op] = map[string]Values{}
			}
			key := rapid.SampledFrom(evCondKeys).Draw(t, "key")
			s.Condition[op][key] = evGenValues(rapid.SampledFrom(evCondValues), 0).Draw(t, "condValues")
		}
		if rapid.IntRange(0, 3).Draw(t, "extra") == 0 {
			s.Extra = map[string]json.RawMessage{rapid.SampledFrom(evExtraKeys).Draw(t, "extraKey"): json.RawMessage(`1`)}
		}
		return s
	})
}

func evGenRequest() *rapid.Generator[Request] {
	return rapid.Custom(func(t *rapid.T) Request {
		r := Request{
			Action: evGenText(evActions).Draw(t, "reqAction"),
			Owner:  rapid.SampledFrom(evOwners).Draw(t, "owner"),
		}
		if rapid.Bool().Draw(t, "hasResource") {
			r.Resource = evGenText(evResources).Draw(t, "reqResource")
		}
		switch rapid.IntRange(0, 2).Draw(t, "caller") {
		case 1:
			r.Principal.Service = evGenText(evReqSvc).Draw(t, "reqService")
		case 2:
			r.Principal.RAM = rapid.SampledFrom(evRAMs).Draw(t, "reqRAM")
		}
		n := rapid.IntRange(0, 3).Draw(t, "ctx")
		for i := 0; i < n; i++ {
			r.Context = append(r.Context, ContextValue{
				Key:   rapid.SampledFrom(append(evCondKeys, "k3")).Draw(t, "ctxKey"),
				Value: rapid.SampledFrom(evCondValues).Draw(t, "ctxValue"),
			})
		}
		return r
	})
}

func TestEvalAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ndocs := rapid.IntRange(1, 3).Draw(t, "docs")
		docs := make([]*Document, ndocs)
		for i := range docs {
			if rapid.IntRange(0, 9).Draw(t, "nilDoc") == 0 {
				continue
			}
			docs[i] = New(rapid.SliceOfN(evGenStatement(), 0, 4).Draw(t, "statements")...)
		}
		evDenyAfterAllow(t, docs)
		r := evGenRequest().Draw(t, "request")
		evCheckAgree(t, docs, &r)
	})
}

// evDenyAfterAllow, in most cases, copies an Allow statement of docs as a
// Deny placed after it (in the same document or a later one). The copy
// applies exactly when the Allow does, so the evaluators must agree that the
// Deny wins: left to chance, an Allow and a later Deny that both match the
// request are too rare for a hundred checks to catch an evaluator that lets
// the first match win.
func evDenyAfterAllow(t *rapid.T, docs []*Document) {
	type at struct{ doc, stmt int }
	var allows []at
	for di, d := range docs {
		if d == nil {
			continue
		}
		for si, s := range d.Statement {
			if s.Effect == Allow {
				allows = append(allows, at{di, si})
			}
		}
	}
	if len(allows) == 0 || rapid.IntRange(0, 3).Draw(t, "denyAfterAllow") == 0 {
		return
	}
	from := rapid.SampledFrom(allows).Draw(t, "allowToDeny")
	deny := docs[from.doc].Statement[from.stmt].Clone()
	deny.Effect = Deny
	var later []int
	for di := from.doc; di < len(docs); di++ {
		if docs[di] != nil {
			later = append(later, di)
		}
	}
	di := rapid.SampledFrom(later).Draw(t, "denyDoc")
	lo := 0
	if di == from.doc {
		lo = from.stmt + 1
	}
	pos := rapid.IntRange(lo, len(docs[di].Statement)).Draw(t, "denyPos")
	docs[di].Statement = append(docs[di].Statement[:pos:pos], append([]Statement{deny}, docs[di].Statement[pos:]...)...)
}

// FuzzEval reads two documents as RAM would hand them back, and evaluates a
// request built from the other inputs with both evaluators.
func FuzzEval(f *testing.F) {
	f.Add([]byte(`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["2000000000000001@ecs.aliyuncs.com"]}}]}`),
		[]byte(`{}`), "sts:AssumeRole", "", "2000000000000001@ecs.aliyuncs.com", "", "1111111111111111", "", "", "", "")
	f.Add([]byte(`{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-abc"}}}]}`),
		[]byte(`{"Statement":{"Effect":"Deny","Action":"sts:*","Principal":{"Service":"*"},"Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-abc/r-1/fd-x*"}}}}`),
		"sts:AssumeRole", "", "2000000000000001@ecs.aliyuncs.com", "", "1111111111111111", "sts:ServiceOwnerRDId", "rd-abc", "sts:ServiceOwnerRDPath", "rd-abc/r-1/fd-xy")
	f.Add([]byte(`{"Version":"1","Statement":[{"Action":"kms:List*","Resource":"acs:kms:cn-hangzhou:1111111111111111:key","Effect":"Allow"},{"Action":["kms:DescribeKey","kms:Decrypt"],"Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc","Effect":"Allow"}]}`),
		[]byte(`{"Version":"1","Statement":[{"Effect":"Deny","NotAction":"kms:Describe*","NotResource":"acs:kms:cn-shanghai:*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"false"}}}]}`),
		"kms:Decrypt", "acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc", "", "", "", "acs:SourceIp", "10.2.3.4", "acs:SecureTransport", "true")
	f.Add([]byte(`{"Statement":[{"effect":"Allow","action":5,"RESOURCE":"*","Condition":{"NumericLessThan":{"k":["1","x"]},"Bogus":{"k":"1"}}}]}`),
		[]byte(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}`),
		"kms:Encrypt", "acs:kms:x", "", "acs:ram::1:root", "", "K", "0.5", "acs:CurrentTime", "2026-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, doc1, doc2 []byte, action, resource, service, ramPrincipal, owner, k1, v1, k2, v2 string) {
		var docs []*Document
		for _, data := range [][]byte{doc1, doc2} {
			d, err := Read(data)
			if err != nil {
				d = nil
			}
			docs = append(docs, d)
		}
		r := Request{
			Action: action, Resource: resource, Owner: owner,
			Principal: RequestPrincipal{Service: service, RAM: ramPrincipal},
		}
		if k1 != "" {
			r.Context = append(r.Context, ContextValue{Key: k1, Value: v1})
		}
		if k2 != "" {
			r.Context = append(r.Context, ContextValue{Key: k2, Value: v2})
		}
		evCheckAgree(t, docs, &r)
	})
}
