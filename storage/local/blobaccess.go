package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// emptyHash is the SHA-256 of no bytes. REAPI servers must treat the empty
// blob as present whether or not anyone uploaded it.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// BlobAccess is a size-bounded store of blob files in one directory.
type BlobAccess struct {
	dir         string
	kind        Kind
	maxSize     int64
	noSync      bool
	now         func() time.Time
	lockFile    *os.File
	copyBuffers *sync.Pool

	// mu guards index, and orders renames and evictions (see commit).
	mu    sync.Mutex
	index *lruIndex
}

// Get opens a blob. The result is an *os.File, so callers can Seek and the
// kernel can splice it; it stays readable even if the blob is evicted
// while open.
func (ba *BlobAccess) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	if ba.isEmptyBlob(d) {
		return ba.openFile(filepath.Join(ba.dir, emptyFileName), d)
	}
	k, err := ba.key(d)
	if err != nil {
		return nil, err
	}
	if !ba.touch(k, d) {
		return nil, errkind.New(errkind.NotFound, "blob %s not found", d)
	}
	p := ba.blobPath(k)
	f, err := ba.openFile(p, d)
	if err != nil {
		return nil, err
	}
	// Mirror the recency on disk for the next start-up; losing it only
	// makes the blob look older than it is.
	t := ba.now()
	_ = os.Chtimes(p, t, t)
	return f, nil
}

func (ba *BlobAccess) openFile(p string, d digest.Digest) (*os.File, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		// Evicted between the index lookup and the open.
		return nil, errkind.New(errkind.NotFound, "blob %s not found", d)
	}
	if err != nil {
		return nil, errkind.New(errkind.Unavailable, "open blob %s: %w", d, err)
	}
	return f, nil
}

// Put stores a blob. For a CAS the content is hashed while it is written
// and a mismatch returns errkind.Invalid with nothing stored; a blob that
// is already present is only verified, not rewritten.
func (ba *BlobAccess) Put(ctx context.Context, d digest.Digest, r io.Reader) error {
	if ba.kind == CAS {
		if d.Size > ba.maxSize {
			return errkind.New(errkind.Exhausted, "blob %s is larger than the store (%d bytes)", d, ba.maxSize)
		}
		if d.Size == 0 || ba.refresh(d) {
			return verifyStream(d, r)
		}
	}
	k, err := ba.key(d)
	if err != nil {
		return err
	}
	tmp, size, err := ba.writeTemp(ctx, d, r)
	if err != nil {
		return err
	}
	if err := ba.commit(k, tmp, size); err != nil {
		os.Remove(tmp)
		return errkind.New(errkind.Unavailable, "store blob %s: %w", d, err)
	}
	return nil
}

// refresh marks a stored CAS blob as used and reports whether it exists.
func (ba *BlobAccess) refresh(d digest.Digest) bool {
	k, err := ba.key(d)
	if err != nil || !ba.touch(k, d) {
		return false
	}
	t := ba.now()
	_ = os.Chtimes(ba.blobPath(k), t, t)
	return true
}

// touch marks the blob under k as most recently used and reports whether
// it is stored.
func (ba *BlobAccess) touch(k key, d digest.Digest) bool {
	ba.mu.Lock()
	defer ba.mu.Unlock()
	e := ba.index.lookup(k)
	if e == 0 || !ba.sizeMatches(e, d) {
		return false
	}
	ba.index.touch(e)
	return true
}

// commit renames a finished temporary file into place and evicts older
// blobs until the store fits. Both happen under the lock so an eviction
// can never unlink a file that a concurrent commit just put under the
// same name.
func (ba *BlobAccess) commit(k key, tmp string, size int64) error {
	ba.mu.Lock()
	defer ba.mu.Unlock()
	p := ba.blobPath(k)
	err := os.Rename(tmp, p)
	if errors.Is(err, fs.ErrNotExist) {
		// First blob of its shard.
		if err := os.Mkdir(filepath.Dir(p), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		err = os.Rename(tmp, p)
	}
	if err != nil {
		return err
	}
	e := ba.index.put(k, size)
	ba.evictLocked(e)
	return nil
}

// evictLocked removes least-recently-used blobs other than keep until the
// store is within its bound.
func (ba *BlobAccess) evictLocked(keep int32) {
	for ba.index.used > ba.maxSize {
		e := ba.index.oldest(keep)
		if e == 0 {
			return
		}
		k := ba.index.entries[e].key
		ba.index.remove(e)
		// Readers holding the file open keep reading it; Linux frees the
		// space when the last one closes it.
		_ = os.Remove(ba.blobPath(k))
	}
}

// FindMissing returns the digests that are not stored. Found blobs count
// as used, because clients ask just before they reference them; that
// recency is kept in memory only, to keep this call free of disk writes.
func (ba *BlobAccess) FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	var missing []digest.Digest
	ba.mu.Lock()
	defer ba.mu.Unlock()
	for _, d := range digests {
		if ba.isEmptyBlob(d) {
			continue
		}
		k, err := ba.key(d)
		if err != nil {
			return nil, err
		}
		e := ba.index.lookup(k)
		if e == 0 || !ba.sizeMatches(e, d) {
			missing = append(missing, d)
			continue
		}
		ba.index.touch(e)
	}
	return missing, nil
}

// Close releases the directory for another process. The BlobAccess must
// not be used afterwards.
func (ba *BlobAccess) Close() error {
	return ba.lockFile.Close()
}

// SizeBytes returns the total size of the stored blobs.
func (ba *BlobAccess) SizeBytes() int64 {
	ba.mu.Lock()
	defer ba.mu.Unlock()
	return ba.index.used
}

func (ba *BlobAccess) isEmptyBlob(d digest.Digest) bool {
	return ba.kind == CAS && d.Size == 0 && d.Hash == emptyHash
}

// sizeMatches checks a CAS lookup's size: a stored hash with another size
// names a different, impossible blob. Action Cache sizes are those of the
// stored values and say nothing about the key.
func (ba *BlobAccess) sizeMatches(e int32, d digest.Digest) bool {
	return ba.kind != CAS || ba.index.entries[e].size == d.Size
}

// key maps a digest to its file name. A CAS uses the content hash itself,
// so files can be checked with sha256sum; an Action Cache hashes the
// instance name in, length-prefixed so that no two (instance, digest)
// pairs share a key.
func (ba *BlobAccess) key(d digest.Digest) (key, error) {
	var k key
	if ba.kind == CAS {
		if hex.DecodedLen(len(d.Hash)) != len(k) {
			return k, errkind.New(errkind.Invalid, "digest %s is not SHA-256", d)
		}
		if _, err := hex.Decode(k[:], []byte(d.Hash)); err != nil {
			return k, errkind.New(errkind.Invalid, "digest %s: %w", d, err)
		}
		return k, nil
	}
	return sha256.Sum256(fmt.Appendf(nil, "%d:%s:%s:%s", len(d.Instance), d.Instance, d.Function, d.Key())), nil
}

func (ba *BlobAccess) blobPath(k key) string {
	name := hex.EncodeToString(k[:])
	return filepath.Join(ba.dir, blobsDirName, name[:2], name)
}
