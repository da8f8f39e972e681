// Package process is a sandbox.Runner that runs each command as plain child
// processes of the runner, with no isolation beyond a cleared environment.
// It is the runner for trusted builds and for machines where the container
// runner cannot work; it is not a security boundary (actions run as the
// runner's user).
//
// Cleanup is the part that needs care: when the command's first process
// ends or the timeout passes, every process the action started must die,
// including daemons that left the process group with setsid and were
// reparented away from the action. The runner uses two mechanisms:
//
//   - A cgroup v2 directory per action when Options.CgroupParent is set.
//     The child is created inside it atomically (clone3 with
//     CLONE_INTO_CGROUP, so nothing forks before placement), cgroup.kill
//     kills every member at once, and cgroup.events tells when the last one
//     is gone. No controller is needed, so this works on the empty cgroup2
//     hierarchy of a cgroup v1 "hybrid" host (/sys/fs/cgroup/unified) as well
//     as on cgroup v2 hosts. cgroup v1 was rejected: a process can only be
//     moved into a v1 cgroup after it has started, which leaves a window in
//     which it can fork children outside the cgroup. A child subreaper was
//     rejected too: once an orphan is reparented to the runner, nothing
//     says which of several concurrent actions it came from.
//   - A process group per action (always). Without a cgroup this is the
//     only mechanism: the group is killed and Run returns once /proc shows
//     no live member, but processes that called setsid survive; New's
//     caller should log that.
//
// If the runner itself is killed, the kernel kills the command's first
// process (PR_SET_PDEATHSIG); the rest of the action stays in its cgroup
// until the next runner started on the same CgroupParent kills it.
//
// Exit codes follow the shell: a process ended by signal N reports 128+N,
// so an action stopped at its timeout reports 137 with timed_out set.
//
// The command's environment is exactly the request's environment_variables,
// with one addition: TMPDIR is set to the request's temporary_directory when
// the request has one and did not set TMPDIR itself, so tools that honour
// TMPDIR stay inside the action's scratch space.
package process
