package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// repoRoot returns the module root: go test runs in test/e2e.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found two levels above the test: %v", err)
	}
	return root
}

// goTool finds the go command that is running these tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command on PATH or in GOROOT: %v", err)
	}
	return p
}

// buildProgram compiles cmd/<name> into dir and returns the binary's path.
// A program that is missing or does not compile (yet) skips the test, or
// fails it in CI, with the compiler's output.
func buildProgram(t *testing.T, name, dir string) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "cmd", name)); err != nil {
		skipOrFail(t, "cmd/%s does not exist yet: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, goTool(t), "build", "-tags", buildTags, "-o", out, "./cmd/"+name)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, "cmd/%s does not build: %v\n%s", name, err, b)
	}
	return out
}
