package clients

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sandbarn/sandbarn/images"
)

// clientRootImageRef serves the client root as a container image from a
// registry inside the test process and returns the container-image value
// (docker://HOST/REPO@DIGEST) an action names it by. Remote compiles need
// it: only an action running on the client root's own gcc can produce the
// same object file as a local compile there.
func clientRootImageRef(t *testing.T, root string) string {
	t.Helper()
	img, err := clientRootImage(root)
	if err != nil {
		t.Fatalf("image of the client root: %v", err)
	}
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	tag, err := name.NewTag(strings.TrimPrefix(s.URL, "http://") + "/clients/sid:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("pushing %s: %v", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return "docker://" + tag.Context().Name() + "@" + digest.String()
}

// clientRootImage returns the image of root from an OCI layout cached
// beside it: compressing the whole tree takes too long to repeat on every
// run.
func clientRootImage(root string) (v1.Image, error) {
	dir := root + ".oci"
	err := withLock(dir+".lock", func() error {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
		return writeImageLayout(root, dir)
	})
	if err != nil {
		return nil, err
	}
	return onlyImage(dir)
}

// writeImageLayout writes the layout under a temporary name and renames
// it when complete.
func writeImageLayout(root, dir string) error {
	img, err := images.FromRootfs(root, "/bin/bash")
	if err != nil {
		return err
	}
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(dir))
}

// onlyImage is the single image of a layout writeImageLayout made.
func onlyImage(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	index, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, os.ErrNotExist
	}
	return index.Image(m.Manifests[0].Digest)
}
