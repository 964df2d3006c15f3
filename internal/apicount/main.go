// Command apicount counts the exported top-level identifiers of Go packages:
// functions without a receiver, types, constants and variables, from the
// non-test files of each directory given.
//
//	go run ./internal/apicount ./encryptperm ./encryptperm/policy ./fake
//
// The project keeps the count of package encryptperm at most 110, so that a
// user meets only the names they need.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	for _, dir := range os.Args[1:] {
		fset := token.NewFileSet()
		entries, err := os.ReadDir(dir)
		if err != nil {
			fmt.Println(err)
			continue
		}
		// The files of the package, by package name (a directory holds one
		// package outside its tests).
		pkgs := map[string][]*ast.File{}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				fmt.Println(err)
				continue
			}
			pkgs[file.Name.Name] = append(pkgs[file.Name.Name], file)
		}
		for _, files := range pkgs {
			var f, t, c, v int
			for _, file := range files {
				for _, d := range file.Decls {
					switch d := d.(type) {
					case *ast.FuncDecl:
						if d.Recv == nil && d.Name.IsExported() {
							f++
						}
					case *ast.GenDecl:
						for _, s := range d.Specs {
							switch s := s.(type) {
							case *ast.TypeSpec:
								if s.Name.IsExported() {
									t++
								}
							case *ast.ValueSpec:
								for _, n := range s.Names {
									if n.IsExported() {
										if d.Tok == token.CONST {
											c++
										} else {
											v++
										}
									}
								}
							}
						}
					}
				}
			}
			fmt.Printf("%-40s %4d (funcs %d, types %d, consts %d, vars %d)\n", filepath.Clean(dir), f+t+c+v, f, t, c, v)
		}
	}
}
