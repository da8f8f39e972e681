package registrytest

import (
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// PushOrFail is Push for a test, which it fails on an error.
func (r *Registry) PushOrFail(t testing.TB, repoTag string, img v1.Image) name.Digest {
	t.Helper()
	d, err := r.Push(repoTag, img)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// BusyboxOrSkip is Busybox for a test, which it skips where
// busybox-static is not installed and fails on other errors.
func BusyboxOrSkip(t testing.TB) v1.Image {
	t.Helper()
	img, err := Busybox()
	if os.IsNotExist(err) {
		t.Skip("busybox-static is not installed (apt-get install busybox-static)")
	}
	if err != nil {
		t.Fatal(err)
	}
	return img
}
