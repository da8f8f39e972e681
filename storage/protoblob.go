package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// GetBytes reads a whole CAS blob, refusing blobs larger than maxSize as
// errkind.Invalid so a bad digest cannot make the caller allocate without
// bound. A CAS blob is as long as its digest says, so it is read into one
// buffer of that size; a backend returning fewer bytes is an internal
// error. (Action Cache entries are keyed by the action's digest, not their
// own: read them with GetActionResult.)
func GetBytes(ctx context.Context, ba BlobAccess, d digest.Digest, maxSize int64) ([]byte, error) {
	if d.Size > maxSize {
		return nil, errkind.New(errkind.Invalid, "blob %s is larger than the limit of %d bytes", d, maxSize)
	}
	r, err := ba.Get(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, d.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, errkind.New(errkind.Internal, "read blob %s: %w", d, err)
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
// entries larger than maxSize as errkind.Invalid.
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
		return nil, errkind.New(errkind.Invalid, "action result for %s is larger than the limit of %d bytes", action, maxSize)
	}
	result := &remoteexecution.ActionResult{}
	return result, unmarshalBlob(action, data, result)
}

func unmarshalBlob(d digest.Digest, data []byte, m proto.Message) error {
	if err := proto.Unmarshal(data, m); err != nil {
		return errkind.New(errkind.Invalid, "blob %s is not a valid %s: %w", d, m.ProtoReflect().Descriptor().FullName(), err)
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
