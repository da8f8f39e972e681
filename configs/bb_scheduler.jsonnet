// Example configuration for bb_scheduler next to a bb_storage on port 8980
// (configs/bb_storage.jsonnet). Point Bazel at the scheduler alone with
//   bazel build --remote_executor=grpc://localhost:8981 //...
// (storage is forwarded, so the same endpoint serves the CAS), and workers
// at localhost:8983.
{
  clientGrpcListenAddress: ':8981',
  workerGrpcListenAddress: ':8983',
  adminHttpListenAddress: '127.0.0.1:7982',
  // Bounds gRPC messages, and the Actions and Commands read from storage.
  maxMessageSizeBytes: 16 * 1024 * 1024,
  storage: {
    address: 'localhost:8980',
    // Put before the clients' instance names when talking to storage.
    instanceNamePrefix: '',
    // Larger blobs are read over ByteStream instead of in a batch.
    maxBatchBytes: 3 * 1024 * 1024,
    // Also serve the CAS, Action Cache and ByteStream on the client
    // address, forwarded to storage, so clients need one endpoint.
    proxyStorage: true,
  },

  // Matching rules per platform property; unlisted names must match
  // exactly. `minimum` compares numbers (units such as GiB allowed);
  // `runner` properties are not routed, only passed to the runner: every
  // property the runner reads must be one.
  propertyRules: {
    OSFamily: 'exact',
    memory: 'minimum',
    cpus: 'minimum',
    'container-image': 'runner',
    'cpu-limit': 'runner',
    'memory-limit': 'runner',
    'pids-limit': 'runner',
    dockerNetwork: 'runner',
    dockerRunAsRoot: 'runner',
    dockerPrivileged: 'runner',
    unixUID: 'runner',
    unixGID: 'runner',
    network: 'runner',
  },
  // Properties whose values match regardless of case (BuildStream sends
  // OSFamily=linux, Bazel's RBE configurations Linux). Leaving it out
  // means these two; [] makes every value case-sensitive.
  caseInsensitiveProperties: ['OSFamily', 'ISA'],

  defaultExecutionTimeout: '15m',
  maximumExecutionTimeout: '1h',
  // Idle workers wait this long in Synchronize for work.
  idleSynchronizeTimeout: '30s',
  // Busy workers report at least this often ...
  executingSynchronizeInterval: '10s',
  // ... and are declared lost (their action requeued) after this.
  workerLostTimeout: '1m',
  // Starts of one action on workers that are then lost, before it fails
  // with UNAVAILABLE.
  maximumAttempts: 3,
  // Worker restarts while running one action before it fails with
  // INTERNAL.
  crashLoopLimit: 3,
  // Actions nobody can run wait this long after start-up (and after their
  // last matching worker left) before failing with FAILED_PRECONDITION.
  startupGracePeriod: '30s',
  // Longest silence on an Execute or WaitExecution stream (at most 1m:
  // clients give up on a stream silent for longer).
  keepAliveInterval: '30s',
  // Finished operations stay visible to WaitExecution and the admin API
  // this long; idle platform queues are dropped after it too.
  completedRetention: '1m',
  // How often lost workers, unmatchable actions and expired operations
  // are looked for.
  sweepInterval: '1s',
  // ExecutionPolicy.priority is clamped to this range; lower runs first.
  priorityMinimum: -1000,
  priorityMaximum: 1000,
  // gRPC goroutine pool: more than the worker slots plus waiting clients.
  streamWorkers: 1024,
  // Garbage collector: GOGC 400 spends less CPU on a small heap; a memory
  // limit (bytes, 0 for none) caps the heap if queues grow large.
  gcPercent: 400,
  memoryLimitBytes: 0,
}
