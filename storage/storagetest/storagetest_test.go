package storagetest_test

import (
	"testing"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/storage/storagetest"
)

func TestMemory(t *testing.T) {
	storagetest.RunConformance(t,
		func(t *testing.T) storage.BlobAccess { return memory.NewCAS() },
		func(t *testing.T) storage.BlobAccess { return memory.NewActionCache() })
}
