// Example configuration for bb_storage: a local-disk CAS and Action Cache
// served on port 8980. Point Bazel at it with
//   bazel build --remote_cache=grpc://localhost:8980 //...
local dataDir = 'var/storage';
{
  grpcListenAddress: ':8980',
  // Limits every gRPC message; batch requests get this minus a little
  // room for the envelope (advertised through Capabilities).
  maxMessageSizeBytes: 16 * 1024 * 1024,
  // Partial ByteStream uploads, kept so clients can resume.
  uploadDirectory: dataDir + '/uploads',
  // The stores behind the services. Each sets exactly one backend:
  // 'local' (files on this disk, least recently used evicted beyond
  // maxSizeBytes), grpc (another REAPI storage server, e.g.
  // { grpc: { address: 'storage.example:8980' } }) or memory ({}, lost
  // at exit). `local` is a Jsonnet keyword, hence the quotes.
  blobstore: {
    contentAddressableStorage: {
      'local': {
        directory: dataDir + '/cas',
        maxSizeBytes: 10 * 1024 * 1024 * 1024,
      },
    },
    actionCache: {
      'local': {
        directory: dataDir + '/ac',
        maxSizeBytes: 256 * 1024 * 1024,
      },
    },
  },
}
