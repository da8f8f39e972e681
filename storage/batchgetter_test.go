package storage_test

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
)

// TestGetBatchFallsBackToGets covers backends without a BatchGetter: every
// distinct digest is reported once, missing ones with NotFound.
func TestGetBatchFallsBackToGets(t *testing.T) {
	ctx := context.Background()
	cas := memory.NewCAS()
	present := digest.OfBytes("", []byte("here"))
	if err := storage.PutBytes(ctx, cas, present, []byte("here")); err != nil {
		t.Fatal(err)
	}
	absent := digest.OfBytes("", []byte("gone"))
	empty := digest.OfBytes("", nil)
	var mu sync.Mutex
	got := map[digest.Digest]error{}
	data := map[digest.Digest]string{}
	err := storage.GetBatch(ctx, cas, []digest.Digest{present, absent, present, empty}, 4, func(d digest.Digest, b []byte, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[d]; dup {
			t.Errorf("%s reported twice", d)
		}
		got[d], data[d] = err, string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[present] != nil || data[present] != "here" || got[empty] != nil || status.Code(got[absent]) != codes.NotFound {
		t.Fatalf("got %v %q", got, data)
	}
}
