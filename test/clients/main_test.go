package clients

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the sandbarn binary the tests built, which outlives
// any single test.
func TestMain(m *testing.M) {
	code := m.Run()
	if sandbarnBuild.path != "" {
		_ = os.RemoveAll(filepath.Dir(sandbarnBuild.path))
	}
	os.Exit(code)
}
