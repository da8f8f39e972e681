package runnerapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

// Config is bb_runner's configuration file (Jsonnet, strict).
type Config struct {
	// BuildDirectory is the directory the worker prepares actions in;
	// every path in a request is relative to it.
	BuildDirectory string `json:"buildDirectory"`
	// GRPCListenPath is the UNIX socket the worker connects to.
	GRPCListenPath string `json:"grpcListenPath"`
	// GRPCListenPathMode is the socket's permissions as an octal string;
	// empty means "0660".
	GRPCListenPathMode string `json:"grpcListenPathMode"`
	// Sandbox chooses how actions run: "process" (plain child processes,
	// the default) or "container" (a libcontainer sandbox per action,
	// configured by Container).
	Sandbox string `json:"sandbox"`
	// Container configures the container sandbox.
	Container ContainerConfig `json:"container"`
	// CgroupParent is where the process sandbox puts one cgroup v2 per
	// action so it can kill daemons that escape the process group: empty
	// means below the runner's own cgroup, falling back to process groups
	// alone if the host has no usable cgroup v2; "none" means process
	// groups alone; a path must be a usable cgroup v2 directory used by
	// this runner alone (at start it kills the actions a crashed runner
	// left there).
	CgroupParent string `json:"cgroupParent"`
	// ShutdownGracePeriod is how long running actions may continue after
	// SIGTERM before they are killed; empty means "10s".
	ShutdownGracePeriod configfile.Duration `json:"shutdownGracePeriod"`
}

const (
	defaultSocketMode  = 0o660
	defaultGracePeriod = 10 * time.Second
)

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	if c.BuildDirectory == "" || c.GRPCListenPath == "" {
		return errors.New("buildDirectory and grpcListenPath are required")
	}
	abs, err := filepath.Abs(c.BuildDirectory)
	if err != nil {
		return err
	}
	// Commands see paths below it (TMPDIR), which must not depend on
	// their working directory.
	c.BuildDirectory = abs
	if info, err := os.Stat(abs); err != nil || !info.IsDir() {
		return fmt.Errorf("buildDirectory %s is not a directory", abs)
	}
	if c.CgroupParent != "" && c.CgroupParent != "none" && !filepath.IsAbs(c.CgroupParent) {
		return fmt.Errorf("cgroupParent %q must be empty, \"none\" or an absolute path", c.CgroupParent)
	}
	switch c.Sandbox {
	case "":
		c.Sandbox = "process"
	case "process", "container":
	default:
		return fmt.Errorf("sandbox %q is neither \"process\" nor \"container\"", c.Sandbox)
	}
	if c.ShutdownGracePeriod == 0 {
		c.ShutdownGracePeriod = configfile.Duration(defaultGracePeriod)
	}
	return nil
}

// socketMode parses GRPCListenPathMode.
func (c *Config) socketMode() (os.FileMode, error) {
	if c.GRPCListenPathMode == "" {
		return defaultSocketMode, nil
	}
	m, err := strconv.ParseUint(c.GRPCListenPathMode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("grpcListenPathMode %q is not an octal permission such as \"0660\"", c.GRPCListenPathMode)
	}
	return os.FileMode(m), nil
}
