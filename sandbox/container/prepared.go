package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// prepared is a container created and started before the request that
// will use it (Runner.prepare): namespaces, mounts and cgroup placement
// are done, and its init waits on the control socket for the command.
type prepared struct {
	container *libcontainer.Container
	init      *libcontainer.Process
	sock      *os.File
	cgroup    cgroupFiles
	// limitsEnforced: the cgroup carries the action's limits (not so
	// for a rootless runner without delegated cgroups).
	limitsEnforced bool
	// limits are the values the cgroup holds now.
	limits limits.Limits
	// inputRoot identifies the directory that was bind-mounted, to notice
	// a worker that replaced it instead of filling it in place.
	inputRoot fileID
}

// errPreparedUnusable: the prepared container cannot take this request,
// which should get a container of its own.
var errPreparedUnusable = errors.New("prepared container unusable")

// run hands the command to the init and waits for the outcome. Every
// process of the action is dead when it returns; the init itself may
// still be exiting, which destroy awaits. An error wrapping
// errPreparedUnusable means nothing of the action ran.
func (pc *prepared) run(ctx context.Context, a action, cmd command) (*runnerpb.RunResponse, error) {
	if pc.limitsEnforced {
		if err := pc.cgroup.setLimits(pc.limits, a.settings.limits); err != nil {
			// A memory limit below what the waiting init already uses
			// cannot be set; a container created with it can start.
			return nil, fmt.Errorf("%w: setting limits: %v", errPreparedUnusable, err)
		}
		pc.limits = a.settings.limits
		pc.cgroup.resetPeaks()
	}
	ireq := initRequest{Args: cmd.args, Env: cmd.env, Dir: cmd.dir, UID: cmd.user.uid, GID: cmd.user.gid}
	for _, l := range actionRlimits {
		ireq.Rlimits = append(ireq.Rlimits, initRlimit{Resource: l.Type, Soft: l.Soft, Hard: l.Hard})
	}
	start := time.Now()
	if err := sendInitMessage(pc.sock, ireq, cmd.stdout, cmd.stderr); err != nil {
		// The init is gone; nothing of the action ran.
		return nil, fmt.Errorf("%w: %w", errPreparedUnusable,
			&StartError{Image: a.settings.image, Phase: phaseInit, Kind: errkind.Internal, Err: fmt.Errorf("handing the command to the init: %w", err)})
	}
	reply, replied, timedOut := pc.awaitInit(ctx, cmd.timeout)
	wall := time.Since(start)
	if !replied {
		// The init did not end the action itself; killing it makes the
		// kernel kill the rest of the PID namespace, done once it is
		// reaped.
		pc.container.Signal(unix.SIGKILL)
		pc.init.Wait()
		if !reply.Started && !timedOut && ctx.Err() == nil {
			// The init died before the command ran.
			return nil, fmt.Errorf("%w: %w", errPreparedUnusable,
				&StartError{Image: a.settings.image, Phase: phaseInit, Kind: errkind.Internal, Err: errors.New("the init ended before starting the command")})
		}
	}
	if ctx.Err() != nil && !timedOut {
		return nil, ctx.Err()
	}
	if replied && reply.Err != "" {
		kind := errkind.Internal
		if reply.NotFound {
			kind = errkind.Invalid
		}
		return nil, &StartError{Image: a.settings.image, Phase: phaseExec, Kind: kind, Err: errors.New(reply.Err)}
	}
	resp := &runnerpb.RunResponse{ExitCode: 128 + int64(unix.SIGKILL), TimedOut: timedOut}
	if replied {
		resp.ExitCode = waitStatusCode(syscall.WaitStatus(reply.WaitStatus))
	}
	resp.Usage = pc.usage(a.settings, reply, wall)
	usageAny(resp)
	return resp, nil
}

// awaitInit waits for the init's reply, killing the container at the
// timeout or when the caller gives up. replied is false when the init
// died without answering (killed, or out of memory); the reply's Started
// then says whether the command had been started.
func (pc *prepared) awaitInit(ctx context.Context, timeout time.Duration) (initReply, bool, bool) {
	type result struct {
		reply initReply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		started := false
		for {
			var rep initReply
			fds, err := receiveInitMessage(pc.sock, &rep, 64<<10)
			for _, fd := range fds {
				unix.Close(fd)
			}
			if err == nil && rep.Started {
				started = true
				continue
			}
			rep.Started = started || err == nil
			done <- result{rep, err}
			return
		}
	}()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	timedOut := false
	select {
	case res := <-done:
		return res.reply, res.err == nil, false
	case <-expired:
		timedOut = true
	case <-ctx.Done():
	}
	pc.container.Signal(unix.SIGKILL)
	res := <-done
	return res.reply, res.err == nil && !timedOut, timedOut
}

// usage combines the init's rusage of the command with what the cgroup
// measured.
func (pc *prepared) usage(s settings, reply initReply, wall time.Duration) *runnerpb.ResourceUsage {
	u := &runnerpb.ResourceUsage{
		WallTime:        durationpb.New(wall),
		UserTime:        durationpb.New(time.Duration(reply.UserNanos)),
		SystemTime:      durationpb.New(time.Duration(reply.SysNanos)),
		PeakMemoryBytes: reply.MaxRSSKiB * 1024,
	}
	if !pc.limitsEnforced {
		return u
	}
	u.MemoryLimitBytes = s.limits.MemoryBytes
	u.PidsLimit = s.limits.Pids
	u.CpuLimitMillicores = s.limits.CPUMillicores
	mem, pids := pc.cgroup.dir("memory"), pc.cgroup.dir("pids")
	if pc.cgroup.unified {
		u.OomKilled = readKeyed(filepath.Join(mem, "memory.events"), "oom_kill") > 0
	} else {
		u.OomKilled = readKeyed(filepath.Join(mem, "memory.oom_control"), "oom_kill") > 0
		if peak := readNumber(filepath.Join(mem, "memory.max_usage_in_bytes")); peak > 0 {
			u.PeakMemoryBytes = peak
		}
	}
	u.PidsPeak = readNumber(filepath.Join(pids, "pids.peak"))
	return u
}

// destroy kills whatever runs in the container and removes it.
func (pc *prepared) destroy() {
	pc.container.Signal(unix.SIGKILL)
	pc.init.Wait()
	pc.sock.Close()
	pc.container.Destroy()
}

func waitStatusCode(ws syscall.WaitStatus) int64 {
	if ws.Signaled() {
		return 128 + int64(ws.Signal())
	}
	return int64(ws.ExitStatus())
}
