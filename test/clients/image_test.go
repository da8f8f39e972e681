package clients

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sandbarn/sandbarn/rootfs/registrytest"
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
	reg := registrytest.New()
	t.Cleanup(reg.Close)
	d, err := reg.Push("clients/sid:latest", img)
	if err != nil {
		t.Fatalf("pushing the client root image: %v", err)
	}
	return "docker://" + d.String()
}

// clientRootImage returns the image of root, cached as an OCI layout
// beside it.
func clientRootImage(root string) (v1.Image, error) {
	return testimages.RootfsImage(root, root+".oci")
}
