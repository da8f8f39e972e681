package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// defaultPath is the environment's PATH in rootfs images, Debian's.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// FromRootfs returns a single-layer image of the root filesystem in dir
// (a debootstrap or busybox tree), with entrypoint the given command
// (none if empty). Use it for action images: the runner only needs the
// tree, the configuration is for people who run the image elsewhere.
func FromRootfs(dir string, cmd ...string) (v1.Image, error) {
	layer, err := DirLayer(dir)
	if err != nil {
		return nil, err
	}
	base, err := BaseSource{}.Image("")
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("image of %s: %w", dir, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Env = []string{defaultPath}
	cf.Config.Cmd = cmd
	return mutate.ConfigFile(img, cf)
}
