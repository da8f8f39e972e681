package images

import (
	"archive/tar"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestBuildStaticProgramOnLayoutBase compiles a real program, stacks it
// on a base taken from a local layout, and checks the entrypoint and
// that the base's files are still there. It compiles bb_storage, which
// takes a while, so -short skips it.
func TestBuildStaticProgramOnLayoutBase(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles bb_storage")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	layoutDir := filepath.Join(t.TempDir(), "bases")
	base := smallImage(t, "from the base")
	baseRef := "example.com/base@" + digestOf(t, base).String()
	tag := name.MustParseReference("example.com/base:v1").(name.Tag)
	if err := WriteLayout(layoutDir, []Named{{Ref: tag, Image: base}}); err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(GoCompiler{ModuleRoot: root}, BaseSource{Layout: layoutDir}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	def := Definition{Name: "storage-test", Base: baseRef, Programs: []Program{{Name: "bb_storage"}}}
	img, err := b.Build(context.Background(), def)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Entrypoint; len(got) != 2 || got[0] != "/app/bb_storage" || got[1] != "/config/bb_storage.jsonnet" {
		t.Errorf("entrypoint = %q", got)
	}
	files := flatten(t, img)
	if files["hello"] != "from the base" {
		t.Error("the base's files are missing")
	}
	if len(files["app/bb_storage"]) < 4 || files["app/bb_storage"][:4] != "\x7fELF" {
		t.Error("app/bb_storage is not an ELF binary")
	}
}

func flatten(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(b)
	}
}
