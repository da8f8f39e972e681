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
// as an unprivileged user; tmp has the sticky bit like /tmp.
func (s slotDirectory) prepare() error {
	if err := s.clean(); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"", 0o755}, {"root", 0o777}, {"tmp", 0o777 | os.ModeSticky}, {"logs", 0o755}} {
		p := s.abs(d.name)
		if err := os.Mkdir(p, 0o700); err != nil {
			return fmt.Errorf("create slot directory: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("create slot directory: %w", err)
		}
	}
	return nil
}

// clean removes the slot directory. Actions may leave directories without
// write or search permission, which stops removal for a user without
// CAP_DAC_OVERRIDE, so after a failed attempt permissions are restored and
// removal retried.
func (s slotDirectory) clean() error {
	dir := filepath.Join(s.buildDir, s.slot)
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// WalkDir calls the function on a directory before reading it, so the
	// chmod makes each directory readable just in time.
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(path, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clean slot directory: %w", err)
	}
	return nil
}
