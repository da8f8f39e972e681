// Package grpcservers exposes a CAS and an Action Cache, both
// storage.BlobAccess, as the REAPI v2 storage services:
// ContentAddressableStorage, ByteStream, ActionCache and Capabilities.
//
// Everything that arrives from the wire is validated here (digests through
// storage/digest, resource names, batch sizes against the advertised message
// limit) so the backends only ever see well-formed requests. ByteStream
// resource names claimed by a route in Options.ByteStreamRoutes (log
// streams) go to that route's server instead of the CAS. Handlers return
// errkind errors; a server made with Options.ServerOptions maps them to the
// status a REAPI client expects, once, and the per-blob statuses inside
// batch responses get the same mapping.
package grpcservers
