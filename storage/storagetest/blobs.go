package storagetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// randomBytes returns n bytes that differ per seed, so blobs made by
// different subtests never collide.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	newStream(seed, int64(n)).Read(b)
	return b
}

// streamReader produces size pseudo-random bytes without holding them all
// in memory, so large-blob tests measure the store, not the test. ChaCha8
// yields the same stream however the reads are sized.
type streamReader struct {
	rng  *rand.ChaCha8
	left int64
}

func newStream(seed uint64, size int64) *streamReader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return &streamReader{rng: rand.NewChaCha8(s), left: size}
}

func (s *streamReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, _ := s.rng.Read(p)
	s.left -= int64(n)
	return n, nil
}

// streamDigest hashes a stream without storing it.
func streamDigest(instance string, seed uint64, size int64) digest.Digest {
	h := digest.Digest{}.NewHasher()
	if _, err := io.Copy(h, newStream(seed, size)); err != nil {
		panic(err)
	}
	d, err := digest.New(instance, 0, hex.EncodeToString(h.Sum(nil)), size)
	if err != nil {
		panic(err)
	}
	return d
}

func put(t *testing.T, ba storage.BlobAccess, d digest.Digest, data []byte) {
	t.Helper()
	if err := ba.Put(context.Background(), d, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%s): %v", d, err)
	}
}

func get(t *testing.T, ba storage.BlobAccess, d digest.Digest) []byte {
	t.Helper()
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		t.Fatalf("Get(%s): %v", d, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %s: %v", d, err)
	}
	return data
}

func wantContent(t *testing.T, ba storage.BlobAccess, d digest.Digest, want []byte) {
	t.Helper()
	if got := get(t, ba, d); !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) returned %d bytes that differ from the %d stored", d, len(got), len(want))
	}
}

// wantKind checks the kind of a BlobAccess's error; reported as gRPC
// codes, the names the kinds reach clients with.
func wantKind(t *testing.T, err error, want errkind.Kind, what string) {
	t.Helper()
	if !errkind.Is(err, want) {
		t.Fatalf("%s: got %s (%v), want %s", what, errkind.Of(err).Code(), err, want.Code())
	}
}

func wantMissing(t *testing.T, ba storage.BlobAccess, query, want []digest.Digest) {
	t.Helper()
	missing, err := ba.FindMissing(context.Background(), query)
	if err != nil {
		t.Fatalf("FindMissing: %v", err)
	}
	// Backends may or may not deduplicate the answer, so compare sets.
	got := map[string]bool{}
	for _, d := range missing {
		got[d.Instance+"|"+d.Key()] = true
	}
	wantSet := map[string]bool{}
	for _, d := range want {
		wantSet[d.Instance+"|"+d.Key()] = true
	}
	if !maps.Equal(got, wantSet) {
		t.Fatalf("FindMissing returned %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(wantSet)))
	}
}
