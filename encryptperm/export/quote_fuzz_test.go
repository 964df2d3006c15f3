package export

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/text/unicode/norm"
	"mvdan.cc/sh/v3/shell"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// hostile documents: quotes, expansions, command substitution, newlines,
// and HCL template sequences.
var hostile = []string{
	`{"Statement":[{"Effect":"Allow","Action":"x","Resource":"it's"}]}`,
	`'; rm -rf / #`,
	`$(touch /tmp/pwned)` + "`id`" + `${HOME} $HOME \' \\ "`,
	"line one\nline two\r\n\ttab",
	`${var.x} %{ if true }x%{ endif } $${not} %%{not}`,
	`'''`,
	"",
	"\x01\x7f\u00e9\u2028",
}

// FuzzShellQuotedLine writes a script line whose document is hostile, reads
// it back as a POSIX shell would (mvdan.cc/sh's word expansion), and wants
// the same words.
func FuzzShellQuotedLine(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		c := ramCall("", "UpdateRole", []string{"RoleName", "R", "NewAssumeRolePolicyDocument", doc})
		line, err := c.line()
		if strings.IndexByte(doc, 0) >= 0 {
			if !errors.Is(err, encryptperm.ErrInvalid) {
				t.Fatalf("a NUL byte: %v, want ErrInvalid", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := shell.Fields(line, func(string) string { return "EXPANDED" })
		if err != nil {
			t.Fatalf("%q does not parse: %v", line, err)
		}
		want := []string{"aliyun", "ram", "UpdateRole", "--RoleName", "R", "--NewAssumeRolePolicyDocument", doc}
		if len(got) != len(want) {
			t.Fatalf("%q reads as %q, want %q", line, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%q: word %d is %q, want %q", line, i, got[i], want[i])
			}
		}
	})
}

// FuzzHCLString quotes hostile text as an HCL string and wants it back
// unchanged, with no template expanded.
func FuzzHCLString(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // HCL source is UTF-8; names and documents from RAM are too
		}
		if !norm.NFC.IsNormalString(s) {
			return // Terraform normalizes every string; WriteTerraform refuses such text
		}
		src := "x = " + hclString(s) + "\n"
		file, diags := hclsyntax.ParseConfig([]byte(src), "t.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%q does not parse: %v", src, diags)
		}
		v, diags := file.Body.(*hclsyntax.Body).Attributes["x"].Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("%q: %v", src, diags)
		}
		if got := v.AsString(); got != s {
			t.Fatalf("%q reads back as %q, want %q", src, got, s)
		}
	})
}

// The letters and digits at the ends of their ranges (A, Z, a, z, 0, 9)
// are kept in identifiers and logical IDs, and only separators become
// underscores or word breaks.
func TestNamesKeepTheirEdgeLetters(t *testing.T) {
	if got, want := ident("Zebra9Z-AZaz09"), "zebra9_z_a_zaz09"; got != want {
		t.Errorf("ident = %q, want %q", got, want)
	}
	if got, want := camel("zebra9Z-AZaz09"), "Zebra9ZAZaz09"; got != want {
		t.Errorf("camel = %q, want %q", got, want)
	}
}

// Once a value needs bash's $'...' form, exactly the control bytes (below
// a space, and DEL), the bytes outside ASCII, backslashes and single
// quotes are escaped: a space and a tilde stay as they are.
func TestShellQuoteEscapesExactlyTheControlBytes(t *testing.T) {
	tests := []struct{ give, want string }{
		{"a b\x01", `$'a b\x01'`},
		{"~\x1f", `$'~\x1f'`},
		{"x\x7f", `$'x\x7f'`},
		{"é\n", `$'\xc3\xa9\x0a'`},
		{"it's\\\t", `$'it\'s\\\x09'`},
	}
	for _, tt := range tests {
		got, err := shellQuote(tt.give)
		if err != nil || got != tt.want {
			t.Errorf("shellQuote(%q) = %s, %v; want %s", tt.give, got, err, tt.want)
		}
	}
}
