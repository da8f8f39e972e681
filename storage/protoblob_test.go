package storage_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// GetBytes sizes its buffer from the digest, but Action Cache entries are
// keyed by the action's digest and may be longer or shorter than it says.
func TestGetBytesLengths(t *testing.T) {
	ctx := context.Background()
	cas, ac := memory.NewCAS(), memory.NewActionCache()
	blob := []byte("hello, sandbarn")
	d := digest.OfBytes("", blob)
	if err := storage.PutBytes(ctx, cas, d, blob); err != nil {
		t.Fatal(err)
	}
	key := digest.OfBytes("", []byte("x")) // 1 byte, shorter than the entry
	long := bytes.Repeat([]byte("r"), 5000)
	if err := storage.PutBytes(ctx, ac, key, long); err != nil {
		t.Fatal(err)
	}
	keyLong := digest.Digest{Function: key.Function, Hash: d.Hash, Size: 100} // longer than the entry
	if err := storage.PutBytes(ctx, ac, keyLong, blob); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ba   storage.BlobAccess
		d    digest.Digest
		max  int64
		want []byte
		code codes.Code
	}{
		{"exact", cas, d, 1 << 20, blob, codes.OK},
		{"exact at the limit", cas, d, int64(len(blob)), blob, codes.OK},
		{"entry longer than its key", ac, key, 1 << 20, long, codes.OK},
		{"entry shorter than its key", ac, keyLong, 1 << 20, blob, codes.OK},
		{"entry over the limit", ac, key, 4999, nil, codes.InvalidArgument},
		{"digest over the limit", cas, d, int64(len(blob)) - 1, nil, codes.InvalidArgument},
		{"missing", cas, digest.OfBytes("", []byte("absent")), 1 << 20, nil, codes.NotFound},
	} {
		got, err := storage.GetBytes(ctx, c.ba, c.d, c.max)
		if status.Code(err) != c.code || !bytes.Equal(got, c.want) {
			t.Errorf("%s: got %d bytes, %v; want %d bytes, %s", c.name, len(got), err, len(c.want), c.code)
		}
	}
}
