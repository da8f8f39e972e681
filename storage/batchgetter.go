package storage

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// BatchGetter is implemented by BlobAccesses that can read many small blobs
// at a lower cost than one Get each, for example by packing them into a few
// BatchReadBlobs requests. Callers reach it through GetBatch, which falls
// back to parallel Gets for backends without it.
type BatchGetter interface {
	// GetBatch reads the blobs and calls fn once per distinct digest, with
	// either the whole content or that blob's own error (NotFound when it
	// is missing, DataLoss when it arrived corrupted), so one missing blob
	// does not hide the others. fn may run on several goroutines at once
	// and owns data. The result is an error of the batch as a whole (the
	// connection failed, the context ended, fn returned an error); fn is
	// never called after GetBatch returns.
	GetBatch(ctx context.Context, digests []digest.Digest, fn BatchFunc) error
}

// BatchFunc receives one blob of a batch read, or the reason it could not
// be read. Returning an error stops the batch.
type BatchFunc func(d digest.Digest, data []byte, err error) error

// GetBatch reads the blobs through ba's BatchGetter when it has one, and
// otherwise with up to concurrency Gets at once. It has the semantics of
// BatchGetter.GetBatch. The caller bounds the blobs' sizes: each is read
// into memory whole.
func GetBatch(ctx context.Context, ba BlobAccess, digests []digest.Digest, concurrency int, fn BatchFunc) error {
	if bg, ok := ba.(BatchGetter); ok {
		return bg.GetBatch(ctx, digests, fn)
	}
	return getInParallel(ctx, ba, unique(digests), concurrency, fn)
}

// getInParallel is GetBatch for backends whose Get is already cheap (memory,
// local disk), where parallelism is all that batching could add.
func getInParallel(ctx context.Context, ba BlobAccess, digests []digest.Digest, concurrency int, fn BatchFunc) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for _, d := range digests {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			var data []byte
			var err error
			if d.Size > 0 {
				// Clients may reference the empty blob without storing it.
				data, err = GetBytes(gctx, ba, d, d.Size)
			}
			if gctx.Err() != nil {
				// The batch was abandoned: report nothing further.
				return nil
			}
			return fn(d, data, err)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// unique drops repeated digests, keeping the first occurrence's order.
func unique(digests []digest.Digest) []digest.Digest {
	seen := make(map[digest.Digest]bool, len(digests))
	out := make([]digest.Digest, 0, len(digests))
	for _, d := range digests {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
