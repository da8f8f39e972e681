// Package grpcservers exposes a CAS and an Action Cache, both
// storage.BlobAccess, as the REAPI v2 storage services:
// ContentAddressableStorage, ByteStream, ActionCache and Capabilities.
//
// Everything that arrives from the wire is validated here (digests through
// storage/digest, resource names, batch sizes against the advertised message
// limit) so the backends only ever see well-formed requests. Errors leave as
// gRPC status errors with the code a REAPI client expects.
package grpcservers
