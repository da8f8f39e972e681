// Example configuration for bb_runner: runs the commands bb_worker sends it
// over a UNIX socket. The worker's configuration must name the same build
// directory and socket.
{
  // Where the worker materialises input roots; request paths are
  // relative to it.
  buildDirectory: 'var/worker/build',
  grpcListenPath: 'var/runner.sock',
  // Only the owner and the worker's group may connect.
  grpcListenPathMode: '0660',
  // How actions run. 'process': plain child processes with a cleared
  // environment.
  sandbox: 'process',
  // One cgroup v2 per action so cleanup also kills daemons that left the
  // process group. '' picks a directory below the runner's own cgroup
  // (falling back to process groups alone where cgroup v2 is missing or
  // not writable), 'none' disables it, or give a cgroup v2 directory
  // such as '/sys/fs/cgroup/unified/bb_runner'.
  cgroupParent: '',
  // After SIGTERM, running actions get this long before they are killed.
  shutdownGracePeriod: '10s',
}
