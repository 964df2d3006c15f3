package policy

import (
	"os"
	"testing"

	"github.com/ecsperm/ecsperm/internal/proptest"
)

// TestMain gives the property tests a fixed seed and keeps their fail
// files out of the source tree (see internal/proptest).
func TestMain(m *testing.M) { os.Exit(proptest.Main(m)) }

// The property tests of this package start from the fixed seed, and one
// that fails writes nothing under testdata/rapid.
func TestPropertyTestsAreRepeatable(t *testing.T) {
	if err := proptest.Verify(); err != nil {
		t.Fatal(err)
	}
}
