package outputs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
)

// checkParents requires every directory from root down to the parent of
// full to be a real directory. The worker reads outputs with more rights
// than the action had: if the action replaced a parent with a symlink to,
// say, /etc, following it would upload host files as outputs. The action's
// processes are gone by now, so nothing can swap the path afterwards.
func checkParents(root, full, path string) error {
	rel, err := filepath.Rel(root, filepath.Dir(full))
	if err != nil {
		return err
	}
	if rel == "." {
		return nil
	}
	dir := root
	for _, name := range strings.Split(rel, string(filepath.Separator)) {
		dir = filepath.Join(dir, name)
		info, err := os.Lstat(dir)
		if os.IsNotExist(err) {
			return nil // the output was not produced
		}
		if err != nil {
			return fmt.Errorf("output %q: %w", path, err)
		}
		if !info.IsDir() {
			return errkind.New(errkind.Invalid, "output path %q passes through %q, which is not a directory", path, name)
		}
	}
	return nil
}
