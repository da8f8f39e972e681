package process

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// action is one command being run.
type action struct {
	cmd      *exec.Cmd
	cgroup   *actionCgroup
	files    []*os.File
	started  time.Time
	timedOut atomic.Bool
}

// openOutputs opens the stdout and stderr files. An empty path discards
// the stream: os/exec connects a nil Stdout or Stderr to /dev/null.
func (a *action) openOutputs(paths *buildpath.Paths) error {
	for _, o := range []struct {
		path string
		dst  *io.Writer
	}{{paths.Stdout, &a.cmd.Stdout}, {paths.Stderr, &a.cmd.Stderr}} {
		if o.path == "" {
			continue
		}
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			// The worker creates the directories these live in.
			return errkind.New(errkind.Precondition, "open output: %w", err)
		}
		a.files = append(a.files, f)
		*o.dst = f
	}
	return nil
}

func (a *action) start() error {
	a.started = time.Now()
	if err := a.cmd.Start(); err != nil {
		return errkind.New(errkind.Invalid, "start %s: %w", a.cmd.Path, err)
	}
	// The child has its own copies; holding ours would keep nothing alive
	// but wastes descriptors for the length of the action.
	for _, f := range a.files {
		f.Close()
	}
	a.files = nil
	return nil
}

// wait waits for the first process, stopping the action if ctx ends
// first, then kills the rest of the action and collects usage.
func (a *action) wait(ctx context.Context) (*runnerpb.RunResponse, error) {
	var mu sync.Mutex
	exited := false
	stopWatching := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			mu.Lock()
			if !exited {
				a.timedOut.Store(true)
				a.killAll()
			}
			mu.Unlock()
		case <-stopWatching:
		}
	}()
	// Wait for the exit without reaping: the zombie keeps the process
	// group's ID reserved for killAll until the flag below is set.
	waitExited(a.cmd.Process.Pid)
	wall := time.Since(a.started)
	mu.Lock()
	exited = true
	mu.Unlock()
	close(stopWatching)
	a.cmd.Wait()
	state := a.cmd.ProcessState
	if state == nil {
		return nil, errkind.New(errkind.Internal, "wait did not report the process state")
	}
	u := usage(state, wall)
	if err := a.killRest(u); err != nil {
		return nil, errkind.New(errkind.Internal, "stop remaining processes: %w", err)
	}
	resp := &runnerpb.RunResponse{
		ExitCode: exitCode(state),
		Usage:    u,
		TimedOut: a.timedOut.Load(),
	}
	packed, err := anypb.New(u)
	if err != nil {
		return nil, errkind.New(errkind.Internal, "pack usage: %w", err)
	}
	resp.ResourceUsage = []*anypb.Any{packed}
	return resp, nil
}

// waitExited blocks until pid has exited, leaving it to be reaped by
// exec.Cmd.Wait. An error other than EINTR cannot happen for our own
// child; if it did, Wait still does the blocking.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// killAll stops the whole action while its first process has not been
// reaped, so its process group's ID cannot have been reused.
func (a *action) killAll() {
	if a.cgroup != nil {
		a.cgroup.kill()
	}
	processGroup(a.cmd.Process.Pid).kill()
}

// killRest kills what the action left behind after its first process was
// reaped, and takes CPU times from the cgroup when there is one.
func (a *action) killRest(u *runnerpb.ResourceUsage) error {
	if a.cgroup == nil {
		// The group lives on while any member does, so its ID is still
		// ours if kill finds anything to signal.
		return processGroup(a.cmd.Process.Pid).waitGone()
	}
	if err := a.cgroup.kill(); err != nil {
		return err
	}
	if err := a.cgroup.waitEmpty(); err != nil {
		return err
	}
	user, system, err := a.cgroup.cpuTimes()
	if err != nil {
		return fmt.Errorf("read cgroup CPU time: %w", err)
	}
	u.UserTime = durationpb.New(user)
	u.SystemTime = durationpb.New(system)
	return nil
}

// close releases the output files and removes the cgroup.
func (a *action) close() {
	for _, f := range a.files {
		f.Close()
	}
	if a.cgroup != nil {
		if err := a.cgroup.destroy(); err != nil {
			// The next runner start retries the removal.
			log.Printf("process runner: %v", err)
		}
	}
}
