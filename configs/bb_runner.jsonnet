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
    // The user actions run as inside the sandbox, unless they ask for
    // dockerRunAsRoot=true.
    actionUid: 1000,
    actionGid: 1000,
    // Only for a runner that is not root: a uid range from /etc/subuid
    // for newuidmap. A count of 0 maps only the runner's own uid, and
    // actions run as that uid.
    rootlessSubordinateUid: 0,
    rootlessSubordinateCount: 0,
    // Limits for actions without cpu-limit / memory-limit / pids-limit
    // platform properties, and the most an action may ask for.
    defaultLimits: { cpu: '2', memory: '4GiB', pids: '4096' },
    maximumLimits: { cpu: '8', memory: '16GiB', pids: '32768' },
    // Each action gets a cgroup of its own below this one. On cgroup v2,
    // delegatedCgroup: true (for a runner that systemd's Delegate=yes or a
    // container engine gave a subtree) puts them beside the runner in its
    // own cgroup, and then cgroupParent may be ''.
    cgroupParent: '/sandbarn',
    delegatedCgroup: false,
    tmpSizeBytes: 1024 * 1024 * 1024,
    // The hostname every sandbox sees.
    hostname: 'sandbox',
    // dockerNetwork=standard is refused unless this is set.
    allowStandardNetwork: false,
    // Only for a runner built without libseccomp; it weakens the sandbox.
    disableSeccomp: false,
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
    // true creates every container when its action arrives instead of
    // preparing one ahead: slower, for comparison.
    oneShot: false,
    // Needed only when / is an initramfs (test VMs).
    noPivotRoot: false,
    // Root filesystems for the container-image property; without this,
    // actions naming an image are refused.
    images: {
      // The image store; `sandbarn image import|pull|ls|rm --store` manage it.
      directory: '/var/lib/sandbarn/images',
      // Disk space for unpacked images (0: no limit); images in use are
      // never evicted.
      sizeLimitBytes: 50 * 1024 * 1024 * 1024,
      // References served from a directory as it is, e.g. a debootstrap
      // tree standing in for an RBE image:
      // { 'docker://gcr.io/cloud-marketplace/google/rbe-ubuntu16-04@sha256:...': '/srv/rootfs/ubuntu16-04' }
      localDirectories: {},
      // Hosts to try, in order, before a registry:
      // { 'index.docker.io': ['mirror.example:5000'] }
      mirrors: {},
      // Registries reached over plain HTTP (loopback and private
      // addresses always are).
      insecureRegistries: [],
      // An image stays at least this long after its last use; keep it
      // above the scheduler's maximum execution timeout.
      hold: '2h',
    },
  },
  // The process sandbox's cgroup v2 parent: '' picks one below the
  // runner's own cgroup, 'none' uses process groups alone.
  cgroupParent: '',
  // After SIGTERM, running actions get this long before they are killed.
  shutdownGracePeriod: '10s',
}
