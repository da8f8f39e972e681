package testimages

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// imageFile reads one file of an image's flattened filesystem.
func imageFile(t *testing.T, img v1.Image, name string) (string, bool) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(hdr.Name, "./") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b), true
		}
	}
}

func TestBusyboxImage(t *testing.T) {
	if _, err := os.Stat(BusyboxBinary); err != nil {
		testenv.SkipOrFail(t, "busybox-static is not installed: %v", err)
	}
	img, err := BusyboxImage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := imageFile(t, img, "etc/os-release"); !ok || got != BusyboxOSRelease {
		t.Errorf("etc/os-release = %q (found %v), want %q", got, ok, BusyboxOSRelease)
	}
	if _, ok := imageFile(t, img, "bin/sh"); !ok {
		t.Error("the image has no /bin/sh")
	}
}

// TestBookwormImage runs debootstrap once per cache; it is slow the first
// time (a minute or two) and needs root and network access to the mirror.
func TestBookwormImage(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.SkipOrFail(t, "debootstrap needs root")
	}
	if testing.Short() {
		t.Skip("debootstrap of bookworm is slow; not in -short mode")
	}
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	img, err := BookwormMinbase.Image(context.Background(), cache)
	if err != nil {
		t.Fatal(err)
	}
	// Debian's /etc/os-release is a symlink to ../usr/lib/os-release.
	got, ok := imageFile(t, img, "usr/lib/os-release")
	if !ok || !strings.Contains(got, "VERSION_CODENAME=bookworm") {
		t.Errorf("os-release of the bookworm image = %q (found %v)", got, ok)
	}
}
