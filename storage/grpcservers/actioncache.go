package grpcservers

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// ActionCache serves cached ActionResults, stored serialized in a
// BlobAccess keyed by action digest and instance name.
type ActionCache struct {
	remoteexecution.UnimplementedActionCacheServer
	cas  storage.BlobAccess
	ac   storage.BlobAccess
	opts Options
}

// NewActionCache returns the ActionCache service. cas is consulted so that
// results referring to evicted blobs are reported as absent. Register
// calls it.
func NewActionCache(cas, ac storage.BlobAccess, opts Options) *ActionCache {
	return &ActionCache{cas: cas, ac: ac, opts: opts.withDefaults()}
}

// GetActionResult returns NotFound both when no result is cached and when
// the result refers to a blob the CAS no longer holds: a client handed such
// a result would fail to download its outputs instead of re-running the
// action.
func (s *ActionCache) GetActionResult(ctx context.Context, req *remoteexecution.GetActionResultRequest) (*remoteexecution.ActionResult, error) {
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return nil, err
	}
	d, err := digest.FromProto(req.InstanceName, req.DigestFunction, req.ActionDigest)
	if err != nil {
		return nil, err
	}
	result, err := storage.GetActionResult(ctx, s.ac, d, int64(s.opts.MaxMessageSizeBytes))
	if err != nil {
		return nil, err
	}
	refs, err := storage.ActionResultBlobs(req.InstanceName, req.DigestFunction, result)
	if err != nil {
		return nil, errkind.New(errkind.NotFound, "cached result for %s is unusable: %w", d, err)
	}
	missing, err := s.cas.FindMissing(ctx, refs)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errkind.New(errkind.NotFound, "cached result for %s refers to %d blobs missing from the CAS, e.g. %s", d, len(missing), missing[0])
	}
	s.inline(ctx, req, result)
	return result, nil
}

// inline fills stdout/stderr raw fields when asked and small; REAPI lets the
// server decline, so a failure here just leaves them to be downloaded.
func (s *ActionCache) inline(ctx context.Context, req *remoteexecution.GetActionResultRequest, result *remoteexecution.ActionResult) {
	budget := s.opts.MaxBatchTotalSizeBytes() - int64(proto.Size(result))
	load := func(p *remoteexecution.Digest) []byte {
		d, err := digest.FromProto(req.InstanceName, req.DigestFunction, p)
		if err != nil || d.Size > budget {
			return nil
		}
		data, err := storage.GetBytes(ctx, s.cas, d, d.Size)
		if err != nil {
			return nil
		}
		budget -= d.Size
		return data
	}
	if req.InlineStdout && result.StdoutDigest != nil && len(result.StdoutRaw) == 0 {
		result.StdoutRaw = load(result.StdoutDigest)
	}
	if req.InlineStderr && result.StderrDigest != nil && len(result.StderrRaw) == 0 {
		result.StderrRaw = load(result.StderrDigest)
	}
}

// UpdateActionResult validates every digest in the result before caching
// it, so a malformed result never reaches other clients.
func (s *ActionCache) UpdateActionResult(ctx context.Context, req *remoteexecution.UpdateActionResultRequest) (*remoteexecution.ActionResult, error) {
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return nil, err
	}
	d, err := digest.FromProto(req.InstanceName, req.DigestFunction, req.ActionDigest)
	if err != nil {
		return nil, err
	}
	if req.ActionResult == nil {
		return nil, errkind.New(errkind.Invalid, "action_result is missing")
	}
	if _, err := storage.ActionResultBlobs(req.InstanceName, req.DigestFunction, req.ActionResult); err != nil {
		return nil, err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(req.ActionResult)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "marshal action result: %w", err)
	}
	if err := storage.PutBytes(ctx, s.ac, d, data); err != nil {
		return nil, err
	}
	return req.ActionResult, nil
}
