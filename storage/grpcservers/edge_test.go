package grpcservers_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
)

// errBackend is a kind error wrapped with context, as a backend deep below
// the services returns it.
var errBackend = fmt.Errorf("shard 3: %w", errkind.New(errkind.Unavailable, "disk gone"))

// failingStore fails every call with errBackend.
type failingStore struct{}

func (failingStore) Get(context.Context, digest.Digest) (io.ReadCloser, error) {
	return nil, errBackend
}

func (failingStore) Put(context.Context, digest.Digest, io.Reader) error { return errBackend }

func (failingStore) FindMissing(context.Context, []digest.Digest) ([]digest.Digest, error) {
	return nil, errBackend
}

// The edge maps a backend's kind error once: the client sees the kind's
// code and the whole message, context included, from unary and streaming
// calls and in the per-blob statuses of a batch.
func TestBackendErrorsReachClientsWithTheirKind(t *testing.T) {
	conn := serve(t, failingStore{}, failingStore{}, grpcservers.Options{})
	ctx := context.Background()
	d := digest.OfBytes("", []byte("x"))
	cas := remoteexecution.NewContentAddressableStorageClient(conn)
	_, err := cas.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: []*remoteexecution.Digest{d.Proto()}})
	wantBackendStatus(t, status.Convert(err), "FindMissingBlobs")
	_, err = readAll(bytestream.NewByteStreamClient(conn), &bytestream.ReadRequest{ResourceName: fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size)})
	wantBackendStatus(t, status.Convert(err), "ByteStream Read")
	_, err = remoteexecution.NewActionCacheClient(conn).GetActionResult(ctx, &remoteexecution.GetActionResultRequest{ActionDigest: d.Proto()})
	wantBackendStatus(t, status.Convert(err), "GetActionResult")
	resp, err := cas.BatchReadBlobs(ctx, &remoteexecution.BatchReadBlobsRequest{Digests: []*remoteexecution.Digest{d.Proto()}})
	if err != nil || len(resp.Responses) != 1 {
		t.Fatalf("BatchReadBlobs: %v, %v", resp, err)
	}
	wantBackendStatus(t, status.FromProto(resp.Responses[0].Status), "BatchReadBlobs entry")
}

func wantBackendStatus(t *testing.T, s *status.Status, what string) {
	t.Helper()
	if s.Code() != codes.Unavailable || s.Message() != "shard 3: disk gone" {
		t.Errorf("%s: %v %q, want Unavailable \"shard 3: disk gone\"", what, s.Code(), s.Message())
	}
}
