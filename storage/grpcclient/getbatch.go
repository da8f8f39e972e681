package grpcclient

import (
	"context"
	"io"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"golang.org/x/sync/errgroup"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// batchReadConcurrency bounds the BatchReadBlobs requests one GetBatch has
// in flight; with full batches that is this many times maxBatchBytes of
// memory.
const batchReadConcurrency = 8

// batchEntryOverheadBytes is counted per blob besides its content when
// packing a request, so that thousands of tiny blobs do not overflow the
// response message with digests and statuses.
const batchEntryOverheadBytes = 128

// GetBatch implements storage.BatchGetter: blobs that fit a batch are packed
// into BatchReadBlobs requests of up to maxBatchBytes, several in flight at
// once; larger blobs are read through ByteStream. Every blob is checked
// against its digest, and one that does not match is reported with
// DataLoss.
func (c *CAS) GetBatch(ctx context.Context, digests []digest.Digest, fn storage.BatchFunc) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tasks []func(context.Context) error
	for _, group := range c.packBatches(digests) {
		tasks = append(tasks, func(ctx context.Context) error { return c.readBatch(ctx, group, fn) })
	}
	for _, d := range uniqueLarge(digests, c.maxBatchBytes) {
		tasks = append(tasks, func(ctx context.Context) error { return c.readOne(ctx, d, fn) })
	}
	return runLimited(ctx, batchReadConcurrency, tasks)
}

// packBatches groups the small non-empty digests into requests: one
// instance name and digest function per request, each within the batch
// byte limit.
func (c *CAS) packBatches(digests []digest.Digest) [][]digest.Digest {
	type groupKey struct {
		instance string
		fn       remoteexecution.DigestFunction_Value
	}
	var batches [][]digest.Digest
	open := map[groupKey]int{} // index of the batch still being filled
	filled := map[int]int64{}
	seen := map[digest.Digest]bool{}
	for _, d := range digests {
		cost := d.Size + batchEntryOverheadBytes
		if seen[d] || cost > c.maxBatchBytes {
			continue
		}
		seen[d] = true
		k := groupKey{d.Instance, d.Function}
		i, ok := open[k]
		if !ok || filled[i]+cost > c.maxBatchBytes {
			i = len(batches)
			batches = append(batches, nil)
			open[k] = i
		}
		batches[i] = append(batches[i], d)
		filled[i] += cost
	}
	return batches
}

// uniqueLarge returns the distinct digests too big for a batch; the empty
// blob is among them only when no batch fits anything.
func uniqueLarge(digests []digest.Digest, maxBatchBytes int64) []digest.Digest {
	var out []digest.Digest
	seen := map[digest.Digest]bool{}
	for _, d := range digests {
		if !seen[d] && d.Size+batchEntryOverheadBytes > maxBatchBytes {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// readBatch sends one BatchReadBlobs request and hands each answer to fn.
// A blob the server did not answer for is reported as Internal rather than
// silently dropped.
func (c *CAS) readBatch(ctx context.Context, batch []digest.Digest, fn storage.BatchFunc) error {
	req := &remoteexecution.BatchReadBlobsRequest{
		InstanceName:   digest.JoinInstance(c.instance, batch[0].Instance),
		DigestFunction: batch[0].Function,
	}
	wanted := make(map[string]digest.Digest, len(batch))
	for _, d := range batch {
		if d.Size == 0 {
			// REAPI servers need not store the empty blob, so never ask.
			if err := fn(d, []byte{}, nil); err != nil {
				return err
			}
			continue
		}
		wanted[d.Key()] = d
		req.Digests = append(req.Digests, d.Proto())
	}
	if len(req.Digests) == 0 {
		return nil
	}
	resp, err := c.cas.BatchReadBlobs(ctx, req)
	if err != nil {
		return errkind.FromStatus(err)
	}
	for _, r := range resp.Responses {
		if r.Digest == nil {
			continue
		}
		k := digest.Digest{Hash: r.Digest.Hash, Size: r.Digest.SizeBytes}.Key()
		d, ok := wanted[k]
		if !ok {
			continue
		}
		delete(wanted, k)
		if err := fn(d, r.Data, checkBatchEntry(d, r)); err != nil {
			return err
		}
	}
	for _, d := range wanted {
		if err := fn(d, nil, errkind.New(errkind.Internal, "BatchReadBlobs returned no response for blob %s", d)); err != nil {
			return err
		}
	}
	return nil
}

// checkBatchEntry returns the entry's own error, or DataLoss when its data
// does not hash to the digest.
func checkBatchEntry(d digest.Digest, r *remoteexecution.BatchReadBlobsResponse_Response) error {
	if err := entryError(r.Status); err != nil {
		return err
	}
	if r.Compressor != remoteexecution.Compressor_IDENTITY {
		return errkind.New(errkind.Internal, "blob %s: server sent it compressed with %s, which was not asked for", d, r.Compressor)
	}
	if err := d.VerifyBytes(r.Data); err != nil {
		// The request was fine; what arrived is not the blob.
		return errkind.New(errkind.DataLoss, "%w", err)
	}
	return nil
}

// readOne fetches a blob too large for a batch through Get (ByteStream,
// verified) and passes its error, if any, to fn as the blob's own.
func (c *CAS) readOne(ctx context.Context, d digest.Digest, fn storage.BatchFunc) error {
	r, err := c.Get(ctx, d)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(r)
		r.Close()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fn(d, data, err)
}

// runLimited runs the tasks with at most limit at once and returns the
// first error, cancelling the rest. It returns only after every started
// task has ended.
func runLimited(ctx context.Context, limit int, tasks []func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, task := range tasks {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return task(gctx) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
