// Command plant applies one planted mutant (a bug written by hand, kept
// under internal/mutation/planted/) to a copy of the module, finding the
// code it changes by its text rather than by file and line, so that a
// mutant outlives the code moving between files and packages.
//
//	plant -C DIR FILE
//	plant -C DIR -op TYPE -at PATH:LINE:COL
//
// DIR is the module's root (a copy: plant writes there), FILE the mutant.
// On success plant writes the changed files and prints their paths,
// relative to DIR, one a line; it writes what it did to stderr. A mutant
// whose code cannot be found exactly once is stale: plant changes nothing,
// says why on stderr and exits 3. Other errors (a malformed mutant, an
// unreadable file) exit 2.
//
// The second form applies one of gremlins' operator mutants, as its report
// names it: TYPE (CONDITIONALS_NEGATION, CONDITIONALS_BOUNDARY,
// ARITHMETIC_BASE, INCREMENT_DECREMENT, INVERT_NEGATIVES, INVERT_LOGICAL,
// INVERT_LOOPCTRL) at the token that starts at LINE and COL (a byte
// column, from 1) of PATH, relative to DIR. It exists for the mutants
// gremlins reports as not covered because they sit on a case line, whose
// expressions its coverage blocks leave out although tests run them: run.sh
// runs those with it. A position that holds no token the type changes is
// stale.
//
// A mutant is either of two formats. Lines that start with # before the
// first other line are its header, which plant does not read.
//
// The block format names a package directory, then one or more pairs of
// blocks, each a run of whole lines:
//
//	package encryptperm
//	=== old
//		imageAccountsPerCall = 10
//	=== new
//		imageAccountsPerCall = 11
//	=== end
//
// Each old block must occur exactly once, byte for byte and at the start of
// a line, among the non-test .go files of the package directory; the new
// block takes its place. When the package holds it nowhere, the module's
// other non-test .go files are searched, and the block must occur exactly
// once among them (plant says where it found it, so that the package line
// can be brought up to date). Blocks are applied in order, each to the text
// the ones before it left. A later "package" line changes the directory of
// the blocks after it.
//
// A unified diff (git diff output) is read as the same blocks: each hunk's
// context and removed lines are its old block, its context and added lines
// its new one, sought first in the file the diff names, then as above in
// that file's package directory and the module.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// block is one change: old replaced by new, sought first in file (a path
// relative to the module's root, "" for none), then in dir, then in the
// module.
type block struct {
	file, dir string
	old, new  string
	line      int // where the block starts in the mutant, for messages
}

// staleError is a block that cannot be placed: the mutant no longer fits
// the code.
type staleError struct{ msg string }

func (e *staleError) Error() string { return e.msg }

func main() {
	root := flag.String("C", ".", "the module's root, where the mutant is applied")
	op := flag.String("op", "", "a gremlins mutant type, applied at -at")
	at := flag.String("at", "", "PATH:LINE:COL of the token -op changes")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: plant [-C DIR] MUTANT\n       plant [-C DIR] -op TYPE -at PATH:LINE:COL")
		flag.PrintDefaults()
	}
	flag.Parse()
	var changed []string
	var err error
	switch {
	case *op != "" && *at != "" && flag.NArg() == 0:
		changed, err = applyOp(*root, *op, *at)
	case *op == "" && *at == "" && flag.NArg() == 1:
		changed, err = applyFile(*root, flag.Arg(0), os.Stderr)
	default:
		flag.Usage()
		os.Exit(2)
	}
	var se *staleError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(os.Stderr, "plant: stale: %v\n", err)
		os.Exit(3)
	case err != nil:
		fmt.Fprintf(os.Stderr, "plant: %v\n", err)
		os.Exit(2)
	}
	for _, f := range changed {
		fmt.Println(f)
	}
}

// applyFile applies the mutant in file to the module at root and returns
// the paths of the files it changed, sorted.
func applyFile(root, file string, log io.Writer) ([]string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	blocks, err := parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return apply(root, blocks, log)
}

// parse reads a mutant in either format.
func parse(src string) ([]block, error) {
	lines := strings.SplitAfter(src, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "#") {
		i++
	}
	for _, l := range lines[i:] {
		if strings.HasPrefix(l, "diff --git ") || strings.HasPrefix(l, "--- ") {
			return parseDiff(lines, i)
		}
		if strings.TrimSpace(l) != "" {
			break
		}
	}
	return parseBlocks(lines, i)
}

// parseBlocks reads the block format from lines[i:].
func parseBlocks(lines []string, i int) ([]block, error) {
	var out []block
	dir := ""
	for i < len(lines) {
		l := strings.TrimRight(lines[i], "\n")
		switch {
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#"):
			i++
		case strings.HasPrefix(l, "package "):
			dir = path.Clean(strings.TrimSpace(strings.TrimPrefix(l, "package ")))
			i++
		case l == "=== old":
			if dir == "" {
				return nil, fmt.Errorf("line %d: a block before any package line", i+1)
			}
			b := block{dir: dir, line: i + 1}
			var err error
			if b.old, i, err = blockText(lines, i+1, "=== new"); err != nil {
				return nil, err
			}
			if b.new, i, err = blockText(lines, i+1, "=== end"); err != nil {
				return nil, err
			}
			if b.old == "" {
				return nil, fmt.Errorf("line %d: an empty old block", b.line)
			}
			out = append(out, b)
			i++
		default:
			return nil, fmt.Errorf("line %d: want a package line or === old, got %q", i+1, l)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no block")
	}
	return out, nil
}

// blockText returns the lines from lines[i:] up to the line end, and the
// index of that line.
func blockText(lines []string, i int, end string) (string, int, error) {
	var b strings.Builder
	for j := i; j < len(lines); j++ {
		if strings.TrimRight(lines[j], "\n") == end {
			return b.String(), j, nil
		}
		b.WriteString(lines[j])
		if !strings.HasSuffix(lines[j], "\n") {
			b.WriteString("\n")
		}
	}
	return "", 0, fmt.Errorf("line %d: no %q after it", i, end)
}

// parseDiff reads a unified diff from lines[i:]: one block per hunk. A
// hunk's length comes from its header (@@ -l,n +l,m @@).
func parseDiff(lines []string, i int) ([]block, error) {
	var out []block
	file := ""
	for i < len(lines) {
		l := strings.TrimRight(lines[i], "\n")
		switch {
		case strings.HasPrefix(l, "+++ "):
			name := strings.TrimSpace(strings.TrimPrefix(l, "+++ "))
			if name == "/dev/null" {
				return nil, fmt.Errorf("line %d: a diff that deletes a file", i+1)
			}
			file = path.Clean(strings.TrimPrefix(name, "b/"))
			i++
		case strings.HasPrefix(l, "@@ "):
			if file == "" {
				return nil, fmt.Errorf("line %d: a hunk before any +++ line", i+1)
			}
			var ol, on, nl, nn int
			if _, err := fmt.Sscanf(hunkCounts(l), "-%d,%d +%d,%d", &ol, &on, &nl, &nn); err != nil {
				return nil, fmt.Errorf("line %d: a hunk header %q: %v", i+1, l, err)
			}
			b := block{file: file, dir: path.Dir(file), line: i + 1}
			var old, nw strings.Builder
			for i++; (on > 0 || nn > 0) && i < len(lines); i++ {
				h := strings.TrimRight(lines[i], "\n")
				switch {
				case h == "" || h[0] == ' ':
					// An empty line is a context line whose space an
					// editor took away.
					if h != "" {
						h = h[1:]
					}
					old.WriteString(h + "\n")
					nw.WriteString(h + "\n")
					on, nn = on-1, nn-1
				case h[0] == '-':
					old.WriteString(h[1:] + "\n")
					on--
				case h[0] == '+':
					nw.WriteString(h[1:] + "\n")
					nn--
				case h[0] == '\\':
				default:
					return nil, fmt.Errorf("line %d: %q in a hunk", i+1, h)
				}
			}
			if on != 0 || nn != 0 {
				return nil, fmt.Errorf("line %d: the hunk is shorter than its header says", b.line)
			}
			b.old, b.new = old.String(), nw.String()
			if b.old == "" {
				return nil, fmt.Errorf("line %d: a hunk with no old lines", b.line)
			}
			out = append(out, b)
		default:
			i++
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no hunk")
	}
	return out, nil
}

// hunkCounts returns the ranges of a hunk header, "-l,n +l,m", with a
// count of 1 written out where the header leaves it out.
func hunkCounts(header string) string {
	f := strings.Fields(header)
	if len(f) < 3 {
		return ""
	}
	r := f[1:3]
	for j, x := range r {
		if !strings.Contains(x, ",") {
			r[j] = x + ",1"
		}
	}
	return r[0] + " " + r[1]
}

// apply places the blocks in order in the module at root, writes the
// files they changed, and returns those files' paths, sorted. It writes
// nothing when a block cannot be placed.
func apply(root string, blocks []block, log io.Writer) ([]string, error) {
	files, err := sources(root)
	if err != nil {
		return nil, err
	}
	text := map[string]string{}
	read := func(f string) (string, error) {
		if s, ok := text[f]; ok {
			return s, nil
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		text[f] = string(b)
		return text[f], nil
	}
	changed := map[string]bool{}
	for _, b := range blocks {
		scopes := [][]string{}
		if b.file != "" && slices.Contains(files, b.file) {
			scopes = append(scopes, []string{b.file})
		}
		var inDir, rest []string
		for _, f := range files {
			if path.Dir(f) == b.dir {
				inDir = append(inDir, f)
			} else {
				rest = append(rest, f)
			}
		}
		scopes = append(scopes, inDir, rest)
		placed := false
		for si, scope := range scopes {
			var hits []hit
			for _, f := range scope {
				s, err := read(f)
				if err != nil {
					return nil, err
				}
				for _, at := range lineIndexes(s, b.old) {
					hits = append(hits, hit{f, at})
				}
			}
			if len(hits) == 0 {
				continue
			}
			if len(hits) > 1 {
				var where []string
				for _, h := range hits {
					where = append(where, fmt.Sprintf("%s:%d", h.file, lineOf(text[h.file], h.at)))
				}
				return nil, &staleError{fmt.Sprintf("the block at line %d occurs %d times (%s): make it longer, so that it names one place", b.line, len(hits), strings.Join(where, ", "))}
			}
			h := hits[0]
			s := text[h.file]
			fmt.Fprintf(log, "plant: block at line %d: %s:%d\n", b.line, h.file, lineOf(s, h.at))
			if si == len(scopes)-1 {
				fmt.Fprintf(log, "plant: block at line %d names package %s, but the code is now in %s: bring the mutant up to date\n", b.line, b.dir, path.Dir(h.file))
			}
			text[h.file] = s[:h.at] + b.new + s[h.at+len(b.old):]
			changed[h.file] = true
			placed = true
			break
		}
		if !placed {
			where := "package " + b.dir
			if b.file != "" {
				where = b.file + ", " + where
			}
			return nil, &staleError{fmt.Sprintf("the block at line %d is found neither in %s nor elsewhere in the module: rewrite the mutant against the code as it is now, or delete it if that code is gone", b.line, where)}
		}
	}
	out := make([]string, 0, len(changed))
	for f := range changed {
		out = append(out, f)
	}
	sort.Strings(out)
	for _, f := range out {
		p := filepath.Join(root, filepath.FromSlash(f))
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(text[f]), st.Mode().Perm()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type hit struct {
	file string
	at   int
}

// lineIndexes returns where old occurs in s at the start of a line.
func lineIndexes(s, old string) []int {
	var out []int
	for from := 0; from <= len(s); {
		i := strings.Index(s[from:], old)
		if i < 0 {
			break
		}
		at := from + i
		if at == 0 || s[at-1] == '\n' {
			out = append(out, at)
		}
		from = at + 1
	}
	return out
}

// lineOf returns the line number of byte offset at in s.
func lineOf(s string, at int) int { return strings.Count(s[:at], "\n") + 1 }

// sources lists the module's non-test .go files, as slash paths relative to
// root, sorted; it skips testdata, vendor and hidden directories, and
// nested modules.
func sources(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
