package rootfs

import (
	"os"
	"path/filepath"
)

// evictLocked retires least recently used trees that no process uses
// until the store fits its limit, and returns their directories (moved
// under tmp/) for deleteAll to remove outside the lock.
func (s *Store) evictLocked() []string {
	if s.cfg.SizeLimitBytes <= 0 {
		return nil
	}
	var victims []string
	busy := map[*entry]bool{}
	for s.idx.total > s.cfg.SizeLimitBytes {
		oldest := s.idx.leastRecentlyUsed(busy)
		if oldest == nil {
			break
		}
		dir, err := s.retireLocked(oldest)
		if err != nil {
			busy[oldest] = true // another process uses it
			continue
		}
		s.cfg.Logger.Info("image store: evicting least recently used image", "digest", oldest.meta.Digest, "names", oldest.meta.Names, "size", mb(oldest.meta.SizeBytes))
		victims = append(victims, dir)
	}
	return victims
}

// retireLocked moves a tree out of trees/ under an exclusive lock, so no
// process can start using it, and forgets it.
func (s *Store) retireLocked(e *entry) (string, error) {
	lock, err := lockExclusive(e.dir)
	if err != nil {
		if os.IsNotExist(err) {
			s.idx.drop(e) // already gone
		}
		return "", err
	}
	defer lock.Close()
	dest, err := os.MkdirTemp(s.temp, tempPrefix())
	if err != nil {
		return "", err
	}
	dest = filepath.Join(dest, "old")
	if err := os.Rename(e.dir, dest); err != nil {
		return "", err
	}
	s.idx.drop(e)
	return filepath.Dir(dest), nil
}

func (s *Store) deleteAll(dirs []string) {
	for _, d := range dirs {
		if err := forceRemove(d); err != nil {
			s.cfg.Logger.Warn("image store: removing evicted tree", "dir", d, "error", err)
		}
	}
}

// forceRemove deletes a tree even where the image made directories
// read-only, which stops a non-root process (a rootless runner).
func forceRemove(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
