// Package configuration builds storage.BlobAccesses from configuration
// files, as Buildbarn's pkg/blobstore/configuration does: every program
// that needs a CAS or an Action Cache (bb_storage, bb_worker, the farm)
// describes it with a BlobAccessConfiguration and gets it from a Factory,
// instead of wiring backends by hand.
//
// A BlobAccessConfiguration sets exactly one field: a backend (local,
// grpc, memory) or, later, a decorator holding further
// BlobAccessConfigurations. In Jsonnet:
//
//	blobstore: {
//	  contentAddressableStorage: { 'local': { directory: 'var/cas', maxSizeBytes: 1 << 30 } },
//	  actionCache: { grpc: { address: 'storage.example:8980' } },
//	}
//
// Adding a kind takes one configuration message (a struct beside its
// constructor, in a file of its own), one field in
// BlobAccessConfiguration and one case in Factory.newBlobAccess.
// Validation happens while building, so each error names the field path
// that caused it.
package configuration
