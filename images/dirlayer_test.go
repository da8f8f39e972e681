package images

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerEntries reads a layer's uncompressed tar into name -> header, with
// the contents of regular files.
func layerEntries(t *testing.T, l v1.Layer) (map[string]*tar.Header, map[string]string) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	headers, bodies := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return headers, bodies
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		headers[hdr.Name], bodies[hdr.Name] = hdr, string(b)
	}
}

func TestDirLayerKeepsTreeShape(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/tool"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Link(filepath.Join(dir, "usr/bin/tool"), filepath.Join(dir, "usr/bin/tool2")))
	must(os.Symlink("usr/bin", filepath.Join(dir, "bin")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))

	l, err := DirLayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	headers, bodies := layerEntries(t, l)
	if h := headers["usr/bin/tool"]; h == nil || h.Mode&0o777 != 0o755 || bodies["usr/bin/tool"] != "#!/bin/sh\n" {
		t.Errorf("usr/bin/tool = %+v, %q", h, bodies["usr/bin/tool"])
	}
	if h := headers["usr/bin/tool2"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "usr/bin/tool" {
		t.Errorf("usr/bin/tool2 should be a hardlink to usr/bin/tool: %+v", h)
	}
	if h := headers["bin"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "usr/bin" {
		t.Errorf("bin should be a symlink to usr/bin: %+v", h)
	}
	if h := headers["usr/"]; h == nil || h.Typeflag != tar.TypeDir {
		t.Errorf("usr/ should be a directory: %+v", h)
	}
	if _, ok := headers["fifo"]; ok {
		t.Error("the FIFO should have been left out")
	}
}

// TestDirLayerIsReproducible: the digest is what actions name, so reading
// the same tree twice must give the same one.
func TestDirLayerIsReproducible(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b", "a", "c"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	digest := func() v1.Hash {
		l, err := DirLayer(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two layers of one tree: %s != %s", a, b)
	}
}

func TestDirLayerRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DirLayer(f); err == nil {
		t.Error("DirLayer of a regular file succeeded")
	}
}
