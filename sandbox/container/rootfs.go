package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/rootfs/skeleton"
)

// Rootfs is an action's root filesystem: a directory, plus host
// directories to mount read-only on top of it.
type Rootfs struct {
	Path  string
	Binds []Bind
	// Reference names the image pinned by digest, reported in the
	// action's result; empty for the default rootfs.
	Reference string
}

// Bind mounts host directory Source read-only at Destination (absolute,
// inside the sandbox).
type Bind struct {
	Source, Destination string
}

// RootfsResolver returns the root filesystem for a container-image
// platform property value; image is "" when the action names none. The
// images work supplies one that maps image references to unpacked trees.
type RootfsResolver func(ctx context.Context, image string) (Rootfs, error)

// hostDirectories are what the default rootfs shows of the host, enough
// for a host toolchain (Bazel's default) to work.
var hostDirectories = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}

// HostRootfs is the resolver to use until images are configured: actions
// without container-image get an empty skeleton in dir with the host's
// /usr, /bin, /sbin, /lib* and /etc mounted read-only; any image is
// refused as InvalidArgument.
func HostRootfs(dir string) RootfsResolver {
	var once sync.Once
	var rootfs Rootfs
	var setupErr error
	return func(ctx context.Context, image string) (Rootfs, error) {
		if image != "" {
			return Rootfs{}, errkind.New(errkind.Invalid, "container-image %q: this runner has no images configured", image)
		}
		once.Do(func() { rootfs, setupErr = buildHostSkeleton(dir) })
		return rootfs, setupErr
	}
}

// buildHostSkeleton creates the mount points of the default rootfs once.
// Host entries that are symlinks (/bin -> usr/bin on merged-/usr systems)
// become the same symlinks, so paths resolve as on the host.
func buildHostSkeleton(dir string) (Rootfs, error) {
	rootfs := Rootfs{Path: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Rootfs{}, fmt.Errorf("default rootfs: %w", err)
	}
	for _, p := range skeleton.MountPoints() {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			return Rootfs{}, fmt.Errorf("default rootfs: %w", err)
		}
	}
	for _, host := range hostDirectories {
		info, err := os.Lstat(host)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			return Rootfs{}, fmt.Errorf("default rootfs: %w", err)
		}
		inside := filepath.Join(dir, host)
		if info.Mode()&os.ModeSymlink != 0 {
			if err := copySymlink(host, inside); err != nil {
				return Rootfs{}, err
			}
			continue
		}
		if err := os.MkdirAll(inside, 0o755); err != nil {
			return Rootfs{}, fmt.Errorf("default rootfs: %w", err)
		}
		rootfs.Binds = append(rootfs.Binds, Bind{Source: host, Destination: host})
	}
	return rootfs, nil
}

func copySymlink(host, inside string) error {
	target, err := os.Readlink(host)
	if err != nil {
		return fmt.Errorf("default rootfs: %w", err)
	}
	if existing, err := os.Readlink(inside); err == nil && existing == target {
		return nil
	}
	os.Remove(inside)
	if err := os.Symlink(target, inside); err != nil {
		return fmt.Errorf("default rootfs: %w", err)
	}
	return nil
}
