package encryptperm

import (
	"fmt"
	"testing"
)

// An Applier remembers the keys of at most maxKeyHints resources, and
// hands out copies.
func TestKeyHintsAreBounded(t *testing.T) {
	h := &keyHints{}
	for i := range maxKeyHints + 50 {
		h.remember(Resource{Type: ResourceImage, Region: "cn-hangzhou", ID: fmt.Sprintf("m-bp1img%05d", i)}, []string{"key-a", "key-b"})
	}
	if got := len(h.m); got != maxKeyHints {
		t.Errorf("%d resources remembered, want %d", got, maxKeyHints)
	}
	last := Resource{Type: ResourceImage, Region: "cn-hangzhou", ID: fmt.Sprintf("m-bp1img%05d", maxKeyHints+49)}
	got := h.get(last)
	if fmt.Sprint(got) != "[key-a key-b]" {
		t.Fatalf("keyHints = %v, want [key-a key-b]", got)
	}
	got[0] = "changed"
	if again := h.get(last); again[0] != "key-a" {
		t.Errorf("a caller changed the record: %v", again)
	}
	h.remember(last, nil)
	if got := h.get(last); got != nil {
		t.Errorf("keyHints after forgetting = %v, want nil", got)
	}
}
