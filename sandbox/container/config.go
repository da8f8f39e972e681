package container

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sandbarn/sandbarn/rootfs/skeleton"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// Config is the runner's side of the sandbox: where things live, which
// host uids actions may use, and the limit policy. Zero values get the
// defaults described on each field.
type Config struct {
	// BuildDirectory is the directory the worker's request paths are
	// relative to.
	BuildDirectory string
	// StateDirectory holds libcontainer's per-container state and the
	// default rootfs skeleton. Default: /run/sandbarn (as root) or
	// $XDG_RUNTIME_DIR/sandbarn.
	StateDirectory string

	// FirstHostUID and UIDCount give the host uids (and gids, same
	// numbers) that sandbox uids 0..UIDCount-1 map to when running as
	// root. Default 1_000_000_000 and 65536. The range must not contain
	// FileCacheOwnerUID, so actions can never own a cached input file.
	FirstHostUID uint32
	UIDCount     uint32
	// FileCacheOwnerUID is the host uid that owns the worker's file cache.
	FileCacheOwnerUID uint32
	// ActionUID and ActionGID are the in-sandbox user of an action unless
	// it sets dockerRunAsRoot=true. Default 1000.
	ActionUID uint32
	ActionGID uint32

	// Rootless: uid ranges from /etc/subuid for newuidmap when the
	// runner is not root. Zero count: map only the runner's own uid, as
	// sandbox root (libcontainer needs root mapped); actions then run as
	// that uid without capabilities, and ActionUID is not used.
	RootlessSubordinateUID   uint32
	RootlessSubordinateCount uint32

	// Limits holds the defaults and maxima of cpu-limit, memory-limit and
	// pids-limit.
	Limits limits.Policy
	// CgroupParent is the cgroup under which each action gets its own.
	// Default "/sandbarn". On cgroup v2 an empty value set explicitly
	// with DelegatedCgroup means the runner's own (delegated) cgroup.
	CgroupParent string
	// DelegatedCgroup: on cgroup v2, move the runner into a leaf of its
	// own cgroup and create action cgroups beside it, for a runner that
	// systemd (Delegate=yes) or a container engine gave a subtree.
	DelegatedCgroup bool

	// TmpSizeBytes is the size of each action's /tmp. Default 1 GiB.
	TmpSizeBytes int64
	// Hostname every sandbox gets. Default "sandbox".
	Hostname string
	// AllowStandardNetwork lets actions ask for dockerNetwork=standard,
	// which shares the host's network namespace.
	AllowStandardNetwork bool
	// DisableSeccomp runs without a seccomp profile; only for binaries
	// built without libseccomp, never for production.
	DisableSeccomp bool
	// PrepareInputRoots are input root directories (relative to the build
	// directory, e.g. each worker slot's "<slot>/root") to prepare a
	// container for at start-up, with default settings, so that even the
	// first action there finds one. Later ones are prepared after each
	// action whatever this says.
	PrepareInputRoots []string
	// OneShot creates every container on the request's critical path
	// instead of preparing the next one ahead; slower, for comparison.
	OneShot bool
	// NoPivotRoot is needed when / is an initramfs (test VMs).
	NoPivotRoot bool

	// ExecutionModes choose each request's Mode by its instance name;
	// the longest matching prefix wins, and names no entry covers run in
	// ModeImage.
	ExecutionModes []ExecutionMode

	// Rootfs maps a container-image value ("" for none) to a root
	// filesystem. Default: HostRootfs, the host's /usr, /bin, /sbin,
	// /lib* and /etc read-only.
	Rootfs RootfsResolver
	// Logger receives start-up notes such as running without limits.
	Logger *slog.Logger
}

// Paths inside every sandbox.
const (
	// InputRootPath is where the action's input root appears in
	// ModeImage; every root filesystem has it as a mount point (see
	// skeleton.MountPoints).
	InputRootPath = skeleton.InputRootPath
	tmpPath       = "/tmp"
)

func (c *Config) applyDefaults(rootless bool) {
	if c.StateDirectory == "" {
		c.StateDirectory = "/run/sandbarn"
		if dir := os.Getenv("XDG_RUNTIME_DIR"); rootless && dir != "" {
			c.StateDirectory = filepath.Join(dir, "sandbarn")
		}
	}
	if c.FirstHostUID == 0 && c.UIDCount == 0 {
		c.FirstHostUID, c.UIDCount = 1_000_000_000, 65536
	}
	if c.ActionUID == 0 && c.ActionGID == 0 {
		c.ActionUID, c.ActionGID = 1000, 1000
	}
	if c.CgroupParent == "" && !c.DelegatedCgroup {
		c.CgroupParent = "/sandbarn"
	}
	if c.TmpSizeBytes == 0 {
		c.TmpSizeBytes = 1 << 30
	}
	if c.Hostname == "" {
		c.Hostname = "sandbox"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Rootfs == nil {
		c.Rootfs = HostRootfs(filepath.Join(c.StateDirectory, "hostroot"))
	}
}

func (c *Config) validate(rootless bool) error {
	if c.BuildDirectory == "" || !filepath.IsAbs(c.BuildDirectory) {
		return errors.New("build directory must be an absolute path")
	}
	if err := c.Limits.Validate(); err != nil {
		return err
	}
	if err := validateModes(c.ExecutionModes); err != nil {
		return err
	}
	if c.TmpSizeBytes < 0 {
		return errors.New("tmp size must not be negative")
	}
	if rootless {
		return nil
	}
	if c.UIDCount == 0 || c.ActionUID >= c.UIDCount || c.ActionGID >= c.UIDCount {
		return fmt.Errorf("action uid %d / gid %d must fall inside the %d mapped uids", c.ActionUID, c.ActionGID, c.UIDCount)
	}
	last := uint64(c.FirstHostUID) + uint64(c.UIDCount) - 1
	if c.FirstHostUID == 0 || last > 0xfffffffe {
		return fmt.Errorf("host uid range %d-%d must exclude root and fit in 32 bits", c.FirstHostUID, last)
	}
	if owner := uint64(c.FileCacheOwnerUID); owner >= uint64(c.FirstHostUID) && owner <= last {
		return fmt.Errorf("host uid range %d-%d contains the file cache owner %d", c.FirstHostUID, last, owner)
	}
	return nil
}
