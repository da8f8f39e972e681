package runnerapp

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/rootfs"

	"github.com/sandbarn/sandbarn/sandbox/container"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// ContainerConfig is the container sandbox's part of the configuration.
// Zero values take the defaults documented on container.Config.
type ContainerConfig struct {
	StateDirectory           string       `json:"stateDirectory,omitempty"`
	FirstHostUID             uint32       `json:"firstHostUid,omitempty"`
	UIDCount                 uint32       `json:"uidCount,omitempty"`
	FileCacheOwnerUID        uint32       `json:"fileCacheOwnerUid,omitempty"`
	ActionUID                uint32       `json:"actionUid,omitempty"`
	ActionGID                uint32       `json:"actionGid,omitempty"`
	RootlessSubordinateUID   uint32       `json:"rootlessSubordinateUid,omitempty"`
	RootlessSubordinateCount uint32       `json:"rootlessSubordinateCount,omitempty"`
	DefaultLimits            LimitsConfig `json:"defaultLimits"`
	MaximumLimits            LimitsConfig `json:"maximumLimits"`
	CgroupParent             string       `json:"cgroupParent,omitempty"`
	DelegatedCgroup          bool         `json:"delegatedCgroup,omitempty"`
	TmpSizeBytes             int64        `json:"tmpSizeBytes,omitempty"`
	Hostname                 string       `json:"hostname,omitempty"`
	AllowStandardNetwork     bool         `json:"allowStandardNetwork,omitempty"`
	// DisableSeccomp is for binaries built without libseccomp (no
	// `-tags seccomp`); it weakens the sandbox and is logged.
	DisableSeccomp    bool     `json:"disableSeccomp,omitempty"`
	PrepareInputRoots []string `json:"prepareInputRoots,omitempty"`
	OneShot           bool     `json:"oneShot,omitempty"`
	NoPivotRoot       bool     `json:"noPivotRoot,omitempty"`
	// ExecutionModes choose by instance name prefix how actions see their
	// input root: "image" (the default: a rootfs from container-image,
	// the input root at a fixed path) or "input-root" (the input root is
	// the whole writable root filesystem, BuildStream's and BuildGrid's
	// chroot convention). The longest matching prefix wins.
	ExecutionModes []ExecutionModeConfig `json:"executionModes,omitempty"`
	// Images configures root filesystems from container-image; without
	// it actions naming an image are refused.
	Images *ImagesConfig `json:"images,omitempty"`
}

// ImagesConfig is the image store the container-image property draws
// from (see rootfs.Config).
type ImagesConfig struct {
	Directory          string              `json:"directory"`
	SizeLimitBytes     int64               `json:"sizeLimitBytes,omitempty"`
	LocalDirectories   map[string]string   `json:"localDirectories,omitempty"`
	Mirrors            map[string][]string `json:"mirrors,omitempty"`
	InsecureRegistries []string            `json:"insecureRegistries,omitempty"`
	// Hold keeps an image from eviction this long after its last use; it
	// must exceed the longest action timeout. Default 2h.
	Hold configfile.Duration `json:"hold,omitempty"`
}

// ExecutionModeConfig gives the instance names starting with
// InstanceNamePrefix (whole slash-separated components; "" covers every
// name) an execution mode, "image" or "input-root".
type ExecutionModeConfig struct {
	InstanceNamePrefix string `json:"instanceNamePrefix"`
	Mode               string `json:"mode"`
}

// executionModes converts the written modes; container.New checks them.
func (c *ContainerConfig) executionModes() []container.ExecutionMode {
	var modes []container.ExecutionMode
	for _, m := range c.ExecutionModes {
		modes = append(modes, container.ExecutionMode{InstanceNamePrefix: m.InstanceNamePrefix, Mode: container.Mode(m.Mode)})
	}
	return modes
}

// LimitsConfig writes limits by key ("cpu", "memory", "pids") the way
// platform properties do: cpu "2" or "1500m", memory "4GiB", pids
// "1024". A missing key is unlimited.
type LimitsConfig map[string]string

func (l LimitsConfig) parse() (limits.Limits, error) { return limits.Parse(l) }

// newContainerRunner builds the container sandbox from the configuration.
func newContainerRunner(buildDir string, c *ContainerConfig) (*container.Runner, error) {
	def, err := c.DefaultLimits.parse()
	if err != nil {
		return nil, fmt.Errorf("container.defaultLimits: %w", err)
	}
	max, err := c.MaximumLimits.parse()
	if err != nil {
		return nil, fmt.Errorf("container.maximumLimits: %w", err)
	}
	resolver, err := c.rootfsResolver()
	if err != nil {
		return nil, err
	}
	if c.DisableSeccomp {
		slog.Warn("bb_runner: seccomp is disabled: actions may use every system call the kernel allows in a user namespace")
	}
	return container.New(container.Config{
		BuildDirectory:           buildDir,
		StateDirectory:           c.StateDirectory,
		FirstHostUID:             c.FirstHostUID,
		UIDCount:                 c.UIDCount,
		FileCacheOwnerUID:        c.FileCacheOwnerUID,
		ActionUID:                c.ActionUID,
		ActionGID:                c.ActionGID,
		RootlessSubordinateUID:   c.RootlessSubordinateUID,
		RootlessSubordinateCount: c.RootlessSubordinateCount,
		Limits:                   limits.Policy{Default: def, Maximum: max},
		CgroupParent:             c.CgroupParent,
		DelegatedCgroup:          c.DelegatedCgroup,
		TmpSizeBytes:             c.TmpSizeBytes,
		Hostname:                 c.Hostname,
		AllowStandardNetwork:     c.AllowStandardNetwork,
		DisableSeccomp:           c.DisableSeccomp,
		PrepareInputRoots:        c.PrepareInputRoots,
		OneShot:                  c.OneShot,
		NoPivotRoot:              c.NoPivotRoot,
		ExecutionModes:           c.executionModes(),
		Rootfs:                   resolver,
		Logger:                   slog.Default(),
	})
}

// defaultImageHold outlasts the scheduler's default maximum timeout.
const defaultImageHold = 2 * time.Hour

// rootfsResolver returns the image store's resolver, or nil (the sandbox's
// host rootfs, refusing images) when no store is configured.
func (c *ContainerConfig) rootfsResolver() (container.RootfsResolver, error) {
	if c.Images == nil {
		return nil, nil
	}
	store, err := rootfs.Open(rootfs.Config{
		Directory:          c.Images.Directory,
		SizeLimitBytes:     c.Images.SizeLimitBytes,
		LocalDirectories:   c.Images.LocalDirectories,
		Mirrors:            c.Images.Mirrors,
		InsecureRegistries: c.Images.InsecureRegistries,
		FirstHostUID:       c.FirstHostUID,
		UIDCount:           c.UIDCount,
	})
	if err != nil {
		return nil, fmt.Errorf("container.images: %w", err)
	}
	hold := time.Duration(c.Images.Hold)
	if hold == 0 {
		hold = defaultImageHold
	}
	stateDir := c.StateDirectory
	if stateDir == "" {
		stateDir = "/run/sandbarn"
	}
	return imageResolver(store, container.HostRootfs(filepath.Join(stateDir, "hostroot")), hold, time.Now), nil
}
