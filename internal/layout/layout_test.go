package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The limits of the house, for package encryptperm and its share step.
const (
	maxFileLines = 620
	maxFuncLines = 120
	maxEngine    = 10 // methods of encryptperm's engine
	module       = "github.com/ecsperm/ecsperm"
)

// The packages whose files and functions the limits hold, from the
// module's root.
var limited = []string{"encryptperm", "internal/share"}

// root is the module's root, two levels up from this package.
const root = "../.."

// parseDir parses the Go files of dir, tests included when tests is set.
func parseDir(t *testing.T, dir string, tests bool) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	files := map[string]*ast.File{}
	for _, name := range names {
		if !tests && strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	return fset, files
}

// No file of the limited packages (tests aside) is longer than
// maxFileLines lines.
func TestFileLengths(t *testing.T) {
	for _, dir := range limited {
		_, files := parseDir(t, dir, false)
		for name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "\n"); n > maxFileLines {
				t.Errorf("%s has %d lines; at most %d: split it by job", name, n, maxFileLines)
			}
		}
	}
}

// No function or method of the limited packages (tests aside) is longer
// than maxFuncLines lines.
func TestFunctionLengths(t *testing.T) {
	for _, dir := range limited {
		fset, files := parseDir(t, dir, false)
		for name, f := range files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				if n > maxFuncLines {
					t.Errorf("%s: %s has %d lines; at most %d: give its parts names of their own", name, fd.Name.Name, n, maxFuncLines)
				}
			}
		}
	}
}

// The engine keeps about the Applier's own methods; the targets and the
// pipeline under it are types of their own.
func TestEngineMethods(t *testing.T) {
	_, files := parseDir(t, "encryptperm", false)
	var methods []string
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			recv := fd.Recv.List[0].Type
			if s, ok := recv.(*ast.StarExpr); ok {
				recv = s.X
			}
			if id, ok := recv.(*ast.Ident); ok && id.Name == "engine" {
				methods = append(methods, fd.Name.Name)
			}
		}
	}
	slices.Sort(methods)
	if len(methods) == 0 || len(methods) > maxEngine {
		t.Errorf("engine has %d methods %v; at most %d", len(methods), methods, maxEngine)
	}
}

// The share step imports nothing of encryptperm, tests included, and
// neither does any package of this module it imports: the compiler then
// holds the layering (encryptperm uses the share step, never the other way
// round).
func TestShareImportsNothingOfEncryptperm(t *testing.T) {
	seen := map[string]bool{}
	var walk func(dir, from string)
	walk = func(dir, from string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		_, files := parseDir(t, dir, dir == "internal/share")
		for name, f := range files {
			for _, imp := range f.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				if path == module+"/encryptperm" || strings.HasPrefix(path, module+"/encryptperm/") {
					t.Errorf("%s imports %s (reached from %s); the share step imports nothing of encryptperm", name, path, from)
				}
				if rest, ok := strings.CutPrefix(path, module+"/"); ok {
					walk(rest, dir)
				}
			}
		}
	}
	walk("internal/share", "internal/share")
}
