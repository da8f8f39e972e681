package worker

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// slotDirectory is one slot's part of the build directory.
type slotDirectory struct {
	buildDir string
	slot     string
}

func (s slotDirectory) rel(name string) string { return filepath.Join(s.slot, name) }
func (s slotDirectory) abs(name string) string { return filepath.Join(s.buildDir, s.slot, name) }

// prepare empties the slot directory and creates the input root and the
// temporary directory. Both are world-writable because the action may run
// as an unprivileged user; tmp has the sticky bit like /tmp. The input root
// directory itself is kept across actions: a runner may have bind-mounted
// it into a sandbox prepared ahead of the next action, and a bind mount
// follows the directory, not its path.
func (s slotDirectory) prepare() error {
	if err := s.clean(); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"", 0o755}, {"root", 0o777}, {"tmp", 0o777 | os.ModeSticky}, {"logs", 0o755}} {
		p := s.abs(d.name)
		if err := os.Mkdir(p, 0o700); err != nil && !os.IsExist(err) {
			return fmt.Errorf("create slot directory: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("create slot directory: %w", err)
		}
	}
	return nil
}

// clean empties the slot directory, keeping the input root directory (but
// not its contents).
func (s slotDirectory) clean() error {
	slot := filepath.Join(s.buildDir, s.slot)
	if err := emptyDirectory(s.abs("root")); err != nil {
		return err
	}
	entries, err := os.ReadDir(slot)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("clean slot directory: %w", err)
	}
	for _, e := range entries {
		if e.Name() != "root" {
			if err := removeAll(filepath.Join(slot, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// emptyDirectory removes everything inside dir, if it exists.
func emptyDirectory(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsPermission(err) {
		os.Chmod(dir, 0o700)
		entries, err = os.ReadDir(dir)
	}
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("clean input root: %w", err)
	}
	for _, e := range entries {
		if err := removeAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// removeAll removes path. Actions may leave directories without write or
// search permission, which stops removal for a user without
// CAP_DAC_OVERRIDE, so after a failed attempt permissions are restored and
// removal retried.
func removeAll(path string) error {
	if err := os.RemoveAll(path); err == nil {
		return nil
	}
	// WalkDir calls the function on a directory before reading it, so the
	// chmod makes each directory readable just in time.
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("clean slot directory: %w", err)
	}
	return nil
}
