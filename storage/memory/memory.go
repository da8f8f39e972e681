package memory

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// BlobAccess keeps blobs in memory without a size bound.
type BlobAccess struct {
	verify       bool
	keyInstances bool
	mu           sync.RWMutex
	blobs        map[string][]byte
}

// NewCAS returns an in-memory CAS that verifies content against digests
// and shares blobs across instance names. Use it in tests and for small
// short-lived farms.
func NewCAS() *BlobAccess {
	// The empty blob is always present: clients may reference it without
	// uploading it.
	empty := digest.OfBytes("", nil)
	return &BlobAccess{verify: true, blobs: map[string][]byte{empty.Key(): {}}}
}

// NewActionCache returns an in-memory Action Cache, keyed by instance name
// and action digest.
func NewActionCache() *BlobAccess {
	return &BlobAccess{keyInstances: true, blobs: map[string][]byte{}}
}

func (ba *BlobAccess) key(d digest.Digest) string {
	if ba.keyInstances {
		return d.Instance + "\x00" + d.Key()
	}
	return d.Key()
}

// Get returns the blob or NotFound.
func (ba *BlobAccess) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	ba.mu.RLock()
	data, ok := ba.blobs[ba.key(d)]
	ba.mu.RUnlock()
	if !ok {
		return nil, errkind.New(errkind.NotFound, "blob %s not found", d)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Put stores the blob after verifying it when this is a CAS.
func (ba *BlobAccess) Put(ctx context.Context, d digest.Digest, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ba.verify {
		if err := d.VerifyBytes(data); err != nil {
			return err
		}
	}
	ba.mu.Lock()
	ba.blobs[ba.key(d)] = data
	ba.mu.Unlock()
	return nil
}

// FindMissing returns the digests not stored.
func (ba *BlobAccess) FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	ba.mu.RLock()
	defer ba.mu.RUnlock()
	var missing []digest.Digest
	for _, d := range digests {
		if _, ok := ba.blobs[ba.key(d)]; !ok {
			missing = append(missing, d)
		}
	}
	return missing, nil
}
