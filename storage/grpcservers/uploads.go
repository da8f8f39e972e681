package grpcservers

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// partialUpload is the data received so far for one ByteStream upload
// resource name, kept in a temporary file so that a client whose stream
// dropped can ask QueryWriteStatus and continue from committed.
type partialUpload struct {
	key       string
	digest    digest.Digest
	held      chan struct{} // one token: whoever holds it may write
	file      *os.File
	committed int64
	lastUsed  time.Time
}

// uploadStore tracks partial uploads by resource name. Uploads nobody has
// touched for the idle timeout are dropped when a new upload begins, so an
// abandoned client costs disk space for a bounded time only.
type uploadStore struct {
	dir     string
	timeout time.Duration
	now     func() time.Time
	mu      sync.Mutex
	uploads map[string]*partialUpload
}

func newUploadStore(opts Options) *uploadStore {
	return &uploadStore{dir: opts.UploadDirectory, timeout: opts.UploadIdleTimeout, now: opts.Now, uploads: map[string]*partialUpload{}}
}

func uploadKey(name resourceName) string {
	return name.upload + "/" + name.digest.Key()
}

// acquire returns the partial upload for name, creating it when new, and
// waits until no other stream is writing to it: a client that reconnects
// before the server noticed its old stream died must not interleave with
// it.
func (s *uploadStore) acquire(ctx context.Context, name resourceName) (*partialUpload, error) {
	for {
		u, err := s.acquireOnce(ctx, name)
		if err != nil || u != nil {
			return u, err
		}
	}
}

// acquireOnce returns nil, nil when the upload was discarded while this
// stream waited for it, and acquire starts over with a fresh one.
func (s *uploadStore) acquireOnce(ctx context.Context, name resourceName) (*partialUpload, error) {
	s.mu.Lock()
	s.expireLocked()
	key := uploadKey(name)
	u, ok := s.uploads[key]
	if !ok {
		u = &partialUpload{key: key, digest: name.digest, held: make(chan struct{}, 1)}
		s.uploads[key] = u
	}
	u.lastUsed = s.now()
	s.mu.Unlock()
	select {
	case u.held <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	current := s.uploads[u.key] == u
	s.mu.Unlock()
	if !current {
		<-u.held
		return nil, nil
	}
	if u.file == nil {
		f, err := os.CreateTemp(s.dir, "upload-*")
		if err != nil {
			s.release(u)
			return nil, fmt.Errorf("create upload file: %w", err)
		}
		u.file = f
	}
	return u, nil
}

// release lets the next stream write to u.
func (s *uploadStore) release(u *partialUpload) {
	s.mu.Lock()
	u.lastUsed = s.now()
	s.mu.Unlock()
	<-u.held
}

// discard forgets u and deletes its data; the caller holds u.
func (s *uploadStore) discard(u *partialUpload) {
	s.mu.Lock()
	if s.uploads[u.key] == u {
		delete(s.uploads, u.key)
	}
	s.mu.Unlock()
	closeAndRemove(u)
	<-u.held
}

// committed reports how many bytes of name have been received, or 0.
func (s *uploadStore) committed(ctx context.Context, name resourceName) (int64, error) {
	s.mu.Lock()
	u, ok := s.uploads[uploadKey(name)]
	s.mu.Unlock()
	if !ok {
		return 0, nil
	}
	// Wait for a writer still holding it so the answer is not stale by a
	// chunk; a client asks only after its own stream ended.
	select {
	case u.held <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	n := u.committed
	<-u.held
	return n, nil
}

// expireLocked drops idle uploads that no stream holds.
func (s *uploadStore) expireLocked() {
	now := s.now()
	for key, u := range s.uploads {
		if now.Sub(u.lastUsed) < s.timeout {
			continue
		}
		select {
		case u.held <- struct{}{}:
			delete(s.uploads, key)
			closeAndRemove(u)
			<-u.held
		default:
		}
	}
}

func closeAndRemove(u *partialUpload) {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
		u.file = nil
	}
	u.committed = 0
}
