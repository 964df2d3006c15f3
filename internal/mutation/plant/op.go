package main

import (
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// opMutations are gremlins' operator mutants (v0.6.0), by type: the token
// each changes, and what it becomes.
var opMutations = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE":       {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY": {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR, token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT":   {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_NEGATIVES":      {token.SUB: token.ADD},
	"INVERT_LOGICAL":        {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_LOOPCTRL":       {token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK},
}

// applyOp applies the operator mutant typ at at (PATH:LINE:COL) in the
// module at root, and returns the path it changed.
func applyOp(root, typ, at string) ([]string, error) {
	muts, ok := opMutations[typ]
	if !ok {
		return nil, fmt.Errorf("-op %q: not a mutant type plant knows", typ)
	}
	parts := strings.Split(at, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("-at %q: want PATH:LINE:COL", at)
	}
	line, err1 := strconv.Atoi(parts[1])
	col, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || line < 1 || col < 1 {
		return nil, fmt.Errorf("-at %q: want PATH:LINE:COL, with a line and a column from 1", at)
	}
	p := filepath.Join(root, filepath.FromSlash(parts[0]))
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f := fset.AddFile(p, -1, len(src))
	var s scanner.Scanner
	s.Init(f, src, nil, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		ps := f.Position(pos)
		if ps.Line != line || ps.Column != col {
			continue
		}
		to, ok := muts[tok]
		if !ok {
			return nil, &staleError{fmt.Sprintf("%s: %s is not a token %s changes", at, tokenText(tok, lit), typ)}
		}
		off := f.Offset(pos)
		old := tok.String()
		if string(src[off:off+len(old)]) != old {
			return nil, &staleError{fmt.Sprintf("%s: the token %s is not spelled %q", at, tok, old)}
		}
		out := string(src[:off]) + to.String() + string(src[off+len(old):])
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(out), st.Mode().Perm()); err != nil {
			return nil, err
		}
		return []string{filepath.ToSlash(parts[0])}, nil
	}
	return nil, &staleError{fmt.Sprintf("%s: no token starts there", at)}
}

func tokenText(tok token.Token, lit string) string {
	if lit != "" {
		return strconv.Quote(lit)
	}
	return strconv.Quote(tok.String())
}
