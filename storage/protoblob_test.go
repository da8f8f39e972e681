package storage_test

import (
	"bytes"
	"context"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
)

// GetBytes reads a CAS blob into a buffer of its digest's size.
func TestGetBytesLengths(t *testing.T) {
	ctx := context.Background()
	cas := memory.NewCAS()
	blob := []byte("hello, sandbarn")
	d := digest.OfBytes("", blob)
	if err := storage.PutBytes(ctx, cas, d, blob); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    digest.Digest
		max  int64
		want []byte
		code codes.Code
	}{
		{"exact", d, 1 << 20, blob, codes.OK},
		{"exact at the limit", d, int64(len(blob)), blob, codes.OK},
		{"digest over the limit", d, int64(len(blob)) - 1, nil, codes.InvalidArgument},
		{"missing", digest.OfBytes("", []byte("absent")), 1 << 20, nil, codes.NotFound},
	} {
		got, err := storage.GetBytes(ctx, cas, c.d, c.max)
		if status.Code(err) != c.code || !bytes.Equal(got, c.want) {
			t.Errorf("%s: got %d bytes, %v; want %d bytes, %s", c.name, len(got), err, len(c.want), c.code)
		}
	}
}

// Action Cache entries are keyed by the action's digest and may be longer
// or shorter than it says; GetActionResult reads them whole, up to the
// limit.
func TestGetActionResultLengths(t *testing.T) {
	ctx := context.Background()
	ac := memory.NewActionCache()
	long := &remoteexecution.ActionResult{StdoutRaw: bytes.Repeat([]byte("r"), 5000)}
	short := &remoteexecution.ActionResult{ExitCode: 3}
	longData, _ := proto.Marshal(long)
	shortData, _ := proto.Marshal(short)
	key := digest.OfBytes("", []byte("x")) // 1 byte, shorter than the entry
	if err := storage.PutBytes(ctx, ac, key, longData); err != nil {
		t.Fatal(err)
	}
	keyLong := digest.Digest{Function: key.Function, Hash: digest.OfBytes("", []byte("y")).Hash, Size: 100} // longer than the entry
	if err := storage.PutBytes(ctx, ac, keyLong, shortData); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    digest.Digest
		max  int64
		want *remoteexecution.ActionResult
		code codes.Code
	}{
		{"entry longer than its key", key, 1 << 20, long, codes.OK},
		{"entry shorter than its key", keyLong, 1 << 20, short, codes.OK},
		{"entry over the limit", key, int64(len(longData)) - 1, nil, codes.InvalidArgument},
		{"missing", digest.OfBytes("", []byte("absent")), 1 << 20, nil, codes.NotFound},
	} {
		got, err := storage.GetActionResult(ctx, ac, c.d, c.max)
		if status.Code(err) != c.code || (c.want != nil && !proto.Equal(got, c.want)) {
			t.Errorf("%s: got %v, %v; want %v, %s", c.name, got, err, c.want, c.code)
		}
	}
}
