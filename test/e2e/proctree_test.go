package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// process is one entry of /proc.
type process struct {
	pid  int
	ppid int
	argv []string
}

// listProcesses reads every process from /proc. Processes that exit while
// it reads are simply left out.
func listProcesses() map[int]process {
	procs := map[int]process{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may itself hold spaces and
		// parentheses, so the fields start after the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		procs[pid] = process{pid: pid, ppid: ppid, argv: argv}
	}
	return procs
}

// descendants returns the processes below root, nearest first.
func descendants(procs map[int]process, root int) []process {
	children := map[int][]process{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []process
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

// findRole returns the farm process serving a role ("runner" or
// "worker"): the nearest descendant of the farm whose program name, or one
// of its first two arguments before any flag, names the role, e.g.
// "bb_runner", "sandbarn runner ..." or "/proc/self/exe worker ...".
func findRole(procs map[int]process, farm int, role string) (process, bool) {
	for _, p := range descendants(procs, farm) {
		if namesRole(p.argv, role) {
			return p, true
		}
	}
	return process{}, false
}

func namesRole(argv []string, role string) bool {
	for i, a := range argv {
		if i > 2 || (i > 0 && strings.HasPrefix(a, "-")) {
			return false
		}
		if strings.Contains(filepath.Base(a), role) {
			return true
		}
	}
	return false
}

// findMarked returns a descendant of root whose command line contains
// marker and which is not in seen.
func findMarked(procs map[int]process, root int, marker string, seen map[int]bool) (process, bool) {
	for _, p := range descendants(procs, root) {
		if !seen[p.pid] && strings.Contains(strings.Join(p.argv, " "), marker) {
			return p, true
		}
	}
	return process{}, false
}

// markedPIDs lists every process anywhere whose command line contains
// marker, so leftovers of an earlier run can be told apart.
func markedPIDs(procs map[int]process, marker string) map[int]bool {
	seen := map[int]bool{}
	for _, p := range procs {
		if strings.Contains(strings.Join(p.argv, " "), marker) {
			seen[p.pid] = true
		}
	}
	return seen
}
