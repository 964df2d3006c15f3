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
		pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
		if err != nil {
			fmt.Println(err)
			continue
		}
		for _, p := range pkgs {
			var f, t, c, v int
			for _, file := range p.Files {
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
