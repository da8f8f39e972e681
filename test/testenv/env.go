package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// InCI reports whether missing prerequisites must fail the tests instead
// of skipping them: CI installs everything, so a skip there would hide a
// broken set-up.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// SkipOrFail skips the test on a developer machine and fails it in CI.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true, so this is a failure: "+format, args...)
	}
	t.Skipf(format, args...)
}

// TempDir is a temporary directory the farm's sandbox uids can reach (mode
// 0755 on the directory itself, unlike t.TempDir's parent), removed with
// everything in it when the test ends, including the read-only directories
// Bazel and actions leave behind.
func TempDir(t testing.TB, pattern string) string {
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

// Tail keeps the end of long program output, where the errors are.
func Tail(s string) string {
	const keep = 8000
	if len(s) <= keep {
		return s
	}
	return "...\n" + s[len(s)-keep:]
}
