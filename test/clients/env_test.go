package clients

import (
	"io/fs"
	"os"
	"path/filepath"
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

// tempDir is a temporary directory that the farm's sandbox uids and the
// client root can both reach (mode 0755 on the directory itself), removed
// with everything in it when the test ends, read-only directories too.
func tempDir(t *testing.T, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	return dir
}
