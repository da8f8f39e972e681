// Package local is a BlobAccess on local disk: the embedded default CAS
// and Action Cache of bb_storage.
//
// Each blob is one file, named by its key and sharded into 256
// directories. Writes stream into a temporary file on the same filesystem
// (verified against the digest on the way for a CAS), are fsynced and then
// renamed into place, so a crash at any moment leaves either the whole blob
// or nothing under its name. Temporary files left by a crash are deleted
// when the store is opened.
//
// The store is bounded in size and evicts least-recently-used blobs. The
// recency order lives in memory and is mirrored in the files' modification
// times, so reopening the store after a restart rebuilds both the index and
// the order from a directory scan. The in-memory index costs about 60
// bytes per blob (measured: 58.8 bytes with a million entries).
package local
