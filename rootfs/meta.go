package rootfs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const metaFile = "meta.json"

// meta is what a tree's meta.json records about the image it holds.
type meta struct {
	// Digest is the digest references name: the manifest's, or the
	// index's for a multi-platform image.
	Digest string `json:"digest"`
	// Aliases are other digests of the same tree (the platform manifest
	// chosen from an index).
	Aliases []string `json:"aliases,omitempty"`
	// Names are the references it was pulled or imported as, tags and
	// digests, e.g. "gcr.io/x/y:latest"; a tag listed here is pinned to
	// Digest.
	Names     []string  `json:"names,omitempty"`
	SizeBytes int64     `json:"size_bytes"`
	Created   time.Time `json:"created"`
}

func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, metaFile), err)
	}
	return m, nil
}

// writeMeta replaces meta.json atomically, so a reader never sees half
// of it.
func writeMeta(dir string, m meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, metaFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, metaFile))
}

func (m *meta) addName(n string) bool {
	for _, have := range m.Names {
		if have == n {
			return false
		}
	}
	m.Names = append(m.Names, n)
	return true
}
