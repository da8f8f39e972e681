package storage

import (
	"bytes"
	"context"
	"fmt"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"io"

	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GetBytes reads a whole CAS blob, refusing blobs larger than maxSize with
// InvalidArgument so a bad digest cannot make the caller allocate without
// bound. A CAS blob is as long as its digest says, so it is read into one
// buffer of that size; a backend returning fewer bytes is an internal
// error. (Action Cache entries are keyed by the action's digest, not their
// own: read them with GetActionResult.)
func GetBytes(ctx context.Context, ba BlobAccess, d digest.Digest, maxSize int64) ([]byte, error) {
	if d.Size > maxSize {
		return nil, status.Errorf(codes.InvalidArgument, "blob %s is larger than the limit of %d bytes", d, maxSize)
	}
	r, err := ba.Get(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, d.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, status.Errorf(codes.Internal, "read blob %s: %v", d, err)
	}
	return data, nil
}

// PutBytes stores data under d.
func PutBytes(ctx context.Context, ba BlobAccess, d digest.Digest, data []byte) error {
	return ba.Put(ctx, d, bytes.NewReader(data))
}

// GetProto reads a CAS blob and unmarshals it into m.
func GetProto(ctx context.Context, ba BlobAccess, d digest.Digest, maxSize int64, m proto.Message) error {
	data, err := GetBytes(ctx, ba, d, maxSize)
	if err != nil {
		return err
	}
	return unmarshalBlob(d, data, m)
}

// GetActionResult reads the Action Cache entry of an action, refusing
// entries larger than maxSize with InvalidArgument.
func GetActionResult(ctx context.Context, ac BlobAccess, action digest.Digest, maxSize int64) (*remoteexecution.ActionResult, error) {
	r, err := ac.Get(ctx, action)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxSize {
		return nil, status.Errorf(codes.InvalidArgument, "action result for %s is larger than the limit of %d bytes", action, maxSize)
	}
	result := &remoteexecution.ActionResult{}
	return result, unmarshalBlob(action, data, result)
}

func unmarshalBlob(d digest.Digest, data []byte, m proto.Message) error {
	if err := proto.Unmarshal(data, m); err != nil {
		return status.Errorf(codes.InvalidArgument, "blob %s is not a valid %s: %v", d, m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

// PutProto marshals m deterministically, stores it in a CAS and returns
// its digest.
func PutProto(ctx context.Context, cas BlobAccess, instance string, m proto.Message) (digest.Digest, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return digest.Digest{}, fmt.Errorf("marshal %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	d := digest.OfBytes(instance, data)
	return d, PutBytes(ctx, cas, d, data)
}
