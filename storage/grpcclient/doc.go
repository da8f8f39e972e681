// Package grpcclient is a storage.BlobAccess backed by any REAPI v2 server
// (Sandbarn's bb_storage, Buildbarn's bb_storage, bazel-remote ...). Small
// blobs travel in batches, large ones through ByteStream in chunks.
// GetBatch (storage.BatchGetter) packs many small reads into parallel
// BatchReadBlobs requests. Every blob read is checked against its digest
// before the caller sees the end of it.
package grpcclient
