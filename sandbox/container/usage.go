package container

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// measureUsage reads what the action's cgroup accounted, before the
// cgroup is destroyed. Where the cgroup is not available (rootless without
// delegation) the first process's rusage stands in.
func (r *Runner) measureUsage(c *libcontainer.Container, ps *os.ProcessState, s settings, wall time.Duration) *runnerpb.ResourceUsage {
	u := &runnerpb.ResourceUsage{WallTime: durationpb.New(wall)}
	if r.cgroups.limitsEnforced {
		u.MemoryLimitBytes = s.limits.MemoryBytes
		u.PidsLimit = s.limits.Pids
		u.CpuLimitMillicores = s.limits.CPUMillicores
	}
	stats, err := c.Stats()
	if err != nil || stats.CgroupStats == nil {
		if ps != nil {
			if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
				u.UserTime = durationpb.New(time.Duration(ru.Utime.Nano()))
				u.SystemTime = durationpb.New(time.Duration(ru.Stime.Nano()))
				u.PeakMemoryBytes = ru.Maxrss * 1024
			}
		}
		return u
	}
	cpu := stats.CgroupStats.CpuStats.CpuUsage
	u.UserTime = durationpb.New(time.Duration(cpu.UsageInUsermode))
	u.SystemTime = durationpb.New(time.Duration(cpu.UsageInKernelmode))
	u.PeakMemoryBytes = int64(stats.CgroupStats.MemoryStats.Usage.MaxUsage)
	paths := cgroupPaths(c)
	if r.cgroups.unified {
		dir := paths[""]
		u.OomKilled = readKeyed(filepath.Join(dir, "memory.events"), "oom_kill") > 0
		u.PidsPeak = readNumber(filepath.Join(dir, "pids.peak"))
		if peak := readNumber(filepath.Join(dir, "memory.peak")); peak > 0 {
			u.PeakMemoryBytes = peak
		}
	} else {
		u.OomKilled = readKeyed(filepath.Join(paths["memory"], "memory.oom_control"), "oom_kill") > 0
		u.PidsPeak = readNumber(filepath.Join(paths["pids"], "pids.peak"))
	}
	return u
}

// usageAny also sends the usage in Buildbarn's resource_usage field,
// for a worker that does not know Sandbarn's usage field.
func usageAny(resp *runnerpb.RunResponse) {
	if a, err := anypb.New(resp.Usage); err == nil {
		resp.ResourceUsage = []*anypb.Any{a}
	}
}

func cgroupPaths(c *libcontainer.Container) map[string]string {
	st, err := c.State()
	if err != nil {
		return nil
	}
	return st.CgroupPaths
}

// readNumber returns a cgroup file holding one number, or zero for a file
// this kernel does not have.
func readNumber(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n
}

// readKeyed returns one value of a "key value" per line cgroup file.
func readKeyed(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
