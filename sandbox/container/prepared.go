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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// prepared is a container created and started before the request that
// will use it: namespaces, mounts and cgroup placement are done, and its
// init waits on the control socket for the command.
type prepared struct {
	container *libcontainer.Container
	init      *libcontainer.Process
	sock      *os.File
	cgroup    cgroupFiles
	// limits are the values the cgroup holds now.
	limits limits.Limits
	// inputRoot identifies the directory that was bind-mounted, to notice
	// a worker that replaced it instead of filling it in place.
	inputRoot fileID
}

type fileID struct{ dev, ino uint64 }

// errPreparedUnusable: the prepared container cannot take this request,
// which should get a container of its own.
var errPreparedUnusable = errors.New("prepared container unusable")

func statID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{uint64(st.Dev), st.Ino}, nil
}

// prepareTimeout bounds how long a prepared container's init may take
// to say it is up; preparation runs off the critical path, so it is long
// enough for a loaded machine.
const prepareTimeout = 30 * time.Second

// prepare creates and starts a container for actions like a, and waits
// for its init to say it is up. Its init runs as sandbox root where more
// than one uid is mapped, so it can start the command as any sandbox
// user; setuid to a non-root user clears the capabilities, and
// no_new_privs keeps them from coming back. Errors are *StartError.
func (r *Runner) prepare(a action) (*prepared, error) {
	fail := func(phase string, err error) error {
		return &StartError{Image: a.settings.image, Phase: phase, Code: codes.Internal, Err: err}
	}
	id, err := statID(a.inputRoot)
	if err != nil {
		return nil, fail(phaseMount, err)
	}
	// With a single mapped uid capabilities are never given (see
	// containerConfig), and the init needs none.
	initUser := sandboxUser{0, 0}
	initAction := a
	initAction.settings.runAsRoot = true
	c, err := libcontainer.Create(r.stateDir, a.id, r.containerConfig(initAction))
	if err != nil {
		return nil, fail(phaseCreate, err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		c.Destroy()
		return nil, fail(phaseCreate, err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "init socket"), os.NewFile(uintptr(fds[1]), "init socket")
	p := &libcontainer.Process{
		// The runner binary itself, reached through the magic link, so no
		// host path has to be visible inside the sandbox. It is linked
		// statically (see New): a dynamic one would load its ELF
		// interpreter and C library from the image.
		Args:       []string{"/proc/self/exe", actionInitArgument},
		Env:        []string{"PATH=/usr/bin:/bin"},
		Cwd:        "/",
		UID:        int(initUser.uid),
		GID:        int(initUser.gid),
		ExtraFiles: []*os.File{theirs},
		Init:       true,
	}
	err = c.Run(p)
	theirs.Close()
	if err != nil {
		ours.Close()
		c.Destroy()
		se := containerStartError(a.settings.image, err)
		if se.Phase == phaseExec {
			se.Phase = phaseInit
		}
		se.Code = codes.Internal
		return nil, se
	}
	pc := &prepared{container: c, init: p, sock: ours, limits: a.settings.limits, inputRoot: id}
	if err := awaitReady(ours, prepareTimeout); err != nil {
		c.Signal(unix.SIGKILL)
		ps, _ := p.Wait()
		ours.Close()
		c.Destroy()
		if ps != nil {
			// How it ended tells an init that could not be executed
			// (exit status 255 from libcontainer) from one that crashed.
			err = fmt.Errorf("%w (%s)", err, ps)
		}
		return nil, fail(phaseInit, err)
	}
	pc.cgroup = cgroupFiles{unified: r.cgroups.unified, paths: cgroupPaths(c)}
	return pc, nil
}

// destroy kills whatever runs in the container and removes it.
func (pc *prepared) destroy() {
	pc.container.Signal(unix.SIGKILL)
	pc.init.Wait()
	pc.sock.Close()
	pc.container.Destroy()
}

// runPrepared hands the request to the prepared container's init and
// waits for the outcome. Every process of the action is dead when it
// returns; the init itself may still be exiting, which destroy awaits.
func (r *Runner) runPrepared(ctx context.Context, pc *prepared, a action, req *runnerpb.RunRequest, user sandboxUser, stdout, stderr *os.File) (*runnerpb.RunResponse, error) {
	if r.cgroups.limitsEnforced {
		if err := pc.cgroup.setLimits(pc.limits, a.settings.limits); err != nil {
			// A memory limit below what the waiting init already uses
			// cannot be set; a container created with it can start.
			return nil, fmt.Errorf("%w: setting limits: %v", errPreparedUnusable, err)
		}
		pc.limits = a.settings.limits
		pc.cgroup.resetPeaks()
	}
	ireq := initRequest{
		Args: req.Arguments, Env: environment(req.EnvironmentVariables),
		Dir: a.workingDirectory(req.WorkingDirectory), UID: user.uid, GID: user.gid,
	}
	for _, l := range actionRlimits {
		ireq.Rlimits = append(ireq.Rlimits, initRlimit{Resource: l.Type, Soft: l.Soft, Hard: l.Hard})
	}
	start := time.Now()
	if err := sendInitMessage(pc.sock, ireq, stdout, stderr); err != nil {
		// The init is gone; nothing of the action ran.
		return nil, fmt.Errorf("%w: %w", errPreparedUnusable,
			&StartError{Image: a.settings.image, Phase: phaseInit, Code: codes.Internal, Err: fmt.Errorf("handing the command to the init: %w", err)})
	}
	reply, replied, timedOut := r.awaitInit(ctx, pc, req.Timeout.AsDuration())
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
				&StartError{Image: a.settings.image, Phase: phaseInit, Code: codes.Internal, Err: errors.New("the init ended before starting the command")})
		}
	}
	if ctx.Err() != nil && !timedOut {
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if replied && reply.Err != "" {
		code := codes.Internal
		if reply.NotFound {
			code = codes.InvalidArgument
		}
		return nil, &StartError{Image: a.settings.image, Phase: phaseExec, Code: code, Err: errors.New(reply.Err)}
	}
	resp := &runnerpb.RunResponse{ExitCode: 128 + int64(unix.SIGKILL), TimedOut: timedOut}
	if replied {
		resp.ExitCode = waitStatusCode(syscall.WaitStatus(reply.WaitStatus))
	}
	resp.Usage = r.preparedUsage(pc, a.settings, reply, wall)
	usageAny(resp)
	return resp, nil
}

// awaitInit waits for the init's reply, killing the container at the
// timeout or when the caller gives up. replied is false when the init
// died without answering (killed, or out of memory); the reply's Started
// then says whether the command had been started.
func (r *Runner) awaitInit(ctx context.Context, pc *prepared, timeout time.Duration) (initReply, bool, bool) {
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

func waitStatusCode(ws syscall.WaitStatus) int64 {
	if ws.Signaled() {
		return 128 + int64(ws.Signal())
	}
	return int64(ws.ExitStatus())
}

// preparedUsage combines the init's rusage of the command with what the
// cgroup measured.
func (r *Runner) preparedUsage(pc *prepared, s settings, reply initReply, wall time.Duration) *runnerpb.ResourceUsage {
	u := &runnerpb.ResourceUsage{
		WallTime:        durationpb.New(wall),
		UserTime:        durationpb.New(time.Duration(reply.UserNanos)),
		SystemTime:      durationpb.New(time.Duration(reply.SysNanos)),
		PeakMemoryBytes: reply.MaxRSSKiB * 1024,
	}
	if !r.cgroups.limitsEnforced {
		return u
	}
	u.MemoryLimitBytes = s.limits.MemoryBytes
	u.PidsLimit = s.limits.Pids
	u.CpuLimitMillicores = s.limits.CPUMillicores
	mem, pids := pc.cgroup.dir("memory"), pc.cgroup.dir("pids")
	if r.cgroups.unified {
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
