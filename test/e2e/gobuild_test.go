package e2e

import (
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// repoRoot returns the module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// buildProgram compiles cmd/<name> into dir and returns the binary's path.
// A program that is missing or does not compile skips the test, or fails
// it in CI, with the compiler's output.
func buildProgram(t *testing.T, name, dir string) string {
	t.Helper()
	bin, err := testenv.BuildProgram(name, dir)
	if err != nil {
		testenv.SkipOrFail(t, "%v", err)
	}
	return bin
}
