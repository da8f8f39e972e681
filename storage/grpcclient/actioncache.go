package grpcclient

import (
	"bytes"
	"context"
	"io"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// maxActionResultBytes bounds a serialized ActionResult passed to Put; a
// bigger one would not fit in a default gRPC message anyway.
const maxActionResultBytes = 16 << 20

// ActionCache reaches a remote ActionCache service. Its blobs are
// serialized ActionResults keyed by action digest.
type ActionCache struct {
	ac       remoteexecution.ActionCacheClient
	instance string
}

// NewActionCache returns a BlobAccess for the Action Cache behind conn. Use
// it for the worker's result uploads and for the scheduler's cache lookups
// when storage is remote.
func NewActionCache(conn grpc.ClientConnInterface, instance string) *ActionCache {
	return &ActionCache{ac: remoteexecution.NewActionCacheClient(conn), instance: instance}
}

// Get fetches the ActionResult and returns it serialized.
func (c *ActionCache) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	result, err := c.ac.GetActionResult(ctx, &remoteexecution.GetActionResultRequest{
		InstanceName:   digest.JoinInstance(c.instance, d.Instance),
		ActionDigest:   d.Proto(),
		DigestFunction: d.Function,
	})
	if err != nil {
		return nil, errkind.FromStatus(err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(result)
	if err != nil {
		return nil, errkind.New(errkind.Internal, "marshal action result: %w", err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Put stores a serialized ActionResult; anything else is InvalidArgument.
func (c *ActionCache) Put(ctx context.Context, d digest.Digest, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, maxActionResultBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxActionResultBytes {
		return errkind.New(errkind.Invalid, "action result for %s is larger than %d bytes", d, maxActionResultBytes)
	}
	result := &remoteexecution.ActionResult{}
	if err := proto.Unmarshal(data, result); err != nil {
		return errkind.New(errkind.Invalid, "action result for %s: %w", d, err)
	}
	_, err = c.ac.UpdateActionResult(ctx, &remoteexecution.UpdateActionResultRequest{
		InstanceName:   digest.JoinInstance(c.instance, d.Instance),
		ActionDigest:   d.Proto(),
		ActionResult:   result,
		DigestFunction: d.Function,
	})
	return errkind.FromStatus(err)
}

// FindMissing looks each action up; the ActionCache service has no batch
// existence call.
func (c *ActionCache) FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error) {
	var missing []digest.Digest
	for _, d := range digests {
		r, err := c.Get(ctx, d)
		switch {
		case errkind.Is(err, errkind.NotFound):
			missing = append(missing, d)
		case err != nil:
			return nil, err
		default:
			r.Close()
		}
	}
	return missing, nil
}
