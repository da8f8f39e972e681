// Package storage defines BlobAccess, the one interface through which
// Sandbarn reads and writes the CAS and the Action Cache. Backends and
// decorators live in subpackages: local (disk), grpcclient (any REAPI
// server), memory (tests); configuration builds them from configuration
// files, and grpcservers serves REAPI on top of a BlobAccess.
package storage
