package inputroot

import (
	"fmt"
	"sort"
	"sync"

	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	if len(m.digests) == 0 {
		return nil
	}
	var subjects []string
	for _, d := range m.digests {
		subjects = append(subjects, fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size))
	}
	sort.Strings(subjects)
	failure := &errdetails.PreconditionFailure{}
	for _, s := range subjects {
		failure.Violations = append(failure.Violations, &errdetails.PreconditionFailure_Violation{
			Type:        "MISSING",
			Subject:     s,
			Description: "input blob not found in the CAS",
		})
	}
	st, err := status.New(codes.FailedPrecondition, fmt.Sprintf("%d input blobs are missing from the CAS, first %s", len(subjects), subjects[0])).WithDetails(failure)
	if err != nil {
		return status.Errorf(codes.FailedPrecondition, "%d input blobs are missing from the CAS", len(subjects))
	}
	return st.Err()
}
