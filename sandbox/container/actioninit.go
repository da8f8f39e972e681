package container

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// actionInitArgument is argv[1] of the init of a prepared container.
const actionInitArgument = "sandbarn-action-init"

// initSocketFD is where the init finds its end of the socket pair: the
// first of libcontainer's ExtraFiles.
const initSocketFD = 3

// runActionInit is the first process of a prepared container. It waits
// for one command, runs it, reaps everything the command leaves behind
// while it runs, and reports the command's exit status and resource use.
// When it exits the PID namespace ends and the kernel kills the rest.
func runActionInit() {
	// Non-dumpable: /proc/1/fd and /proc/1/mem need ptrace access, which
	// a non-dumpable process refuses to anyone without CAP_SYS_PTRACE,
	// and no action gets that capability. The action cannot reach the
	// control socket or the stdout and stderr of the next step.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		os.Exit(125)
	}
	// The command must not inherit the control socket: with it, the
	// action could forge the init's reply.
	unix.CloseOnExec(initSocketFD)
	sock := os.NewFile(initSocketFD, "init socket")
	// Saying it is up lets the runner find an init that cannot run in
	// this root filesystem while preparing, not when an action waits.
	if sendInitMessage(sock, initReady{Ready: true}) != nil {
		os.Exit(125)
	}
	var req initRequest
	fds, err := receiveInitMessage(sock, &req, maxInitMessage)
	if err != nil || len(fds) != 2 {
		os.Exit(125)
	}
	reply := runInitCommand(sock, req, fds)
	if sendInitMessage(sock, reply) != nil {
		os.Exit(125)
	}
	os.Exit(0)
}

// runInitCommand starts the command with the received stdout and stderr,
// tells the runner it started, and waits for it, reaping orphans that the
// kernel hands to PID 1.
func runInitCommand(sock *os.File, req initRequest, fds []int) initReply {
	for _, l := range req.Rlimits {
		// Set on the init itself, which only ever forks this one command.
		if err := unix.Setrlimit(l.Resource, &unix.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			return initReply{Err: "setting resource limit: " + err.Error()}
		}
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return initReply{Err: err.Error()}
	}
	attr := &syscall.ProcAttr{
		Dir:   req.Dir,
		Env:   req.Env,
		Files: []uintptr{devNull.Fd(), uintptr(fds[0]), uintptr(fds[1])},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	if req.UID != uint32(os.Getuid()) || req.GID != uint32(os.Getgid()) {
		attr.Sys.Credential = &syscall.Credential{Uid: req.UID, Gid: req.GID, Groups: []uint32{}}
	}
	pid, err := syscall.ForkExec(commandPath(req.Args[0], req.Env), req.Args, attr)
	devNull.Close()
	unix.Close(fds[0])
	unix.Close(fds[1])
	if err != nil {
		return initReply{Err: err.Error(), NotFound: errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOEXEC)}
	}
	// From here on the action has run, whatever happens to the init.
	if sendInitMessage(sock, initReply{Started: true}) != nil {
		os.Exit(125)
	}
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return initReply{Err: "waiting for the command: " + err.Error()}
		}
		if got == pid {
			endTheRest()
			// Children's usage covers the command and every descendant
			// reaped, including the orphans reaped here.
			var ru unix.Rusage
			unix.Getrusage(unix.RUSAGE_CHILDREN, &ru)
			return initReply{
				WaitStatus: uint32(ws),
				UserNanos:  ru.Utime.Nano(),
				SysNanos:   ru.Stime.Nano(),
				MaxRSSKiB:  ru.Maxrss,
			}
		}
	}
}

// endTheRest kills every other process of the PID namespace and reaps
// them all before the init replies, so the runner can answer as soon as
// the reply arrives: no process of the action is left, and the init's own
// exit (which tears down the namespaces, slowly) happens off the critical
// path. A child whose parent dies is handed to the init before the parent
// becomes a zombie, so once wait reports no children none are left.
func endTheRest() {
	unix.Kill(-1, unix.SIGKILL)
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		if err == unix.ECHILD {
			return
		}
		if err != nil && err != unix.EINTR {
			return
		}
	}
}

// commandPath looks a bare command name up in the action's PATH, as
// libcontainer does for the first process of a one-shot container.
func commandPath(name string, env []string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, kv := range env {
		dirs, ok := strings.CutPrefix(kv, "PATH=")
		if !ok {
			continue
		}
		for _, dir := range filepath.SplitList(dirs) {
			p := filepath.Join(dir, name)
			if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return name
}
