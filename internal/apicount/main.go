// Command apicount counts the exported top-level identifiers of Go packages:
// functions without a receiver, types, constants and variables, from the
// non-test files of each directory given.
//
//	go run ./internal/apicount ./encryptperm ./encryptperm/policy ./fake
//
// The project keeps the count of package encryptperm at most 110, so that a
// user meets only the names they need; TestEncryptpermWithinItsCap holds it.
//
// With -api it lists instead every exported name of each directory with its
// signature, one a line (see api):
//
//	go run ./internal/apicount -api ./encryptperm
//
// TestEncryptpermAPI holds that list of package encryptperm to
// testdata/encryptperm.api.golden, so that no exported name or signature
// changes unnoticed; go test ./internal/apicount -update rewrites the file
// after a change made on purpose (by addition only).
//
// The command exits 1 when a directory cannot be read.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// counts are a package's exported top-level names, by kind.
type counts struct {
	funcs, types, consts, vars int
}

func (c counts) total() int { return c.funcs + c.types + c.consts + c.vars }

func main() {
	list := flag.Bool("api", false, "list every exported name with its signature instead of counting")
	flag.Parse()
	failed := false
	for _, dir := range flag.Args() {
		if *list {
			lines, err := api(dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				failed = true
				continue
			}
			for _, l := range lines {
				fmt.Println(l)
			}
			continue
		}
		pkgs, err := count(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
			continue
		}
		names := make([]string, 0, len(pkgs))
		for name := range pkgs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			c := pkgs[name]
			fmt.Printf("%-40s %4d (funcs %d, types %d, consts %d, vars %d)\n", filepath.Clean(dir), c.total(), c.funcs, c.types, c.consts, c.vars)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// count counts the exported top-level names of the non-test files of dir,
// by package name (a directory holds one package outside its tests).
func count(dir string) (map[string]counts, error) {
	_, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]counts{}
	for _, file := range files {
		c := out[file.Name.Name]
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					c.funcs++
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							c.types++
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							if d.Tok == token.CONST {
								c.consts++
							} else {
								c.vars++
							}
						}
					}
				}
			}
		}
		out[file.Name.Name] = c
	}
	return out, nil
}

// parseDir parses the non-test Go files of dir, in the order of their
// names.
func parseDir(dir string) (*token.FileSet, []*ast.File, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, file)
	}
	return fset, files, nil
}
