package filecache

import (
	"container/list"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// Cache is a size-bounded, content-addressed store of read-only files.
// It is safe for concurrent use.
type Cache struct {
	filesDir string
	tmpDir   string
	maxBytes int64
	tmpSeq   atomic.Uint64

	mu       sync.Mutex
	entries  map[string]*entry
	lru      *list.List // front: most recently used
	used     int64
	inflight map[string]*download
}

type entry struct {
	key  string
	size int64
	elem *list.Element
	pins int // links in progress; a pinned entry is never evicted
}

type download struct {
	done chan struct{}
	err  error
}

// New opens the cache in dir, bounded to maxBytes. Files left by an earlier
// run are kept when their names and sizes are consistent, and removed
// otherwise; partial downloads are always removed. Use one Cache per
// directory and process.
func New(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("file cache size must be positive, got %d", maxBytes)
	}
	c := &Cache{
		filesDir: filepath.Join(dir, "files"),
		tmpDir:   filepath.Join(dir, "tmp"),
		maxBytes: maxBytes,
		entries:  map[string]*entry{},
		lru:      list.New(),
		inflight: map[string]*download{},
	}
	if err := os.RemoveAll(c.tmpDir); err != nil {
		return nil, fmt.Errorf("clear file cache temporary directory: %w", err)
	}
	for _, d := range []string{c.filesDir, c.tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create file cache directory: %w", err)
		}
	}
	if err := c.reload(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	return c, nil
}

// UsedBytes returns the total size of the files the cache holds.
func (c *Cache) UsedBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Len returns the number of files the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Link makes dst a hardlink of the cached file with digest d, downloading
// it from cas first when it is not cached. Where a hardlink is impossible
// (another filesystem, too many links) dst becomes a read-only copy.
// Errors from cas keep their kind.
func (c *Cache) Link(ctx context.Context, cas storage.BlobAccess, d digest.Digest, executable bool, dst string) error {
	k := key(d, executable)
	for {
		c.mu.Lock()
		if e, ok := c.entries[k]; ok {
			e.pins++
			c.lru.MoveToFront(e.elem)
			c.mu.Unlock()
			err := linkOrCopy(c.path(k), dst, executable)
			c.mu.Lock()
			e.pins--
			c.mu.Unlock()
			return err
		}
		if dl, ok := c.inflight[k]; ok {
			c.mu.Unlock()
			if err := waitFor(ctx, dl); err != nil {
				return err
			}
			continue
		}
		dl := &download{done: make(chan struct{})}
		c.inflight[k] = dl
		c.mu.Unlock()

		dl.err = c.fetch(ctx, cas, d, executable, k)
		c.mu.Lock()
		delete(c.inflight, k)
		if dl.err == nil {
			c.addLocked(k, d.Size)
		}
		c.mu.Unlock()
		close(dl.done)
		if dl.err != nil {
			return dl.err
		}
	}
}

// waitFor waits for another caller's download. A download that failed only
// because its own caller gave up is not our failure: the caller retries.
func waitFor(ctx context.Context, dl *download) error {
	select {
	case <-dl.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if dl.err != nil && !errkind.Is(dl.err, errkind.Canceled) && !errkind.Is(dl.err, errkind.DeadlineExceeded) {
		return dl.err
	}
	return nil
}

// fetch downloads a blob into a temporary file, verifies it, makes it
// read-only and moves it to its final name.
func (c *Cache) fetch(ctx context.Context, cas storage.BlobAccess, d digest.Digest, executable bool, k string) error {
	return c.install(executable, k, func(w io.Writer) error { return copyVerified(ctx, cas, d, w) })
}

// install writes a cache file under a temporary name and renames it into
// place with its final mode, so a file under its digest's name is always
// complete.
func (c *Cache) install(executable bool, k string, write func(io.Writer) error) error {
	tmp := filepath.Join(c.tmpDir, strconv.FormatUint(c.tmpSeq.Add(1), 10))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create cache file: %w", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write cache file: %w", cerr)
	}
	if err == nil {
		err = os.Chmod(tmp, mode(executable))
	}
	if err == nil {
		err = os.Rename(tmp, c.path(k))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// copyVerified writes the blob to w and checks that it matches its digest,
// so a corrupt transfer never enters the cache. Empty blobs are not fetched:
// clients need not upload them.
func copyVerified(ctx context.Context, cas storage.BlobAccess, d digest.Digest, w io.Writer) error {
	if d.Size == 0 {
		return nil
	}
	r, err := cas.Get(ctx, d)
	if err != nil {
		return err
	}
	defer r.Close()
	h := d.NewHasher()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, d.Size+1))
	if err != nil {
		return fmt.Errorf("download %s: %w", d, err)
	}
	return d.Verify(hex.EncodeToString(h.Sum(nil)), n)
}

func (c *Cache) addLocked(k string, size int64) {
	e := &entry{key: k, size: size}
	e.elem = c.lru.PushFront(e)
	c.entries[k] = e
	c.used += size
	c.evictLocked()
}

// evictLocked removes least recently used files until the cache fits. The
// file just added is at the front and is evicted last, so one file larger
// than the whole cache still gets linked before it goes.
func (c *Cache) evictLocked() {
	for el := c.lru.Back(); el != nil && c.used > c.maxBytes; {
		e := el.Value.(*entry)
		prev := el.Prev()
		if e.pins == 0 && el != c.lru.Front() {
			if err := os.Remove(c.path(e.key)); err == nil || errors.Is(err, os.ErrNotExist) {
				c.lru.Remove(el)
				delete(c.entries, e.key)
				c.used -= e.size
			}
		}
		el = prev
	}
}

func (c *Cache) path(k string) string {
	return filepath.Join(c.filesDir, k)
}

// key names a cached file: HASH-SIZE, with "-x" for the executable copy.
func key(d digest.Digest, executable bool) string {
	k := d.Key()
	if executable {
		k += "-x"
	}
	return k
}

// parseKey returns the size a file name claims, or false for names that
// the cache did not write.
func parseKey(name string) (int64, bool) {
	name = strings.TrimSuffix(name, "-x")
	hash, sizeStr, ok := strings.Cut(name, "-")
	if !ok || len(hash) != 64 {
		return 0, false
	}
	if _, err := hex.DecodeString(hash); err != nil || strings.ToLower(hash) != hash {
		return 0, false
	}
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	return size, err == nil && size >= 0
}

func mode(executable bool) os.FileMode {
	if executable {
		return 0o555
	}
	return 0o444
}

// linkOrCopy hardlinks src to dst, copying instead where the filesystem
// refuses the link for reasons that a copy avoids.
func linkOrCopy(src, dst string, executable bool) error {
	err := os.Link(src, dst)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EMLINK) {
		return fmt.Errorf("link input file: %w", err)
	}
	return copyFile(src, dst, mode(executable))
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy input file: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return fmt.Errorf("copy input file: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy input file: %w", err)
	}
	return nil
}
