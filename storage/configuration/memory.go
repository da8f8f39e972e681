package configuration

import (
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/memory"
)

// MemoryConfiguration keeps blobs in memory (storage/memory), without a
// size bound and only until the program exits: for tests and small
// short-lived setups. It has no settings; write memory: {}.
type MemoryConfiguration struct{}

func newMemory(_ *MemoryConfiguration, k kind) storage.BlobAccess {
	if k == kindActionCache {
		return memory.NewActionCache()
	}
	return memory.NewCAS()
}
