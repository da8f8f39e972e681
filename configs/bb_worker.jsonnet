// bb_worker for a split deployment: the scheduler and storage run
// elsewhere, the runner on this machine behind a UNIX socket. The build
// and cache directories share a filesystem so inputs are hardlinked.
{
  schedulerAddress: '127.0.0.1:8983',
  storageAddress: '127.0.0.1:8980',
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
}
