package testimages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Debootstrap describes a debootstrap run; its fields are the cache key.
type Debootstrap struct {
	Suite   string
	Variant string
	Mirror  string
	Include []string
}

// BookwormMinbase is the second test image: Debian 12 from its packages.
var BookwormMinbase = Debootstrap{Suite: "bookworm", Variant: "minbase", Mirror: "http://deb.debian.org/debian"}

// key names the cached tree; changing any field builds a new one.
func (d Debootstrap) key() string {
	h := sha256.Sum256([]byte(strings.Join([]string{d.Suite, d.Variant, d.Mirror, strings.Join(d.Include, ",")}, "\n")))
	return fmt.Sprintf("%s-%s-%s", d.Suite, d.Variant, hex.EncodeToString(h[:6]))
}

// Rootfs returns the cached tree below cacheDir, running debootstrap
// first if it is not there. It needs root and the debootstrap package.
// The tree is built under a temporary name and renamed when complete, so
// an interrupted run is never mistaken for a finished one.
func (d Debootstrap) Rootfs(ctx context.Context, cacheDir string) (string, error) {
	dir := filepath.Join(cacheDir, d.key())
	err := WithLock(dir+".lock", func() error {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
		return d.build(ctx, dir)
	})
	return dir, err
}

func (d Debootstrap) build(ctx context.Context, dir string) error {
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return fmt.Errorf("debootstrap not installed (apt-get install debootstrap): %w", err)
	}
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	args := []string{"--variant=" + d.Variant}
	if len(d.Include) > 0 {
		args = append(args, "--include="+strings.Join(d.Include, ","))
	}
	args = append(args, d.Suite, tmp, d.Mirror)
	cmd := exec.CommandContext(ctx, "debootstrap", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("debootstrap %s: %w\n%s", strings.Join(args, " "), err, tail(out))
	}
	// The package cache is not part of an image.
	if err := emptyDir(filepath.Join(tmp, "var", "cache", "apt", "archives")); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// emptyDir removes the .deb files debootstrap leaves behind.
func emptyDir(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return err
		}
	}
	return nil
}

func tail(b []byte) string {
	const keep = 4000
	if len(b) > keep {
		return "..." + string(b[len(b)-keep:])
	}
	return string(b)
}
