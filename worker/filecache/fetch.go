package filecache

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// MaxBatchedFileBytes is the largest file Fetch downloads; larger files are
// left to Link, which streams them instead of holding them in memory.
const MaxBatchedFileBytes = 1 << 20

// Blob names one file of the cache: its digest and whether the cached copy
// is executable.
type Blob struct {
	Digest     digest.Digest
	Executable bool
}

// claim is a download that one Fetch has taken on for one cache key.
type claim struct {
	key        string
	executable bool
	dl         *download
	finished   atomic.Bool
}

// Fetch caches the small blobs that the cache neither holds nor is already
// downloading, reading them through storage.GetBatch so that many small
// files cost a few round trips instead of one each. Concurrent Links and
// Fetches of the same file wait for this download rather than starting
// their own. It returns the blobs that could not be fetched with their own
// errors (NotFound for missing ones), and an error when the batch as a
// whole failed. Call Link afterwards to place the files.
func (c *Cache) Fetch(ctx context.Context, cas storage.BlobAccess, blobs []Blob, concurrency int) (map[Blob]error, error) {
	claims, digests := c.claim(blobs)
	if len(claims) == 0 {
		return nil, nil
	}
	// Creating a file costs far more than receiving 4 KiB of it, so the
	// files are written by their own pool of goroutines, not one batch
	// response at a time. The pool's bound also bounds buffered data.
	var writers sync.WaitGroup
	sem := make(chan struct{}, max(concurrency, 1))
	err := storage.GetBatch(ctx, cas, digests, concurrency, func(d digest.Digest, data []byte, err error) error {
		sem <- struct{}{}
		writers.Add(1)
		go func() {
			defer func() { <-sem; writers.Done() }()
			c.store(d, data, err, claims[d])
		}()
		return nil
	})
	writers.Wait()
	for _, cls := range claims {
		for _, cl := range cls {
			// A blob the batch never reached fails with the batch's
			// error, or Internal if the backend simply left it out.
			cerr := err
			if cerr == nil {
				cerr = errkind.New(errkind.Internal, "batch read ended without this blob")
			}
			c.finish(cl, 0, cerr)
		}
	}
	if err != nil {
		return nil, err
	}
	failed := map[Blob]error{}
	for _, b := range blobs {
		if cls, ok := claims[b.Digest]; ok {
			for _, cl := range cls {
				if cl.executable == b.Executable && cl.dl.err != nil {
					failed[b] = cl.dl.err
				}
			}
		}
	}
	return failed, nil
}

// claim registers a download for every small blob that is neither cached
// nor in flight and returns them by digest, one claim per cache key.
func (c *Cache) claim(blobs []Blob) (map[digest.Digest][]*claim, []digest.Digest) {
	claims := map[digest.Digest][]*claim{}
	var digests []digest.Digest
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range blobs {
		if b.Digest.Size > MaxBatchedFileBytes {
			continue
		}
		k := key(b.Digest, b.Executable)
		if _, ok := c.entries[k]; ok {
			continue
		}
		if _, ok := c.inflight[k]; ok {
			continue
		}
		dl := &download{done: make(chan struct{})}
		c.inflight[k] = dl
		if _, ok := claims[b.Digest]; !ok {
			digests = append(digests, b.Digest)
		}
		claims[b.Digest] = append(claims[b.Digest], &claim{key: k, executable: b.Executable, dl: dl})
	}
	return claims, digests
}

// store verifies one blob of the batch and writes it under each of its
// keys (plain and executable copies are separate files).
func (c *Cache) store(d digest.Digest, data []byte, err error, cls []*claim) {
	if err == nil {
		// Whatever the backend checked, the cache checks for itself.
		err = d.VerifyBytes(data)
	}
	for _, cl := range cls {
		werr := err
		if werr == nil {
			werr = c.writeFile(data, cl.executable, cl.key)
		}
		c.finish(cl, d.Size, werr)
	}
}

// writeFile puts verified content in place through a temporary file, so
// the final name only ever holds a complete, read-only file.
func (c *Cache) writeFile(data []byte, executable bool, k string) error {
	return c.install(executable, k, func(w io.Writer) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write cache file: %w", err)
		}
		return nil
	})
}

// finish ends a claimed download once: the file enters the cache on
// success, and waiters are released either way.
func (c *Cache) finish(cl *claim, size int64, err error) {
	if !cl.finished.CompareAndSwap(false, true) {
		return
	}
	cl.dl.err = err
	c.mu.Lock()
	delete(c.inflight, cl.key)
	if err == nil {
		c.addLocked(cl.key, size)
	}
	c.mu.Unlock()
	close(cl.dl.done)
}
