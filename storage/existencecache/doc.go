// Package existencecache is a BlobAccess decorator that remembers which
// CAS blobs were recently seen to exist, so repeated FindMissing calls for
// the same inputs (every build asks about the same toolchain files) do not
// reach the backend each time. Use it in front of a remote CAS, where a
// FindMissingBlobs round trip is the cost it saves.
package existencecache
