package existencecache

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options configures New.
type Options struct {
	// TTL is how long a blob seen to exist is assumed to still exist. It
	// must be shorter than the time the backend keeps an unused blob.
	TTL time.Duration
	// MaxEntries bounds memory; the cache holds between MaxEntries/2 and
	// MaxEntries digests.
	MaxEntries int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// BlobAccess wraps a CAS and answers FindMissing from memory for digests
// seen recently. Reads and writes pass through.
type BlobAccess struct {
	base storage.BlobAccess
	ttl  time.Duration
	half int
	now  func() time.Time

	mu sync.Mutex
	// Two generations give a cheap bounded cache: lookups check both,
	// inserts and hits in previous go to current, and a full current
	// generation replaces the previous one, dropping the entries neither
	// inserted nor looked up since.
	current, previous map[string]time.Time
}

// New wraps a CAS backend; use it in front of a remote CAS (grpcclient).
// Do not use it in front of an Action Cache, whose entries are replaced
// in place.
func New(base storage.BlobAccess, opts Options) *BlobAccess {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &BlobAccess{
		base:     base,
		ttl:      opts.TTL,
		half:     max(1, opts.MaxEntries/2),
		now:      now,
		current:  map[string]time.Time{},
		previous: map[string]time.Time{},
	}
}

// key includes the instance name: a remote CAS may keep instances apart.
func key(d digest.Digest) string {
	return d.Instance + "\x00" + d.Key()
}

// Get reads from the backend. A NotFound proves a cached "exists" wrong,
// so the digest is forgotten.
func (ba *BlobAccess) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	r, err := ba.base.Get(ctx, d)
	if status.Code(err) == codes.NotFound {
		ba.forget(d)
	}
	return r, err
}

// Put writes to the backend and remembers the blob when that succeeds.
func (ba *BlobAccess) Put(ctx context.Context, d digest.Digest, r io.Reader) error {
	if err := ba.base.Put(ctx, d, r); err != nil {
		return err
	}
	ba.remember([]digest.Digest{d}, nil)
	return nil
}

// FindMissing asks the backend only about digests not seen recently.
func (ba *BlobAccess) FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	unknown := ba.unknown(digests)
	if len(unknown) == 0 {
		return nil, nil
	}
	missing, err := ba.base.FindMissing(ctx, unknown)
	if err != nil {
		return nil, err
	}
	ba.remember(unknown, missing)
	return missing, nil
}

// unknown returns the digests without a live cache entry.
func (ba *BlobAccess) unknown(digests []digest.Digest) []digest.Digest {
	now := ba.now()
	ba.mu.Lock()
	defer ba.mu.Unlock()
	var out []digest.Digest
	for _, d := range digests {
		k := key(d)
		expiry, ok := ba.current[k]
		if !ok {
			// A live entry of the previous generation is in use: move it
			// to the current one so the next swap keeps it.
			if expiry, ok = ba.previous[k]; ok && now.Before(expiry) {
				ba.insertLocked(k, expiry)
			}
		}
		if !ok || !now.Before(expiry) {
			out = append(out, d)
		}
	}
	return out
}

// remember records every digest in asked that is not in missing.
func (ba *BlobAccess) remember(asked, missing []digest.Digest) {
	absent := make(map[string]bool, len(missing))
	for _, d := range missing {
		absent[key(d)] = true
	}
	expiry := ba.now().Add(ba.ttl)
	ba.mu.Lock()
	defer ba.mu.Unlock()
	for _, d := range asked {
		k := key(d)
		if !absent[k] {
			ba.insertLocked(k, expiry)
		}
	}
}

// insertLocked records k in the current generation, which replaces the
// previous one when full. Called with mu held.
func (ba *BlobAccess) insertLocked(k string, expiry time.Time) {
	if len(ba.current) >= ba.half {
		ba.previous, ba.current = ba.current, make(map[string]time.Time, ba.half)
	}
	ba.current[k] = expiry
}

func (ba *BlobAccess) forget(d digest.Digest) {
	k := key(d)
	ba.mu.Lock()
	defer ba.mu.Unlock()
	delete(ba.current, k)
	delete(ba.previous, k)
}
