package images

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

func TestFilesLayerAddsParents(t *testing.T) {
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, []byte("ELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := FilesLayer([]File{{Source: src, Path: "/app/sub/prog", Mode: 0o755}})
	if err != nil {
		t.Fatal(err)
	}
	headers, bodies := layerEntries(t, l)
	for _, d := range []string{"app/", "app/sub/"} {
		if h := headers[d]; h == nil || h.Typeflag != tar.TypeDir {
			t.Errorf("missing parent directory %s", d)
		}
	}
	if h := headers["app/sub/prog"]; h == nil || h.Mode != 0o755 || bodies["app/sub/prog"] != "ELF" {
		t.Errorf("app/sub/prog = %+v %q", h, bodies["app/sub/prog"])
	}
}

func TestFilesLayerRejectsRelativePaths(t *testing.T) {
	for _, p := range []string{"app/prog", "/app/../etc/passwd"} {
		if _, err := FilesLayer([]File{{Source: "/dev/null", Path: p}}); err == nil {
			t.Errorf("FilesLayer accepted image path %q", p)
		}
	}
}
