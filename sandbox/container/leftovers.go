package container

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
)

// runnerCgroupParent gives each runner a cgroup subtree of its own below
// the configured parent, named after its state directory: two runners on
// one host (two farms, or a test beside a farm) never share action
// cgroups, and a runner restarted with the same configuration finds what
// its crashed predecessor left.
func runnerCgroupParent(parent, stateDir string) string {
	sum := sha256.Sum256([]byte(stateDir))
	return path.Join(parent, "runner-"+hex.EncodeToString(sum[:6]))
}

// killLeftovers ends the actions a crashed runner left running: processes
// in its action cgroups (a container outlives the runner that started it)
// and its old container state directories. Without this a retried action
// would share its input root with the still running first attempt.
func killLeftovers(s cgroupSetup, stateDir string, log *slog.Logger) error {
	dir, err := cgroupDirectory(s)
	if err != nil {
		return err
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "action-") {
			continue
		}
		n, err := killCgroup(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("ending leftover action %s: %w", e.Name(), err)
		}
		if n > 0 {
			log.Warn("sandbox: killed an action left running by a previous runner", "cgroup", e.Name(), "processes", n)
		}
		m, err := manager.New(&cgroups.Cgroup{Path: path.Join(s.parent, e.Name()), Resources: &cgroups.Resources{}})
		if err == nil {
			err = m.Destroy()
		}
		if err != nil {
			return fmt.Errorf("removing leftover cgroup %s: %w", e.Name(), err)
		}
	}
	old, _ := filepath.Glob(filepath.Join(stateDir, "containers-*"))
	for _, d := range old {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("removing leftover container state: %w", err)
		}
	}
	return nil
}

// cgroupDirectory is where the runner's action cgroups appear in the
// filesystem: the unified hierarchy, or the pids controller's on v1 (every
// process is in exactly one cgroup of each hierarchy, so one suffices to
// find them).
func cgroupDirectory(s cgroupSetup) (string, error) {
	if s.unified {
		return filepath.Join(unifiedMount, s.parent), nil
	}
	mnt, err := cgroups.FindCgroupMountpoint("", "pids")
	if err != nil {
		return "", err
	}
	return filepath.Join(mnt, s.parent), nil
}

// killCgroup SIGKILLs every process in the cgroup until it is empty, and
// returns how many it found first.
func killCgroup(dir string) (int, error) {
	first := -1
	for deadline := time.Now().Add(10 * time.Second); ; {
		pids, err := cgroups.GetAllPids(dir)
		if err != nil {
			return 0, err
		}
		if first < 0 {
			first = len(pids)
		}
		if len(pids) == 0 {
			return first, nil
		}
		if time.Now().After(deadline) {
			return first, fmt.Errorf("%d processes survive SIGKILL: %s", len(pids), strconv.Itoa(pids[0]))
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
