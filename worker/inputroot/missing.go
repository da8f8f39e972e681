package inputroot

import (
	"sync"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// missingBlobs collects the digests that the CAS did not have.
type missingBlobs struct {
	mu      sync.Mutex
	digests map[string]digest.Digest
}

func (m *missingBlobs) add(d digest.Digest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.digests == nil {
		m.digests = map[string]digest.Digest{}
	}
	m.digests[d.Key()] = d
}

// err returns nil when nothing is missing, and otherwise the error REAPI
// prescribes: FAILED_PRECONDITION with one MISSING violation per blob.
func (m *missingBlobs) err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ds := make([]digest.Digest, 0, len(m.digests))
	for _, d := range m.digests {
		ds = append(ds, d)
	}
	return storage.MissingBlobsError("input blob", ds...)
}
