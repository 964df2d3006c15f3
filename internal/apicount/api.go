package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"sort"
	"strings"
)

// api lists the exported API of the non-test files of dir, one item a line,
// in an order that does not depend on which file holds what: every exported
// function with its signature; every exported type with its underlying type
// (an alias as "type A = B"), then, in declaration order, its exported fields
// with their types and tags, or its interface's methods with their
// signatures; every method of an exported type with its signature; every
// exported constant and variable with its type and value as written. A line
// changes when a name is added, removed or renamed, or when a signature,
// field, tag, constant value or alias changes; moving a declaration to
// another file, or changing a comment or a function body, changes none.
func api(dir string) ([]string, error) {
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	blocks := map[string][]string{}
	for _, file := range files {
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				apiFunc(fset, d, blocks)
			case *ast.GenDecl:
				apiGen(fset, d, blocks)
			}
		}
	}
	keys := make([]string, 0, len(blocks))
	for k := range blocks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, blocks[k]...)
	}
	return out, nil
}

// apiFunc adds an exported function, or an exported method of an exported
// type.
func apiFunc(fset *token.FileSet, d *ast.FuncDecl, blocks map[string][]string) {
	if !d.Name.IsExported() {
		return
	}
	sig := strings.TrimPrefix(node(fset, d.Type), "func")
	if d.Recv == nil {
		blocks[d.Name.Name] = append(blocks[d.Name.Name], "func "+d.Name.Name+sig)
		return
	}
	recv := d.Recv.List[0].Type
	star := ""
	if s, ok := recv.(*ast.StarExpr); ok {
		recv, star = s.X, "*"
	}
	if ix, ok := recv.(*ast.IndexExpr); ok {
		recv = ix.X
	}
	id, ok := recv.(*ast.Ident)
	if !ok || !id.IsExported() {
		return
	}
	k := id.Name + "." + d.Name.Name
	blocks[k] = append(blocks[k], fmt.Sprintf("method (%s%s) %s%s", star, id.Name, d.Name.Name, sig))
}

// apiGen adds the exported types, constants and variables of a declaration.
func apiGen(fset *token.FileSet, d *ast.GenDecl, blocks map[string][]string) {
	// A constant without a value repeats the type and values of the last
	// one with them, with the next iota.
	var lastType ast.Expr
	var lastValues []ast.Expr
	for iota, s := range d.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			if s.Name.IsExported() {
				blocks[s.Name.Name] = apiType(fset, s)
			}
		case *ast.ValueSpec:
			typ, values := s.Type, s.Values
			if d.Tok == token.CONST {
				if len(values) == 0 {
					typ, values = lastType, lastValues
				} else {
					lastType, lastValues = typ, values
				}
			}
			for i, n := range s.Names {
				if !n.IsExported() {
					continue
				}
				line := d.Tok.String() + " " + n.Name
				if typ != nil {
					line += " " + node(fset, typ)
				}
				if i < len(values) {
					line += " = " + node(fset, values[i])
					if d.Tok == token.CONST && len(s.Values) == 0 {
						line += fmt.Sprintf(" (iota %d)", iota)
					}
				}
				blocks[n.Name] = append(blocks[n.Name], line)
			}
		}
	}
}

// apiType lists an exported type: the type itself, then its exported fields
// or its interface's methods.
func apiType(fset *token.FileSet, s *ast.TypeSpec) []string {
	name := s.Name.Name
	tparams := ""
	if s.TypeParams != nil {
		tparams = node(fset, s.TypeParams)
	}
	if s.Assign.IsValid() {
		return []string{fmt.Sprintf("type %s%s = %s", name, tparams, node(fset, s.Type))}
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		out := []string{fmt.Sprintf("type %s%s struct", name, tparams)}
		for _, f := range t.Fields.List {
			tag := ""
			if f.Tag != nil {
				tag = " " + f.Tag.Value
			}
			if len(f.Names) == 0 {
				if embedded(f.Type) {
					out = append(out, fmt.Sprintf("embedded %s.%s%s", name, node(fset, f.Type), tag))
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					out = append(out, fmt.Sprintf("field %s.%s %s%s", name, n.Name, node(fset, f.Type), tag))
				}
			}
		}
		return out
	case *ast.InterfaceType:
		out := []string{fmt.Sprintf("type %s%s interface", name, tparams)}
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				out = append(out, fmt.Sprintf("embedded %s.%s", name, node(fset, m.Type)))
				continue
			}
			for _, n := range m.Names {
				sig := strings.TrimPrefix(node(fset, m.Type), "func")
				out = append(out, fmt.Sprintf("method %s.%s%s", name, n.Name, sig))
			}
		}
		return out
	}
	return []string{fmt.Sprintf("type %s%s %s", name, tparams, node(fset, s.Type))}
}

// embedded reports whether an embedded field's type is exported, and so
// promotes its exported fields and methods.
func embedded(t ast.Expr) bool {
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch t := t.(type) {
	case *ast.Ident:
		return t.IsExported()
	case *ast.SelectorExpr:
		return t.Sel.IsExported()
	}
	return false
}

// node prints a node on one line.
func node(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
