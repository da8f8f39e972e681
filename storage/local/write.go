package local

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// newCopyBuffers returns a pool of buffers reused between writes: large
// blobs stream through them, and a fresh buffer per Put would be garbage
// for every small blob.
func newCopyBuffers() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
}

// writeTemp streams r into a new temporary file, verifying it against d
// for a CAS, and returns the file's path and size once the data is durable.
// On any error the temporary file is gone.
func (ba *BlobAccess) writeTemp(ctx context.Context, d digest.Digest, r io.Reader) (path string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Join(ba.dir, tmpDirName), "put-*")
	if err != nil {
		return "", 0, errkind.New(errkind.Unavailable, "create temporary file for %s: %w", d, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var w io.Writer = f
	var h hash.Hash
	limit := ba.maxSize + 1
	if ba.kind == CAS {
		h = d.NewHasher()
		w = io.MultiWriter(f, h)
		// One byte more than the digest says is enough to detect too much.
		limit = d.Size + 1
	}
	buf := ba.copyBuffers.Get().(*[]byte)
	size, err = io.CopyBuffer(w, io.LimitReader(r, limit), *buf)
	ba.copyBuffers.Put(buf)
	if err != nil {
		// The reader's error keeps its kind, if it has one.
		return "", 0, fmt.Errorf("write blob %s: %w", d, err)
	}
	if err := ctx.Err(); err != nil {
		// The context's error has its own kind (Canceled or
		// DeadlineExceeded).
		return "", 0, err
	}
	if h != nil {
		if err := d.Verify(hex.EncodeToString(h.Sum(nil)), size); err != nil {
			return "", 0, err
		}
	} else if size > ba.maxSize {
		return "", 0, errkind.New(errkind.Exhausted, "value for %s is larger than the store (%d bytes)", d, ba.maxSize)
	}
	return f.Name(), size, ba.finishTemp(f)
}

// finishTemp makes the temporary file durable, stamps it as just used and
// closes it.
func (ba *BlobAccess) finishTemp(f *os.File) error {
	if !ba.noSync {
		if err := f.Sync(); err != nil {
			return errkind.New(errkind.Unavailable, "fsync %s: %w", f.Name(), err)
		}
	}
	if err := f.Close(); err != nil {
		return errkind.New(errkind.Unavailable, "close %s: %w", f.Name(), err)
	}
	t := ba.now()
	if err := os.Chtimes(f.Name(), t, t); err != nil {
		return errkind.New(errkind.Unavailable, "set times of %s: %w", f.Name(), err)
	}
	return nil
}

// verifyStream checks content without storing it: for the empty blob and
// for blobs already present, where a wrong upload must still be refused.
func verifyStream(d digest.Digest, r io.Reader) error {
	h := d.NewHasher()
	n, err := io.Copy(h, io.LimitReader(r, d.Size+1))
	if err != nil {
		return fmt.Errorf("read blob %s: %w", d, err)
	}
	return d.Verify(hex.EncodeToString(h.Sum(nil)), n)
}
