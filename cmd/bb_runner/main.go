// bb_runner executes one command per request for bb_worker, serving the
// buildbarn.runner protocol on a UNIX socket.
//
// Usage: bb_runner CONFIG.jsonnet
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/process"
	"github.com/sandbarn/sandbarn/sandbox/runnerserver"
)

func main() {
	// The container sandbox's init hook (libcontainer re-executes this
	// binary inside new containers) must run here, before anything else.
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bb_runner CONFIG.jsonnet")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		log.Fatal("bb_runner: ", err)
	}
}

func run(path string) error {
	var cfg config
	if err := configfile.Load(path, &cfg); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	mode, err := cfg.socketMode()
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	// Listen first: it fails if another runner still serves this socket,
	// before the process runner kills leftovers in the shared cgroup.
	lis, err := runnerserver.ListenUNIX(cfg.GRPCListenPath, mode)
	if err != nil {
		return err
	}
	runner, err := newRunner(&cfg)
	if err != nil {
		lis.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Printf("bb_runner: %s sandbox serving on %s", cfg.Sandbox, cfg.GRPCListenPath)
	err = runnerserver.Serve(ctx, lis, runner, time.Duration(cfg.ShutdownGracePeriod))
	log.Print("bb_runner: stopped")
	return err
}

// newRunner builds the runner the sandbox setting names.
func newRunner(cfg *config) (sandbox.Runner, error) {
	switch cfg.Sandbox {
	case "process":
		return newProcessRunner(cfg)
	// The container sandbox becomes another case here.
	default:
		return nil, fmt.Errorf("unknown sandbox %q", cfg.Sandbox)
	}
}

func newProcessRunner(cfg *config) (sandbox.Runner, error) {
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
