package runnerapp

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/process"
	"github.com/sandbarn/sandbarn/sandbox/runnerserver"
)

// Run serves the runner until ctx is done. Use it from programs that host
// a runner (bb_runner, sandbarn runner); their main must call
// container.Init first.
func Run(ctx context.Context, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	mode, err := cfg.socketMode()
	if err != nil {
		return err
	}
	// Listen first: it fails if another runner still serves this socket,
	// before the process runner kills leftovers in the shared cgroup.
	lis, err := runnerserver.ListenUNIX(cfg.GRPCListenPath, mode)
	if err != nil {
		return err
	}
	runner, err := newRunner(cfg)
	if err != nil {
		lis.Close()
		return err
	}
	log.Printf("bb_runner: %s sandbox serving on %s", cfg.Sandbox, cfg.GRPCListenPath)
	err = runnerserver.Serve(ctx, lis, runner, time.Duration(cfg.ShutdownGracePeriod))
	// The container sandbox holds prepared containers and their cgroups.
	if c, ok := runner.(interface{ Close() }); ok {
		c.Close()
	}
	log.Print("bb_runner: stopped")
	return err
}

// newRunner builds the runner the sandbox setting names.
func newRunner(cfg *Config) (sandbox.Runner, error) {
	switch cfg.Sandbox {
	case "process":
		return newProcessRunner(cfg)
	case "container":
		return newContainerRunner(cfg.BuildDirectory, &cfg.Container)
	default:
		return nil, fmt.Errorf("unknown sandbox %q", cfg.Sandbox)
	}
}

func newProcessRunner(cfg *Config) (sandbox.Runner, error) {
	if os.Geteuid() == 0 {
		// Read-only modes do not stop root: the hardlinked inputs are the
		// worker's cached files.
		log.Print("bb_runner: WARNING: the process sandbox runs actions as root; an action can change the worker's cached input files. Use the container sandbox on shared machines.")
	}
	parent := cfg.CgroupParent
	switch parent {
	case "none":
		parent = ""
	case "":
		p, err := process.DefaultCgroupParent()
		if err != nil {
			log.Printf("bb_runner: no cgroup v2 (%v); daemons that leave an action's process group will survive it", err)
		}
		parent = p
	}
	r, err := process.New(process.Options{BuildDirectory: cfg.BuildDirectory, CgroupParent: parent})
	if err != nil && cfg.CgroupParent == "" {
		// Found a hierarchy but cannot use it (not root, not delegated).
		log.Printf("bb_runner: cannot use cgroup %s (%v); daemons that leave an action's process group will survive it", parent, err)
		r, err = process.New(process.Options{BuildDirectory: cfg.BuildDirectory})
	}
	if err != nil {
		return nil, err
	}
	if r.UsesCgroups() {
		log.Printf("bb_runner: one cgroup per action below %s", parent)
	}
	return r, nil
}
