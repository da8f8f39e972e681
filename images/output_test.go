package images

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// smallImage is a one-file image on the empty base.
func smallImage(t *testing.T, content string) v1.Image {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := FromRootfs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLayoutIsABaseSource writes images to a layout and finds them again
// as bases, by digest and by reference, as `make images` does offline.
func TestLayoutIsABaseSource(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	first, second := smallImage(t, "one"), smallImage(t, "two")
	ref1, ref2 := name.MustParseReference("example.com/a:v1").(name.Tag), name.MustParseReference("example.com/b:v1").(name.Tag)
	if err := WriteLayout(dir, []Named{{Ref: ref1, Image: first}}); err != nil {
		t.Fatal(err)
	}
	// A second write adds to the layout instead of replacing it.
	if err := WriteLayout(dir, []Named{{Ref: ref2, Image: second}}); err != nil {
		t.Fatal(err)
	}
	src := BaseSource{Layout: dir}
	byDigest, err := src.Image("example.com/whatever@" + digestOf(t, first).String())
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(t, byDigest) != digestOf(t, first) {
		t.Error("lookup by digest found the wrong image")
	}
	byTag, err := src.Image("example.com/b:v1")
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(t, byTag) != digestOf(t, second) {
		t.Error("lookup by reference found the wrong image")
	}
	if _, err := src.Image("example.com/missing:v1"); err == nil {
		t.Error("a reference missing from the layout was found")
	}
}

func TestWriteTarballLoads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "images.tar")
	img := smallImage(t, "tarball")
	tag := name.MustParseReference("example.com/t:v1").(name.Tag)
	if err := WriteTarball(file, []Named{{Ref: tag, Image: img}}); err != nil {
		t.Fatal(err)
	}
	loaded, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := loaded.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("loaded image has %d layers (%v), want 1", len(layers), err)
	}
}

func TestEmptyBase(t *testing.T) {
	img, err := BaseSource{}.Image("")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("empty base is %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
}

func TestSelect(t *testing.T) {
	defs, err := Select(Definitions(), []string{"bb_worker", "bb_runner-debian8"})
	if err != nil || len(defs) != 2 || defs[1].Base != RBEDebian8 {
		t.Errorf("Select = %+v, %v", defs, err)
	}
	if _, err := Select(Definitions(), []string{"bb_wrker"}); err == nil {
		t.Error("Select accepted an unknown name")
	}
}

func TestOverrideBases(t *testing.T) {
	defs, err := OverrideBases(Definitions(), []string{"bb_runner-debian8=example.com/deb8:v1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d.Name == "bb_runner-debian8" && d.Base != "example.com/deb8:v1" {
			t.Errorf("base of %s = %s", d.Name, d.Base)
		}
	}
	if Definitions()[3].Base != RBEDebian8 {
		t.Error("OverrideBases changed the caller's definitions")
	}
	for _, bad := range []string{"bb_runner-debian8", "nosuch=x"} {
		if _, err := OverrideBases(Definitions(), []string{bad}); err == nil {
			t.Errorf("OverrideBases accepted %q", bad)
		}
	}
}
