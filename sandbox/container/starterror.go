package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/errkind"
)

// Phases of starting an action's sandbox, named in errors and logs so an
// operator can tell a broken image from a broken runner.
const (
	phaseCreate = "create" // the container's configuration and state
	phaseMount  = "mount"  // mounting the root filesystem and the rest
	phaseInit   = "init"   // the container's first process coming up
	phaseExec   = "exec"   // executing the action's command
)

// StartError is a failure to start an action's sandbox or command. It
// names the image and the phase, and carries its kind: Invalid when the
// request's command cannot run, Internal when the runner is at fault.
type StartError struct {
	// Image is the container-image value, "" for the default rootfs.
	Image string
	Phase string
	Kind  errkind.Kind
	Err   error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("sandbox on %s: %s: %v", describeImage(e.Image), e.Phase, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// ErrKind gives the error's kind to errkind.
func (e *StartError) ErrKind() errkind.Kind { return e.Kind }

func describeImage(image string) string {
	if image == "" {
		return "the default root filesystem"
	}
	return "image " + image
}

// imageLabel names an image in logs.
func imageLabel(image string) string {
	if image == "" {
		return "none"
	}
	return image
}

// containerStartError classifies what libcontainer's Run returned for a
// container's first process: the command not being executable is the
// request's fault; mount failures and the rest are the runner's.
func containerStartError(image string, err error) *StartError {
	if commandNotRunnable(err) {
		return &StartError{Image: image, Phase: phaseExec, Kind: errkind.Invalid, Err: err}
	}
	// libcontainer's init reports its failures across a pipe as text, so
	// the text is all there is to tell a mount from the rest.
	phase := phaseInit
	if strings.Contains(err.Error(), "mount") || strings.Contains(err.Error(), "rootfs") {
		phase = phaseMount
	}
	return &StartError{Image: image, Phase: phase, Kind: errkind.Internal, Err: err}
}

func commandNotRunnable(err error) bool {
	return errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.ENOEXEC)
}
