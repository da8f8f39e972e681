package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GetBytes reads a whole blob, refusing blobs larger than maxSize with
// InvalidArgument so a bad digest cannot make the caller allocate without
// bound.
func GetBytes(ctx context.Context, ba BlobAccess, d digest.Digest, maxSize int64) ([]byte, error) {
	if d.Size > maxSize {
		return nil, status.Errorf(codes.InvalidArgument, "blob %s is larger than the limit of %d bytes", d, maxSize)
	}
	r, err := ba.Get(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// A CAS blob is as long as its digest says: read it into a buffer of
	// that size plus one byte that only EOF may leave unused. Action Cache
	// entries (keyed by the action's digest) may be longer and grow it.
	data := make([]byte, min(d.Size, maxSize)+1)
	n, err := io.ReadFull(r, data)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return data[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(r, maxSize+1-int64(n)))
	if err != nil {
		return nil, err
	}
	data = append(data, rest...)
	if int64(len(data)) > maxSize {
		return nil, status.Errorf(codes.InvalidArgument, "blob %s is larger than the limit of %d bytes", d, maxSize)
	}
	return data, nil
}

// PutBytes stores data under d.
func PutBytes(ctx context.Context, ba BlobAccess, d digest.Digest, data []byte) error {
	return ba.Put(ctx, d, bytes.NewReader(data))
}

// GetProto reads a blob and unmarshals it into m.
func GetProto(ctx context.Context, ba BlobAccess, d digest.Digest, maxSize int64, m proto.Message) error {
	data, err := GetBytes(ctx, ba, d, maxSize)
	if err != nil {
		return err
	}
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
