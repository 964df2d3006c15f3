package proptest

import (
	"flag"
	"io"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// rapidFlags returns a flag set with rapid's two flags as rapid registers
// them (their defaults from the environment), parsed from args.
func rapidFlags(t *testing.T, env map[string]string, args ...string) *flag.FlagSet {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	seed := uint64(0)
	if env["RAPID_SEED"] == "7" {
		seed = 7
	}
	fs.Uint64("rapid.seed", seed, "")
	fs.Bool("rapid.nofailfile", env["RAPID_NOFAILFILE"] == "true", "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantSeed   string
		wantNoFail string
		wantLine   string
	}{
		{
			name: "nothing given", wantSeed: "20260122", wantNoFail: "true",
			wantLine: "proptest: rapid seed 20260122 (the fixed seed; RAPID_SEED=N or -rapid.seed=N picks another, 0 a random one); no fail files",
		},
		{
			name: "a seed on the command line", args: []string{"-rapid.seed=5"}, wantSeed: "5", wantNoFail: "true",
			wantLine: "proptest: rapid seed 5 (as asked); no fail files",
		},
		{
			name: "a seed in the environment", env: map[string]string{"RAPID_SEED": "7"}, wantSeed: "7", wantNoFail: "true",
			wantLine: "proptest: rapid seed 7 (as asked); no fail files",
		},
		{
			name: "a random seed asked for", args: []string{"-rapid.seed=0"}, wantSeed: "0", wantNoFail: "true",
			wantLine: "proptest: rapid seed 0 (a random seed, as asked; a failure prints the seed that reproduces it); no fail files",
		},
		{
			name: "fail files asked for", args: []string{"-rapid.nofailfile=false"}, wantSeed: "20260122", wantNoFail: "false",
			wantLine: "proptest: rapid seed 20260122 (the fixed seed; RAPID_SEED=N or -rapid.seed=N picks another, 0 a random one); fail files under testdata/rapid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := rapidFlags(t, tt.env, tt.args...)
			line, _, err := configure(fs, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			got := []string{fs.Lookup("rapid.seed").Value.String(), fs.Lookup("rapid.nofailfile").Value.String(), line}
			if diff := cmp.Diff([]string{tt.wantSeed, tt.wantNoFail, tt.wantLine}, got); diff != "" {
				t.Errorf("seed, nofailfile, line (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := configure(flag.NewFlagSet("bare", flag.ContinueOnError), func(string) (string, bool) { return "", false }); err == nil {
		t.Error("configure without rapid's flags: no error")
	}
}

// This package's TestMain calls Main: the probe shows that a failing
// property writes nothing into the source tree.
func TestVerify(t *testing.T) {
	if err := Verify(); err != nil {
		t.Fatal(err)
	}
}

// With fail files on, the probe finds the file rapid writes (and removes
// it): the check can fail.
func TestCheckNoFailFileFindsAFailFile(t *testing.T) {
	t.Chdir(t.TempDir())
	f := flag.Lookup("rapid.nofailfile")
	old := f.Value.String()
	if err := f.Value.Set("false"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Value.Set(old) }()
	if err := CheckNoFailFile(); err == nil {
		t.Fatal("CheckNoFailFile found no fail file with fail files on")
	}
	if _, err := os.Stat("testdata"); !os.IsNotExist(err) {
		t.Errorf("the probe left testdata behind: %v", err)
	}
}
