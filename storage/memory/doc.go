// Package memory is a BlobAccess held in memory: the backend for tests and
// benchmarks that should not touch the disk.
package memory
