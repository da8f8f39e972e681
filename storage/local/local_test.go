package local

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/storagetest"
)

func TestConformance(t *testing.T) {
	factory := func(kind Kind) storagetest.Factory {
		return func(t *testing.T) storage.BlobAccess {
			return openStore(t, t.TempDir(), kind, 1<<30, nil)
		}
	}
	storagetest.RunConformance(t, factory(CAS), factory(ActionCache))
}

// openStore opens a store that closes itself when the test ends. A nil now
// gives a clock that advances one second per call, so recency order never
// depends on timestamp granularity.
func openStore(t testing.TB, dir string, kind Kind, maxSize int64, now func() time.Time) *BlobAccess {
	t.Helper()
	if now == nil {
		now = steppingClock(time.Unix(1_700_000_000, 0))
	}
	ba, err := New(Options{Dir: dir, MaxSizeBytes: maxSize, Kind: kind, Now: now, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ba.Close() })
	return ba
}

func steppingClock(start time.Time) func() time.Time {
	var ticks atomic.Int64
	return func() time.Time {
		return start.Add(time.Duration(ticks.Add(1)) * time.Second)
	}
}

func blob(seed byte, size int) ([]byte, digest.Digest) {
	data := bytes.Repeat([]byte{seed}, size)
	data[0] = seed ^ 0x55
	return data, digest.OfBytes("", data)
}

func mustPut(t testing.TB, ba *BlobAccess, d digest.Digest, data []byte) {
	t.Helper()
	if err := ba.Put(context.Background(), d, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%s): %v", d, err)
	}
}

func mustRead(t testing.TB, ba *BlobAccess, d digest.Digest) []byte {
	t.Helper()
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		t.Fatalf("Get(%s): %v", d, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// stored reports which digests the index holds, without touching their
// recency as FindMissing would.
func stored(ba *BlobAccess, ds ...digest.Digest) []bool {
	ba.mu.Lock()
	defer ba.mu.Unlock()
	out := make([]bool, len(ds))
	for i, d := range ds {
		k, err := ba.key(d)
		out[i] = err == nil && ba.index.lookup(k) != 0
	}
	return out
}
