// Package container is a sandbox.Runner that runs every action in a fresh
// libcontainer (runc) container: new user, mount, network, PID, IPC, UTS
// and cgroup namespaces, a read-only root filesystem, the input root
// bind-mounted at one fixed path, a cgroup carrying the action's limits,
// no_new_privs, limited capabilities and a seccomp profile.
//
// Programs that use it must call Init first thing in main: libcontainer
// starts each container by re-executing the running binary.
//
// The seccomp profile needs libseccomp: build with -tags seccomp (and
// libseccomp-dev installed). Without the tag New refuses to start unless
// the configuration turns seccomp off explicitly.
package container
