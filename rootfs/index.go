package rootfs

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// loadLocked adds trees found on disk that this process does not know
// yet: ones another process (`sandbarn image import`) added since.
func (s *Store) loadLocked() error {
	dirs, err := os.ReadDir(s.trees)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if _, ok := s.idx.entries["sha256:"+d.Name()]; ok {
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
		s.idx.add(e)
	}
	return nil
}

// index finds a store's trees by digest and by name, and adds up their
// size; the store's mutex guards it.
type index struct {
	entries map[string]*entry // by primary digest
	digests map[string]*entry // by primary digest and aliases
	names   map[string]*entry // by reference name (tag or digest)
	total   int64
}

func newIndex() index {
	return index{entries: map[string]*entry{}, digests: map[string]*entry{}, names: map[string]*entry{}}
}

func (x *index) add(e *entry) {
	x.entries[e.meta.Digest] = e
	for _, d := range append([]string{e.meta.Digest}, e.meta.Aliases...) {
		x.digests[d] = e
	}
	for _, n := range e.meta.Names {
		x.names[n] = e
	}
	x.total += e.meta.SizeBytes
}

func (x *index) drop(e *entry) {
	if x.entries[e.meta.Digest] != e {
		return
	}
	delete(x.entries, e.meta.Digest)
	for d, y := range x.digests {
		if y == e {
			delete(x.digests, d)
		}
	}
	for n, y := range x.names {
		if y == e {
			delete(x.names, n)
		}
	}
	x.total -= e.meta.SizeBytes
}

// lookup finds the tree a reference names: by digest, or by its name.
func (x *index) lookup(ref name.Reference) *entry {
	if d, ok := ref.(name.Digest); ok {
		return x.digests[d.DigestStr()]
	}
	return x.names[ref.Name()]
}

// leastRecentlyUsed is the unused tree used longest ago, skipping those
// in skip; nil if there is none.
func (x *index) leastRecentlyUsed(skip map[*entry]bool) *entry {
	var oldest *entry
	for _, e := range x.entries {
		if e.refs == 0 && !skip[e] && (oldest == nil || e.lastUsed.Before(oldest.lastUsed)) {
			oldest = e
		}
	}
	return oldest
}

// addNames records more references for a stored digest; false if the
// digest is not stored.
func (s *Store) addNames(digest string, names []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.idx.digests[digest]
	if e == nil {
		return false
	}
	changed := false
	for _, n := range names {
		if e.meta.addName(n) {
			changed = true
		}
		s.idx.names[n] = e
	}
	if changed {
		if err := writeMeta(e.dir, e.meta); err != nil {
			s.cfg.Logger.Warn("image store: recording names", "dir", e.dir, "error", err)
		}
	}
	return true
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }
