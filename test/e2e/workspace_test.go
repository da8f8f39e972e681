package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// manyInputFiles is how many small files the workspace's //many:many_digest
// action takes as inputs.
const manyInputFiles = 3000

// workspace is a private copy of testdata/workspace that Bazel may write
// into, with the offline stand-in repositories beside it.
type workspace struct {
	dir string
}

// newWorkspace copies the test workspace under base, points it at the
// offline stand-ins, and generates its many small input files.
func newWorkspace(t *testing.T, base string) *workspace {
	t.Helper()
	for _, name := range []string{"workspace", "bazel-offline"} {
		if err := os.CopyFS(filepath.Join(base, name), os.DirFS(filepath.Join("testdata", name))); err != nil {
			t.Fatalf("copying testdata/%s: %v", name, err)
		}
	}
	w := &workspace{dir: filepath.Join(base, "workspace")}
	w.writeOfflineRC(t, filepath.Join(base, "bazel-offline"))
	w.writeManyFiles(t)
	return w
}

// writeOfflineRC writes the --override_repository flags, which Bazel only
// accepts with absolute paths.
func (w *workspace) writeOfflineRC(t *testing.T, offline string) {
	t.Helper()
	var b strings.Builder
	for _, repo := range []string{"rules_cc", "rules_java", "remote_coverage_tools"} {
		fmt.Fprintf(&b, "common --override_repository=%s=%s\n", repo, filepath.Join(offline, repo))
	}
	w.write(t, "offline.bazelrc", b.String())
}

// writeManyFiles creates the inputs of //many:many_digest: 100 files per
// directory, with contents derived from their names so every run (and
// the local and remote builds) see identical trees.
func (w *workspace) writeManyFiles(t *testing.T) {
	t.Helper()
	for i := 0; i < manyInputFiles; i++ {
		rel := fmt.Sprintf("many/files/d%02d/f%04d.txt", i/100, i)
		w.write(t, rel, fmt.Sprintf("small input file number %d\n", i))
	}
}

// writeNonce gives //slow:slow new input, so its next build is a fresh
// action rather than a cache hit, and returns the nonce.
func (w *workspace) writeNonce(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	nonce := hex.EncodeToString(b)
	w.write(t, "slow/nonce.txt", nonce+"\n")
	return nonce
}

func (w *workspace) write(t *testing.T, rel, content string) {
	t.Helper()
	p := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
