package configuration

import (
	"fmt"

	"github.com/sandbarn/sandbarn/storage"
)

// BlobstoreConfiguration is the pair of stores a program serves or uses,
// written as the `blobstore` field of bb_storage's and bb_worker's
// configurations.
type BlobstoreConfiguration struct {
	ContentAddressableStorage BlobAccessConfiguration `json:"contentAddressableStorage"`
	ActionCache               BlobAccessConfiguration `json:"actionCache"`
}

// NewBlobstore builds both stores. Use it in programs that need a CAS and
// an Action Cache; on error, Close the Factory to release what was built.
func (f *Factory) NewBlobstore(c *BlobstoreConfiguration) (cas, ac storage.BlobAccess, err error) {
	if cas, err = f.NewCAS(&c.ContentAddressableStorage); err != nil {
		return nil, nil, fmt.Errorf("contentAddressableStorage: %w", err)
	}
	if ac, err = f.NewActionCache(&c.ActionCache); err != nil {
		return nil, nil, fmt.Errorf("actionCache: %w", err)
	}
	return cas, ac, nil
}
