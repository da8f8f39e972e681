package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// cgroupFiles writes an action's limits straight into the files of a
// cgroup that already exists: a handful of writes instead of
// libcontainer's full Set, cheap enough for the critical path.
type cgroupFiles struct {
	unified bool
	// paths maps a v1 controller name to its directory; on v2 the single
	// directory is under "".
	paths map[string]string
}

func (f cgroupFiles) dir(controller string) string {
	if f.unified {
		return f.paths[""]
	}
	return f.paths[controller]
}

// setLimits changes the cgroup from the limits it has (from) to want,
// touching only the values that differ.
func (f cgroupFiles) setLimits(from, want limits.Limits) error {
	for _, l := range limits.Table {
		old, v := *l.Value(&from), *l.Value(&want)
		if old == v {
			continue
		}
		files := l.V1(old, v)
		if f.unified {
			files = l.V2(old, v)
		}
		for _, file := range files {
			if err := f.write(file); err != nil {
				return fmt.Errorf("%s: %w", l.Property, err)
			}
		}
	}
	return nil
}

// resetPeaks starts the peak memory measurement afresh, so the init's
// own start-up does not count towards the action (v1 only; v2's
// memory.peak resets only per open file).
func (f cgroupFiles) resetPeaks() {
	if !f.unified {
		f.write(limits.File{Controller: "memory", Name: "memory.max_usage_in_bytes", Value: "0"})
	}
}

// write writes one file, ignoring an optional one the kernel lacks.
func (f cgroupFiles) write(file limits.File) error {
	err := os.WriteFile(filepath.Join(f.dir(file.Controller), file.Name), []byte(file.Value), 0)
	if file.Optional && errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
