package storage

import (
	"context"
	"io"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// BlobAccess stores blobs by digest. The CAS and the Action Cache are both
// BlobAccesses: for the CAS the blob's content hashes to its digest, for the
// Action Cache the blob is a serialized ActionResult keyed by the action's
// digest and instance name.
//
// Errors have a kind (see errkind, which also reads the kind of a status
// error from a remote store): NotFound for a missing blob, Invalid for
// content that does not match its digest.
type BlobAccess interface {
	// Get opens a blob for reading. The reader may implement io.Seeker.
	Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
	// Put stores a blob read from r. A CAS verifies the content against the
	// digest before the blob becomes visible.
	Put(ctx context.Context, d digest.Digest, r io.Reader) error
	// FindMissing returns the digests that are not stored.
	FindMissing(ctx context.Context, digests []digest.Digest) ([]digest.Digest, error)
}
