package grpcservers

import (
	"bytes"
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// CAS serves ContentAddressableStorage over a BlobAccess.
type CAS struct {
	remoteexecution.UnimplementedContentAddressableStorageServer
	cas  storage.BlobAccess
	opts Options
}

// NewCAS returns the ContentAddressableStorage service for cas. Register
// calls it; use it directly only to register the services one by one.
func NewCAS(cas storage.BlobAccess, opts Options) *CAS {
	return &CAS{cas: cas, opts: opts.withDefaults()}
}

// FindMissingBlobs validates every digest before asking the backend, so one
// malformed digest fails the whole request rather than being reported
// missing forever.
func (s *CAS) FindMissingBlobs(ctx context.Context, req *remoteexecution.FindMissingBlobsRequest) (*remoteexecution.FindMissingBlobsResponse, error) {
	digests, err := digestsFromProto(req.InstanceName, req.DigestFunction, req.BlobDigests)
	if err != nil {
		return nil, err
	}
	missing, err := s.cas.FindMissing(ctx, digests)
	if err != nil {
		return nil, err
	}
	resp := &remoteexecution.FindMissingBlobsResponse{MissingBlobDigests: make([]*remoteexecution.Digest, 0, len(missing))}
	for _, d := range missing {
		resp.MissingBlobDigests = append(resp.MissingBlobDigests, d.Proto())
	}
	return resp, nil
}

// BatchUpdateBlobs stores each blob separately; a blob whose content does
// not match its digest gets InvalidArgument in its own response entry while
// the others are stored.
func (s *CAS) BatchUpdateBlobs(ctx context.Context, req *remoteexecution.BatchUpdateBlobsRequest) (*remoteexecution.BatchUpdateBlobsResponse, error) {
	if _, err := digest.ResolveFunction(req.DigestFunction); err != nil {
		return nil, err
	}
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return nil, err
	}
	var total int64
	for _, r := range req.Requests {
		total += int64(len(r.Data))
	}
	if limit := s.opts.MaxBatchTotalSizeBytes(); total > limit {
		return nil, errkind.New(errkind.Invalid, "batch of %d bytes exceeds the limit of %d bytes; send large blobs through ByteStream", total, limit)
	}
	resp := &remoteexecution.BatchUpdateBlobsResponse{Responses: make([]*remoteexecution.BatchUpdateBlobsResponse_Response, len(req.Requests))}
	forEach(len(req.Requests), func(i int) {
		r := req.Requests[i]
		resp.Responses[i] = &remoteexecution.BatchUpdateBlobsResponse_Response{
			Digest: r.Digest,
			Status: statusProto(s.updateOne(ctx, req, r)),
		}
	})
	return resp, nil
}

func (s *CAS) updateOne(ctx context.Context, req *remoteexecution.BatchUpdateBlobsRequest, r *remoteexecution.BatchUpdateBlobsRequest_Request) error {
	if r.Compressor != remoteexecution.Compressor_IDENTITY {
		return errkind.New(errkind.Invalid, "compressor %s is not supported; send blobs uncompressed", r.Compressor)
	}
	d, err := digest.FromProto(req.InstanceName, req.DigestFunction, r.Digest)
	if err != nil {
		return err
	}
	return s.cas.Put(ctx, d, bytes.NewReader(r.Data))
}

// readEntryOverheadBytes bounds what one BatchReadBlobs response entry
// adds besides the blob: a SHA-256 digest, an empty status and field tags.
const readEntryOverheadBytes = 96

// BatchReadBlobs refuses requests whose blobs would not fit in one
// response, instead of failing halfway through building it.
func (s *CAS) BatchReadBlobs(ctx context.Context, req *remoteexecution.BatchReadBlobsRequest) (*remoteexecution.BatchReadBlobsResponse, error) {
	digests, err := digestsFromProto(req.InstanceName, req.DigestFunction, req.Digests)
	if err != nil {
		return nil, err
	}
	var total, framed int64
	for _, d := range digests {
		total += d.Size
		framed += d.Size + readEntryOverheadBytes
	}
	if limit := s.opts.MaxBatchTotalSizeBytes(); total > limit {
		return nil, errkind.New(errkind.Invalid, "batch of %d bytes exceeds the limit of %d bytes; read large blobs through ByteStream", total, limit)
	}
	// Many tiny blobs can fit the data limit yet overflow the message with
	// digests and statuses; say so instead of failing in the transport.
	if framed > int64(s.opts.MaxMessageSizeBytes) {
		return nil, errkind.New(errkind.Invalid, "batch of %d blobs would make a response of about %d bytes, above the message limit of %d; split it", len(digests), framed, s.opts.MaxMessageSizeBytes)
	}
	resp := &remoteexecution.BatchReadBlobsResponse{Responses: make([]*remoteexecution.BatchReadBlobsResponse_Response, len(digests))}
	forEach(len(digests), func(i int) {
		data, err := storage.GetBytes(ctx, s.cas, digests[i], digests[i].Size)
		resp.Responses[i] = &remoteexecution.BatchReadBlobsResponse_Response{
			Digest: digests[i].Proto(),
			Data:   data,
			Status: statusProto(err),
		}
	})
	return resp, nil
}

func digestsFromProto(instance string, fn remoteexecution.DigestFunction_Value, in []*remoteexecution.Digest) ([]digest.Digest, error) {
	if err := digest.ValidateInstanceName(instance); err != nil {
		return nil, err
	}
	out := make([]digest.Digest, 0, len(in))
	for _, p := range in {
		d, err := digest.FromProto(instance, fn, p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// statusProto turns an error into the google.rpc.Status that batch
// responses carry per entry; nil becomes OK. These statuses travel inside
// the response rather than as the call's error, so the interceptors never
// see them: the edge's mapping is applied here instead.
func statusProto(err error) *rpcstatus.Status {
	if err == nil {
		return &rpcstatus.Status{}
	}
	return errkind.Status(err).Proto()
}
