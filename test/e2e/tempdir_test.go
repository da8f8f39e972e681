package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tempDir is t.TempDir for trees Bazel has written: Bazel leaves read-only
// directories behind, which os.RemoveAll cannot empty unless running as
// root, so the cleanup makes everything writable first.
func tempDir(t *testing.T, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	// The farm's container sandbox reaches input roots below it as an
	// unprivileged uid, which needs search permission on every parent.
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
