package grpcclient

import (
	"bytes"
	"context"
	"io"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// findMissingBatch bounds the digests per FindMissingBlobs request; at
// about 80 bytes each this stays far below a 4 MiB message.
const findMissingBatch = 10000

// CAS reaches a remote ContentAddressableStorage and ByteStream.
type CAS struct {
	cas           remoteexecution.ContentAddressableStorageClient
	bs            bytestream.ByteStreamClient
	instance      string
	maxBatchBytes int64
	chunkBytes    int
}

// NewCAS returns a BlobAccess for the CAS behind conn. Blobs up to
// maxBatchBytes go through BatchReadBlobs/BatchUpdateBlobs, larger ones
// through ByteStream; pass the server's advertised max_batch_total_size_bytes
// (or a little less than its message limit). Use it wherever a program
// talks to a CAS it does not embed.
func NewCAS(conn grpc.ClientConnInterface, instance string, maxBatchBytes int64) *CAS {
	chunk := 1 << 20
	if maxBatchBytes > 0 && maxBatchBytes < int64(chunk) {
		chunk = int(maxBatchBytes)
	}
	return &CAS{
		cas:           remoteexecution.NewContentAddressableStorageClient(conn),
		bs:            bytestream.NewByteStreamClient(conn),
		instance:      instance,
		maxBatchBytes: maxBatchBytes,
		chunkBytes:    max(chunk, 1024),
	}
}

// Get returns the blob's content. The reader fails with DataLoss instead of
// returning its final bytes when the content does not match the digest.
func (c *CAS) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	if d.Size == 0 {
		// REAPI servers need not store the empty blob, so never ask.
		return verify(d, io.NopCloser(bytes.NewReader(nil))), nil
	}
	if d.Size <= c.maxBatchBytes {
		data, err := c.batchRead(ctx, d)
		if err != nil {
			return nil, err
		}
		return verify(d, io.NopCloser(bytes.NewReader(data))), nil
	}
	return c.streamRead(ctx, d)
}

func (c *CAS) batchRead(ctx context.Context, d digest.Digest) ([]byte, error) {
	resp, err := c.cas.BatchReadBlobs(ctx, &remoteexecution.BatchReadBlobsRequest{
		InstanceName:   digest.JoinInstance(c.instance, d.Instance),
		Digests:        []*remoteexecution.Digest{d.Proto()},
		DigestFunction: d.Function,
	})
	if err != nil {
		return nil, errkind.FromStatus(err)
	}
	if len(resp.Responses) != 1 {
		return nil, errkind.New(errkind.Internal, "BatchReadBlobs for %s returned %d responses, want 1", d, len(resp.Responses))
	}
	if err := entryError(resp.Responses[0].Status); err != nil {
		return nil, err
	}
	return resp.Responses[0].Data, nil
}

// Put uploads the blob. It reads exactly d.Size bytes from r and refuses
// content that is longer, so a wrong-sized source is caught before upload.
func (c *CAS) Put(ctx context.Context, d digest.Digest, r io.Reader) error {
	if d.Size <= c.maxBatchBytes {
		data, err := readExactly(d, r)
		if err != nil {
			return err
		}
		return c.batchUpdate(ctx, d, data)
	}
	return c.streamWrite(ctx, d, r)
}

func readExactly(d digest.Digest, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, d.Size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != d.Size {
		return nil, errkind.New(errkind.Invalid, "blob %s: source has %d bytes, digest says %d", d, len(data), d.Size)
	}
	return data, nil
}

func (c *CAS) batchUpdate(ctx context.Context, d digest.Digest, data []byte) error {
	resp, err := c.cas.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{
		InstanceName:   digest.JoinInstance(c.instance, d.Instance),
		Requests:       []*remoteexecution.BatchUpdateBlobsRequest_Request{{Digest: d.Proto(), Data: data}},
		DigestFunction: d.Function,
	})
	if err != nil {
		return errkind.FromStatus(err)
	}
	if len(resp.Responses) != 1 {
		return errkind.New(errkind.Internal, "BatchUpdateBlobs for %s returned %d responses, want 1", d, len(resp.Responses))
	}
	return entryError(resp.Responses[0].Status)
}

// entryError is the error a batch response gives one blob, nil for OK, as
// a kind error like those of the calls themselves. The status is a proto
// inside the response rather than the call's error, so this client edge
// reads it as a gRPC status before giving it its kind.
func entryError(s *rpcstatus.Status) error {
	return errkind.FromStatus(status.FromProto(s).Err())
}

// FindMissing asks in batches and maps the answers back to the caller's
// digests, instance names included.
func (c *CAS) FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	var missing []digest.Digest
	for len(digests) > 0 {
		n := min(len(digests), findMissingBatch)
		m, err := c.findMissing(ctx, digests[:n])
		if err != nil {
			return nil, err
		}
		missing = append(missing, m...)
		digests = digests[n:]
	}
	return missing, nil
}

func (c *CAS) findMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	// One request carries one instance name and digest function; group by
	// the first digest's and fall back to separate requests for others.
	first := digests[0]
	req := &remoteexecution.FindMissingBlobsRequest{
		InstanceName:   digest.JoinInstance(c.instance, first.Instance),
		DigestFunction: first.Function,
	}
	var rest []digest.Digest
	byKey := map[string][]digest.Digest{}
	for _, d := range digests {
		if d.Instance != first.Instance || d.Function != first.Function {
			rest = append(rest, d)
			continue
		}
		if _, ok := byKey[d.Key()]; !ok {
			req.BlobDigests = append(req.BlobDigests, d.Proto())
		}
		byKey[d.Key()] = append(byKey[d.Key()], d)
	}
	resp, err := c.cas.FindMissingBlobs(ctx, req)
	if err != nil {
		return nil, errkind.FromStatus(err)
	}
	var missing []digest.Digest
	for _, p := range resp.MissingBlobDigests {
		missing = append(missing, byKey[digest.Digest{Hash: p.Hash, Size: p.SizeBytes}.Key()]...)
	}
	if len(rest) > 0 {
		m, err := c.findMissing(ctx, rest)
		if err != nil {
			return nil, err
		}
		missing = append(missing, m...)
	}
	return missing, nil
}
