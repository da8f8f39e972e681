package container

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

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
	if from.MemoryBytes != want.MemoryBytes {
		if err := f.setMemory(from.MemoryBytes, want.MemoryBytes); err != nil {
			return err
		}
	}
	if from.CPUMillicores != want.CPUMillicores {
		quota := want.CPUMillicores * cpuPeriod / 1000
		var err error
		if f.unified {
			v := "max"
			if quota > 0 {
				v = strconv.FormatInt(quota, 10)
			}
			err = f.write("cpu", "cpu.max", v+" "+strconv.Itoa(cpuPeriod))
		} else {
			err = f.write("cpu", "cpu.cfs_quota_us", unlimitedAs(quota, "-1"))
		}
		if err != nil {
			return err
		}
	}
	if from.Pids != want.Pids {
		return f.write("pids", "pids.max", unlimitedAs(want.Pids, "max"))
	}
	return nil
}

// setMemory keeps swap off. On v1 memory+swap may never be below memory,
// so the order of the two writes depends on the direction of the change.
func (f cgroupFiles) setMemory(from, want int64) error {
	if f.unified {
		if err := f.write("memory", "memory.max", unlimitedAs(want, "max")); err != nil {
			return err
		}
		return f.writeOptional("memory", "memory.swap.max", "0")
	}
	limit := unlimitedAs(want, "-1")
	first, second := "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	if want <= 0 || (from > 0 && want > from) {
		first, second = second, first
	}
	if err := f.writeOptional("memory", first, limit); err != nil {
		return err
	}
	return f.writeOptional("memory", second, limit)
}

// resetPeaks starts the peak memory measurement afresh, so the init's
// own start-up does not count towards the action (v1 only; v2's
// memory.peak resets only per open file).
func (f cgroupFiles) resetPeaks() {
	if !f.unified {
		f.write("memory", "memory.max_usage_in_bytes", "0")
	}
}

func (f cgroupFiles) write(controller, name, value string) error {
	return os.WriteFile(filepath.Join(f.dir(controller), name), []byte(value), 0)
}

// writeOptional ignores files a kernel may lack (memsw without swap
// accounting, swap.max without swap).
func (f cgroupFiles) writeOptional(controller, name, value string) error {
	err := f.write(controller, name, value)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func unlimitedAs(n int64, unlimited string) string {
	if n <= 0 {
		return unlimited
	}
	return strconv.FormatInt(n, 10)
}
