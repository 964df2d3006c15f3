package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// firstGoBlock returns the first Go code block of a Markdown text.
func firstGoBlock(t *testing.T, md string) string {
	t.Helper()
	const open = "\n```go\n"
	i := strings.Index(md, open)
	if i < 0 {
		t.Fatal("the README has no Go code block")
	}
	rest := md[i+len(open):]
	j := strings.Index(rest, "\n```\n")
	if j < 0 {
		t.Fatal("the README's first Go code block does not end")
	}
	return rest[:j+1]
}

// TestReadmeProgramIsThisOne: the first Go code block of the README, the
// program a new user copies, is this package's main.go, byte for byte.
func TestReadmeProgramIsThisOne(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(prog), firstGoBlock(t, string(readme))); diff != "" {
		t.Errorf("the README's first Go code block differs from examples/readme/main.go (-main.go +README):\n%s", diff)
	}
	// The section that holds it is the README's first, and it says what
	// the program prints.
	sections := strings.Split(string(readme), "\n## ")
	if len(sections) < 2 || !strings.Contains(sections[1], "```go\n"+string(prog)) {
		t.Error("the program is not in the README's first section")
	}
	if !strings.Contains(string(readme), "```\n"+wantOutput+"```\n") {
		t.Errorf("the README does not show what the program prints:\n%s", wantOutput)
	}
}

// wantOutput is what the program prints.
const wantOutput = `+ create role AliyunECSShareEncryptSnapshotDefaultRole
+ add principal 2000000000000001@ecs.aliyuncs.com to the trust of role AliyunECSShareEncryptSnapshotDefaultRole
+ create custom policy EncryptPerm-ShareSnapshotKeys: policy EncryptPerm-ShareSnapshotKeys gains key(s) acs:kms:cn-hangzhou:1234567890123456:key/key-hzbackup01
+ attach custom policy EncryptPerm-ShareSnapshotKeys to role AliyunECSShareEncryptSnapshotDefaultRole
+ share snapshot s-bp1backup01 in cn-hangzhou with 2000000000000001 through a new resource share EncryptPerm-s-bp1backup01
~ snapshot s-bp1backup01 in cn-hangzhou: the invitation of 2000000000000001 to resource share rs-EC89025CC1 is pending: the recipient must accept it before it can use the snapshot
allowed: false - invitation pending: true
allowed: true - shared: true
`

// TestReadmeProgramRuns runs the program, as a new user would, and holds
// what it prints.
func TestReadmeProgramRuns(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	func() {
		defer func() { os.Stdout = stdout }()
		main()
	}()
	w.Close()
	if diff := cmp.Diff(wantOutput, <-done); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestReadmeProgramInAModuleOfItsOwn does what the README asks of a new
// user: the first Go code block, copied into main.go of a module of its
// own that names this repository in place of the published module, runs
// and prints what the README says. It uses only the module cache (GOPROXY
// is off: nothing leaves the machine); -short leaves it out, since it
// builds a program.
func TestReadmeProgramInAModuleOfItsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"main.go": firstGoBlock(t, string(readme)),
		"go.mod": "module example.com/backup\n\ngo 1.26\n\nrequire github.com/ecsperm/ecsperm v0.0.0\n\n" +
			"replace github.com/ecsperm/ecsperm => " + root + "\n",
		"go.sum": string(sum),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go run: %v\n%s", err, stderr)
	}
	if diff := cmp.Diff(wantOutput, string(out)); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
