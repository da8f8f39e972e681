package farmapp

import (
	"fmt"
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
