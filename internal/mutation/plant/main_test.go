package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// module writes files (slash paths relative to the root) into a new
// directory and returns it.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func readAll(t *testing.T, root string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

const (
	pagerGo = "package lib\n\nfunc pages() int {\n\tsize := 100\n\treturn size\n}\n"
	limitGo = "package lib\n\nconst perCall = 10\n"
	otherGo = "package share\n\nfunc pages() int {\n\tsize := 100\n\treturn size\n}\n"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		mutant      string
		wantChanged []string
		wantFiles   map[string]string // nil: every file as it was
		wantStale   string            // a part of the stale message; "" when it applies
		wantLog     string            // a part of what plant writes to stderr
	}{
		{
			name:        "block found once in its package",
			files:       map[string]string{"lib/pager.go": pagerGo, "lib/limit.go": limitGo},
			mutant:      "# Lib: a smaller page.\n# Test: ./lib\npackage lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantChanged: []string{"lib/pager.go"},
			wantFiles: map[string]string{
				"lib/pager.go": "package lib\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
				"lib/limit.go": limitGo,
			},
			wantLog: "lib/pager.go:4",
		},
		{
			name:  "two blocks in two files, applied in order",
			files: map[string]string{"lib/pager.go": pagerGo, "lib/limit.go": limitGo},
			mutant: "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n" +
				"=== old\n\tsize := 20\n\treturn size\n=== new\n\treturn 7\n=== end\n" +
				"=== old\nconst perCall = 10\n=== new\nconst perCall = 11\n=== end\n",
			wantChanged: []string{"lib/limit.go", "lib/pager.go"},
			wantFiles: map[string]string{
				"lib/pager.go": "package lib\n\nfunc pages() int {\n\treturn 7\n}\n",
				"lib/limit.go": "package lib\n\nconst perCall = 11\n",
			},
		},
		{
			name:        "the test files of the package are not searched",
			files:       map[string]string{"lib/pager.go": pagerGo, "lib/pager_test.go": pagerGo},
			mutant:      "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantChanged: []string{"lib/pager.go"},
			wantFiles: map[string]string{
				"lib/pager.go":      "package lib\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
				"lib/pager_test.go": pagerGo,
			},
		},
		{
			name:      "a block only matches whole lines",
			files:     map[string]string{"lib/limit.go": "package lib\n\nconst perCall = 100\n"},
			mutant:    "package lib\n=== old\nconst perCall = 10\n=== new\nconst perCall = 11\n=== end\n",
			wantStale: "found neither in package lib nor elsewhere in the module",
		},
		{
			name:      "a block found twice in its package is stale",
			files:     map[string]string{"lib/pager.go": pagerGo, "lib/pager2.go": pagerGo},
			mutant:    "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantStale: "occurs 2 times (lib/pager.go:4, lib/pager2.go:4)",
		},
		{
			name:  "a block found nowhere is stale, and nothing is written",
			files: map[string]string{"lib/pager.go": pagerGo, "lib/limit.go": limitGo},
			mutant: "package lib\n=== old\nconst perCall = 10\n=== new\nconst perCall = 11\n=== end\n" +
				"=== old\n\tsize := 64\n=== new\n\tsize := 20\n=== end\n",
			wantStale: "the block at line 7 is found neither",
			wantFiles: map[string]string{"lib/pager.go": pagerGo, "lib/limit.go": limitGo},
		},
		{
			name:        "code moved to another package is found, and the move is told",
			files:       map[string]string{"lib/limit.go": limitGo, "internal/share/pager.go": otherGo},
			mutant:      "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantChanged: []string{"internal/share/pager.go"},
			wantFiles: map[string]string{
				"internal/share/pager.go": "package share\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
			},
			wantLog: "names package lib, but the code is now in internal/share",
		},
		{
			name:      "moved code found twice elsewhere is stale",
			files:     map[string]string{"lib/limit.go": limitGo, "a/pager.go": otherGo, "b/pager.go": otherGo},
			mutant:    "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantStale: "occurs 2 times (a/pager.go:4, b/pager.go:4)",
		},
		{
			name:        "the package holding it wins over a copy elsewhere",
			files:       map[string]string{"lib/pager.go": pagerGo, "internal/share/pager.go": otherGo},
			mutant:      "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantChanged: []string{"lib/pager.go"},
			wantFiles: map[string]string{
				"lib/pager.go":            "package lib\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
				"internal/share/pager.go": otherGo,
			},
		},
		{
			name:      "testdata is never searched",
			files:     map[string]string{"lib/limit.go": limitGo, "lib/testdata/pager.go": otherGo},
			mutant:    "package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n",
			wantStale: "found neither",
		},
		{
			name:  "a unified diff applies where its file says",
			files: map[string]string{"lib/pager.go": pagerGo},
			mutant: "# Test: ./lib\ndiff --git a/lib/pager.go b/lib/pager.go\nindex 1..2 100644\n--- a/lib/pager.go\n+++ b/lib/pager.go\n" +
				"@@ -3,3 +3,3 @@ package lib\n func pages() int {\n-\tsize := 100\n+\tsize := 20\n \treturn size\n",
			wantChanged: []string{"lib/pager.go"},
			wantFiles: map[string]string{
				"lib/pager.go": "package lib\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
			},
		},
		{
			name:  "a unified diff whose file moved is found by its text",
			files: map[string]string{"lib/split.go": pagerGo},
			mutant: "diff --git a/lib/pager.go b/lib/pager.go\n--- a/lib/pager.go\n+++ b/lib/pager.go\n" +
				"@@ -3,3 +3,3 @@\n func pages() int {\n-\tsize := 100\n+\tsize := 20\n \treturn size\n",
			wantChanged: []string{"lib/split.go"},
			wantFiles: map[string]string{
				"lib/split.go": "package lib\n\nfunc pages() int {\n\tsize := 20\n\treturn size\n}\n",
			},
		},
		{
			name:  "a unified diff whose context changed is stale",
			files: map[string]string{"lib/pager.go": "package lib\n\nfunc pages(n int) int {\n\tsize := 100\n\treturn size\n}\n"},
			mutant: "diff --git a/lib/pager.go b/lib/pager.go\n--- a/lib/pager.go\n+++ b/lib/pager.go\n" +
				"@@ -3,3 +3,3 @@\n func pages() int {\n-\tsize := 100\n+\tsize := 20\n \treturn size\n",
			wantStale: "found neither in lib/pager.go, package lib nor elsewhere",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := module(t, tt.files)
			blocks, err := parse(tt.mutant)
			if err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			changed, err := apply(root, blocks, &log)
			var se *staleError
			switch {
			case tt.wantStale != "":
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantStale) {
					t.Fatalf("apply: %v, want a stale error with %q", err, tt.wantStale)
				}
			case err != nil:
				t.Fatalf("apply: %v", err)
			}
			if diff := cmp.Diff(tt.wantChanged, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			want := tt.wantFiles
			if want == nil {
				want = tt.files // nothing written
			}
			var names []string
			for n := range want {
				names = append(names, n)
			}
			if diff := cmp.Diff(want, readAll(t, root, names...)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log %q, want it to hold %q", log.String(), tt.wantLog)
			}
		})
	}
}

func TestParseRefusesMalformedMutants(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"nothing", "# Where: what\n", "no block"},
		{"a block before the package", "=== old\nx\n=== new\ny\n=== end\n", "line 1: a block before any package line"},
		{"no new", "package lib\n=== old\nx\n", `no "=== new"`},
		{"no end", "package lib\n=== old\nx\n=== new\ny\n", `no "=== end"`},
		{"an empty old block", "package lib\n=== old\n=== new\ny\n=== end\n", "line 2: an empty old block"},
		{"stray text", "package lib\nx := 1\n", `line 2: want a package line or === old, got "x := 1"`},
		{"a short hunk", "--- a/lib/x.go\n+++ b/lib/x.go\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n", "line 3: the hunk is shorter than its header says"},
		{"a deleted file", "--- a/lib/x.go\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n", "a diff that deletes a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestPlantedMutantsParse reads every mutant the project keeps: each must
// be well formed (whether it still fits the code is planted.sh's to say).
func TestPlantedMutantsParse(t *testing.T) {
	files, err := filepath.Glob("../planted/*.patch")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no planted mutant found")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parse(string(src)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, h := range []string{"# A user suffers: ", "# Caught by: ", "# Test: "} {
			if !strings.Contains(string(src), "\n"+h) {
				t.Errorf("%s: no %q header line", f, strings.TrimSpace(h))
			}
		}
	}
}

func TestApplyFileOfTheModule(t *testing.T) {
	root := module(t, map[string]string{"lib/pager.go": pagerGo})
	mut := filepath.Join(t.TempDir(), "01-page.patch")
	if err := os.WriteFile(mut, []byte("package lib\n=== old\n\tsize := 100\n=== new\n\tsize := 20\n=== end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := applyFile(root, mut, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lib/pager.go"}, changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	if _, err := applyFile(root, filepath.Join(t.TempDir(), "missing.patch"), io.Discard); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing mutant: %v, want os.ErrNotExist", err)
	}
}

func TestApplyOp(t *testing.T) {
	const src = "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a == b && c < d:\n\t\ta++\n\t}\n\treturn a - 1\n}\n"
	tests := []struct {
		name, typ, at string
		want          string // the file after; "" when stale
		wantStale     string
	}{
		{"negation", "CONDITIONALS_NEGATION", "lib/a.go:5:9", "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a != b && c < d:\n\t\ta++\n\t}\n\treturn a - 1\n}\n", ""},
		{"boundary", "CONDITIONALS_BOUNDARY", "lib/a.go:5:19", "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a == b && c <= d:\n\t\ta++\n\t}\n\treturn a - 1\n}\n", ""},
		{"logical", "INVERT_LOGICAL", "lib/a.go:5:14", "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a == b || c < d:\n\t\ta++\n\t}\n\treturn a - 1\n}\n", ""},
		{"increment", "INCREMENT_DECREMENT", "lib/a.go:6:4", "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a == b && c < d:\n\t\ta--\n\t}\n\treturn a - 1\n}\n", ""},
		{"arithmetic", "ARITHMETIC_BASE", "lib/a.go:8:11", "package lib\n\nfunc f(a, b, c, d int) int {\n\tswitch {\n\tcase a == b && c < d:\n\t\ta++\n\t}\n\treturn a + 1\n}\n", ""},
		{"a token the type does not change", "ARITHMETIC_BASE", "lib/a.go:5:9", "", `lib/a.go:5:9: "==" is not a token ARITHMETIC_BASE changes`},
		{"no token there", "CONDITIONALS_NEGATION", "lib/a.go:5:10", "", "lib/a.go:5:10: no token starts there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := module(t, map[string]string{"lib/a.go": src})
			changed, err := applyOp(root, tt.typ, tt.at)
			want := tt.want
			if tt.wantStale != "" {
				var se *staleError
				if !errors.As(err, &se) || err.Error() != tt.wantStale {
					t.Fatalf("applyOp: %v, want stale: %s", err, tt.wantStale)
				}
				want = src
			} else if err != nil {
				t.Fatal(err)
			} else if diff := cmp.Diff([]string{"lib/a.go"}, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"lib/a.go": want}, readAll(t, root, "lib/a.go")); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
	root := module(t, map[string]string{"lib/a.go": src})
	for _, bad := range []struct{ typ, at, want string }{
		{"SWAP_EVERYTHING", "lib/a.go:5:9", `-op "SWAP_EVERYTHING": not a mutant type plant knows`},
		{"CONDITIONALS_NEGATION", "lib/a.go:5", `-at "lib/a.go:5": want PATH:LINE:COL`},
		{"CONDITIONALS_NEGATION", "lib/a.go:0:9", `-at "lib/a.go:0:9": want PATH:LINE:COL, with a line and a column from 1`},
	} {
		var se *staleError
		if _, err := applyOp(root, bad.typ, bad.at); err == nil || errors.As(err, &se) || err.Error() != bad.want {
			t.Errorf("applyOp(%s, %s): %v, want the error %q", bad.typ, bad.at, err, bad.want)
		}
	}
}
