// Example configuration for bb_runner next to configs/bb_worker.jsonnet:
// runs the commands bb_worker sends it over a UNIX socket, each in a
// container of its own. The worker's configuration must name the same
// build directory and socket.
{
  // Where the worker materialises input roots; request paths are
  // relative to it.
  buildDirectory: '/var/lib/sandbarn/build',
  grpcListenPath: '/var/lib/sandbarn/runner.sock',
  // Only the owner and the worker's group may connect.
  grpcListenPathMode: '0660',
  // How actions run: 'container' (a libcontainer sandbox per action) or
  // 'process' (plain child processes with a cleared environment, for
  // hosts where containers are not possible).
  sandbox: 'container',
  container: {
    // libcontainer state and the default rootfs skeleton.
    stateDirectory: '/run/sandbarn',
    // Sandbox uids 0..65535 map to host uids 1000000000.. which must not
    // include the owner of the worker's file cache (root here).
    firstHostUid: 1000000000,
    uidCount: 65536,
    fileCacheOwnerUid: 0,
    // Limits for actions without cpu-limit / memory-limit / pids-limit
    // platform properties, and the most an action may ask for.
    defaultLimits: { cpu: '2', memory: '4GiB', pids: '4096' },
    maximumLimits: { cpu: '8', memory: '16GiB', pids: '32768' },
    tmpSizeBytes: 1024 * 1024 * 1024,
    // dockerNetwork=standard is refused unless this is set.
    allowStandardNetwork: false,
    // Execution mode per instance name prefix (longest wins): 'image'
    // mounts the input root at /sandbarn/root on the image's rootfs;
    // 'input-root' makes the input root the whole writable / (BuildStream).
    executionModes: [
      { instanceNamePrefix: '', mode: 'image' },
      { instanceNamePrefix: 'chroot', mode: 'input-root' },
    ],
    // Prepare a sandbox ahead of each slot's next action (the worker's
    // <slot>/root directories).
    prepareInputRoots: ['0/root', '1/root'],
  },
  // The process sandbox's cgroup v2 parent: '' picks one below the
  // runner's own cgroup, 'none' uses process groups alone.
  cgroupParent: '',
  // After SIGTERM, running actions get this long before they are killed.
  shutdownGracePeriod: '10s',
}
