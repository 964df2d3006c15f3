package encryptperm_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocAndReadmeAgreeOnShareLevels: the package documentation and the
// README's "Round trips of a share" give the same levels for an image share
// (the README's rows are the ones TestRoundTripBounds holds).
func TestDocAndReadmeAgreeOnShareLevels(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(doc), "//", "")), " ")
	m := regexp.MustCompile(`a cold image share costs (\d+) levels \((\d+) with WithKey\), and a warm one (\d+) level on the Applier that found its key before and (\d+) on a new one; when the image's snapshot is not on the first page of the region's encrypted image snapshots, it costs one level more \((\d+), (\d+) and (\d+)\)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("the package documentation no longer states the levels of an image share")
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	fromDoc := map[string]int{
		"cold": atoi(m[1]), "cold, the key named": atoi(m[2]), "warm": atoi(m[3]), "warm, new Applier": atoi(m[4]),
		"crowded cold": atoi(m[5]), "crowded warm": atoi(m[6]), "crowded warm, new Applier": atoi(m[7]),
	}
	section := string(readme)
	start := strings.Index(section, "### Round trips of a share")
	if start < 0 {
		t.Fatal("the README has no section Round trips of a share")
	}
	section = section[start:]
	rows := map[string]string{
		"cold":                      "| cold: nothing in RAM, the image shared with nobody, the key found by the Applier |",
		"warm":                      "| warm: the same Apply again, on the same Applier |",
		"warm, new Applier":         "| warm, on a new Applier (a new process: the key is found anew) |",
		"cold, the key named":       "| cold, the key named (`WithKey`) |",
		"crowded cold":              "| cold, the image's snapshot not on the first page of the region's encrypted image snapshots |",
		"crowded warm":              "| warm, the same, on the same Applier |",
		"crowded warm, new Applier": "| warm, the same, on a new Applier |",
	}
	fromReadme := map[string]int{}
	for name, prefix := range rows {
		i := strings.Index(section, prefix)
		if i < 0 {
			t.Fatalf("the README's table has no row %q", prefix)
		}
		cells := strings.Split(strings.TrimPrefix(section[i:], prefix), "|")
		fromReadme[name] = atoi(strings.TrimSpace(cells[0]))
	}
	if diff := cmp.Diff(fromReadme, fromDoc); diff != "" {
		t.Errorf("levels of an image share (-README +doc.go):\n%s", diff)
	}
}
