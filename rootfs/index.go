package rootfs

import (
	"os"
	"path/filepath"
	"strings"
)

// loadLocked adds trees found on disk that this process does not know
// yet: ones another process (`sandbarn image import`) added since.
func (s *Store) loadLocked() error {
	dirs, err := os.ReadDir(s.trees)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if _, ok := s.entries["sha256:"+d.Name()]; ok {
			continue
		}
		dir := filepath.Join(s.trees, d.Name())
		m, err := readMeta(dir)
		if err != nil {
			s.cfg.Logger.Warn("image store: skipping unreadable tree", "dir", dir, "error", err)
			continue
		}
		e := &entry{meta: m, dir: dir, lastUsed: m.Created}
		if info, err := os.Stat(filepath.Join(dir, metaFile)); err == nil {
			e.lastUsed = info.ModTime()
		}
		s.addLocked(e)
	}
	return nil
}

func (s *Store) addLocked(e *entry) {
	s.entries[e.meta.Digest] = e
	for _, d := range append([]string{e.meta.Digest}, e.meta.Aliases...) {
		s.digests[d] = e
	}
	for _, n := range e.meta.Names {
		s.names[n] = e
	}
	s.total += e.meta.SizeBytes
}

func (s *Store) dropLocked(e *entry) {
	if s.entries[e.meta.Digest] != e {
		return
	}
	delete(s.entries, e.meta.Digest)
	for d, x := range s.digests {
		if x == e {
			delete(s.digests, d)
		}
	}
	for n, x := range s.names {
		if x == e {
			delete(s.names, n)
		}
	}
	s.total -= e.meta.SizeBytes
}

// addNames records more references for a stored digest; false if the
// digest is not stored.
func (s *Store) addNames(digest string, names []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.digests[digest]
	if e == nil {
		return false
	}
	changed := false
	for _, n := range names {
		if e.meta.addName(n) {
			changed = true
		}
		s.names[n] = e
	}
	if changed {
		if err := writeMeta(e.dir, e.meta); err != nil {
			s.cfg.Logger.Warn("image store: recording names", "dir", e.dir, "error", err)
		}
	}
	return true
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }
