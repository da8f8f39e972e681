package existencecache

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/storage/storagetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// countingCAS is a memory CAS (which always holds the empty blob) that
// counts the digests FindMissing is asked about.
type countingCAS struct {
	*memory.BlobAccess
	asked atomic.Int64
}

func newCountingCAS() *countingCAS {
	return &countingCAS{BlobAccess: memory.NewCAS()}
}

func (c *countingCAS) FindMissing(ctx context.Context, ds []digest.Digest) ([]digest.Digest, error) {
	c.asked.Add(int64(len(ds)))
	return c.BlobAccess.FindMissing(ctx, ds)
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestConformance(t *testing.T) {
	storagetest.RunConformance(t, func(t *testing.T) storage.BlobAccess {
		return New(newCountingCAS(), Options{TTL: time.Minute, MaxEntries: 1000})
	}, nil)
}

func TestFindMissingServedFromCache(t *testing.T) {
	ctx := context.Background()
	base := newCountingCAS()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	ba := New(base, Options{TTL: time.Minute, MaxEntries: 100, Now: clock.now})
	a, b := []byte("a"), []byte("b")
	da, db := digest.OfBytes("", a), digest.OfBytes("", b)
	if err := ba.Put(ctx, da, bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	if err := base.Put(ctx, db, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	missing, err := ba.FindMissing(ctx, []digest.Digest{da, db})
	if err != nil || len(missing) != 0 || base.asked.Load() != 1 {
		t.Fatalf("first FindMissing: missing %v, err %v, backend asked %d (want 1: b only)", missing, err, base.asked.Load())
	}
	if _, err := ba.FindMissing(ctx, []digest.Digest{da, db}); err != nil || base.asked.Load() != 1 {
		t.Fatalf("second FindMissing reached the backend (%d asked, %v)", base.asked.Load(), err)
	}
	clock.t = clock.t.Add(time.Minute)
	if _, err := ba.FindMissing(ctx, []digest.Digest{da, db}); err != nil || base.asked.Load() != 3 {
		t.Fatalf("after the TTL the backend was asked about %d digests in all, want 3", base.asked.Load())
	}
}

func TestMissingNotCachedAndNotFoundForgets(t *testing.T) {
	ctx := context.Background()
	base := newCountingCAS()
	ba := New(base, Options{TTL: time.Hour, MaxEntries: 100})
	data := []byte("evicted later")
	d := digest.OfBytes("", data)
	for range 2 {
		if missing, _ := ba.FindMissing(ctx, []digest.Digest{d}); len(missing) != 1 {
			t.Fatal("absent blob reported present")
		}
	}
	if err := ba.Put(ctx, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// The backend loses the blob behind the cache's back; a Get that
	// fails with NotFound must make FindMissing ask again.
	fresh := newCountingCAS()
	base.BlobAccess = fresh.BlobAccess
	if missing, _ := ba.FindMissing(ctx, []digest.Digest{d}); len(missing) != 0 {
		t.Fatal("expected the stale cached answer before any Get")
	}
	_, err := ba.Get(ctx, d)
	if status.Code(err) != codes.NotFound {
		t.Fatalf("Get: %v", err)
	}
	if missing, _ := ba.FindMissing(ctx, []digest.Digest{d}); len(missing) != 1 {
		t.Fatal("FindMissing still trusts the cache after a NotFound")
	}
}

func TestBounded(t *testing.T) {
	ctx := context.Background()
	ba := New(newCountingCAS(), Options{TTL: time.Hour, MaxEntries: 10})
	for i := range 100 {
		data := []byte{byte(i)}
		if err := ba.Put(ctx, digest.OfBytes("", data), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ba.current) + len(ba.previous); n > 10 {
		t.Fatalf("cache holds %d entries, bound is 10", n)
	}
}

// A digest looked up often stays cached while others are inserted: a hit
// in the older generation moves it to the newer one.
func TestHitsSurviveGenerations(t *testing.T) {
	ctx := context.Background()
	base := newCountingCAS()
	ba := New(base, Options{TTL: time.Hour, MaxEntries: 10})
	hot := []byte("hot")
	dh := digest.OfBytes("", hot)
	if err := ba.Put(ctx, dh, bytes.NewReader(hot)); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		data := []byte{byte(i)}
		if err := ba.Put(ctx, digest.OfBytes("", data), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if _, err := ba.FindMissing(ctx, []digest.Digest{dh}); err != nil {
			t.Fatal(err)
		}
	}
	if n := base.asked.Load(); n != 0 {
		t.Fatalf("the backend was asked about %d digests; the hot one should have stayed cached", n)
	}
}
