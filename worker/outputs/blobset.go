package outputs

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// BlobSet gathers the blobs an ActionResult refers to, by digest, holding
// file paths rather than contents so large outputs are streamed on upload.
// It is safe for concurrent use.
type BlobSet struct {
	instance string
	fn       remoteexecution.DigestFunction_Value

	mu    sync.Mutex
	blobs map[string]blobSource
}

type blobSource struct {
	d    digest.Digest
	path string
	data []byte
}

// NewBlobSet returns an empty set whose digests are named under instance.
func NewBlobSet(instance string, fn remoteexecution.DigestFunction_Value) *BlobSet {
	if fn == remoteexecution.DigestFunction_UNKNOWN {
		fn = remoteexecution.DigestFunction_SHA256
	}
	return &BlobSet{instance: instance, fn: fn, blobs: map[string]blobSource{}}
}

// AddFile hashes the file at path and adds it.
func (b *BlobSet) AddFile(path string) (digest.Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return digest.Digest{}, fmt.Errorf("read output: %w", err)
	}
	defer f.Close()
	h := digest.Digest{Function: b.fn}.NewHasher()
	n, err := io.Copy(h, f)
	if err != nil {
		return digest.Digest{}, fmt.Errorf("read output %s: %w", path, err)
	}
	d := digest.Digest{Function: b.fn, Hash: hex.EncodeToString(h.Sum(nil)), Size: n, Instance: b.instance}
	b.add(blobSource{d: d, path: path})
	return d, nil
}

// AddBytes adds data held in memory.
func (b *BlobSet) AddBytes(data []byte) digest.Digest {
	d := digest.OfBytes(b.instance, data)
	d.Function = b.fn
	b.add(blobSource{d: d, data: data})
	return d
}

// AddProto marshals m deterministically and adds it.
func (b *BlobSet) AddProto(m proto.Message) (digest.Digest, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return digest.Digest{}, fmt.Errorf("marshal %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return b.AddBytes(data), nil
}

func (b *BlobSet) add(s blobSource) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[s.d.Key()]; !ok {
		b.blobs[s.d.Key()] = s
	}
}

// Upload stores the blobs the CAS does not have yet, up to concurrency at
// once, and returns how many it sent. Errors keep their kinds.
func (b *BlobSet) Upload(ctx context.Context, cas storage.BlobAccess, concurrency int) (int, error) {
	b.mu.Lock()
	all := make([]digest.Digest, 0, len(b.blobs))
	for _, s := range b.blobs {
		all = append(all, s.d)
	}
	b.mu.Unlock()
	if len(all) == 0 {
		return 0, nil
	}
	missing, err := cas.FindMissing(ctx, all)
	if err != nil {
		return 0, fmt.Errorf("find missing outputs: %w", err)
	}
	// The first failure stops the uploads not yet started.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for _, d := range missing {
		g.Go(func() error { return b.put(gctx, cas, d) })
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return len(missing), nil
}

func (b *BlobSet) put(ctx context.Context, cas storage.BlobAccess, d digest.Digest) error {
	b.mu.Lock()
	s := b.blobs[d.Key()]
	b.mu.Unlock()
	if s.path == "" {
		return cas.Put(ctx, s.d, bytes.NewReader(s.data))
	}
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("upload output: %w", err)
	}
	defer f.Close()
	return cas.Put(ctx, s.d, f)
}
