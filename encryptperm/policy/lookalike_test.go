package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Keys, actions and principals that are RAM's only when case is folded
// beyond ASCII (a long s ſ, a dotless ı, a dotted İ, a Kelvin sign K, a
// ligature ﬀ) cannot be read one way for certain: what holds them may deny
// and never allows. The decisions are written out by hand.
func TestLookAlikeNamesNeverAllow(t *testing.T) {
	const (
		allowB   = `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`
		allowKey = `{"Action":"kms:Decrypt","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1111111111111111:key/key-hzabc"}`
	)
	doc := func(stmts ...string) string {
		return `{"Version":"1","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	rdAllow := func(conditionKey string) string {
		return `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"` + conditionKey + `":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}}}`
	}
	inOtherRD := evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", "rd-other"))
	decrypt := evKMS("kms:Decrypt", evKeyARN)
	allowedInDoubt := func(by, doubt Ref) EvalResult { return EvalResult{Verdict: VerdictAllow, By: by, Doubt: doubt} }
	tests := []struct {
		name string
		doc  string
		req  Request
		want EvalResult
	}{
		// Statement keys: the statement is opaque, so an Allow it holds
		// grants nothing; before, "Conditıon" was an unknown key and the
		// Allow stood without its condition.
		{"Conditıon (dotless i) on an Allow", doc(rdAllow("Condit\u0131on")), inOtherRD, evImplicitDoubt(0, 0)},
		{"Condİtion (dotted capital I) on an Allow", doc(rdAllow("Cond\u0130tion")), inOtherRD, evImplicitDoubt(0, 0)},
		{"Conditıon beside an Allow for B", doc(allowB, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-other"}}}`), inOtherRD, allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		{"Eﬀect (ligature) beside Effect", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","E\uFB00ect":"Deny","Principal":{"Service":"2000000000000001@ecs.aliyuncs.com"}}`), evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"Actİon on a Deny", doc(allowKey, `{"Act\u0130on":"kms:*","Effect":"Deny","Resource":"*"}`), decrypt, allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		// Principal keys: the Principal is unreadable.
		{"ſervice (long s) on an Allow", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"\u017Fervice":"2000000000000001@ecs.aliyuncs.com"}}`), evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"Servİce on a Deny", doc(allowB, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Serv\u0130ce":"*@ecs.aliyuncs.com"}}`), evAssume(evECS(evB)), allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		// Actions and services.
		{"Kelvin-sign kms:* on a Deny", doc(allowKey, `{"Action":"\u212Ams:*","Effect":"Deny","Resource":"*"}`), decrypt, allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		{"Kelvin-sign action on an Allow", doc(`{"Action":"\u212Ams:Decrypt","Effect":"Allow","Resource":"*"}`), decrypt, evImplicitDoubt(0, 0)},
		{"Kelvin-sign NotAction on an Allow", doc(`{"NotAction":"\u212Ams:*","Effect":"Allow","Resource":"*"}`), decrypt, evImplicitDoubt(0, 0)},
		{"dotless i in an action on a Deny", doc(allowKey, `{"Action":"kms:Decrypt","Effect":"Deny","Resource":"*"}`, `{"Action":"kms:Decrypt\u0131","Effect":"Deny","Resource":"*"}`), decrypt, evDeny(0, 1)},
		{"alİyuncs.com on a Deny", doc(allowB, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"*@ecs.al\u0130yuncs.com"}}`), evAssume(evECS(evB)), allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		{"alİyuncs.com on an Allow", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"2000000000000001@ecs.al\u0130yuncs.com"}}`), evAssume(evECS(evB)), evImplicitDoubt(0, 0)},
		{"a plain alİyuncs.com service of the own account on a Deny", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}`, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"Service":"ecs.al\u0130yuncs.com"}}`), evAssume(evECS(evOwner)), allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		{"a Kelvin sign in a RAM principal on a Deny", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":"acs:ram::2000000000000001:*"}}`, `{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"RAM":"acs:ram::2000000000000001:root\u212A"}}`), Request{Action: "sts:AssumeRole", Principal: RequestPrincipal{RAM: "acs:ram::2000000000000001:rootk"}, Owner: evOwner}, allowedInDoubt(evRef(0, 0), evRef(0, 1))},
		// A value that matches for certain still decides.
		{"a Kelvin-sign value beside one that matches", doc(`{"Action":["\u212Ams:Encrypt","kms:Decrypt"],"Effect":"Allow","Resource":"*"}`), decrypt, evAllow(0, 0)},
		// Condition keys and StringEqualsIgnoreCase values.
		{"a condition key with a dotted İ", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEquals":{"sts:ServiceOwnerRD\u0130d":"rd-blocked"}}}`), inOtherRD, evImplicitDoubt(0, 0)},
		{"StringEqualsIgnoreCase equal only beyond ASCII", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEqualsIgnoreCase":{"sts:ServiceOwnerRDId":"rd-\u017Ftuff"}}}`), evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", "rd-stuff")), evImplicitDoubt(0, 0)},
		{"StringNotEqualsIgnoreCase equal only beyond ASCII", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringNotEqualsIgnoreCase":{"sts:ServiceOwnerRDId":"rd-\u017Ftuff"}}}`), evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", "rd-stuff")), evImplicitDoubt(0, 0)},
		{"StringEqualsIgnoreCase equal by ASCII", doc(`{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condition":{"StringEqualsIgnoreCase":{"sts:ServiceOwnerRDId":"RD-STUFF"}}}`), evAssume(evECS(evB), evKV("sts:ServiceOwnerRDId", "rd-stuff")), evAllow(0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := []*Document{evRead(t, tt.doc)}
			got := Compile(docs...).Eval(&tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
			if ref := refEval(docs, &tt.req); ref != got {
				t.Errorf("reference evaluator says %+v, compiled says %+v", ref, got)
			}
		})
	}
}

// How Read keeps what it cannot read one way for certain.
func TestReadLookAlikeKeys(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    *Document
		wantErr string // in the error, when Read refuses the document
	}{
		{
			name:    "ſtatement alone",
			give:    `{"Version":"1","\u017Ftatement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			wantErr: `ſtatement: reads as "Statement" only when case is folded beyond ASCII`,
		},
		{
			name:    "Versİon",
			give:    `{"Vers\u0130on":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			wantErr: `Versİon: reads as "Version" only when case is folded beyond ASCII`,
		},
		{
			name:    "Statement and ſtatement",
			give:    `{"Statement":[],"\u017Ftatement":[]}`,
			wantErr: `ſtatement: differs only in case from key "Statement"`,
		},
		{
			name: "Conditıon makes the statement opaque",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-x"}}}]}`,
			want: New(Statement{Opaque: []byte(`{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"*@ecs.aliyuncs.com"},"Condit\u0131on":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-x"}}}`)}),
		},
		{
			name: "Eﬀect alone makes the statement opaque",
			give: `{"Version":"1","Statement":[{"E\uFB00ect":"Allow","Action":"*","Resource":"*"}]}`,
			want: New(Statement{Opaque: []byte(`{"E\uFB00ect":"Allow","Action":"*","Resource":"*"}`)}),
		},
		{
			name: "a Sid with a Kelvin sign is only a key this library does not model",
			give: `{"Version":"1","Statement":[{"\u212Aey":"x","Effect":"Allow","Action":"*","Resource":"*"}]}`,
			want: New(Statement{Effect: Allow, Action: Values{"*"}, Resource: Values{"*"}, Extra: map[string]json.RawMessage{"\u212Aey": json.RawMessage(`"x"`)}}),
		},
		{
			name: "ſervice makes the Principal unreadable",
			give: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"\u017Fervice":"2000000000000001@ecs.aliyuncs.com"}}]}`,
			want: New(Statement{Effect: Allow, Action: Values{"sts:AssumeRole"}, Extra: map[string]json.RawMessage{"Principal": json.RawMessage(`{"` + "\u017F" + `ervice":"2000000000000001@ecs.aliyuncs.com"}`)}}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read([]byte(tt.give))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read = %v, want ErrInvalid with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
			if (tt.want.Statement[0].Opaque != nil) != (got.Statement[0].Opaque != nil) {
				t.Errorf("Opaque = %q, want %q", got.Statement[0].Opaque, tt.want.Statement[0].Opaque)
			}
		})
	}
}

// The strict parser refuses a look-alike key, and says which key it looks
// like.
func TestParseLookAlikeKey(t *testing.T) {
	_, err := Parse([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condit\u0131on":{"StringEquals":{"a":"b"}}}]}`))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `unknown key (did you mean "Condition"?)`) {
		t.Fatalf("Parse = %v, want an unknown key that names Condition", err)
	}
}

// The explanation names the folding.
func TestExplainLookAlikeAction(t *testing.T) {
	d := evRead(t, `{"Version":"1","Statement":[{"Action":"\u212Ams:*","Effect":"Deny","Resource":"*"}]}`)
	req := evKMS("kms:Decrypt", evKeyARN)
	out := Compile(d).Explain(&req)
	want := `Action: a value matches "kms:Decrypt" only when case is folded beyond ASCII, which RAM does not document`
	if len(out) != 1 || out[0].Applies != MatchUnknown || !out[0].Unreadable || strings.Join(out[0].Why, "\n") != want {
		t.Errorf("Explain = %+v, want unknown, unreadable, %q", out, want)
	}
}

// foldWide folds every character to ASCII exactly when Unicode's case
// mappings can: its table of full foldings is checked here against
// Unicode's own tables, character by character.
func TestFoldWideMatchesUnicode(t *testing.T) {
	upper := cases.Upper(language.Und)
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		// Characters of other categories (CJK ideographs, other letters
		// without case, unassigned and private code points) have no case
		// mappings at all.
		if !utf8.ValidRune(r) || !unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Mn, unicode.Nl, unicode.So) {
			continue
		}
		s := string(r)
		// Every reading a case-insensitive reader might use.
		readings := []string{
			string(unicode.ToLower(unicode.ToUpper(r))),
			string(unicode.ToLower(r)),
			strings.ToLower(cases.Fold().String(s)),
			strings.ToLower(upper.String(s)),
			strings.ToLower(cases.Lower(language.Und).String(s)),
		}
		for x := unicode.SimpleFold(r); x != r; x = unicode.SimpleFold(x) {
			readings = append(readings, string(unicode.ToLower(x)))
		}
		var ascii string
		for _, x := range readings {
			if isASCII(x) && ascii == "" {
				ascii = lowerASCII(x)
			}
		}
		got := foldWide(s)
		switch {
		case ascii != "" && got != ascii:
			t.Errorf("foldWide(%U %q) = %q, want %q, as a case mapping gives", r, s, got, ascii)
		case ascii == "" && isASCII(got):
			t.Errorf("foldWide(%U %q) = %q, which no case mapping gives", r, s, got)
		}
		if (got != s) != foldsBeyondASCII(s) {
			t.Errorf("foldsBeyondASCII(%U %q) = %v, but foldWide gives %q", r, s, foldsBeyondASCII(s), got)
		}
	}
}

func TestCompareFold(t *testing.T) {
	tests := []struct {
		a, b string
		want Match
	}{
		{"Statement", "statement", MatchYes},
		{"\u017Ftatement", "Statement", MatchUnknown},
		{"Condit\u0131on", "Condition", MatchUnknown},
		{"Cond\u0130tion", "Condition", MatchUnknown},
		{"\u212Ams:*", "kms:*", MatchUnknown},
		{"E\uFB00ect", "Effect", MatchUnknown},
		{"Stra\u00DFe", "STRASSE", MatchUnknown},
		{"\u00C9", "\u00E9", MatchUnknown},
		{"Condition", "Conditions", MatchNo},
		{"Cöndition", "Condition", MatchNo},
		{"\xff", "\xfe", MatchNo},
	}
	for _, tt := range tests {
		if got := CompareFold(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareFold(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
