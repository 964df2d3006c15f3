package share

import (
	"fmt"
	"testing"
)

// An Applier remembers the keys of at most maxKeyHints resources, and
// hands out copies.
func TestKeyHintsAreBounded(t *testing.T) {
	h := &Hints{}
	for i := range maxKeyHints + 50 {
		h.Remember(Resource{Type: Image, Region: "cn-hangzhou", ID: fmt.Sprintf("m-bp1img%05d", i)}, []string{"key-a", "key-b"})
	}
	if got := len(h.m); got != maxKeyHints {
		t.Errorf("%d resources remembered, want %d", got, maxKeyHints)
	}
	last := Resource{Type: Image, Region: "cn-hangzhou", ID: fmt.Sprintf("m-bp1img%05d", maxKeyHints+49)}
	got := h.Get(last)
	if fmt.Sprint(got) != "[key-a key-b]" {
		t.Fatalf("Hints = %v, want [key-a key-b]", got)
	}
	got[0] = "changed"
	if again := h.Get(last); again[0] != "key-a" {
		t.Errorf("a caller changed the record: %v", again)
	}
	h.Remember(last, nil)
	if got := h.Get(last); got != nil {
		t.Errorf("Hints after forgetting = %v, want nil", got)
	}
}
