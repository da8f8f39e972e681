package container

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/cgroups"
)

// cgroupSetup says where action cgroups go and whether limits can be
// enforced at all.
type cgroupSetup struct {
	parent         string
	unified        bool
	limitsEnforced bool
}

const unifiedMount = "/sys/fs/cgroup"

// setUpCgroups decides the cgroup layout once at start-up. Without
// delegated cgroups (rootless on v1, or a v2 subtree the runner may not
// write) actions still run, without limits, and the log says so once.
func setUpCgroups(cfg *Config, rootless bool, log *slog.Logger) (cgroupSetup, error) {
	s := cgroupSetup{parent: cfg.CgroupParent, unified: cgroups.IsCgroup2UnifiedMode(), limitsEnforced: true}
	if s.unified && cfg.DelegatedCgroup {
		parent, err := delegateOwnCgroup()
		if err == nil {
			s.parent = parent
			return s, nil
		}
		if !rootless {
			return s, err
		}
		log.Warn("sandbox: cgroup not delegated to this runner, actions run without cpu, memory and pids limits", "error", err)
		s.limitsEnforced = false
		return s, nil
	}
	if rootless {
		log.Warn("sandbox: rootless runner without a delegated cgroup v2 subtree, actions run without cpu, memory and pids limits")
		s.limitsEnforced = false
	}
	return s, nil
}

// delegateOwnCgroup prepares the runner's own cgroup v2 subtree. The
// no-internal-process rule forbids processes in a cgroup whose controllers
// are enabled for children, so the runner first moves into a leaf of its
// own and the actions get a sibling subtree.
func delegateOwnCgroup() (string, error) {
	own, err := ownUnifiedCgroup()
	if err != nil {
		return "", err
	}
	base := filepath.Join(unifiedMount, own)
	leaf := filepath.Join(base, "runner")
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		return "", fmt.Errorf("cgroup delegation: %w", err)
	}
	if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		return "", fmt.Errorf("cgroup delegation: moving the runner into %s: %w", leaf, err)
	}
	if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte("+cpu +memory +pids"), 0); err != nil {
		return "", fmt.Errorf("cgroup delegation: enabling controllers in %s: %w", base, err)
	}
	return filepath.Join(own, "actions"), nil
}

func ownUnifiedCgroup() (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			// A runner that already moved itself into its leaf (a second
			// New in the same process) shares the subtree.
			return strings.TrimSuffix(p, "/runner"), nil
		}
	}
	return "", errors.New("no cgroup v2 entry in /proc/self/cgroup")
}
