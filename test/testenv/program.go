package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// RepoRoot finds the module root above the working directory (go test runs
// in the package's directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// GoTool finds the go command that is running the tests.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Static linking as `make build` does it: Go's own user and DNS lookups,
// glibc and libseccomp linked in.
const (
	staticTags    = "netgo osusergo"
	staticLDFlags = "-linkmode external -extldflags -static"
)

// BuildProgram compiles cmd/<name> into dir with the tests' build tags,
// linked statically as `make build` links it, and returns the binary's
// path; on failure the error holds the compiler's output.
func BuildProgram(name, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", name)); err != nil {
		return "", fmt.Errorf("cmd/%s does not exist: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, GoTool(), "build", "-tags", BuildTags+" "+staticTags, "-ldflags", staticLDFlags, "-o", out, "./cmd/"+name)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cmd/%s does not build: %w\n%s", name, err, b)
	}
	return out, nil
}
