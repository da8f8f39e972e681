package images

import (
	"context"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation is how OCI layouts name their images; `sandbarn image
// import`, skopeo and crane read it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Named is an image with the reference it is published under, e.g.
// "registry.example.com/sandbarn/bb_worker:v1".
type Named struct {
	Ref   name.Tag
	Image v1.Image
}

// WriteLayout adds the images to the OCI layout at dir (created if
// missing), replacing older images of the same reference.
func WriteLayout(dir string, imgs []Named) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) && statErr != nil {
			return statErr
		}
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("creating layout %s: %w", dir, err)
		}
	}
	for _, n := range imgs {
		annotations := map[string]string{refNameAnnotation: n.Ref.String()}
		matcher := match.Annotation(refNameAnnotation, n.Ref.String())
		if err := p.ReplaceImage(n.Image, matcher, layout.WithAnnotations(annotations)); err != nil {
			return fmt.Errorf("writing %s to %s: %w", n.Ref, dir, err)
		}
	}
	return nil
}

// WriteTarball writes the images to one `docker load` tarball.
func WriteTarball(file string, imgs []Named) error {
	refs := map[name.Reference]v1.Image{}
	for _, n := range imgs {
		refs[n.Ref] = n.Image
	}
	if err := tarball.MultiRefWriteToFile(file, refs); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// Push uploads the images to their registries, with the credentials of
// ~/.docker/config.json. Registries on localhost and 127.0.0.1 are spoken
// to over plain HTTP, as go-containerregistry does for them.
func Push(ctx context.Context, imgs []Named) error {
	for _, n := range imgs {
		if err := remote.Write(n.Ref, n.Image, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("pushing %s: %w", n.Ref, err)
		}
	}
	return nil
}
