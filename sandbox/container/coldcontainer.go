package container

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// runContainer creates a container for one action, runs the command as
// its first process, waits for it (killing everything at the timeout),
// measures and destroys it: the path of every action that finds no
// prepared container.
func (r *Runner) runContainer(ctx context.Context, a action, cmd command) (*runnerpb.RunResponse, error) {
	c, err := libcontainer.Create(r.stateDir, a.id, r.containerConfig(a))
	if err != nil {
		return nil, &StartError{Image: a.settings.image, Phase: phaseCreate, Kind: errkind.Internal, Err: err}
	}
	defer c.Destroy()
	p := &libcontainer.Process{
		Args:   cmd.args,
		Env:    cmd.env,
		Cwd:    cmd.dir,
		UID:    int(cmd.user.uid),
		GID:    int(cmd.user.gid),
		Stdout: cmd.stdout,
		Stderr: cmd.stderr,
		Init:   true,
	}
	start := time.Now()
	if err := c.Run(p); err != nil {
		return nil, containerStartError(a.settings.image, err)
	}
	ps, timedOut := waitOrKill(ctx, c, p, cmd.timeout)
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
		return nil, errkind.New(errkind.Internal, "destroying sandbox: %v", err)
	}
	if ctx.Err() != nil && !timedOut {
		return nil, ctx.Err()
	}
	usageAny(resp)
	return resp, nil
}

// waitOrKill returns when the action's first process exits, or kills the
// container when the timeout passes or the caller gives up. Killing the
// first process of a PID namespace kills every process in it.
func waitOrKill(ctx context.Context, c *libcontainer.Container, p *libcontainer.Process, timeout time.Duration) (*os.ProcessState, bool) {
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

// exitCode follows the shell's convention for a process killed by a
// signal, so a killed action never looks successful.
func exitCode(ps *os.ProcessState) int64 {
	if ps == nil {
		return 128 + int64(unix.SIGKILL)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return waitStatusCode(ws)
	}
	return int64(ps.ExitCode())
}
