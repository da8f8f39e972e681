package configuration

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/local"
)

// LocalConfiguration keeps blobs on local disk (storage/local): one file
// per blob, bounded in size, least recently used blobs evicted first.
type LocalConfiguration struct {
	// Directory holds the store and is created when missing. Every local
	// backend needs a directory of its own.
	Directory string `json:"directory"`
	// MaxSizeBytes bounds the total size of the stored blobs.
	MaxSizeBytes int64 `json:"maxSizeBytes"`
}

// newLocal opens the store, which stays open until the Factory closes.
func (f *Factory) newLocal(c *LocalConfiguration, k kind) (storage.BlobAccess, error) {
	switch {
	case c.Directory == "":
		return nil, errors.New("directory is required")
	case c.MaxSizeBytes <= 0:
		return nil, errors.New("maxSizeBytes must be positive")
	}
	if err := f.claimDirectory(c.Directory); err != nil {
		return nil, err
	}
	opts := local.Options{Dir: c.Directory, MaxSizeBytes: c.MaxSizeBytes, Kind: local.CAS}
	if k == kindActionCache {
		opts.Kind = local.ActionCache
	}
	ba, err := local.New(opts)
	if err != nil {
		return nil, err
	}
	f.closers = append(f.closers, ba)
	return ba, nil
}

// claimDirectory refuses a directory another local backend of this
// Factory uses. Opening it twice would otherwise fail on its lock with a
// message blaming another process.
func (f *Factory) claimDirectory(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if f.directories[abs] {
		return fmt.Errorf("directory %s is already used by another local backend; each needs its own", dir)
	}
	f.directories[abs] = true
	return nil
}
