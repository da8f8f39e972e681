package container

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sandbarn/sandbarn/errkind"
)

// inputRootMountPoints are the directories ModeInputRoot mounts file
// systems on, relative to the input root.
var inputRootMountPoints = []string{"proc", "dev", "tmp"}

// mountPoints are the directories the runner added to an input root so
// the sandbox could mount on them; remove takes them away again so they
// never show up among the action's outputs.
type mountPoints struct{ created []string }

// makeMountPoints creates the mount points the input root lacks. One that
// exists as anything but a directory is refused: the action's sysroot
// must not decide where the sandbox mounts /proc or /dev.
func makeMountPoints(root string) (mountPoints, error) {
	var mp mountPoints
	for _, name := range inputRootMountPoints {
		p := filepath.Join(root, name)
		info, err := os.Lstat(p)
		switch {
		case err == nil && info.IsDir():
			continue
		case err == nil:
			mp.remove()
			return mountPoints{}, errkind.New(errkind.Invalid, "input root: /%s must be a directory (or absent) to run with the input root as /, found %s", name, info.Mode().Type())
		case !os.IsNotExist(err):
			mp.remove()
			return mountPoints{}, errkind.New(errkind.Internal, "input root mount point: %v", err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			mp.remove()
			return mountPoints{}, errkind.New(errkind.Internal, "input root mount point: %v", err)
		}
		mp.created = append(mp.created, p)
	}
	return mp, nil
}

// remove deletes the directories makeMountPoints created. Only empty
// ones go: after the sandbox is gone nothing can be mounted on them, and
// an action cannot write below a mount point while it is mounted over.
func (mp mountPoints) remove() error {
	var first error
	for i := len(mp.created) - 1; i >= 0; i-- {
		if err := os.Remove(mp.created[i]); err != nil && !os.IsNotExist(err) && first == nil {
			first = fmt.Errorf("removing mount point: %w", err)
		}
	}
	return first
}

// removeOrWarn removes the mount points after the action; one that stays
// is logged, not an error of an action that has already run.
func (mp mountPoints) removeOrWarn(log *slog.Logger) {
	if err := mp.remove(); err != nil {
		log.Warn("sandbox: a mount point stays in the input root", "error", err)
	}
}
