package e2e

import (
	"os"
	"testing"
)

// inCI reports whether missing prerequisites must fail the tests instead
// of skipping them: CI installs everything, so a skip there would hide a
// broken set-up.
func inCI() bool {
	return os.Getenv("CI") == "true"
}

// skipOrFail skips the test on a developer machine and fails it in CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true, so this is a failure: "+format, args...)
	}
	t.Skipf(format, args...)
}
