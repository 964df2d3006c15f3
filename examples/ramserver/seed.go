package main

import (
	"fmt"
	"os"

	"github.com/ecsperm/ecsperm/fake"
)

// loadSeed loads the world in the JSON file at path into r; an empty path
// loads nothing. The error names the file and the field at fault.
func loadSeed(r *fake.RAM, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("-seed: %w", err)
	}
	defer f.Close()
	if err := fake.LoadSeed(r, f); err != nil {
		return fmt.Errorf("-seed %s: %w", path, err)
	}
	return nil
}
