// Package proptest makes this module's property tests (pgregory.net/rapid)
// repeatable and keeps them from writing into the source tree.
//
// Left to itself, rapid draws a new random seed every run, so a property
// test catches a rare bug only now and then, and on a failure it writes a
// fail file under testdata/rapid/ next to the test. A package with property
// tests calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(proptest.Main(m)) }
//
// Every run then uses Seed, printed at the start of the test binary's
// output (shown with -v, and whenever the package fails), and writes no
// fail file; a failure prints the -rapid.seed that reproduces it. To try
// other cases, give a seed: RAPID_SEED=N go test ./..., or
// go test ./encryptperm/policy -rapid.seed=N; a seed of 0 asks rapid for a
// random one. -rapid.nofailfile=false (or RAPID_NOFAILFILE=false) brings the
// fail files back.
//
// A bug that a property test finds gets a test of its own, with the case
// written out, so that it stays caught whatever the seed.
package proptest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"pgregory.net/rapid"
)

// Seed is the seed every property test starts from unless told otherwise.
const Seed uint64 = 20260122

// given records, once Main has run, which of rapid's settings the command
// line or the environment gave; nil before.
var given map[string]bool

// Main sets rapid's seed and fail files as the package comment says, prints
// the seed, and runs the tests.
func Main(m *testing.M) int {
	flag.Parse()
	line, g, err := configure(flag.CommandLine, os.LookupEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	given = g
	fmt.Println(line)
	return m.Run()
}

// Verify returns an error unless Main has set up the running test binary:
// the fixed seed, unless one was given, and no fail file, unless fail files
// were asked for (which it shows by running a property that fails and
// looking for the file).
func Verify() error {
	if given == nil {
		return errors.New("proptest: the package's TestMain does not call proptest.Main")
	}
	if s := flag.Lookup("rapid.seed").Value.String(); !given["rapid.seed"] && s != fmt.Sprint(Seed) {
		return fmt.Errorf("proptest: rapid.seed is %s, want the fixed seed %d", s, Seed)
	}
	if given["rapid.nofailfile"] {
		return nil
	}
	return CheckNoFailFile()
}

// configure sets rapid.seed and rapid.nofailfile in fs, unless the command
// line (as parsed into fs) or the environment gives them, and returns the
// line that says which seed the run uses, and which settings were given.
func configure(fs *flag.FlagSet, lookup func(string) (string, bool)) (string, map[string]bool, error) {
	seed, nofail := fs.Lookup("rapid.seed"), fs.Lookup("rapid.nofailfile")
	if seed == nil || nofail == nil {
		return "", nil, errors.New("proptest: rapid's flags are not registered: import pgregory.net/rapid in the package's tests")
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if _, ok := lookup("RAPID_SEED"); ok {
		given["rapid.seed"] = true
	}
	if _, ok := lookup("RAPID_NOFAILFILE"); ok {
		given["rapid.nofailfile"] = true
	}
	if !given["rapid.seed"] {
		if err := fs.Set("rapid.seed", fmt.Sprint(Seed)); err != nil {
			return "", nil, err
		}
	}
	if !given["rapid.nofailfile"] {
		if err := fs.Set("rapid.nofailfile", "true"); err != nil {
			return "", nil, err
		}
	}
	how := "the fixed seed; RAPID_SEED=N or -rapid.seed=N picks another, 0 a random one"
	switch {
	case given["rapid.seed"] && seed.Value.String() == "0":
		how = "a random seed, as asked; a failure prints the seed that reproduces it"
	case given["rapid.seed"]:
		how = "as asked"
	}
	files := "no fail files"
	if nofail.Value.String() != "true" {
		files = "fail files under testdata/rapid"
	}
	return fmt.Sprintf("proptest: rapid seed %s (%s); %s", seed.Value.String(), how, files), given, nil
}

// CheckNoFailFile runs a property that always fails, under a stand-in for
// testing.T, and returns an error if rapid wrote a fail file for it, or if
// the property did not fail. It removes what rapid wrote.
func CheckNoFailFile() error {
	const name = "TestProptestFailFileProbe"
	dir := filepath.Join("testdata", "rapid", name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("proptest: %s exists before the probe; remove it", dir)
	}
	tb := &probeTB{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rapid.Check(tb, func(t *rapid.T) {
			rapid.IntRange(0, 9).Draw(t, "n")
			t.Fatalf("the probe fails on purpose")
		})
	}()
	<-done
	_, statErr := os.Stat(dir)
	if statErr == nil {
		_ = os.RemoveAll(dir)
		// Remove the parents only if the probe made them: os.Remove
		// leaves a directory that holds anything else.
		_ = os.Remove(filepath.Join("testdata", "rapid"))
		_ = os.Remove("testdata")
		return fmt.Errorf("proptest: a failing property test wrote %s into the source tree: is rapid.nofailfile set?", dir)
	}
	if !tb.failed {
		return errors.New("proptest: the probe's property did not fail, so it proves nothing")
	}
	return nil
}

// probeTB is the stand-in for testing.T that CheckNoFailFile hands rapid:
// it records a failure, and ends the goroutine on Fatal as testing.T does.
type probeTB struct {
	name   string
	failed bool
}

func (p *probeTB) Helper()             {}
func (p *probeTB) Name() string        { return p.name }
func (p *probeTB) Logf(string, ...any) {}
func (p *probeTB) Log(...any)          {}
func (p *probeTB) Skipf(string, ...any) {
	runtime.Goexit()
}
func (p *probeTB) Skip(...any)           { runtime.Goexit() }
func (p *probeTB) SkipNow()              { runtime.Goexit() }
func (p *probeTB) Errorf(string, ...any) { p.failed = true }
func (p *probeTB) Error(...any)          { p.failed = true }
func (p *probeTB) Fatalf(string, ...any) { p.FailNow() }
func (p *probeTB) Fatal(...any)          { p.FailNow() }
func (p *probeTB) FailNow()              { p.failed = true; runtime.Goexit() }
func (p *probeTB) Fail()                 { p.failed = true }
func (p *probeTB) Failed() bool          { return p.failed }
