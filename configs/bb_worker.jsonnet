// bb_worker for a split deployment: the scheduler and storage run
// elsewhere, the runner on this machine behind a UNIX socket. The build
// and cache directories share a filesystem so inputs are hardlinked.
local storage = {
  // bb_storage. Optional: maxBatchBytes (default 2 MiB), the largest CAS
  // blob sent in a batch request rather than streamed.
  grpc: { address: '127.0.0.1:8980' },
};
{
  schedulerAddress: '127.0.0.1:8983',
  // Where inputs are read and outputs written. The backends are those of
  // configs/bb_storage.jsonnet, usually grpc to bb_storage; the CAS and
  // the Action Cache on one address share a connection.
  blobstore: {
    contentAddressableStorage: storage,
    actionCache: storage,
  },
  runnerSocket: '/var/lib/sandbarn/runner.sock',
  buildDirectory: '/var/lib/sandbarn/build',
  cacheDirectory: '/var/lib/sandbarn/cache',
  cacheSizeBytes: 20 * 1024 * 1024 * 1024,
  concurrency: 2,
  instanceNamePrefix: '',
  platform: {
    OSFamily: 'Linux',
    ISA: 'x86-64',
    'container-image': 'none',
  },
  workerLabels: {
    datacenter: 'local',
  },
  // Input files fetched at once for one action.
  fetchConcurrency: 32,
  // Accept input symlinks that point outside the input root.
  allowExternalSymlinks: false,
}
