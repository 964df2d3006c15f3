package main

import "testing"

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
