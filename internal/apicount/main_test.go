package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCount(t *testing.T) {
	got, err := count("testdata/sample")
	if err != nil {
		t.Fatal(err)
	}
	want := counts{funcs: 1, types: 1, consts: 2, vars: 1}
	if len(got) != 1 || got["sample"] != want {
		t.Errorf("count = %+v, want sample: %+v", got, want)
	}
	if _, err := count("testdata/missing"); err == nil {
		t.Error("count of a missing directory: no error")
	}
}

// The project's design caps package encryptperm at 110 exported names.
func TestEncryptpermWithinItsCap(t *testing.T) {
	got, err := count("../../encryptperm")
	if err != nil {
		t.Fatal(err)
	}
	if n := got["encryptperm"].total(); n == 0 || n > 110 {
		t.Errorf("package encryptperm exports %d top-level names; the cap is 110", n)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/encryptperm.api.golden")

// Every exported name of package encryptperm, with its signature, its
// fields and their JSON tags, stays as testdata/encryptperm.api.golden
// lists it: names change by addition only, and an addition is made on
// purpose (go test ./internal/apicount -update).
func TestEncryptpermAPI(t *testing.T) {
	lines, err := api("../../encryptperm")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/encryptperm.api.golden"
	want, err := os.ReadFile(golden)
	if *update {
		want, err = []byte(got), os.WriteFile(golden, []byte(got), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("exported API of encryptperm changed (-want +got):\n%s", diff)
	}
}

// api lists what a change of API would change, and only that.
func TestAPI(t *testing.T) {
	got, err := api("testdata/api")
	if err != nil {
		t.Fatal(err)
	}
	want := `const A int = 1 << iota
type Alias = T
const B int = 1 << iota (iota 1)
func F(a int, b ...string) (int, error)
type I interface
method I.M(x int) error
embedded I.fmt.Stringer
type T struct
field T.Name string ` + "`json:\"name\"`" + `
embedded T.*U
method (*T) M() string
method (T) N(s []T) map[string]T
type U struct
var V = []string{"a"}`
	if diff := cmp.Diff(want, strings.Join(got, "\n")); diff != "" {
		t.Errorf("api (-want +got):\n%s", diff)
	}
	if _, err := api("testdata/missing"); err == nil {
		t.Error("api of a missing directory: no error")
	}
}
