package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// emptyTimeout bounds the wait for killed processes to leave the cgroup.
// SIGKILL is not deferred for long except by uninterruptible sleep (e.g. a
// hung NFS server), which the runner cannot fix by waiting longer.
const emptyTimeout = 30 * time.Second

// actionCgroup is the cgroup v2 directory holding every process of one
// action.
type actionCgroup struct {
	path string
	// dir is the open directory, passed to clone3 as CLONE_INTO_CGROUP's
	// file descriptor; nil for stale cgroups found at start-up.
	dir *os.File
}

// fd is the descriptor for SysProcAttr.CgroupFD.
func (g *actionCgroup) fd() int {
	return int(g.dir.Fd())
}

// kill sends SIGKILL to every process in the cgroup. cgroup.kill does this
// atomically, even against processes forking meanwhile; kernels before 5.14
// lack it, so fall back to killing the listed processes until none is left.
func (g *actionCgroup) kill() error {
	err := os.WriteFile(filepath.Join(g.path, "cgroup.kill"), []byte("1"), 0)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return g.killListed()
}

// killListed is the cgroup.kill fallback; repeated by waitEmpty's loop it
// also catches children forked while it ran.
func (g *actionCgroup) killListed() error {
	procs, err := os.ReadFile(filepath.Join(g.path, "cgroup.procs"))
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(procs)) {
		if pid, err := strconv.Atoi(f); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return nil
}

// waitEmpty returns once no process is left in the cgroup. Zombies do not
// count: they have left the cgroup even before their parent reaps them.
func (g *actionCgroup) waitEmpty() error {
	deadline := time.Now().Add(emptyTimeout)
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		events, err := os.ReadFile(filepath.Join(g.path, "cgroup.events"))
		if err != nil {
			return err
		}
		if strings.Contains(string(events), "populated 0") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes of %s did not exit within %s of SIGKILL", g.path, emptyTimeout)
		}
		if err := g.kill(); err != nil {
			return err
		}
		time.Sleep(delay)
	}
}

// cpuTimes reads the user and system CPU time used by every process that
// was ever in the cgroup, including ones killed before they were reaped.
// cpu.stat has these fields without the cpu controller enabled.
func (g *actionCgroup) cpuTimes() (user, system time.Duration, err error) {
	stat, err := os.ReadFile(filepath.Join(g.path, "cpu.stat"))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(stat), "\n") {
		key, value, _ := strings.Cut(line, " ")
		usec, _ := strconv.ParseInt(value, 10, 64)
		switch key {
		case "user_usec":
			user = time.Duration(usec) * time.Microsecond
		case "system_usec":
			system = time.Duration(usec) * time.Microsecond
		}
	}
	return user, system, nil
}

// destroy kills what is left, waits for it and removes the cgroup.
func (g *actionCgroup) destroy() error {
	if g.dir != nil {
		g.dir.Close()
	}
	if err := g.kill(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("kill %s: %w", g.path, err)
	}
	if err := g.waitEmpty(); err != nil {
		return err
	}
	return removeCgroupDir(g.path)
}

// removeCgroupDir removes an empty cgroup and any cgroups an action
// created below it, deepest first, as rmdir refuses a cgroup with children.
func removeCgroupDir(path string) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupDir(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}
