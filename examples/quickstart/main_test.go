package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// TestQuickstartMatchesSeed checks that the documents the quickstart prints
// equal, by meaning, the ECS page's documents.
func TestQuickstartMatchesSeed(t *testing.T) {
	grants, err := build()
	if err != nil {
		t.Fatal(err)
	}
	snap, imgRD, imgFolder := grants[0], grants[1], grants[2]
	tests := []struct {
		name string
		got  *policy.Document
		file string
	}{
		{"accounts trust", snap.Role.TrustPolicy, "trust-accounts.json"},
		{"resource directory trust", imgRD.Role.TrustPolicy, "trust-rd.json"},
		{"folder trust", imgFolder.Role.TrustPolicy, "trust-folder.json"},
		{"key policy", snap.Policies[0].Document, "kms-key-policy.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "encryptperm", "testdata", "seed", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want, err := policy.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.got.Equal(want) {
				t.Errorf("document differs from the seed's %s:\ngot  %s\nwant %s", tt.file, tt.got, want)
			}
		})
	}
}

// TestQuickstartRuns runs the whole quickstart against the fake.
func TestQuickstartRuns(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"== plan", "== apply again\n0 changes", "roles left: 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
