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
  cas: {
    directory: dataDir + '/cas',
    maxSizeBytes: 10 * 1024 * 1024 * 1024,
  },
  actionCache: {
    directory: dataDir + '/ac',
    maxSizeBytes: 256 * 1024 * 1024,
  },
}
