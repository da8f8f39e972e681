package container

import (
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/errkind"
)

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
		return &StartError{Image: a.settings.image, Phase: phase, Kind: errkind.Internal, Err: err}
	}
	id, err := statID(a.inputRoot)
	if err != nil {
		return nil, fail(phaseMount, err)
	}
	// With a single mapped uid capabilities are never given (see
	// containerConfig), and the init needs none.
	initUser := sandboxUser{0, 0}
	initAction := a
	initAction.id = r.newContainerID()
	initAction.settings.runAsRoot = true
	c, err := libcontainer.Create(r.stateDir, initAction.id, r.containerConfig(initAction))
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
		Args:       []string{selfExecutable, actionInitArgument},
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
		se.Kind = errkind.Internal
		return nil, se
	}
	pc := &prepared{container: c, init: p, sock: ours, limits: a.settings.limits, inputRoot: id, limitsEnforced: r.cgroups.limitsEnforced}
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

// fileID identifies a directory across renames, to notice a worker that
// replaced an input root instead of filling it in place.
type fileID struct{ dev, ino uint64 }

func statID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{uint64(st.Dev), st.Ino}, nil
}
