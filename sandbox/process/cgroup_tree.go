package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// actionPrefix starts the name of every action cgroup.
const actionPrefix = "action-"

// cgroupTree is the cgroup v2 directory below which the runner creates one
// cgroup per action.
type cgroupTree struct {
	parent string
	next   atomic.Uint64
}

// openCgroupTree creates parent if needed and removes action cgroups that
// a previous runner left behind (it was killed mid-action), killing their
// processes first, so a crashed runner does not leak build processes.
func openCgroupTree(parent string) (*cgroupTree, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", parent, err)
	}
	if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("%s is not a cgroup v2 directory: %w", parent, err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// Only our own naming: a parent configured by mistake as a shared
		// cgroup must not have its other children killed.
		if !e.IsDir() || !strings.HasPrefix(e.Name(), actionPrefix) {
			continue
		}
		stale := &actionCgroup{path: filepath.Join(parent, e.Name())}
		if err := stale.destroy(); err != nil {
			return nil, fmt.Errorf("remove stale cgroup: %w", err)
		}
	}
	return &cgroupTree{parent: parent}, nil
}

// create makes the cgroup of one action. The number in its name only has
// to be unique among the actions of this runner.
func (t *cgroupTree) create() (*actionCgroup, error) {
	path := filepath.Join(t.parent, actionPrefix+strconv.FormatUint(t.next.Add(1), 10))
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, fmt.Errorf("create action cgroup: %w", err)
	}
	dir, err := os.Open(path)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("open action cgroup: %w", err)
	}
	return &actionCgroup{path: path, dir: dir}, nil
}

// DefaultCgroupParent returns a directory for action cgroups below the
// runner's own cgroup in the cgroup v2 hierarchy (the unified hierarchy on a
// hybrid cgroup v1 host). Use it when the configuration does not name one;
// an error means the host has no cgroup v2 hierarchy.
func DefaultCgroupParent() (string, error) {
	mount, err := cgroup2Mount("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(own), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			return filepath.Join(mount, rest, "bb_runner"), nil
		}
	}
	return "", errors.New("the runner is in no cgroup v2 cgroup")
}

// cgroup2Mount finds where the cgroup2 filesystem is mounted.
func cgroup2Mount(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// Fields after " - " are: fstype, source, super options.
		pre, post, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && strings.HasPrefix(post, "cgroup2 ") && len(fields) >= 5 {
			return fields[4], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no cgroup2 filesystem is mounted")
}
