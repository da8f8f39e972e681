package farmapp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// checkReachable makes sure sandbox users can reach the data directory: the
// container sandbox mounts the input roots from inside a user namespace,
// where the farm's root is an unprivileged uid that needs search permission
// on every directory above them. The data directory itself is the farm's
// to open up; a closed directory above it is reported, not changed.
func checkReachable(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(dir, info.Mode().Perm()|0o711); err != nil {
			return err
		}
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the container sandbox cannot reach data directory %s: %s has mode %#o without search permission for others; "+
				"choose a --data-dir outside it (e.g. /var/lib/sandbarn), run `chmod o+x %s`, or use --sandbox process",
				dir, p, info.Mode().Perm(), p)
		}
		if p == "/" {
			return nil
		}
	}
}

// fallbackSandboxRoot holds sandbox directories for farms whose data
// directory sandbox users cannot reach.
const fallbackSandboxRoot = "/var/lib/sandbarn"

// sandboxMounted are the data directory's parts that sandboxes mount from.
var sandboxMounted = []string{"worker", "runner", "images"}

// chooseSandboxDir keeps what sandboxes mount from in the data directory
// when sandbox users can reach it. Otherwise, as root, it uses a directory
// below /var/lib/sandbarn named after the data directory and links its
// parts from there (worker, runner, images), so that `make run` also works
// from a checkout in a private home directory and the usual paths (e.g.
// `sandbarn image import --store var/images`) still lead to them.
func (o *Options) chooseSandboxDir() error {
	err := checkReachable(o.DataDir)
	if err == nil || os.Geteuid() != 0 {
		return err
	}
	sum := sha256.Sum256([]byte(o.DataDir))
	alt := filepath.Join(fallbackSandboxRoot, "farm-"+hex.EncodeToString(sum[:6]))
	if mkErr := os.MkdirAll(alt, 0o755); mkErr != nil {
		return err
	}
	if checkReachable(alt) != nil {
		return err
	}
	for _, part := range sandboxMounted {
		if err := linkPart(filepath.Join(alt, part), o.path(part)); err != nil {
			return err
		}
	}
	log.Printf("sandbarn farm: %s is not reachable by sandbox users; its worker, runner and images directories live in %s", o.DataDir, alt)
	o.sandboxDir = alt
	return nil
}

// linkPart creates dir and points link at it, replacing an old link but
// never a real directory (which may hold data).
func linkPart(dir, link string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if info, err := os.Lstat(link); err == nil {
		if info.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("%s exists and is not a link to %s; move it there to keep its data", link, dir)
		}
		if err := os.Remove(link); err != nil {
			return err
		}
	}
	return os.Symlink(dir, link)
}
