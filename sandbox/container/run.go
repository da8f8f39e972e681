package container

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/platform"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// runContainer creates the container, runs the command as its first
// process, waits for it (killing everything at the timeout), measures
// and destroys it.
func (r *Runner) runContainer(ctx context.Context, a action, req *runnerpb.RunRequest, user sandboxUser, stdout, stderr *os.File) (*runnerpb.RunResponse, error) {
	c, err := libcontainer.Create(r.stateDir, a.id, r.containerConfig(a))
	if err != nil {
		return nil, &StartError{Image: a.settings.image, Phase: phaseCreate, Code: codes.Internal, Err: err}
	}
	defer c.Destroy()
	p := &libcontainer.Process{
		Args:   req.Arguments,
		Env:    environment(req.EnvironmentVariables),
		Cwd:    a.workingDirectory(req.WorkingDirectory),
		UID:    int(user.uid),
		GID:    int(user.gid),
		Stdout: stdout,
		Stderr: stderr,
		Init:   true,
	}
	start := time.Now()
	if err := c.Run(p); err != nil {
		return nil, containerStartError(a.settings.image, err)
	}
	ps, timedOut := r.wait(ctx, c, p, req.Timeout.AsDuration())
	wall := time.Since(start)
	// The first process is gone, and with it the PID namespace; kill
	// whatever is still in the cgroup before reading and destroying it.
	c.Signal(unix.SIGKILL)
	resp := &runnerpb.RunResponse{
		ExitCode: exitCode(ps),
		Usage:    r.measureUsage(c, ps, a.settings, wall),
		TimedOut: timedOut,
	}
	if err := c.Destroy(); err != nil {
		return nil, status.Errorf(codes.Internal, "destroying sandbox: %v", err)
	}
	if ctx.Err() != nil && !timedOut {
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	usageAny(resp)
	return resp, nil
}

// wait returns when the action's first process exits, or kills the
// container when the timeout passes or the caller gives up. Killing the
// first process of a PID namespace kills every process in it.
func (r *Runner) wait(ctx context.Context, c *libcontainer.Container, p *libcontainer.Process, timeout time.Duration) (*os.ProcessState, bool) {
	done := make(chan *os.ProcessState, 1)
	go func() {
		ps, _ := p.Wait()
		done <- ps
	}()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case ps := <-done:
		return ps, false
	case <-expired:
		c.Signal(unix.SIGKILL)
		return <-done, true
	case <-ctx.Done():
		c.Signal(unix.SIGKILL)
		return <-done, false
	}
}

// reportOOM makes an out-of-memory kill unmistakable: a non-zero exit
// code even if the first process survived the kill of another, and a
// last stderr line naming the limit.
func (r *Runner) reportOOM(resp *runnerpb.RunResponse, s settings, stderr *os.File) {
	if resp.ExitCode == 0 {
		resp.ExitCode = 128 + int64(unix.SIGKILL)
	}
	fmt.Fprintf(stderr, "\nsandbox: the action exceeded its memory limit of %s (%d bytes) and was killed\n",
		platform.FormatBytes(s.limits.MemoryBytes), s.limits.MemoryBytes)
}
