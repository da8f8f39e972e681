package imagecmd_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sandbarn/sandbarn/cmd/internal/imagecmd"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := imagecmd.Run(context.Background(), args, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return out.String(), err
}

func TestPullListRemove(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	l, err := rt.Layer(rt.File("hello", "world"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := rt.Image(l)
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := reg.Push("test/hello:1", img)
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	out, err := run(t, "pull", "--store", store, reg.Host+"/test/hello:1")
	if err != nil || strings.TrimSpace(out) != pinned.String() {
		t.Fatalf("pull: %q, %v; want %s", out, err, pinned)
	}
	out, err = run(t, "ls", "--store", store)
	if err != nil || !strings.Contains(out, pinned.DigestStr()) || !strings.Contains(out, reg.Host+"/test/hello:1") {
		t.Fatalf("ls: %q, %v", out, err)
	}
	if _, err := run(t, "rm", "--store", store, pinned.DigestStr()); err != nil {
		t.Fatal(err)
	}
	if out, _ := run(t, "ls", "--store", store); strings.Contains(out, pinned.DigestStr()) {
		t.Errorf("still listed after rm: %q", out)
	}
}

func TestImportOCILayout(t *testing.T) {
	l, err := rt.Layer(rt.File("etc/os-release", "ID=layout\n"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := rt.Image(l)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.com/layout/img:v1")
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag.Name()})); err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	out, err := run(t, "import", "--store", store, dir)
	d, _ := img.Digest()
	if err != nil || strings.TrimSpace(out) != "example.com/layout/img@"+d.String() {
		t.Fatalf("import: %q, %v", out, err)
	}
	if out, _ := run(t, "ls", "--store", store); !strings.Contains(out, "example.com/layout/img:v1") {
		t.Errorf("ls: %q", out)
	}
	matches, _ := filepath.Glob(filepath.Join(store, "trees", "*", "rootfs", "etc", "os-release"))
	if len(matches) != 1 {
		t.Fatalf("unpacked trees: %v", matches)
	}
	if b, _ := os.ReadFile(matches[0]); string(b) != "ID=layout\n" {
		t.Errorf("os-release %q", b)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"pull"}, {"ls", "extra"}} {
		if _, err := run(t, args...); !errors.Is(err, imagecmd.ErrUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
