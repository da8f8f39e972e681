package rootfs

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation is where OCI layouts keep an image's reference.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Import adds the images of a `docker save` tarball (a file) or an OCI
// image layout (a directory) to the store, for machines without registry
// access, and returns their pinned references. A docker save tarball has
// no manifest, so its digest is computed here and does not match the
// registry's: reference such images by tag. OCI layouts keep digests.
func (s *Store) Import(ctx context.Context, path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return s.importLayout(ctx, path)
	}
	return s.importTarball(ctx, path)
}

func (s *Store) importTarball(ctx context.Context, path string) ([]string, error) {
	manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		return nil, fmt.Errorf("%s: not a docker save tarball: %w", path, err)
	}
	var out []string
	for _, d := range manifest {
		var tag *name.Tag
		var names []name.Reference
		for _, t := range d.RepoTags {
			parsed, err := name.NewTag(t)
			if err != nil {
				return nil, fmt.Errorf("%s: tag %q: %w", path, t, err)
			}
			tag = &parsed
			names = append(names, parsed)
		}
		if tag == nil && len(manifest) > 1 {
			return nil, fmt.Errorf("%s: an untagged image among several cannot be told apart", path)
		}
		img, err := tarball.ImageFromPath(path, tag)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ref, err := s.Add(ctx, img, names)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

func (s *Store) importLayout(ctx context.Context, path string) ([]string, error) {
	l, err := layout.FromPath(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not an OCI layout: %w", path, err)
	}
	index, err := l.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im, err := index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	for _, desc := range im.Manifests {
		img, err := layoutImage(index, desc, v1.Platform{OS: s.cfg.OS, Architecture: s.cfg.Architecture})
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, desc.Digest, err)
		}
		var names []name.Reference
		if n, err := name.NewTag(desc.Annotations[refNameAnnotation]); err == nil && desc.Annotations[refNameAnnotation] != "" {
			names = append(names, n)
		}
		ref, err := s.add(ctx, img, desc.Digest.String(), names)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

// layoutImage is the image a layout entry names; for a nested index,
// the one for the platform wanted.
func layoutImage(index v1.ImageIndex, desc v1.Descriptor, want v1.Platform) (v1.Image, error) {
	if !desc.MediaType.IsIndex() {
		return index.Image(desc.Digest)
	}
	child, err := index.ImageIndex(desc.Digest)
	if err != nil {
		return nil, err
	}
	found, err := partial.FindImages(child, func(d v1.Descriptor) bool {
		return d.Platform != nil && d.Platform.Satisfies(want)
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no image for %s/%s", want.OS, want.Architecture)
	}
	return found[0], nil
}
