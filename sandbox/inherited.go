package sandbox

import (
	"fmt"
	"math"

	"golang.org/x/sys/unix"
)

// CloseInheritedOnExec marks every descriptor above stderr close-on-exec.
// Go opens its own descriptors that way, but a runner also holds what its
// parent left open (make's jobserver pipes, a shell's saved descriptors),
// and those would reach every action it starts. Runners call it when they
// are created; descriptors passed on purpose (exec.Cmd.ExtraFiles) are
// duplicated for the child and are not affected.
func CloseInheritedOnExec() error {
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("marking inherited descriptors close-on-exec: %w", err)
	}
	return nil
}
