package testimages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sandbarn/sandbarn/images"
)

// BusyboxImage builds the busybox tree in dir and returns its image.
// The image reads dir whenever it is written, so dir must stay.
func BusyboxImage(dir string) (v1.Image, error) {
	if err := Busybox(dir); err != nil {
		return nil, err
	}
	return images.FromRootfs(dir, "/bin/sh")
}

// Image returns the image of d's tree, from an OCI layout cached beside
// the tree: compressing a full Debian tree takes long enough that every
// test run should not pay for it.
func (d Debootstrap) Image(ctx context.Context, cacheDir string) (v1.Image, error) {
	rootfs, err := d.Rootfs(ctx, cacheDir)
	if err != nil {
		return nil, err
	}
	return RootfsImage(rootfs, filepath.Join(cacheDir, d.key()+".oci"))
}

// RootfsImage returns the image of a root filesystem tree, written once to
// the OCI layout layoutDir and read from there afterwards: compressing a
// full Debian tree takes long enough that tests should not repeat it.
func RootfsImage(rootfs, layoutDir string) (v1.Image, error) {
	err := WithLock(layoutDir+".lock", func() error {
		if _, err := os.Stat(layoutDir); err == nil {
			return nil
		}
		return writeRootfsLayout(rootfs, layoutDir)
	})
	if err != nil {
		return nil, err
	}
	return firstImage(layoutDir)
}

// writeRootfsLayout writes the image of rootfs to a layout under a
// temporary name and renames it when complete.
func writeRootfsLayout(rootfs, layoutDir string) error {
	img, err := images.FromRootfs(rootfs, "/bin/bash")
	if err != nil {
		return err
	}
	tmp := layoutDir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img); err != nil {
		return fmt.Errorf("writing image of %s: %w", rootfs, err)
	}
	return os.Rename(tmp, layoutDir)
}

func firstImage(layoutDir string) (v1.Image, error) {
	p, err := layout.FromPath(layoutDir)
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
		return nil, fmt.Errorf("layout %s holds %d images, want 1", layoutDir, len(m.Manifests))
	}
	return index.Image(m.Manifests[0].Digest)
}

// TaggedLayout writes the image of the tree at rootfs to a new OCI layout
// in layoutDir, annotated with name ("registry/repo:tag") so that
// `sandbarn image import` stores it under that reference.
func TaggedLayout(rootfs, layoutDir, name string) error {
	img, err := images.FromRootfs(rootfs, "/bin/sh")
	if err != nil {
		return err
	}
	p, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": name}))
}
