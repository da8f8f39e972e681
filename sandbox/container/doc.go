// Package container is a sandbox.Runner that runs every action in a fresh
// libcontainer (runc) container: new user, mount, network, PID, IPC, UTS
// and cgroup namespaces, a read-only root filesystem, the input root
// bind-mounted at one fixed path, a cgroup carrying the action's limits,
// no_new_privs, limited capabilities and a seccomp profile.
//
// Creating a container costs far more than the 3 ms an action may wait
// for its sandbox, so the runner prepares the container of the next
// action ahead of the request: after each action it creates and starts a
// new one for the same input root directory (a worker slot fills that
// directory in place) and settings. The first process of a prepared
// container is this binary again, run as a small init (Init dispatches to
// it): it waits on a socket for the command, runs it with the stdout and
// stderr it is sent, kills and reaps everything else in the container
// when the command ends, and reports exit status and resource use. It is
// non-dumpable, so the action cannot open its descriptors through /proc.
// A request then costs a few cgroup file writes for its limits, a
// message to the init and two back (started, ended), and the fork and
// exec of the command. Requests that find no prepared container (the
// first one in a directory, another container-image, or a directory the
// worker replaced) get a container created for them, as with
// Config.OneShot.
//
// The init starts after the root is switched to the action's image, so
// the binary must be linked statically (SelfContained): a dynamic one
// would run the image's ELF interpreter and C library, or fail on an
// image without them. A dynamically linked runner prepares containers
// only for the default rootfs. The init says when it is up and when the
// command started; a container whose init died before that never fails
// its action, which runs in a container created for it instead. Such
// faults are logged and counted (Stats), and a key (input root, image)
// whose preparation fails maxPrepareFailures times in a row is not
// prepared for again.
//
// Execution modes, chosen per request by its instance name
// (Config.ExecutionModes): in ModeImage, the default, the root filesystem
// comes from container-image and the input root appears at
// InputRootPath; in ModeInputRoot the input root is itself the writable
// root filesystem (a sysroot with bin, etc, usr, as BuildStream and
// BuildGrid send it), with /proc, /dev and /tmp mounted by the sandbox on
// mount points the runner adds only if missing and removes afterwards.
// Everything else about the sandbox is the same in both modes. Containers
// are not prepared ahead for ModeInputRoot: its mount points must not sit
// in the input root between actions.
//
// Root filesystems come from Config.Rootfs. Mounted read-only, each must
// already hold the directories the sandbox mounts on, which package
// rootfs/skeleton lists: HostRootfs creates them in its skeleton, and the
// image store when it unpacks an image.
//
// In the code, Run (run.go) is the path of one action, top to bottom: it
// resolves the action's settings and root filesystem (action.go), opens
// its outputs, lends it the input root (mountpoints.go, ownership.go),
// runs its command (command.go) in the container the pool hands out
// (prepared.go) or else in one created for it (coldcontainer.go),
// reports an out-of-memory kill, says in the response what the action ran
// on, and asks the pool to prepare the next container. The pool (pool.go,
// poolstate.go) owns everything about containers prepared ahead: which
// actions get them, their preparation (prepare.go) and destruction in the
// background, counting how they serve, the back-off after
// maxPrepareFailures, and the log lines about them.
//
// Programs that use it must call Init first thing in main: libcontainer
// starts each container by re-executing the running binary.
//
// The seccomp profile needs libseccomp: build with -tags seccomp (and
// libseccomp-dev installed). Without the tag New refuses to start unless
// the configuration turns seccomp off explicitly.
//
// Rootless: a runner started by an ordinary user maps its own uid as
// sandbox root (libcontainer needs root mapped) and gives actions no
// capabilities; files the worker's cache owns stay unmapped, so actions
// cannot change them. Without delegated cgroups there are no limits, and
// New logs that once.
package container
