package rootfs

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sandbarn/sandbarn/errkind"
)

const dockerScheme = "docker://"

// IsDefault reports whether a container-image value asks for the
// runner's default root filesystem.
func IsDefault(value string) bool {
	return value == "" || value == "none"
}

// ParseReference parses a container-image value ("docker://REF", or a
// bare REF as the image commands take it) into a reference with a tag or
// a digest. It fails with errkind.Invalid for other schemes and
// malformed references.
func ParseReference(value string, insecure []string) (name.Reference, error) {
	s := strings.TrimPrefix(value, dockerScheme)
	if i := strings.Index(s, "://"); i >= 0 {
		return nil, errkind.New(errkind.Invalid, "container-image %q: only docker:// references are supported", value)
	}
	var opts []name.Option
	for _, host := range insecure {
		if strings.HasPrefix(s, host+"/") {
			opts = append(opts, name.Insecure)
		}
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "container-image %q: %w", value, err)
	}
	return ref, nil
}

// pinned is the reference by digest for repository repo.
func pinned(repo name.Repository, digest string) string {
	return fmt.Sprintf("%s@%s", repo.Name(), digest)
}
