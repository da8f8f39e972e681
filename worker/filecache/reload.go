package filecache

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// reload indexes files left by an earlier run. Files only ever get their
// final name after verification, so a file whose name parses and whose size
// and mode agree with it is trusted; anything else is removed. The order of
// modification times approximates the old LRU order.
func (c *Cache) reload() error {
	des, err := os.ReadDir(c.filesDir)
	if err != nil {
		return fmt.Errorf("read file cache: %w", err)
	}
	type found struct {
		name  string
		size  int64
		mtime int64
	}
	var kept []found
	for _, de := range des {
		info, err := de.Info()
		if err != nil {
			continue
		}
		size, ok := parseKey(de.Name())
		executable := strings.HasSuffix(de.Name(), "-x")
		if !ok || !info.Mode().IsRegular() || info.Size() != size || info.Mode().Perm() != mode(executable) {
			if err := os.RemoveAll(c.path(de.Name())); err != nil {
				return fmt.Errorf("remove stale cache file: %w", err)
			}
			continue
		}
		kept = append(kept, found{de.Name(), size, info.ModTime().UnixNano()})
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].mtime < kept[j].mtime })
	for _, f := range kept {
		e := &entry{key: f.name, size: f.size}
		e.elem = c.lru.PushFront(e)
		c.entries[f.name] = e
		c.used += f.size
	}
	return nil
}
