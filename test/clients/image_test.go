package clients

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	testimages "github.com/sandbarn/sandbarn/test/images"
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

// clientRootImage returns the image of root, cached as an OCI layout
// beside it.
func clientRootImage(root string) (v1.Image, error) {
	return testimages.RootfsImage(root, root+".oci")
}
