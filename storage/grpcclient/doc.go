// Package grpcclient is a storage.BlobAccess backed by any REAPI v2 server
// (Sandbarn's bb_storage, Buildbarn's bb_storage, bazel-remote ...). Small
// blobs travel in batches, large ones through ByteStream in chunks.
// GetBatch (storage.BatchGetter) packs many small reads into parallel
// BatchReadBlobs requests. Every blob read is checked against its digest
// before the caller sees the end of it.
//
// It is a client edge: errors the server returns come back through
// errkind.FromStatus as errors of the status's kind with the server's own
// message, so callers wrap them with context and read the kind with
// errkind.Is, as with any other BlobAccess.
package grpcclient
