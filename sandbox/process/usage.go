package process

import (
	"os"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// usage converts what wait4 reported for the command's first process into
// a ResourceUsage. The rusage covers that process and the descendants it
// waited for; callers with a cgroup replace the CPU times by the cgroup's,
// which also count processes that were killed.
func usage(state *os.ProcessState, wall time.Duration) *runnerpb.ResourceUsage {
	u := &runnerpb.ResourceUsage{
		UserTime:   durationpb.New(state.UserTime()),
		SystemTime: durationpb.New(state.SystemTime()),
		WallTime:   durationpb.New(wall),
	}
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		// Linux reports ru_maxrss in KiB.
		u.PeakMemoryBytes = ru.Maxrss * 1024
	}
	return u
}

// exitCode follows the shell convention for a process ended by a signal
// (128 + signal number), so a killed action reads the same as it would in
// a local Bazel run.
func exitCode(state *os.ProcessState) int64 {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int64(ws.Signal())
	}
	return int64(state.ExitCode())
}
