package images

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BaseSource finds base images: in a local OCI layout when one is given
// (for machines without registry access), otherwise in the registry the
// reference names, with the credentials of ~/.docker/config.json.
type BaseSource struct {
	// Layout is an OCI image layout directory, or "".
	Layout string
}

// Image returns the base named by ref; "" is the empty base (OCI media
// types, linux/amd64).
func (s BaseSource) Image(ref string) (v1.Image, error) {
	if ref == "" {
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		return mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64"})
	}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w", ref, err)
	}
	if s.Layout != "" {
		return s.fromLayout(parsed)
	}
	img, err := remote.Image(parsed, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return nil, fmt.Errorf("base %s: %w (without registry access, pass an OCI layout holding it)", ref, err)
	}
	return img, nil
}

// fromLayout finds ref in the layout: by digest for digest references
// (what Definitions use), else by the org.opencontainers.image.ref.name
// annotation, which holds the full reference or just the tag.
func (s BaseSource) fromLayout(ref name.Reference) (v1.Image, error) {
	p, err := layout.FromPath(s.Layout)
	if err != nil {
		return nil, fmt.Errorf("base layout %s: %w", s.Layout, err)
	}
	index, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("base layout %s: %w", s.Layout, err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("base layout %s: %w", s.Layout, err)
	}
	for _, desc := range manifest.Manifests {
		if matchesRef(desc, ref) {
			return index.Image(desc.Digest)
		}
	}
	return nil, fmt.Errorf("base %s is not in layout %s (`sandbarn image` or crane can copy it there)", ref.Name(), s.Layout)
}

func matchesRef(desc v1.Descriptor, ref name.Reference) bool {
	if d, ok := ref.(name.Digest); ok {
		return desc.Digest.String() == d.DigestStr()
	}
	annotated := desc.Annotations["org.opencontainers.image.ref.name"]
	return annotated == ref.Name() || annotated == ref.Identifier()
}
