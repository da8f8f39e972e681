// Package storagetest is the conformance suite for storage.BlobAccess.
// Every backend and decorator runs RunConformance from its own tests, so
// the guarantees the rest of Sandbarn relies on (verified CAS writes, the
// always-present empty blob, NotFound for missing blobs, Action Cache
// entries keyed by instance name ...) are checked the same way everywhere.
//
// The suite only uses the BlobAccess interface and the kinds of its errors
// (errkind), never backend internals, so it runs unchanged against a remote
// store reached through a gRPC client, whose errors have the kinds of the
// server's statuses.
package storagetest
